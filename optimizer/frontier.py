"""The budget frontier: the optimum at each budget, what the last $1,000 buys, and whether it is worth it.

Each budget is solved to optimality (not interpolated). Budgets are solved in increasing order and each
solve is warm-started from the previous optimum, which stays feasible when only the budget grows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from optimizer.errors import ScenarioError
from optimizer.problem import Problem
from optimizer.result import Result, optimize

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


def frontier(
    problem: Problem,
    budgets: list[float],
    solver: str = "cbc",
    time_limit: float | None = None,
    progress: Callable[[float], None] | None = None,
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
        Called with each budget once it is done (drives the progress bar).

    Returns
    -------
    list of FrontierPoint
        In increasing budget order. The marginal value of the last $1,000 is the optimum at the budget
        minus the optimum at the budget less $1,000 (solved, unless that budget is itself on the frontier).
    """
    if problem.scenario.mode != "maximise":
        raise ScenarioError(f"{problem.source}: a budget frontier needs a maximising scenario, not a target")
    solved: dict[float, Result] = {}
    start: dict[str, int] | None = None
    points = []
    for budget in sorted(budgets):
        for b in (budget - STEP, budget):
            if b <= 0 or b in solved:
                continue
            result = optimize(
                _with_budget(problem, b), solver=solver, time_limit=time_limit, explain=False, start=start
            )
            solved[b] = result
            if result.roster:
                start = result.roster
        r = solved[budget]
        d = r.to_dict()
        below = solved.get(budget - STEP)
        marginal = None
        if r.roster and below is not None and below.roster:
            # only between two optimal rosters: below an infeasible budget there is nothing to compare with
            marginal = r.verification.value - below.verification.value  # type: ignore[union-attr]
        points.append(FrontierPoint(
            budget=budget, status=r.status, value=d["value"], cost=d["total_cost"] if r.roster else None,
            creators=d["roster_size"], conversions=d["totals_before_overlap_discount"]["conversions"] if r.roster else None,
            cpa=d["cpa"], marginal_value_per_1000=marginal,
        ))  # fmt: skip
        if progress is not None:
            progress(budget)
    return points
