"""Audience and limits rules on a fixed pool: exact optima by enumeration, figures by hand, words, columns.

The brute-force property test (tests/test_bruteforce_columns.py) covers random campaigns; these cases are
chosen so each rule binds at the optimum (a looser or stricter row, or reach without post decay, changes
the answer), and so the words and the result.json rows can be checked against numbers worked out here.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from optimizer import build_problem, optimize, parse_scenario, pool_from_frame, verify_roster
from optimizer.audit import audit_result
from optimizer.cli import main
from optimizer.forecast import total_weight
from optimizer.model import build_model
from tests.conftest import base_pool, write_case

US = ["0.7", "60%", "0.2", "0.1", "0.9", "0.5", "0.3", "0.05"]
SCORE = ["0.9", "0.1", "0.5", "-0.3", "0.2", "0.6", "0.0", "0.4"]
FEE = ["100", "$200", "50", "1,000", "300", "10", "5000", "40"]
HOURS = ["3", "2", "4", "1", "5", "2", "8", "1"]
POSTS = ["2", "1", "3", "1", "2", "1", "1", "2"]


def _pool(**columns: list[str]) -> pd.DataFrame:
    pool = base_pool()
    pool["audience_us"], pool["score"], pool["usage_fee"], pool["hours"], pool["max_posts"] = (
        US,
        SCORE,
        FEE,
        HOURS,
        POSTS,
    )
    for name, cells in columns.items():
        pool[name] = cells
    return pool


def _problem(pool: pd.DataFrame | None = None, **scenario):
    sc = parse_scenario({"name": "t", "pool": "p", "budget": 1500, "assumptions": {"post_decay": 0.5}, **scenario})
    return build_problem(sc, pool_from_frame(_pool() if pool is None else pool, "creators.csv"))


def _enumerate(problem) -> float | None:
    """The best value the independent checker accepts, over every posts vector."""
    ids = list(problem.pool.frame.index)
    best = None
    for posts in itertools.product(*[range(int(problem.max_posts[c]) + 1) for c in ids]):
        roster = {c: k for c, k in zip(ids, posts) if k}
        check = verify_roster(problem, roster)
        if check.passed and (best is None or check.value > best):
            best = check.value
    return best


CASES = {
    "audience min share": {"audience": {"audience_us": {"min_share": 0.6}}},
    "audience max share": {"audience": {"audience_us": {"max_share": 0.3}}},
    "audience band": {"audience": {"audience_us": {"min_share": 0.45, "max_share": 0.5}}},
    "sum per creator": {"limits": {"usage_fee": {"max_sum": 400}}},
    "sum per post": {"limits": {"hours": {"max_sum": 9, "per": "post"}}},
    "min sum": {"budget": 400, "limits": {"hours": {"min_sum": 7}}},
    "min average per creator": {"limits": {"score": {"min_average": 0.5}}},
    "max average per post": {"limits": {"score": {"max_average": 0.2, "per": "post"}}},
}


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@pytest.mark.parametrize("rules", CASES.values(), ids=CASES.keys())
def test_each_rule_binds_and_the_optimum_matches_enumeration(rules, solver) -> None:
    problem = _problem(**rules)
    unconstrained = _enumerate(_problem(**{k: v for k, v in rules.items() if k == "budget"}))
    best = _enumerate(problem)
    assert best is not None and best < unconstrained - 1e-6, "the rule must change the optimum"
    result = optimize(problem, solver=solver)
    assert result.status == "optimal"
    assert result.verification.value == pytest.approx(best, rel=1e-9)
    assert audit_result(problem, result.to_dict()).passed


def test_audience_share_is_of_reach_with_post_decay() -> None:
    problem = _problem(audience={"audience_us": {"min_share": 0.6}})
    result = optimize(problem)
    row = result.to_dict()["audience"][0]
    # worked out here: reach of all booked posts (decay 0.5), and the part in the segment
    share = {c: float(v.rstrip("%")) / (100 if v.endswith("%") else 1) for c, v in zip(base_pool()["creator_id"], US)}
    reach = {c: float(problem.metrics.at[c, "reach"]) * total_weight(k, 0.5) for c, k in result.roster.items()}
    assert row["reach"] == pytest.approx(sum(reach.values()))
    assert row["segment_reach"] == pytest.approx(sum(r * share[c] for c, r in reach.items()))
    assert row["achieved"] == pytest.approx(row["segment_reach"] / row["reach"])
    assert row["achieved"] >= 0.6 - 1e-9 and row["rule"] == "min_share" and row["limit"] == 0.6
    assert any(k > 1 for k in result.roster.values()), "the case needs a creator with several posts"


def test_limit_rows_and_averages_per_post() -> None:
    problem = _problem(limits={"score": {"max_average": 0.2, "per": "post"}, "usage_fee": {"max_sum": 2000}})
    result = optimize(problem)
    rows = {r["column"]: r for r in result.to_dict()["limits"]}
    score = dict(zip(base_pool()["creator_id"], map(float, SCORE)))
    posts = sum(result.roster.values())
    assert rows["score"]["achieved"] == pytest.approx(sum(score[c] * k for c, k in result.roster.items()) / posts)
    assert rows["score"]["achieved"] <= 0.2 + 1e-9
    fee = dict(zip(base_pool()["creator_id"], [100, 200, 50, 1000, 300, 10, 5000, 40]))
    assert rows["usage_fee"]["achieved"] == sum(fee[c] for c in result.roster)  # '$200', '1,000' read as numbers
    assert rows["usage_fee"]["text"] == "usage_fee totals at most 2,000 over the chosen creators"
    assert rows["score"]["text"] == "score averages at most 0.2 over the booked posts"


def test_unreachable_share_is_infeasible_with_the_best_share_named() -> None:
    result = optimize(_problem(audience={"audience_us": {"min_share": 0.95}}))
    assert result.status == "infeasible"
    assert sorted(result.conflict.rules) == ["audience_min[audience_us]", "audience_reach"]
    assert "the highest share of any eligible creator is 90.0% (c-05), so no roster can get there" in result.message
    assert result.to_dict()["audience"] == []


def test_share_conflict_with_the_budget_names_the_cheapest() -> None:
    result = optimize(_problem(budget=100, audience={"audience_us": {"min_share": 0.65}}))
    assert result.status == "infeasible"
    assert "audience_min[audience_us]" in result.conflict.rules and "budget" in result.conflict.rules
    # c-01 (70%, $120) and c-05 (90%, $650) are the creators at 65% or more
    assert "2 of 8 eligible creators with reach are at 65% or more on their own" in result.message
    assert "the cheapest of them costs $120 a post" in result.message


def test_average_conflict_names_the_best_creator() -> None:
    result = optimize(_problem(limits={"score": {"min_average": 0.95}}))
    assert result.status == "infeasible"
    assert sorted(result.conflict.rules) == ["limit_min_average[score]", "limit_nonempty"]
    assert "score must average at least 0.95 over the chosen creators" in result.message
    assert "the highest of any eligible creator is 0.9, so no roster can get there" in result.message


def test_a_sum_rule_that_binds_is_reported_in_words() -> None:
    result = optimize(_problem(limits={"hours": {"max_sum": 9, "per": "post"}}))
    texts = [b["text"] for b in result.binding]
    assert "hours totals at most 9 over the booked posts" in texts


def test_blank_zero_counts_zero_and_says_so() -> None:
    pool = _pool(usage_fee=["100", "", "50", "", "300", "10", "5000", "40"])
    problem = _problem(pool, limits={"usage_fee": {"max_sum": 120, "blank": "zero"}})
    assert "2 creator(s) have no usage_fee value; limits.usage_fee counts them as 0." in problem.notes
    result = optimize(problem)
    assert result.to_dict()["limits"][0]["achieved"] <= 120


def test_blank_exclude_makes_creators_ineligible_and_verify_agrees() -> None:
    pool = _pool(audience_us=["0.7", "", "0.2", "0.1", "0.9", "0.5", "0.3", "0.05"])
    problem = _problem(pool, audience={"audience_us": {"min_share": 0.1, "blank": "exclude"}})
    assert problem.reasons["c-02"] == "no audience_us value" and not problem.eligible["c-02"]
    assert "c-02" not in optimize(problem).roster
    check = verify_roster(problem, {"c-02": 1})
    assert "c-02 has no 'audience_us' value, so it may not be chosen under that column's rule" in check.violations


def test_a_roster_that_reaches_no_one_fails_an_audience_rule() -> None:
    problem = _problem(audience={"audience_us": {"max_share": 0.9}})
    assert "the roster reaches no one, so it has no audience shares to meet the audience rules" in (
        verify_roster(problem, {}).violations
    )


def test_verify_rejects_a_roster_that_breaks_each_rule() -> None:
    problem = _problem(audience={"audience_us": {"min_share": 0.6}}, limits={"usage_fee": {"max_sum": 150}})
    check = verify_roster(problem, {"c-03": 1, "c-04": 1})
    assert any(v.startswith("audience 'audience_us' is ") and "less than 60.00%" in v for v in check.violations)
    assert "'usage_fee' total over the roster (per creator) is 1,050, above 150" in check.violations
    assert check.total_cost == 350  # the spend, not the usage fees


def test_audit_names_a_tampered_audience_figure() -> None:
    problem = _problem(audience={"audience_us": {"min_share": 0.5}})
    doc = optimize(problem).to_dict()
    doc["audience"][0]["achieved"] = 0.99
    violations = audit_result(problem, doc).violations
    assert any(v.startswith("audience[audience_us, min_share].achieved: claims 0.990000") for v in violations)


def test_rows_are_global_and_one_per_rule() -> None:
    from optimizer.rules import spec_of

    problem = _problem(audience={"audience_us": {"min_share": 0.5, "max_share": 0.8}},
                       limits={"score": {"min_average": 0.0, "max_average": 0.7, "per": "post"}})  # fmt: skip
    keys = [b.key for b in build_model(problem).blocks if b.kind.startswith(("audience", "limit"))]
    assert keys == ["audience_reach", "audience_min[audience_us]", "audience_max[audience_us]", "limit_nonempty",
                    "limit_min_average_per_post[score]", "limit_max_average_per_post[score]"]  # fmt: skip
    assert not any(spec_of(k.split("[")[0]).local for k in keys)


def test_a_rule_column_can_be_mapped_from_an_export_header(tmp_path: Path, runner) -> None:
    pool = _pool().rename(columns={"audience_us": "Audience US %"})
    path = write_case(tmp_path / "case", {"budget": 1500, "audience": {"audience_us": {"min_share": 0.6}},
                                          "columns": {"audience_us": "Audience US %"}}, pool)  # fmt: skip
    out = tmp_path / "out"
    result = runner.invoke(main, ["optimize", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Audience: audience_us" in result.output
    assert runner.invoke(main, ["verify", str(path), str(out / "result.json")]).exit_code == 0
