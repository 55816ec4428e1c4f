"""Declines and replacements: negotiated prices, the fewest changes, then the most value; `roster replace` and
`roster diff`; the change object audited; brute force for the fewest changes on random campaigns."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer import load_problem, with_overrides
from optimizer.errors import ScenarioError
from optimizer.verify import verify_roster
from tests.conftest import write_case


def test_scenario_prices_replace_the_pool_cost_and_do_not_stick(tmp_path: Path) -> None:
    path = write_case(tmp_path, {"budget": 500, "prices": {"c-02": 10}})
    problem = load_problem(path)
    assert problem.pool.frame.at["c-02", "cost"] == 10
    assert problem.listed is not None and problem.listed.frame.at["c-02", "cost"] == 300
    # the verifier prices the roster at the negotiated price
    assert verify_roster(problem, {"c-02": 1}).total_cost == 10
    # another scenario on the same loaded pool gets the listed price back, or its own
    again = with_overrides(problem, {"prices": {"c-03": 1}})
    assert again.pool.frame.at["c-02", "cost"] == 10  # overrides merge: c-02 keeps its price
    plain = problem.with_scenario(problem.scenario.model_copy(update={"prices": {}}))
    assert plain.pool.frame.at["c-02", "cost"] == 300


def test_prices_for_unknown_creators_are_an_error(tmp_path: Path) -> None:
    path = write_case(tmp_path, {"prices": {"c-99": 10}})
    with pytest.raises(ScenarioError, match="prices names c-99, not a creator_id in"):
        load_problem(path)
