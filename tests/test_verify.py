"""The independent checker catches every kind of broken roster, and recomputes value and cost."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import build_problem, optimize, parse_scenario, pool_from_frame, verify_roster
from optimizer.scenario import Scenario
from tests.conftest import base_pool

OVERLAP = pd.DataFrame({"creator_a": ["c-01", "c-02"], "creator_b": ["c-03", "c-05"], "overlap": [0.5, 0.1]})


def _problem(**changes):
    sc = {
        "name": "verify", "pool": "(memory)", "overlap": "(memory)", "budget": 1000, "min_spend": 100,
        "roster": {"min_creators": 2, "max_creators": 4, "max_creator_budget_share": 0.5},
        "eligibility": {"followers": {"max": 100000}, "min_authenticity": 0.75, "exclude": ["c-08"], "include": ["c-02"]},
        "niches": {"zero-waste": {"min_creators": 1, "max_budget_share": 0.6}},
        "platforms": {"tiktok": {"max_creators": 1}},
        "overlap_policy": {"max_pairwise": 0.4, "discount": True},
    }  # fmt: skip
    sc.update(changes)
    pool = base_pool()
    pool["max_posts"] = ["2", "1", "1", "1", "1", "1", "1", "1"]
    return build_problem(parse_scenario(sc), pool_from_frame(pool, "pool.csv"), OVERLAP)


def test_optimal_roster_passes() -> None:
    problem = _problem()
    result = optimize(problem)
    assert result.status == "optimal"
    check = verify_roster(problem, result.roster)
    assert check.passed and check.violations == []
    assert check.total_cost == pytest.approx(result.to_dict()["total_cost"])


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        ({"c-02": 1, "c-03": 1, "c-99": 1}, "c-99 is not in the pool"),
        ({"c-02": 1, "c-03": 2}, "c-03 is booked for 2 posts but offers at most 1"),
        ({"c-02": 1, "c-03": 0}, "booked for 0 posts"),
        ({"c-02": 1, "c-07": 1}, "c-07 has 1,200,000 followers, above the maximum 100,000"),
        ({"c-02": 1, "c-05": 1}, "c-05 has authenticity 0.70, below 0.75"),
        ({"c-02": 1, "c-08": 1}, "c-08 is excluded"),
        ({"c-03": 1, "c-01": 1}, "c-02 must be on the roster but is not"),
        ({"c-02": 1}, "1 creators, fewer than min_creators 2"),
        ({"c-02": 1, "c-01": 2, "c-04": 1, "c-06": 1, "c-03": 1}, "5 creators, more than max_creators 4"),
        ({"c-02": 1, "c-04": 1}, "niche 'zero-waste' has 0 creators, fewer than 1"),
        ({"c-02": 1, "c-03": 1, "c-04": 1}, "platform 'tiktok' has 2 creators, more than 1"),
        ({"c-02": 1, "c-06": 1}, "c-06 takes 900.00, more than 50% of the budget"),
        ({"c-02": 1, "c-06": 1}, "spend 1,200.00 exceeds the budget 1,000.00"),
        ({"c-02": 1, "c-06": 1}, "niche 'zero-waste' gets 900.00, more than 60% of the spend 1,200.00"),
        ({"c-02": 1, "c-01": 1, "c-03": 1}, "c-01 and c-03 are both chosen but share 50% of their audience (limit 40%)"),
    ],
)  # fmt: skip
def test_each_rule_is_checked(roster, message) -> None:
    check = verify_roster(_problem(), roster)
    assert not check.passed
    assert any(message in v for v in check.violations), check.violations


def test_min_spend_and_target_are_checked() -> None:
    problem = _problem(min_spend=500)
    assert "spend 420.00 is below min_spend 500.00" in verify_roster(problem, {"c-02": 1, "c-01": 1}).violations
    problem = _problem(target={"conversions": 1e6})
    assert any("below the target" in v for v in verify_roster(problem, {"c-02": 1, "c-01": 1}).violations)


def test_value_is_recomputed_with_decay_and_discount() -> None:
    problem = _problem(overlap_policy={"discount": True}, assumptions={"post_decay": 0.5})
    m = problem.metrics["conversions"]
    check = verify_roster(problem, {"c-01": 2, "c-03": 1})
    gross = m["c-01"] * 1.5 + m["c-03"]
    assert check.value_before_discount == pytest.approx(gross)
    assert check.discount == pytest.approx(0.5 * min(m["c-01"], m["c-03"]))
    assert check.value == pytest.approx(gross - 0.5 * min(m["c-01"], m["c-03"]))


def test_reported_figures_must_match() -> None:
    problem = _problem()
    roster = optimize(problem).roster
    true = verify_roster(problem, roster)
    assert verify_roster(problem, roster, reported_value=true.value, reported_cost=true.total_cost).passed
    assert not verify_roster(problem, roster, reported_value=true.value * 1.001).passed
    assert not verify_roster(problem, roster, reported_cost=true.total_cost + 1).passed


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    budget=st.floats(1, 1e6),
    objective=st.sampled_from(["conversions", "emv", "engagements", "reach"]),
    min_creators=st.none() | st.integers(0, 20),
    decay=st.floats(0, 1),
    niche=st.dictionaries(
        st.sampled_from(["a", "b b", "C"]), st.builds(dict, max_creators=st.integers(0, 9)), max_size=3
    ),
    share=st.none() | st.floats(0.01, 1),
)
def test_scenarios_survive_a_dump_load_round_trip(budget, objective, min_creators, decay, niche, share) -> None:
    data = {"name": "rt", "pool": "p.csv", "budget": budget, "objective": objective,
            "roster": {"min_creators": min_creators, "max_creator_budget_share": share},
            "niches": niche, "assumptions": {"post_decay": decay}}  # fmt: skip
    sc = parse_scenario(data)
    again = Scenario.model_validate(sc.model_dump())
    assert again == sc
    assert parse_scenario(sc.model_dump(exclude_none=True)) == sc


def test_old_share_names_load_as_the_new_ones() -> None:
    old = parse_scenario(
        {"name": "o", "pool": "p", "budget": 10, "niches": {"a": {"min_budget_share": 0.2, "max_budget_share": 0.5}}}
    )
    new = parse_scenario(
        {"name": "o", "pool": "p", "budget": 10, "niches": {"a": {"min_spend_share": 0.2, "max_spend_share": 0.5}}}
    )
    assert old == new and new.niches["a"].min_spend_share == 0.2
    with pytest.raises(Exception, match="give min_spend_share or its old name min_budget_share, not both"):
        parse_scenario(
            {"name": "o", "pool": "p", "budget": 10, "niches": {"a": {"min_budget_share": 0.2, "min_spend_share": 0.2}}}
        )
