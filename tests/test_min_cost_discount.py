"""Min-cost mode with the overlap discount: the value the model reports is the roster's own.

Minimising cost, nothing in the objective pushes a shared-audience column down while the target has slack,
so a solver could set ``shared[a|b] = 1`` for a pair it did not choose and the model's value (which the
verifier compares with its own) would undercount. Found by tests/test_bruteforce_columns.py: on this
campaign HiGHS did exactly that and the run stopped with "reported value ... differs from the recomputed".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import build_problem, optimize, parse_scenario, pool_from_frame
from optimizer.model import build_model
from optimizer.solve import solve_milp

POOL = pd.DataFrame(
    {
        "creator_id": [f"k{i}" for i in range(7)],
        "handle": "",
        "platform": ["tiktok", "tiktok", "instagram", "instagram", "instagram", "tiktok", "tiktok"],
        "followers": [9257, 87014, 17376, 106921, 146626, 15423, 69593],
        "engagement_rate": [0.026, 0.014, 0.029, 0.064, 0.062, 0.073, 0.031],
        "niche": ["b", "", "c", "", "c", "b", "b;c"],
        "cost": [31, 36, 7, 35, 5, 20, 37],
        "authenticity": [0.64, 0.89, 0.87, 0.51, 0.59, 0.85, 0.91],
        "max_posts": [1, 2, 1, 1, 1, 1, 1],
        "expected_conversions": ["", "8", "15", "", "", "", "53"],
    }
)
OVERLAP = pd.DataFrame({"creator_a": ["k0", "k1", "k1", "k3"], "creator_b": ["k6", "k2", "k6", "k4"],
                        "overlap": [0.53, 0.75, 0.41, 0.33]})  # fmt: skip
SCENARIO = {"name": "random", "pool": "(memory)", "overlap": "(memory)", "budget": 187, "min_spend": 42,
            "objective": "engagements", "target": {"engagements": 50}, "eligibility": {"include": ["k3"]},
            "roster": {"min_creators": 2, "max_creator_budget_share": 0.8},
            "platforms": {"tiktok": {"max_creators": 2, "max_spend_share": 0.9}},
            "overlap_policy": {"max_pairwise": 0.5, "discount": True}, "assumptions": {"post_decay": 0.5}}  # fmt: skip


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_shared_columns_equal_the_product_of_their_creators(solver: str) -> None:
    problem = build_problem(parse_scenario(SCENARIO), pool_from_frame(POOL), OVERLAP)
    milp = build_model(problem)
    values = solve_milp(milp, solver=solver).values
    pairs = np.flatnonzero(milp.kind == "pair")
    assert len(pairs) >= 2
    for j in pairs:
        a, b = milp.first_col[milp.owner[j]], milp.first_col[milp.partner[j]]
        assert round(values[j]) == round(values[a]) * round(values[b]), milp.col_names[j]
    result = optimize(problem, solver=solver)  # raised VerificationFailed with HiGHS before the fix
    assert result.status == "optimal" and result.verification.passed
    assert result.verification.total_cost == 42
