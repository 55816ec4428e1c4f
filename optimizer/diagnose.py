"""Explain an infeasible scenario: which requirements cannot hold together, in the planner's words.

Found by re-solving, not guessed: a deletion filter over the scenario's rules (each rule is one block
of the model) keeps only rules whose removal makes the scenario feasible, leaving an irreducible set.
Each rule in it is then described with facts from the pool (how many creators are eligible, what the
cheapest ones cost) so the planner sees which number to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from optimizer.milp import Block, Milp
from optimizer.problem import Problem
from optimizer.rules import ConflictFacts, RuleKind, conflict_text, rule_text, spec_of
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
    facts : list of str
        The sentences of it that were found by solving: the joint fact and the smallest changes.
    """

    rules: list[str]
    explanation: str
    facts: list[str] = field(default_factory=list)


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
    keys = milp.rule_keys()
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


def describe(problem: Problem, milp: Milp, keys: list[str], facts: list[str] | None = None) -> str:
    """A paragraph naming each conflicting rule with the facts that make it bind (words from the catalogue).

    ``facts`` are sentences found by solving (`joint_fact`, `smallest_changes`), appended as they are.
    """
    frame = problem.pool.frame
    if not keys:
        n_elig = int(problem.eligible.sum())
        return (
            f"No roster is possible even before any rule on size, budget or niches: {n_elig} of "
            f"{len(frame)} creators are eligible. Check the eligibility rules."
        )
    by_key = {b.key: b for b in milp.blocks}
    context = ConflictFacts(problem, frame.loc[problem.eligible.to_numpy()])
    parts = conflict_text([by_key[k] for k in keys], context)
    lead = "This requirement cannot be met: " if len(keys) == 1 else "These requirements cannot all hold together: "
    tail = " Relax any one of them to get a roster." if len(keys) > 1 else ""
    extra = "".join(f" {f}" for f in facts or [])
    return lead + "; ".join(parts) + "." + tail + extra


def _probe(milp: Milp, block: Block, maximise: bool, drop: set[str], solver: str, time_limit: float | None):
    """The best activity of a one-row rule's row under the model's other rules (None if none or undecided)."""
    probe = replace(milp, objective={"probe": (block.cols, block.coefs)}, maximise=maximise)
    outcome = solve_milp(probe, solver=solver, time_limit=time_limit, drop=drop | {block.key})
    return outcome.objective if outcome.status == Status.OPTIMAL else None


def joint_fact(problem: Problem, milp: Milp, keys: list[str], solver: str = "cbc",
               time_limit: float | None = 30.0) -> str | None:  # fmt: skip
    """The fact that ties a conflict together, found by a solve over the conflict's own rules.

    One rule with an amount (the budget first) is the pivot: the least (for an upper limit) or the most
    (for a lower one) its row can be under the conflict's other rules, e.g. "meeting niche 'a': at least
    3 creators and niche 'b': at least 2 creators, a roster needs at least $767 of spend, more than the
    budget of $600".
    """
    by_key = {b.key: b for b in milp.blocks}
    blocks = [by_key[k] for k in keys]
    pivots = [b for b in blocks if spec_of(b.kind).measure is not None and b.n_rows == 1]
    if len(blocks) < 2 or not pivots:
        return None
    pivot = next((b for b in pivots if b.kind == RuleKind.BUDGET), pivots[0])
    others = [b for b in blocks if b is not pivot]
    if pivot.kind == RuleKind.BUDGET and len(others) == 1 and spec_of(others[0].kind).states_budget:
        return None  # its own words already quote the exact cheapest roster for that one rule
    drop = {k for k in milp.rule_keys() if k not in keys}
    cur = problem.scenario.currency
    m = spec_of(pivot.kind).measure(pivot, cur)  # type: ignore[misc]
    upper = pivot.sense == "<="
    value = _probe(milp, pivot, not upper, drop, solver, time_limit)
    if value is None:
        return None
    meeting = " and ".join(rule_text(b, cur) for b in others)
    if upper:
        return f"Meeting {meeting}, a roster needs at least {m.amount(value)}, more than {m.limit}."
    return f"Meeting {meeting}, a roster can have at most {m.amount(value)}, less than {m.limit}."


def smallest_changes(problem: Problem, milp: Milp, keys: list[str], solver: str = "cbc",
                     time_limit: float | None = 30.0) -> list[str]:  # fmt: skip
    """For each rule of a conflict, the smallest change to it alone that restores a roster (found by solving)."""
    by_key = {b.key: b for b in milp.blocks}
    cur = problem.scenario.currency
    out: list[str] = []
    for key in keys:
        b = by_key[key]
        spec = spec_of(b.kind)
        if spec.measure is not None and b.n_rows == 1:
            value = _probe(milp, b, b.sense == ">=", set(), solver, time_limit)
            out.append(spec.measure(b, cur).change(value) if value is not None else _alone(b, cur))
        elif b.kind == RuleKind.INCLUDE:
            out.append(f"drop {b.label} from the must-include list")
        elif b.kind in _SHARE_KINDS:
            out.append(_share_change(problem, b, solver, time_limit) or _alone(b, cur))
        elif b.kind == RuleKind.OVERLAP_CONFLICTS:
            out.append(_overlap_change(problem, b, solver, time_limit) or _alone(b, cur))
    return out


def _alone(block: Block, currency: str) -> str:
    return f"relaxing {rule_text(block, currency)} alone is not enough (another rule conflicts too)"


_SHARE_KINDS = {RuleKind.NICHE_SHARE_MIN, RuleKind.NICHE_SHARE_MAX, RuleKind.PLATFORM_SHARE_MIN,
                RuleKind.PLATFORM_SHARE_MAX}  # fmt: skip


def _feasible_scenario(problem: Problem, scenario, solver: str, time_limit: float | None) -> bool:
    from optimizer.model import build_model  # the model is rebuilt with one rule changed

    milp = build_model(problem.with_scenario(scenario))
    return _feasible(milp, set(), solver, time_limit) is True


def _share_change(problem: Problem, block: Block, solver: str, time_limit: float | None) -> str | None:
    """The nearest whole percentage for a spend-share rule at which a roster exists (bisection, each step a solve)."""
    sc = problem.scenario
    group = "niches" if block.kind.startswith("niche") else "platforms"
    field = "min_spend_share" if block.kind.endswith("min") else "max_spend_share"
    lower = field.startswith("min")
    current = round(block.limit * 100)

    def ok(percent: int) -> bool:
        rules = dict(getattr(sc, group))
        rules[block.label] = rules[block.label].model_copy(update={field: percent / 100})
        return _feasible_scenario(problem, sc.model_copy(update={group: rules}), solver, time_limit)

    # a feasible end: no floor at all (0%) or no cap at all (100%)
    lo, hi = (0, current) if lower else (current, 100)
    if not ok(lo if lower else hi):
        return None
    while hi - lo > 1:  # invariant: the feasible end and the infeasible end of the interval
        mid = (lo + hi) // 2
        if ok(mid) == lower:
            lo = mid
        else:
            hi = mid
    best = lo if lower else hi
    word = "lower" if lower else "raise"
    bound = "at least" if lower else "at most"
    return f"{word} {block.kind.split('_')[0]} '{block.label}' to {bound} {best}% of the spend"


def _overlap_change(problem: Problem, block: Block, solver: str, time_limit: float | None) -> str | None:
    """The lowest overlap limit (one of the listed overlaps) at which a roster exists."""
    sc = problem.scenario
    pairs = problem.overlap
    values = np.unique(pairs["overlap"].to_numpy(dtype=float))
    values = values[values > block.limit]

    def ok(limit: float) -> bool:
        policy = sc.overlap_policy.model_copy(update={"max_pairwise": float(limit)})
        return _feasible_scenario(problem, sc.model_copy(update={"overlap_policy": policy}), solver, time_limit)

    if not len(values) or not ok(values[-1]):
        return None
    lo, hi = -1, len(values) - 1  # values[hi] feasible; values[lo] (or the current limit) not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(values[mid]):
            hi = mid
        else:
            lo = mid
    return f"raise max_pairwise to {values[hi]:.0%} (pairs sharing more still never appear together)"


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
    facts: list[str] = []
    if keys:
        joint = joint_fact(problem, milp, keys, solver, time_limit)
        if joint:
            facts.append(joint)
        changes = smallest_changes(problem, milp, keys, solver, time_limit)
        if changes:
            facts.append("Smallest change to one rule (the others as they are) that gives a roster: "
                         + "; or ".join(changes) + ".")  # fmt: skip
    return Conflict(keys, describe(problem, milp, keys, facts), facts)
