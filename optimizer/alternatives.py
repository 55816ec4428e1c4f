"""Next-best rosters: the K best distinct rosters after the optimum, each solved exactly and re-verified.

**Distinct** means a different *set of creators*. Two rosters booking the same creators with different
numbers of posts are the same roster for this purpose: a planner negotiates with people, and for a given
set of creators the solver already books the best number of posts. With ``min_difference`` D > 1, each
roster must differ from every earlier one (the optimum included) by at least D creators, counting those
who join and those who leave (the symmetric difference of the two sets).

**Method.** After a roster with creator set S, a *no-good cut* on the first-post columns y (one per
creator) is added to the model as a block of its own rule kind (``roster_cut``, registered below, not
relaxable: it is not a requirement of the scenario)::

    sum_{i not in S} y_i - sum_{i in S} y_i >= D - |S|

The left side minus |S| is the size of the symmetric difference, so the cut says "at least D creators in
or out". The next roster is the optimum of the model with every cut so far; with D = 1 this lists the
distinct creator sets in order of their best value, so the values are the exact 2nd, 3rd, ... best.

**Exact with the large-pool reduction.** The reduction (`optimizer.reduce`) proves creators out against
the optimum, but a creator proven out of every optimal roster may belong in the K-th best one. Its proof
gives, per creator j, a bound on every roster that uses j (``Reduction.keep_at``). The search runs on the
creators kept so far, reads the value v_K of the K-th roster it found, and keeps ``keep_at(v_K)`` too; when
that adds creators it searches again on the larger set. At the fixed point (nothing added) the search on
the kept creators is the search on the whole pool: by induction, if the first i-1 rosters agree, the i-th
roster of the whole pool is worth t_i >= v_i >= v_K (more creators can only help, and values do not
increase along the list), so it uses only creators with a bound of at least t_i >= v_K: creators that are
kept. The kept search therefore finds a roster worth t_i, which is an optimal i-th pick for the whole pool
too. When fewer than K rosters are found on the kept creators, no threshold is known and the whole pool
is searched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from optimizer.errors import InputError
from optimizer.formatting import money, num
from optimizer.milp import Block, Milp
from optimizer.pipeline import Solved, SolveOptions, finish, solve_model
from optimizer.problem import Problem
from optimizer.result import Result, VerificationFailed, roster_records
from optimizer.rules import RuleSpec, register_rule
from optimizer.solve import Status, solve_milp
from optimizer.verify import Verification, verify_roster

CUT = "roster_cut"

register_rule(
    RuleSpec(
        CUT,
        lambda b, cur: f"differs from roster #{b.label} by at least {b.limit:.0f} creator(s)",
        local=False,  # one row over every creator's first post
        relaxable=False,  # not a requirement of the scenario: diagnosis never relaxes it
    )
)


@dataclass
class Alternative:
    """One next-best roster.

    Attributes
    ----------
    rank : int
        1 for the best roster after the optimum.
    roster : dict
        Creator id -> posts.
    objective : float
        The model's objective (value when maximising, cost in min-cost mode).
    status : str
        ``optimal`` (proven best among rosters that differ from the earlier ones) or ``feasible``.
    bound, gap : float or None
        The solver's proof for this search.
    verification : Verification
    """

    rank: int
    roster: dict[str, int]
    objective: float
    status: str
    bound: float | None
    gap: float | None
    verification: Verification


@dataclass
class AlternativeSearch:
    """What the search for next-best rosters found and did."""

    requested: int
    min_difference: int
    alternatives: list[Alternative] = field(default_factory=list)
    solves: int = 0
    rounds: int = 0
    creators: int = 0
    considered: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def cut_block(milp: Milp, roster: dict[str, int] | set[str], label: str, min_difference: int = 1) -> Block:
    """The no-good cut "at least `min_difference` creators in or out against `roster`" over every owner.

    Parameters
    ----------
    milp : Milp
        A single-campaign model (owners are creators).
    roster : dict or set
        The creators of the roster to move away from.
    label : str
        Names the rule (``roster_cut[label]``).
    min_difference : int
    """
    chosen = set(roster)
    ids = milp.creator_ids[milp.owner_creator]
    inside = np.fromiter((str(c) in chosen for c in ids), dtype=bool, count=len(ids))
    coefs = np.where(inside, -1.0, 1.0)
    return Block.single(CUT, label, float(min_difference), milp.first_col.copy(), coefs, ">=",
                        float(min_difference - int(inside.sum())))  # fmt: skip


def differs(base: dict[str, int], other: dict[str, int]) -> dict[str, list[str]]:
    """Who is in `other` but not in `base`, and who is out.

    Examples
    --------
    >>> differs({"a": 1, "b": 2}, {"b": 1, "c": 1})
    {'in': ['c'], 'out': ['a']}
    """
    return {"in": sorted(set(other) - set(base)), "out": sorted(set(base) - set(other))}


def _search(problem: Problem, milp: Milp, keep: np.ndarray, base: dict[str, int], k: int, min_difference: int,
            options: SolveOptions) -> tuple[list[Alternative], int, str | None]:  # fmt: skip
    """Up to k rosters on the kept owners, each the best that differs enough from every earlier one."""
    model = replace(milp, blocks=list(milp.blocks))  # the cuts go on a copy; the caller's model is unchanged
    found: list[Alternative] = []
    earlier = [base]
    solves = 0
    for rank in range(1, k + 1):
        model.add_block(cut_block(model, earlier[-1], str(rank - 1), min_difference))
        if keep.all():
            sub, columns = model, np.arange(model.n_cols)
        else:
            sub, columns = model.restrict(keep)
        outcome = solve_milp(sub, solver=options.solver, time_limit=options.time_limit, gap=options.gap,
                             verbose=options.verbose, cancel=options.cancel)  # fmt: skip
        solves += 1
        if outcome.status == Status.INFEASIBLE:
            return found, solves, "exhausted"
        if not outcome.has_solution:
            return found, solves, "no solution within the time limit"
        values = np.zeros(model.n_cols)
        values[columns] = outcome.values
        roster = model.posts(values)
        reported = model.expression_value("value", values) if "value" in model.expressions else None
        check = verify_roster(problem, roster, reported_value=reported)
        if not check.passed:
            raise VerificationFailed(
                f"Alternative #{rank} failed the independent check, so nothing was written: "
                + "; ".join(check.violations)
            )
        for j, other in enumerate(earlier):
            if len(set(roster) ^ set(other)) < min_difference:  # the cut guarantees it; a bug otherwise
                raise VerificationFailed(f"Alternative #{rank} differs from roster #{j} by fewer than {min_difference}")
        found.append(Alternative(rank, roster, float(outcome.objective), outcome.status.value, outcome.bound,  # type: ignore[arg-type]
                                 outcome.gap, check))  # fmt: skip
        earlier.append(roster)
    return found, solves, None


def find_alternatives(problem: Problem, solved: Solved, base: dict[str, int], k: int, min_difference: int = 1,
                      options: SolveOptions | None = None) -> AlternativeSearch:  # fmt: skip
    """The k best rosters after `base`, distinct by creator set (see the module docstring).

    Parameters
    ----------
    problem : Problem
    solved : Solved
        The solve that found `base` (its model and, when the reduction ran, what it proved).
    base : dict
        The optimum's roster (creator id -> posts).
    k : int
        How many alternatives.
    min_difference : int
        Each roster differs from every earlier one by at least this many creators (in or out).
    options : SolveOptions, optional

    Returns
    -------
    AlternativeSearch
        Rosters in the order found: non-increasing value (non-decreasing cost in min-cost mode).
    """
    if k < 0 or min_difference < 1:
        raise ValueError("k must be >= 0 and min_difference >= 1")
    began = time.perf_counter()
    options = options or SolveOptions()
    milp = solved.milp
    n = len(milp.first_col)
    search = AlternativeSearch(k, min_difference, creators=n)
    reduction = solved.reduction
    proven = reduction is not None and reduction.bound_with is not None
    keep = reduction.keep_at(reduction.incumbent) if proven else np.ones(n, dtype=bool)  # type: ignore[union-attr, arg-type]
    while True:
        search.rounds += 1
        found, solves, stop = _search(problem, milp, keep, base, k, min_difference, options)
        search.solves += solves
        if not proven or keep.all():
            break
        # every roster worth at least the k-th found may need creators proven out against the optimum only
        wanted = reduction.keep_at(found[-1].objective) if len(found) == k else np.ones(n, dtype=bool)  # type: ignore[union-attr]
        if not (wanted & ~keep).any():
            break
        keep = keep | wanted
    search.alternatives = found
    search.considered = int(keep.sum())
    if stop == "exhausted":
        search.notes.append(
            f"Only {len(found)} other roster(s) satisfy every rule"
            + (f" and differ by at least {min_difference} creators" if min_difference > 1 else "")
            + f"; {k} were asked for."
        )
    elif stop is not None:
        search.notes.append(f"The search stopped after {len(found)} alternative(s): {stop}; raise --time-limit.")
    if any(a.status != "optimal" for a in found):
        search.notes.append("Some alternatives hit the time limit: they are feasible, not proven next-best.")
    search.seconds = round(time.perf_counter() - began, 4)
    return search


def sections(problem: Problem, base: dict[str, int], search: AlternativeSearch) -> dict[str, Any]:
    """The result.json fields ``alternatives`` and ``alternatives_search``.

    Parameters
    ----------
    problem : Problem
    base : dict
        The optimum's roster (``differs`` is against it).
    search : AlternativeSearch

    Returns
    -------
    dict
        Ready for ``Result.sections``.
    """
    min_cost = problem.scenario.mode == "min_cost"
    rows = []
    for a in search.alternatives:
        v = a.verification
        rows.append({
            "rank": a.rank, "status": a.status,
            "objective_value": v.total_cost if min_cost else v.value,
            "bound": a.bound, "gap": a.gap, "value": v.value, "total_cost": round(v.total_cost, 2),
            "roster_size": len(a.roster), "total_posts": int(sum(a.roster.values())),
            "differs": differs(base, a.roster),
            "roster": roster_records(problem, a.roster),
            "verification": {"passed": v.passed, "checks": v.checks, "violations": v.violations},
        })  # fmt: skip
    return {
        "alternatives": rows,
        "alternatives_search": {
            "requested": search.requested, "found": len(rows), "min_difference": search.min_difference,
            "distinct_by": "creators", "solves": search.solves, "rounds": search.rounds,
            "creators": search.creators, "considered": search.considered, "seconds": search.seconds,
            "notes": search.notes,
        },
    }  # fmt: skip


def optimize_with_alternatives(problem: Problem, k: int, min_difference: int = 1,
                               options: SolveOptions | None = None) -> Result:  # fmt: skip
    """`optimizer.pipeline.optimize`, then the k next-best distinct rosters (in ``Result.sections``).

    Parameters
    ----------
    problem : Problem
    k : int
        Alternatives wanted (0: just the optimum).
    min_difference : int
        See `find_alternatives`.
    options : SolveOptions, optional

    Returns
    -------
    Result
        With ``sections["alternatives"]`` and ``sections["alternatives_search"]`` when there is a roster.
    """
    from optimizer.model import build_model

    if problem.scenario.risk is not None and k > 0:
        # next-best rosters are ranked and audited by expected value; a risk model's objective is another figure
        raise InputError(
            f"{problem.scenario.name}: next-best rosters are not available with a risk: block (they are ranked by "
            "expected value, the risk-aware roster by its risk objective); drop --alternatives or the risk: block"
        )
    options = options or SolveOptions()
    began = time.perf_counter()
    milp = build_model(problem)
    built = round(time.perf_counter() - began, 4)
    solved = solve_model(milp, options)
    result = finish(problem, solved, options, {"build": built, **solved.timings})
    if result.status in ("optimal", "feasible") and k > 0:  # an empty optimum is a roster too (the empty set)
        search = find_alternatives(problem, solved, result.roster, k, min_difference, options)
        result.sections.update(sections(problem, result.roster, search))
        result.timings["alternatives"] = search.seconds
    return result


def alternatives_text(doc: Any) -> str:
    """What `roster optimize --alternatives` prints after the summary (from a `ResultDoc`)."""
    search = doc.alternatives_search
    if search is None:
        return ""
    cur = doc.currency
    min_cost = doc.mode == "min_cost"
    what = "cheapest" if min_cost else "best"
    lines = [f"Next-{what} distinct rosters ({search.found} of {search.requested}; distinct = a different set of "
             f"creators" + (f", at least {search.min_difference} in or out" if search.min_difference > 1 else "")
             + "; each verified):"]  # fmt: skip
    for a in doc.alternatives or []:
        change = ", ".join([f"+{c}" for c in a.differs["in"]] + [f"-{c}" for c in a.differs["out"]])
        figure = money(a.objective_value, cur) if min_cost else f"{num(a.objective_value)} {doc.value_metric}"
        lines.append(f"  #{a.rank} {a.status}: {figure}; spend {money(a.total_cost, cur)}; {a.roster_size} creators; "
                     f"{change}")  # fmt: skip
    for note in search.notes:
        lines.append(f"  Note: {note}")
    return "\n".join(lines)
