"""Why this creator and not that one: answers found by re-solving, not estimated.

For a chosen creator: the value lost if they are removed, and who would replace them.
For one not chosen: the value given up by forcing them in, and the price at which the optimum would
pick them (bisection on their price, each step a full solve).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from optimizer.pipeline import optimize
from optimizer.problem import Problem, build_problem
from optimizer.result import Result

PRICE_TOLERANCE = 1.0  # currency units: bisection stops within $1


@dataclass
class Explanation:
    """The answer for one creator."""

    creator_id: str
    chosen: bool
    text: str
    value_change: float | None = None
    replacements: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pick_price: float | None = None
    solves: int = 0

    def to_dict(self) -> dict:
        """As stored in result files and reports."""
        return dict(self.__dict__)


def _excluding(problem: Problem, cid: str) -> Problem:
    sc = problem.scenario
    elig = sc.eligibility.model_copy(update={"exclude": [*sc.eligibility.exclude, cid]})
    return problem.with_scenario(sc.model_copy(update={"eligibility": elig}))


def _including(problem: Problem, cid: str) -> Problem:
    sc = problem.scenario
    elig = sc.eligibility.model_copy(update={"include": [*sc.eligibility.include, cid]})
    return problem.with_scenario(sc.model_copy(update={"eligibility": elig}))


def _priced(problem: Problem, cid: str, price: float) -> Problem:
    pool = problem.pool
    frame = pool.frame.copy()
    frame.loc[cid, "cost"] = price
    repriced = replace(pool, frame=frame)
    sc = problem.scenario
    if cid in sc.prices:  # a negotiated price in the scenario would otherwise win over the trial price
        sc = sc.model_copy(update={"prices": {k: v for k, v in sc.prices.items() if k != cid}})
    return build_problem(sc, repriced, problem.overlap, problem.scenario_path)


def _value(result: Result) -> float | None:
    return result.verification.value if result.verification else None


def explain_creator(
    problem: Problem, base: Result, cid: str, solver: str = "cbc", price_search: bool = True
) -> Explanation:
    """Explain one creator's place (or absence) in the optimum `base`.

    Parameters
    ----------
    problem : Problem
    base : Result
        The optimum of `problem`.
    cid : str
        Creator id.
    solver : str
    price_search : bool
        For a creator not chosen, also find the price at which they would be (about 10 more solves).

    Returns
    -------
    Explanation
    """
    metric = problem.scenario.value_metric
    frame = problem.pool.frame
    if cid not in frame.index:
        return Explanation(cid, False, f"{cid} is not in the pool.")
    v0 = _value(base) or 0.0
    if cid in base.roster:
        if cid in problem.scenario.eligibility.include:
            return Explanation(cid, True, f"{cid} is on the roster because the scenario requires it (include).")
        other = optimize(_excluding(problem, cid), solver=solver, explain=False)
        if not other.roster:
            return Explanation(
                cid, True, f"Without {cid} no roster satisfies every rule: they are indispensable.", solves=1
            )
        lost = v0 - (_value(other) or 0.0)
        new = sorted(set(other.roster) - set(base.roster))
        gone = sorted(set(base.roster) - set(other.roster) - {cid})
        text = (
            f"Removing {cid} loses {lost:,.2f} expected {metric} ({lost / v0:.2%} of the optimum)"
            if v0
            else f"Removing {cid} loses {lost:,.2f} expected {metric}"
        )
        text += f"; the best roster without them adds {', '.join(new) or 'nobody'}"
        text += f" and also drops {', '.join(gone)}." if gone else "."
        return Explanation(cid, True, text, -lost, new, gone, solves=1)

    if not problem.eligible[cid]:
        return Explanation(cid, False, f"{cid} is not eligible: {problem.reasons[cid]}.")
    forced = optimize(_including(problem, cid), solver=solver, explain=False)
    solves = 1
    if not forced.roster:
        text = f"{cid} cannot be added without breaking a rule of the scenario (no feasible roster includes them)."
        return Explanation(cid, False, text, solves=solves)
    cost = v0 - (_value(forced) or 0.0)
    text = f"Forcing {cid} onto the roster costs {cost:,.2f} expected {metric}"
    out = Explanation(cid, False, text, -cost, sorted(set(forced.roster) - set(base.roster)),
                      sorted(set(base.roster) - set(forced.roster)), solves=solves)  # fmt: skip
    if price_search:
        price = float(frame.at[cid, "cost"])
        lo, hi = 0.0, price  # picked at lo (to be checked), not picked at hi
        at_zero = optimize(_priced(problem, cid, 0.0), solver=solver, explain=False)
        out.solves += 1
        if cid not in at_zero.roster:
            out.text = text + "; they would not be picked even for free (other creators give more within the rules)."
            return out
        while hi - lo > PRICE_TOLERANCE:
            mid = (lo + hi) / 2
            trial = optimize(_priced(problem, cid, mid), solver=solver, explain=False)
            out.solves += 1
            if cid in trial.roster:
                lo = mid
            else:
                hi = mid
        out.pick_price = round(lo, 2)
        out.text = text + f"; at a price of {lo:,.2f} or less per post (now {price:,.2f}) the optimum picks them."
    else:
        out.text = text + "."
    return out
