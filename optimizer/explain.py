"""Why this creator and not that one: answers found by re-solving, not estimated.

For a chosen creator: the value lost if they are removed, and who would replace them.
For one not chosen: the value given up by forcing them in, and the price at which the optimum would
pick them (bisection on their price, each step a full solve).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from optimizer.formatting import money
from optimizer.milp import Milp
from optimizer.model import build_model
from optimizer.pipeline import SolveOptions, optimize, resolve
from optimizer.problem import Problem, build_problem
from optimizer.result import Result

PRICE_TOLERANCE = 1.0  # currency units: bisection stops within $1


@dataclass
class Explanation:
    """The answer for one creator."""

    creator_id: str
    chosen: bool
    text: str
    value_change: float | None = None  # change of the optimum's score: value, or minus the cost in min-cost mode
    replacements: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    pick_price: float | None = None
    solves: int = 0

    def to_dict(self) -> dict:
        """As stored in result files and reports."""
        return dict(self.__dict__)


def _priced(problem: Problem, cid: str, price: float) -> Problem:
    pool = problem.pool
    frame = pool.frame.copy()
    frame.loc[cid, "cost"] = price
    repriced = replace(pool, frame=frame)
    sc = problem.scenario
    if cid in sc.prices:  # a negotiated price in the scenario would otherwise win over the trial price
        sc = sc.model_copy(update={"prices": {k: v for k, v in sc.prices.items() if k != cid}})
    return build_problem(sc, repriced, problem.overlap, problem.scenario_path, problem.calibration)


def _score(result: Result) -> float | None:
    """What the optimum is judged by: expected value (maximise), or cost (min-cost mode; lower is better)."""
    if not result.verification:
        return None
    return result.verification.total_cost if result.problem.scenario.mode == "min_cost" else result.verification.value


def _loss_words(problem: Problem, amount: float, base: float) -> str:
    """A loss in the mode's own terms: value given up, or extra cost to reach the target."""
    sc = problem.scenario
    share = f" ({amount / base:.2%} of the optimum)" if base else ""
    if sc.mode == "min_cost":
        return f"raises the cost of reaching the target by {money(amount, sc.currency)}{share}"
    return f"loses {amount:,.2f} expected {sc.value_metric}{share}"


def explain_creator(
    problem: Problem,
    base: Result,
    cid: str,
    solver: str = "cbc",
    price_search: bool = True,
    milp: Milp | None = None,
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
    milp : Milp, optional
        The model of `problem`, already built (the report explains many creators with one model).

    Returns
    -------
    Explanation
    """
    frame = problem.pool.frame
    if cid not in frame.index:
        return Explanation(cid, False, f"{cid} is not in the pool.")
    options = SolveOptions(solver=solver, explain=False)
    model = milp if milp is not None else build_model(problem)
    # losses are positive: value given up when maximising, extra cost in min-cost mode
    sign = -1.0 if problem.scenario.mode == "min_cost" else 1.0
    v0 = _score(base) or 0.0
    if cid in base.roster:
        if cid in problem.scenario.eligibility.include:
            return Explanation(cid, True, f"{cid} is on the roster because the scenario requires it (include).")
        # warm-started from the optimum without them, which is often feasible already
        other = resolve(
            problem, model, options, exclude=[cid], start={c: k for c, k in base.roster.items() if c != cid}
        )
        if not other.roster:
            return Explanation(
                cid, True, f"Without {cid} no roster satisfies every rule: they are indispensable.", solves=1
            )
        lost = sign * (v0 - (_score(other) or 0.0))
        new = sorted(set(other.roster) - set(base.roster))
        gone = sorted(set(base.roster) - set(other.roster) - {cid})
        text = f"Removing {cid} {_loss_words(problem, lost, v0)}"
        text += f"; the best roster without them adds {', '.join(new) or 'nobody'}"
        text += f" and also drops {', '.join(gone)}." if gone else "."
        return Explanation(cid, True, text, -lost, new, gone, solves=1)

    if not problem.eligible[cid]:
        return Explanation(cid, False, f"{cid} is not eligible: {problem.reasons[cid]}.")
    forced = resolve(problem, model, options, include=[cid])
    solves = 1
    if not forced.roster:
        text = f"{cid} cannot be added without breaking a rule of the scenario (no feasible roster includes them)."
        return Explanation(cid, False, text, solves=solves)
    cost = sign * (v0 - (_score(forced) or 0.0))
    text = f"Forcing {cid} onto the roster {_loss_words(problem, cost, v0)}"
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
        cur = problem.scenario.currency
        out.text = (
            text
            + f"; at a price of {money(lo, cur)} or less per post (now {money(price, cur)}) the optimum picks them."
        )
    else:
        out.text = text + "."
    return out
