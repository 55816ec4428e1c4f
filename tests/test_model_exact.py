"""The model's figures are exact: the value it reports for a roster is the roster's value, in every mode."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import build_problem, parse_scenario, pool_from_frame
from optimizer.milp import ColumnKind
from optimizer.model import build_model
from optimizer.solve import solve_milp


def test_min_cost_overlap_discount_is_exact_in_the_model() -> None:
    """Found by tests/test_alternatives.py's brute force: in min-cost mode nothing pushed shared[a|b] down, so a solver could
    leave it at 1 with one creator chosen and the reported value fell below the verifier's (VerificationFailed)."""
    pool = pd.DataFrame({"creator_id": ["a", "b"], "handle": "", "platform": "x", "followers": 1, "engagement_rate": 0,
                         "niche": "", "cost": [1, 1], "expected_emv": [10, 10]})  # fmt: skip
    overlap = pd.DataFrame({"creator_a": ["a"], "creator_b": ["b"], "overlap": [0.5]})
    sc = parse_scenario({"name": "t", "pool": "p", "overlap": "o", "target": {"emv": 5},
                         "overlap_policy": {"discount": True}})  # fmt: skip
    milp = build_model(build_problem(sc, pool_from_frame(pool), overlap))
    shared = np.flatnonzero(milp.kind == ColumnKind.PAIR)
    assert len(shared) == 1
    # book a only and push shared up as far as the rows allow: it must stay at a x b = 0
    milp.lb[milp.first_col[0]] = 1.0
    milp.ub[milp.first_col[1]] = 0.0
    milp.maximise = True
    milp.objective = {"push": (shared, np.ones(1))}
    assert solve_milp(milp).values[shared[0]] == pytest.approx(0.0, abs=1e-9)


def test_cbc_proves_a_model_without_a_single_non_zero() -> None:
    """Found by tests/test_portfolio.py's brute force: with every price and value 0 the rows are empty, CBC prints
    "Empty problem" and no result line, and the optimum came back 'feasible' without a bound."""
    from optimizer import optimize
    from optimizer.solve import _cbc_bound

    pool = pd.DataFrame({"creator_id": ["a", "b"], "handle": "", "platform": "x", "followers": 1, "engagement_rate": 0,
                         "niche": "", "cost": 0, "expected_conversions": 0})  # fmt: skip
    problem = build_problem(parse_scenario({"name": "t", "pool": "p", "budget": 5}), pool_from_frame(pool))
    for solver in ("cbc", "highs"):
        result = optimize(problem, solver=solver)
        assert result.status == "optimal" and result.outcome.bound == 0.0, (solver, result.outcome)
    log = "Empty problem - 5 rows, 1 columns and 0 elements\nOptimal - objective value 0\nOptimal objective 0 - 0\n"
    assert _cbc_bound(log, True) == 0.0
    assert _cbc_bound("Optimal - objective value 3\n", True) is None  # only for the empty problem
