"""Creator roster optimiser: the micro-influencer roster that maximises expected value under a budget.

Library first: ``load_problem`` -> ``optimize`` -> ``Result`` (and ``verify_roster``); the ``roster``
command is a thin shell over these. Names are imported on first use, so ``roster --help`` does not pay
for pandas, pydantic and the solvers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "InputError": "optimizer.errors",
    "OverlapError": "optimizer.errors",
    "PoolError": "optimizer.errors",
    "RosterError": "optimizer.errors",
    "ScenarioError": "optimizer.errors",
    "SolverError": "optimizer.errors",
    "Pool": "optimizer.pool",
    "load_overlap": "optimizer.pool",
    "load_pool": "optimizer.pool",
    "overlap_from_frame": "optimizer.pool",
    "pool_from_frame": "optimizer.pool",
    "Problem": "optimizer.problem",
    "build_problem": "optimizer.problem",
    "load_problem": "optimizer.problem",
    "Result": "optimizer.result",
    "optimize": "optimizer.pipeline",
    "SolveOptions": "optimizer.pipeline",
    "with_overrides": "optimizer.pipeline",
    "ResultDoc": "optimizer.resultdoc",
    "Scenario": "optimizer.scenario",
    "load_scenario": "optimizer.scenario",
    "parse_scenario": "optimizer.scenario",
    "Verification": "optimizer.verify",
    "verify_roster": "optimizer.verify",
}

__all__ = [
    "InputError",
    "OverlapError",
    "Pool",
    "PoolError",
    "Problem",
    "Result",
    "ResultDoc",
    "RosterError",
    "Scenario",
    "ScenarioError",
    "SolveOptions",
    "SolverError",
    "Verification",
    "__version__",
    "build_problem",
    "load_overlap",
    "load_pool",
    "load_problem",
    "load_scenario",
    "optimize",
    "overlap_from_frame",
    "parse_scenario",
    "pool_from_frame",
    "verify_roster",
    "with_overrides",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from optimizer.errors import InputError, OverlapError, PoolError, RosterError, ScenarioError, SolverError
    from optimizer.pipeline import SolveOptions, optimize, with_overrides
    from optimizer.pool import Pool, load_overlap, load_pool, overlap_from_frame, pool_from_frame
    from optimizer.problem import Problem, build_problem, load_problem
    from optimizer.result import Result
    from optimizer.resultdoc import ResultDoc
    from optimizer.scenario import Scenario, load_scenario, parse_scenario
    from optimizer.verify import Verification, verify_roster
