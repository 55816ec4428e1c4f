"""The optimisation pipeline: load once, then build -> (reduce) -> solve -> verify -> explain, as often as needed.

`optimize` is the whole pipeline for one `Problem`. `load` reads a scenario with its files once;
`with_overrides` re-applies a partial scenario (a budget, a lock, an exclusion) to an already loaded pool
without reading anything again, which is what the frontier, the explanations and the app do between
solves. The CLI and the app only parse options, call these, and print.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from optimizer.defaults import DEFAULT_GAP, REDUCE_ABOVE
from optimizer.diagnose import binding_rules, explain_infeasible
from optimizer.errors import ScenarioError
from optimizer.milp import Milp
from optimizer.model import build_model
from optimizer.problem import Problem, load_problem
from optimizer.reduce import Reduction, reduce_model
from optimizer.result import Result, VerificationFailed
from optimizer.rules import RuleKind
from optimizer.scenario import parse_scenario
from optimizer.solve import SolveOutcome, Status, solve_milp
from optimizer.verify import risk_objective, verify_roster


@dataclass
class SolveOptions:
    """How to solve.

    Attributes
    ----------
    solver : {"cbc", "highs"}
    time_limit : float, optional
        Seconds for the solver; the best roster found by then is reported with its proven bound.
    gap : float
        Relative optimality gap at which to stop (default 0: prove optimality).
    verbose : bool
        Copy the solver's log to standard error.
    explain : bool
        On infeasibility, find the conflicting rules (costs several re-solves). For a scenario with a ``risk:``
        block, `optimize` also solves the expected-value roster and compares both on fresh draws (result.json's
        ``risk``); inner re-solves (frontier, explanations) pass False and skip both.
    reduce : bool, optional
        Prove most creators out before the MIP (`optimizer.reduce`); default: when more than
        `reduce_above` creators are eligible and the model supports it.
    reduce_above : int
    cancel : threading.Event, optional
        Set from another thread to stop a long solve (HiGHS).
    """

    solver: str = "cbc"
    time_limit: float | None = None
    gap: float = DEFAULT_GAP
    verbose: bool = False
    explain: bool = True
    reduce: bool | None = None
    reduce_above: int = REDUCE_ABOVE
    cancel: threading.Event | None = None

    def settings(self) -> dict[str, Any]:
        """As recorded in result.json."""
        return {"solver": self.solver, "time_limit": self.time_limit, "gap": self.gap}


@dataclass
class Solved:
    """What one solve of a model found, before verification."""

    milp: Milp
    outcome: SolveOutcome
    reduction: Reduction | None = None
    timings: dict[str, float] = field(default_factory=dict)


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 4)
        self.last = now


def solve_model(milp: Milp, options: SolveOptions, start: dict[str, int] | None = None,
                threshold: float | None = None) -> Solved:  # fmt: skip
    """Solve a built model, reducing it first when that is on (see `SolveOptions.reduce`).

    Parameters
    ----------
    milp : Milp
    options : SolveOptions
    start : dict, optional
        A roster to warm-start from.
    threshold : float, optional
        Passed to the reduction: keep every creator that may be in a roster worth at least this.
    """
    clock = _Clock()

    def run(model: Milp, begin: dict[str, int] | None = None) -> SolveOutcome:
        return solve_milp(model, solver=options.solver, time_limit=options.time_limit, gap=options.gap,
                          verbose=options.verbose, start=begin, cancel=options.cancel)  # fmt: skip

    wanted = (
        options.reduce
        if options.reduce is not None
        else (milp.reducible and len(milp.first_col) > options.reduce_above)
    )
    reduction = None
    if wanted:
        keep, reduction = reduce_model(milp, run, threshold=threshold)
    clock.lap("reduce")
    if reduction is not None and reduction.kept < reduction.creators:
        sub, columns = milp.restrict(keep)
        outcome = run(sub, start)
        if outcome.values is not None:
            full = np.zeros(milp.n_cols)
            full[columns] = outcome.values
            outcome.values = full
    else:
        outcome = run(milp, start)
    clock.lap("solve")
    return Solved(milp, outcome, reduction, clock.laps)


def optimize(
    problem: Problem,
    solver: str = "cbc",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    verbose: bool = False,
    explain: bool = True,
    start: dict[str, int] | None = None,
    reduce: bool | None = None,
    options: SolveOptions | None = None,
) -> Result:
    """Find the best roster for a campaign, verify it, or explain why there is none.

    Parameters
    ----------
    problem : Problem
        Validated inputs (`optimizer.load_problem`).
    solver, time_limit, gap, verbose, explain, reduce
        See `SolveOptions` (ignored when ``options`` is given).
    start : dict, optional
        A roster to warm-start the solver from.
    options : SolveOptions, optional

    Returns
    -------
    Result

    Raises
    ------
    VerificationFailed
        If the independent checker rejects the solver's roster.
    """
    options = options or SolveOptions(solver, time_limit, gap, verbose, explain, reduce)
    clock = _Clock()
    milp = build_model(problem)
    clock.lap("build")
    solved = solve_model(milp, options, start)
    result = finish(problem, solved, options, {**clock.laps, **solved.timings})
    if problem.scenario.risk is not None and result.roster and options.explain:
        from optimizer.risk import compare

        began = time.perf_counter()
        result.risk = compare(problem, result, options)
        result.timings["risk_comparison"] = round(time.perf_counter() - began, 4)
    return result


def finish(problem: Problem, solved: Solved, options: SolveOptions, timings: dict[str, float] | None = None) -> Result:
    """Turn a solve into a `Result`: verify the roster independently, find binding rules, or explain infeasibility."""
    milp, outcome = solved.milp, solved.outcome
    timings = dict(timings or {})
    settings = options.settings()
    if outcome.status == Status.INFEASIBLE:
        conflict = (
            explain_infeasible(problem, milp, options.solver, options.time_limit or 30.0) if options.explain else None
        )
        msg = conflict.explanation if conflict else "No roster satisfies every rule of the scenario."
        return Result(problem, "infeasible", outcome=outcome, conflict=conflict, message=msg, settings=settings,
                      reduction=solved.reduction, timings=timings)  # fmt: skip
    if not outcome.has_solution:
        return Result(problem, "error", outcome=outcome, settings=settings, reduction=solved.reduction, timings=timings,
                      message="The solver found no roster within the time limit; raise --time-limit.")  # fmt: skip
    clock = _Clock()
    roster = milp.posts(outcome.values)  # type: ignore[arg-type]
    # the model's own figure for the value, which the verifier recomputes from the forecast (in min-cost mode
    # too: there the shared-audience columns are pinned from above as well, see the overlap discount rule)
    model_value = milp.expression_value("value", outcome.values) if "value" in milp.expressions else None  # type: ignore[arg-type]
    risk = problem.scenario.risk
    # a risk model maximises its risk objective: its expected-value expression is recomputed, not claimed (the
    # CVaR model leaves a pair column free to rise where no tail draw feels it, which only understates it)
    check = verify_roster(problem, roster, reported_value=model_value if risk is None else None)
    if risk is not None and check.passed:
        _check_risk(problem, roster, outcome, check)
    clock.lap("verify")
    timings.update(clock.laps)
    if not check.passed:
        raise VerificationFailed(
            "The solver's roster failed the independent check, so nothing was written: " + "; ".join(check.violations)
        )
    if outcome.status == Status.OPTIMAL:
        msg = f"Optimal roster of {len(roster)} creators."
    elif outcome.gap is not None:
        msg = (f"Best roster found ({len(roster)} creators), proven within {outcome.gap:.2%} of optimal; "
               "optimality was not proven.")  # fmt: skip
    else:
        msg = f"Best roster found ({len(roster)} creators); the solver proved no bound, so optimality was not proven."
    binding = binding_rules(milp, outcome.values, problem.scenario.currency)  # type: ignore[arg-type]
    return Result(problem, outcome.status.value, roster, outcome, check, message=msg, settings=settings,
                  binding=binding, reduction=solved.reduction, timings=timings)  # fmt: skip


def _check_risk(problem: Problem, roster: dict[str, int], outcome: SolveOutcome, check) -> None:
    """Recompute the risk objective from the draws (`optimizer.verify.risk_objective`) and hold the solver to it.

    The model's objective at any solution is at most the roster's risk objective (its auxiliary columns can only
    be suboptimal), and equal at a proven optimum.
    """
    check.risk_value = risk_objective(problem, roster)
    claimed = outcome.objective
    if claimed is None:
        return
    # solver tolerances act on the terms of the objective, which are as large as the roster's gross value
    tol = 1e-6 * max(1.0, abs(check.risk_value), check.value_before_discount)
    if claimed > check.risk_value + tol or (outcome.status == Status.OPTIMAL and claimed < check.risk_value - tol):
        check.passed = False
        check.violations.append(f"the risk model claims {claimed:,.6f}; recomputed from the draws: "
                                f"{check.risk_value:,.6f}")  # fmt: skip


# --- re-solving a built model --------------------------------------------------------------------


def variant(milp: Milp, exclude: list[str] = (), include: list[str] = (), budget: float | None = None) -> Milp:  # type: ignore[assignment]
    """A copy of a built model with creators fixed out or in, or another budget: changes that need no rebuild.

    Fixing a creator out puts every column they own (posts, pair and auxiliary columns) at zero, which is
    what excluding them means; fixing one in puts their first post at one. A new budget is the budget
    row's limit (post caps must allow it: build the model at the largest budget it will be solved at).
    """
    position = {str(c): i for i, c in enumerate(milp.creator_ids)}
    lb, ub = milp.lb.copy(), milp.ub.copy()
    owners_of = {c: np.flatnonzero(milp.owner_creator == position[c]) for c in [*exclude, *include] if c in position}
    for cid in exclude:
        owners = owners_of.get(cid, np.zeros(0, dtype=np.int64))
        ub[np.isin(milp.owner, owners) | np.isin(milp.partner, owners)] = 0.0
    for cid in include:
        lb[milp.first_col[owners_of[cid]]] = 1.0
    blocks = milp.blocks
    if budget is not None:
        blocks = [replace(b, rhs=np.array([budget], dtype=float), limit=budget) if b.kind == RuleKind.BUDGET else b
                  for b in blocks]  # fmt: skip
    return replace(milp, lb=lb, ub=ub, blocks=blocks)


def resolve(
    problem: Problem,
    milp: Milp,
    options: SolveOptions,
    exclude: list[str] = (),  # type: ignore[assignment]
    include: list[str] = (),  # type: ignore[assignment]
    budget: float | None = None,
    start: dict[str, int] | None = None,
) -> Result:
    """Re-solve a built model with small changes (see `variant`) and verify the roster independently.

    The frontier, the explanations and the app call this many times on one model. The roster is verified
    against the scenario with the same changes written into it (``problem.with_scenario``), so nothing the
    shortcut does is taken on trust.
    """
    sc = problem.scenario
    changed = sc
    if exclude or include:
        eligibility = sc.eligibility.model_copy(update={"exclude": [*sc.eligibility.exclude, *exclude],
                                                        "include": [*sc.eligibility.include, *include]})  # fmt: skip
        changed = changed.model_copy(update={"eligibility": eligibility})
    if budget is not None:
        changed = changed.model_copy(update={"budget": budget})
    target = problem if changed is sc else problem.with_scenario(changed)
    clock = _Clock()
    model = variant(milp, list(exclude), list(include), budget)
    solved = solve_model(model, options, start)
    return finish(target, solved, options, {**clock.laps, **solved.timings})


# --- loading once, re-solving with overrides -----------------------------------------------------


def load(path: str | Path) -> Problem:
    """Read a scenario and the files it names (alias of `optimizer.load_problem`)."""
    return load_problem(path)


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge a partial scenario onto a full one: mappings merge key by key, anything else replaces.

    Examples
    --------
    >>> merge({"budget": 1, "roster": {"min_creators": 2, "max_creators": 9}}, {"roster": {"max_creators": 5}})
    {'budget': 1, 'roster': {'min_creators': 2, 'max_creators': 5}}
    """
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def with_overrides(problem: Problem, overrides: dict[str, Any]) -> Problem:
    """The same loaded pool and overlaps under the scenario with `overrides` merged in.

    The pool and overlap files cannot be changed this way (load another scenario for that).

    Raises
    ------
    ScenarioError
        If the merged scenario breaks the schema (the message names the key path).
    """
    for key in ("pool", "overlap", "columns"):
        if key in overrides and overrides[key] != getattr(problem.scenario, key):
            raise ScenarioError(f"overrides: '{key}' cannot be changed on a loaded scenario; load the other file")
    data = merge(problem.scenario.model_dump(exclude_none=True), overrides)
    scenario = parse_scenario(data, f"{problem.source} (with overrides)")
    return problem.with_scenario(scenario)
