"""Explain an infeasible scenario: which requirements cannot hold together, in the planner's words.

Found by re-solving, not guessed: a deletion filter over the scenario's rules (each rule is one block
of the model) keeps only rules whose removal makes the scenario feasible, leaving an irreducible set.
Each rule in it is then described with facts from the pool (how many creators are eligible, what the
cheapest ones cost) so the planner sees which number to change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.milp import Milp
from optimizer.problem import Problem
from optimizer.rules import ConflictFacts, conflict_text, rule_text, spec_of
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


def describe(problem: Problem, milp: Milp, keys: list[str]) -> str:
    """A paragraph naming each conflicting rule with the facts that make it bind (words from the catalogue)."""
    frame = problem.pool.frame
    if not keys:
        n_elig = int(problem.eligible.sum())
        return (
            f"No roster is possible even before any rule on size, budget or niches: {n_elig} of "
            f"{len(frame)} creators are eligible. Check the eligibility rules."
        )
    by_key = {b.key: b for b in milp.blocks}
    facts = ConflictFacts(problem, frame.loc[problem.eligible.to_numpy()])
    parts = conflict_text([by_key[k] for k in keys], facts)
    lead = "This requirement cannot be met: " if len(keys) == 1 else "These requirements cannot all hold together: "
    tail = " Relax any one of them to get a roster."
    return lead + "; ".join(parts) + "." + (tail if len(keys) > 1 else "")


def binding_rules(milp: Milp, values: np.ndarray, currency: str) -> list[dict[str, str]]:
    """Single-row rules that hold with equality at a solution: the ones that shape the roster.

    Returns
    -------
    list of dict
        ``{"rule": key, "text": rule in words}`` in build order.
    """
    out = []
    for block in milp.blocks:
        if not spec_of(block.kind).relaxable or block.n_rows != 1:
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
