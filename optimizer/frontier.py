"""The budget frontier: the optimum at each budget, what the last $1,000 buys, and whether it is worth it.

Each budget is solved to optimality (not interpolated). Budgets are solved in increasing order and each
solve is warm-started from the previous optimum, which stays feasible when only the budget grows.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

from optimizer.errors import ScenarioError
from optimizer.forecast import total_weight
from optimizer.formatting import money, num
from optimizer.milp import Milp
from optimizer.model import build_model
from optimizer.parallel import run_all
from optimizer.pipeline import SolveOptions, optimize, resolve
from optimizer.problem import Problem
from optimizer.result import Result

STEP = 1000.0  # "the last $1,000"


@dataclass
class FrontierPoint:
    """The optimum at one budget."""

    budget: float
    status: str
    value: float | None
    cost: float | None
    creators: int
    conversions: float | None
    cpa: float | None
    marginal_value_per_1000: float | None

    def to_dict(self) -> dict:
        """A row of the frontier table."""
        return dict(self.__dict__)


def parse_budgets(text: str) -> list[float]:
    """Budgets from ``start:stop:step`` (inclusive) or a comma-separated list.

    Examples
    --------
    >>> parse_budgets("10000:30000:10000")
    [10000.0, 20000.0, 30000.0]
    >>> parse_budgets("5000, 7500")
    [5000.0, 7500.0]
    """
    try:
        if ":" in text:
            start, stop, step = (float(p) for p in text.split(":"))
            if step <= 0 or stop < start:
                raise ValueError
            n = int((stop - start) / step + 1e-9) + 1
            budgets = [start + i * step for i in range(n)]
        else:
            budgets = [float(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise ScenarioError(
            f"--budgets {text!r}: expected start:stop:step (e.g. 10000:200000:10000) or a list (e.g. 5000,10000)"
        ) from None
    if not budgets or any(b <= 0 for b in budgets):
        raise ScenarioError(f"--budgets {text!r}: budgets must be positive")
    return sorted(set(budgets))


def _with_budget(problem: Problem, budget: float) -> Problem:
    return problem.with_scenario(problem.scenario.model_copy(update={"budget": budget}))


def _summary(result: Result) -> dict:
    """The frontier's figures of one solve, straight from the verified roster (no result.json needed)."""
    check = result.verification
    if not result.roster or check is None:
        return {"status": result.status, "value": None, "cost": None, "creators": 0, "conversions": None, "cpa": None,
                "roster": {}}  # fmt: skip
    problem = result.problem
    decay = problem.scenario.assumptions.post_decay
    first = problem.metrics.loc[list(result.roster), "conversions"].to_dict()
    conversions = sum(float(first[c]) * total_weight(k, decay) for c, k in result.roster.items())
    cost = round(check.total_cost, 2)
    return {"status": result.status, "value": check.value, "cost": cost, "creators": len(result.roster),
            "conversions": conversions, "cpa": cost / conversions if conversions > 0 else None,
            "roster": dict(result.roster)}  # fmt: skip


def _solve_budget(shared: tuple, job: tuple) -> dict:
    """One frontier job (module level so it can run in another process or on a Dask worker).

    With a model built once at the largest budget, each budget only changes the budget row's limit; a
    scenario whose per-creator cap is a share of the budget changes eligibility with it, so it is rebuilt.
    """
    problem, milp = shared
    budget, solver, time_limit, start = job
    options = SolveOptions(solver=solver, time_limit=time_limit, explain=False)
    if milp is None:
        return _summary(optimize(_with_budget(problem, budget), options=options, start=start))
    return _summary(resolve(problem, milp, options, budget=budget, start=start))


def _shared_model(problem: Problem, budgets: list[float]) -> Milp | None:
    if problem.scenario.roster.max_creator_budget_share is not None:
        return None
    return build_model(_with_budget(problem, max(budgets)))


def frontier(
    problem: Problem,
    budgets: list[float],
    solver: str = "cbc",
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    workers: int | None = 1,
) -> list[FrontierPoint]:
    """Solve the scenario at each budget.

    Parameters
    ----------
    problem : Problem
        A maximising scenario (a target scenario has no budget frontier).
    budgets : list of float
    solver : str
    time_limit : float, optional
        Per solve.
    progress : callable, optional
        ``progress(done, total)`` after each solve (drives the progress bar).
    scheduler : str, optional
        Dask scheduler address (see `optimizer.parallel`).
    workers : int, optional
        Local processes; 1 (the default) solves in this process, in increasing budget order, each solve
        warm-started from the previous optimum (which stays feasible when only the budget grows).

    Returns
    -------
    list of FrontierPoint
        In increasing budget order. The marginal value of the last $1,000 is the optimum at the budget
        minus the optimum at the budget less $1,000 (solved too, unless that budget is itself on the frontier).
    """
    if problem.scenario.mode != "maximise":
        raise ScenarioError(f"{problem.source}: a budget frontier needs a maximising scenario, not a target")
    jobs = frontier_jobs(budgets)
    tick = (lambda done: progress(done, len(jobs))) if progress else None
    shared = frontier_shared(problem, jobs)
    if scheduler or (workers or os.cpu_count() or 1) > 1:
        summaries = run_all(
            _solve_budget, shared, [(b, solver, time_limit, None) for b in jobs], scheduler, workers, tick
        )
        solved = dict(zip(jobs, summaries))
    else:
        solved = {}
        start: dict[str, int] | None = None
        for done, b in enumerate(jobs, start=1):
            solved[b] = _solve_budget(shared, (b, solver, time_limit, start))
            start = solved[b]["roster"] or start
            if tick:
                tick(done)
    return frontier_points(budgets, solved)


def frontier_jobs(budgets: list[float]) -> list[float]:
    """Every budget to solve: each one asked for, and $1,000 below it (for the value of the last $1,000)."""
    return sorted({b for budget in budgets for b in (budget - STEP, budget) if b > 0})


def frontier_shared(problem: Problem, jobs: list[float]) -> tuple:
    """What every frontier job needs (sent to each worker once): the problem and, where possible, one model."""
    return problem, _shared_model(problem, jobs)


def solve_budget(shared: tuple, budget: float, solver: str = "cbc", time_limit: float | None = None) -> dict:
    """One budget of a frontier, as a summary row (see `frontier_points`)."""
    return _solve_budget(shared, (budget, solver, time_limit, None))


def frontier_points(budgets: list[float], solved: dict[float, dict]) -> list[FrontierPoint]:
    """The frontier from each budget's solve (`solved` holds every budget of `frontier_jobs`)."""
    points = []
    for budget in sorted(budgets):
        r = solved[budget]
        below = solved.get(budget - STEP)
        marginal = None
        if r["roster"] and below is not None and below["roster"]:
            # only between two optimal rosters: below an infeasible budget there is nothing to compare with
            marginal = r["value"] - below["value"]
        points.append(FrontierPoint(budget=budget, status=r["status"], value=r["value"], cost=r["cost"],
                                    creators=r["creators"], conversions=r["conversions"], cpa=r["cpa"],
                                    marginal_value_per_1000=marginal))  # fmt: skip
    return points


def frontier_table(points: list[FrontierPoint], problem: Problem) -> str:
    """The frontier as a fixed-width text table (what `roster frontier` prints)."""
    cur = problem.scenario.currency
    metric = problem.scenario.value_metric
    lines = [f"{'budget':>12} {'status':>10} {'expected ' + metric:>22} {'spend':>12} {'creators':>8} {'CPA':>10} "
             f"{'last $1,000':>12}"]  # fmt: skip
    for p in points:
        lines.append(f"{money(p.budget, cur):>12} {p.status:>10} {num(p.value):>22} {money(p.cost, cur):>12} "
                     f"{p.creators:>8} {money(p.cpa, cur):>10} {num(p.marginal_value_per_1000):>12}")  # fmt: skip
    return "\n".join(lines)


def frontier_files(points: list[FrontierPoint], problem: Problem) -> dict[str, str | bytes]:
    """frontier.csv, frontier.json and frontier.svg (a line chart with the campaign's budget marked)."""
    import pandas as pd

    from optimizer.charts import line_chart

    sc = problem.scenario
    rows = [p.to_dict() for p in points]
    chart = line_chart([r["budget"] for r in rows], [r["value"] for r in rows], f"{sc.name}: budget frontier",
                       f"budget ({sc.currency})", f"expected {sc.value_metric}", marker=sc.budget)  # fmt: skip
    return {"frontier.csv": pd.DataFrame(rows).to_csv(index=False),
            "frontier.json": json.dumps(rows, indent=2) + "\n", "frontier.svg": chart}  # fmt: skip
