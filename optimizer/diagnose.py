"""Explain an infeasible scenario: which requirements cannot hold together, in the planner's words.

Found by re-solving, not guessed: a deletion filter over the scenario's rules (each rule is one block
of the model) keeps only rules whose removal makes the scenario feasible, leaving an irreducible set.
Each rule in it is then described with facts from the pool (how many creators are eligible, what the
cheapest ones cost) so the planner sees which number to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.model import Block, Milp
from optimizer.problem import Problem
from optimizer.solve import SolveOutcome, Status, solve_milp


@dataclass
class Conflict:
    """An irreducible set of requirements that cannot all hold.

    Attributes
    ----------
    rules : list of str
        Rule keys, e.g. ``["roster_min", "budget"]``.
    explanation : str
        One paragraph for the planner.
    """

    rules: list[str]
    explanation: str


def _feasible(milp: Milp, drop: set[str], solver: str, time_limit: float | None) -> bool | None:
    outcome: SolveOutcome = solve_milp(milp, solver=solver, time_limit=time_limit, drop=drop, feasibility_only=True)
    if outcome.status == Status.INFEASIBLE:
        return False
    if outcome.has_solution:
        return True
    return None  # undecided within the time limit


def find_conflict(milp: Milp, solver: str = "cbc", time_limit: float | None = 30.0) -> list[str] | None:
    """Keys of an irreducible infeasible set of rules (None if undecided or feasible after all).

    Parameters
    ----------
    milp : Milp
        An infeasible model.
    solver : str
    time_limit : float, optional
        Per feasibility test.

    Returns
    -------
    list of str or None
    """
    keys = milp.keys()
    if _feasible(milp, set(keys), solver, time_limit) is False:
        return []  # infeasible with no rule at all: only eligibility can be to blame
    needed: list[str] = []
    dropped: set[str] = set()
    for key in keys:
        # Try the scenario without this rule (and without those already found unnecessary).
        trial = dropped | {key}
        verdict = _feasible(milp, trial, solver, time_limit)
        if verdict is None:
            return None
        if verdict:
            needed.append(key)  # removing it restores feasibility: part of the conflict
        else:
            dropped = trial
    return needed


def _money(problem: Problem, amount: float) -> str:
    cur = problem.scenario.currency
    sign = "$" if cur == "USD" else ""
    tail = "" if sign else f" {cur}"
    return f"{sign}{amount:,.0f}{tail}"


def _cheapest(costs: np.ndarray, k: int) -> float:
    return float(np.sort(costs)[:k].sum()) if k > 0 else 0.0


def describe(problem: Problem, milp: Milp, keys: list[str]) -> str:
    """A paragraph naming each conflicting rule with the facts that make it bind."""
    sc = problem.scenario
    frame = problem.pool.frame
    elig = frame.loc[problem.eligible.to_numpy()]
    blocks: dict[str, Block] = {b.key: b for b in milp.blocks}
    n_elig = len(elig)

    def members(block: Block):  # eligible creators a niche/platform rule is about
        if block.kind.startswith("niche"):
            return elig[[block.label in t for t in elig["niches"]]]
        return elig[elig["platform"] == block.label]

    def in_pool(block: Block) -> int:
        if block.kind.startswith("niche"):
            return int(sum(block.label in t for t in frame["niches"]))
        return int((frame["platform"] == block.label).sum())

    parts: list[str] = []
    key_set = set(keys)
    budget = sc.budget
    # Facts tying a count to the budget are the most useful: say them first.
    if "budget" in key_set and budget is not None:
        for key in keys:
            b = blocks[key]
            if b.kind == "roster_min":
                k = int(b.limit)
                parts.append(
                    f"{k} creators cost at least {_money(problem, _cheapest(elig['cost'].to_numpy(), k))} "
                    f"(the {k} cheapest eligible) but the budget is {_money(problem, budget)}"
                )
            elif b.kind in ("niche_min", "platform_min"):
                k = int(b.limit)
                m = members(b)
                parts.append(
                    f"{b.kind.split('_')[0]} '{b.label}' needs {k} creators, and its {k} cheapest eligible cost "
                    f"{_money(problem, _cheapest(m['cost'].to_numpy(), k))}; the budget is {_money(problem, budget)}"
                )
    for key in keys:
        b = blocks[key]
        kind = b.kind
        group = kind.split("_")[0]
        if kind == "budget":
            if not any(p for p in parts if "the budget is" in p):
                parts.append(f"the budget is {_money(problem, b.limit)}")
        elif kind == "min_spend":
            most = float((elig["cost"] * problem.max_posts.loc[elig.index]).sum())
            parts.append(
                f"min_spend requires spending {_money(problem, b.limit)} (all eligible creators together cost "
                f"{_money(problem, most)})"
            )
        elif kind == "roster_min":
            if "budget" not in key_set:
                parts.append(
                    f"the roster needs at least {int(b.limit)} creators but only {n_elig} are eligible"
                    if n_elig < b.limit
                    else f"the roster needs at least {int(b.limit)} creators"
                )
        elif kind == "roster_max":
            parts.append(f"the roster may have at most {int(b.limit)} creators")
        elif kind in ("niche_min", "platform_min"):
            if "budget" not in key_set:
                m = members(b)
                parts.append(
                    f"{group} '{b.label}' needs {int(b.limit)} creators but only {len(m)} are eligible "
                    f"({in_pool(b)} in the pool)"
                    if len(m) < b.limit
                    else f"{group} '{b.label}' needs at least {int(b.limit)} creators"
                )
        elif kind in ("niche_max", "platform_max"):
            parts.append(f"{group} '{b.label}' may have at most {int(b.limit)} creators")
        elif kind.endswith("share_min"):
            parts.append(
                f"{group} '{b.label}' must get at least {b.limit:.0%} of the budget ({_money(problem, b.rhs[0])})"
            )
        elif kind.endswith("share_max"):
            parts.append(
                f"{group} '{b.label}' may get at most {b.limit:.0%} of the budget ({_money(problem, b.rhs[0])})"
            )
        elif kind == "include":
            cost = float(frame.at[b.label, "cost"])
            parts.append(f"{b.label} must be on the roster (one post costs {_money(problem, cost)})")
        elif kind == "overlap_conflicts":
            parts.append(
                f"no two chosen creators may share more than {b.limit:.0%} of their audience "
                f"({len(b.rhs)} such pairs among eligible creators)"
            )
        elif kind == "target":
            parts.append(f"the target is {b.limit:,.0f} expected {b.label}")
    if not keys:
        return (
            f"No roster is possible even before any rule on size, budget or niches: {n_elig} of "
            f"{len(frame)} creators are eligible. Check the eligibility rules."
        )
    lead = "This requirement cannot be met: " if len(keys) == 1 else "These requirements cannot all hold together: "
    tail = " Relax any one of them to get a roster."
    return lead + "; ".join(parts) + "." + (tail if len(keys) > 1 else "")


def rule_text(block: Block, currency: str) -> str:
    """A rule in the planner's words, e.g. "at most 40 creators" or "niche 'zero-waste' at most 40% of the budget"."""
    sign = "$" if currency == "USD" else ""
    tail = "" if sign else f" {currency}"
    group = f"{block.kind.split('_')[0]} '{block.label}'"
    kind = block.kind
    texts = {
        "budget": f"spend at most the budget of {sign}{block.limit:,.0f}{tail}",
        "min_spend": f"spend at least {sign}{block.limit:,.0f}{tail}",
        "roster_min": f"at least {block.limit:.0f} creators",
        "roster_max": f"at most {block.limit:.0f} creators",
        "include": f"{block.label} must be on the roster",
        "overlap_conflicts": f"no pair sharing more than {block.limit:.0%} of their audience",
        "target": f"at least {block.limit:,.0f} expected {block.label}",
    }
    if kind in texts:
        return texts[kind]
    # share rules first: "niche_share_min" also ends in "_min"
    if kind.endswith("share_min"):
        return f"{group}: at least {block.limit:.0%} of the spend"
    if kind.endswith("share_max"):
        return f"{group}: at most {block.limit:.0%} of the spend"
    if kind.endswith("_min"):
        return f"{group}: at least {block.limit:.0f} creators"
    if kind.endswith("_max"):
        return f"{group}: at most {block.limit:.0f} creators"
    return block.key


def binding_rules(milp: Milp, values: np.ndarray, currency: str) -> list[dict[str, str]]:
    """Single-row rules that hold with equality at a solution: the ones that shape the roster.

    Returns
    -------
    list of dict
        ``{"rule": key, "text": rule in words}`` in build order.
    """
    out = []
    for block in milp.blocks:
        if not block.relaxable or len(block.rhs) != 1:
            continue
        activity = float(block.coefs @ values[block.cols]) if len(block.cols) else 0.0
        rhs = float(block.rhs[0])
        if abs(activity - rhs) <= 1e-6 * max(1.0, abs(rhs)):
            out.append({"rule": block.key, "text": rule_text(block, currency)})
    return out


def explain_infeasible(problem: Problem, milp: Milp, solver: str = "cbc", time_limit: float | None = 30.0) -> Conflict:
    """Find and describe why a scenario has no feasible roster.

    Parameters
    ----------
    problem : Problem
    milp : Milp
        The infeasible model built from `problem`.
    solver : str
    time_limit : float, optional
        Per re-solve.

    Returns
    -------
    Conflict
    """
    keys = find_conflict(milp, solver, time_limit)
    if keys is None:
        return Conflict(
            [],
            "The scenario is infeasible, but the solver could not isolate the conflicting rules "
            "within the time limit; try relaxing niche minimums or the roster size.",
        )
    return Conflict(keys, describe(problem, milp, keys))
