"""Creator roster optimiser: the micro-influencer roster that maximises expected value under a budget.

Library first: ``load_problem`` -> ``optimize`` -> ``Result`` (and ``verify_roster``); the ``roster``
command is a thin shell over these.
"""

from __future__ import annotations

__version__ = "0.1.0"

from optimizer.errors import (
    InputError,
    OverlapError,
    PoolError,
    RosterError,
    ScenarioError,
    SolverError,
)
from optimizer.pool import Pool, load_overlap, load_pool, overlap_from_frame, pool_from_frame
from optimizer.problem import Problem, build_problem, load_problem
from optimizer.result import Result, optimize
from optimizer.scenario import Scenario, load_scenario, parse_scenario
from optimizer.verify import Verification, verify_roster

__all__ = [
    "InputError",
    "OverlapError",
    "Pool",
    "PoolError",
    "Problem",
    "Result",
    "RosterError",
    "Scenario",
    "ScenarioError",
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
]
