"""Several scenarios optimised in parallel, each into its own folder under one output root.

Layout: ``OUT/<scenario folder>/<scenario name>/`` holds that scenario's result.json and roster.csv.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import RosterError
from optimizer.parallel import run_all

# worst first when a batch reports one exit code: bad input, other failures, infeasible, solved
_SEVERITY = {2: 3, 1: 2, 3: 1, 0: 0}


@dataclass
class BatchRow:
    """What happened to one scenario of a batch."""

    scenario: str
    status: str
    exit_code: int
    message: str
    out: str | None = None
    value: float | None = None
    cost: float | None = None
    creators: int | None = None


def batch_folder(out_root: Path, scenario: Path) -> Path:
    """Where a scenario's results go inside a batch's output root."""
    return Path(out_root) / scenario.parent.name / scenario.stem


def _job(shared: tuple, scenario: str) -> BatchRow:
    """Optimise one scenario and write its results (runs in a worker process or on Dask)."""
    from optimizer.output import check_output, write_result
    from optimizer.pipeline import optimize
    from optimizer.problem import load_problem

    out_root, solver, time_limit = shared
    path = Path(scenario)
    out = batch_folder(Path(out_root), path)
    try:
        problem = load_problem(path)
        check_output(out, problem.sources)
        result = optimize(problem, solver=solver, time_limit=time_limit)
    except RosterError as exc:
        return BatchRow(scenario, "error", exc.exit_code, str(exc))
    doc = result.to_doc()
    write_result(result, out, doc)
    return BatchRow(scenario, result.status, result.exit_code, result.message, str(out), doc.value, doc.total_cost,
                    doc.roster_size)  # fmt: skip


def run_batch(
    scenarios: list[Path],
    out_root: Path,
    solver: str = "cbc",
    time_limit: float | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[BatchRow]:
    """Optimise every scenario (in parallel, see `optimizer.parallel`); results in input order."""
    return run_all(_job, (str(out_root), solver, time_limit), [str(p) for p in scenarios], scheduler, workers, progress)


def worst_exit_code(rows: list[BatchRow]) -> int:
    """The batch's exit code: 2 bad input, 1 other failures, 3 infeasible, 0 when all solved."""
    return max((r.exit_code for r in rows), key=lambda c: _SEVERITY.get(c, 2), default=0)
