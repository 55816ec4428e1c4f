"""`roster simulate`: reproducible with a seed, the JSON contract, the overlap discount applied draw by draw
(checked against a loop over draws), target probabilities, and results that fail the audit are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optimizer import load_problem, optimize
from optimizer.cli import main
from optimizer.simulate import simulate, summarise
from optimizer.uncertainty import creator_params, sample
from optimizer.verify import draw_values
from tests.conftest import SCENARIOS, write_case


@pytest.fixture(scope="module")
def eco(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("eco")
    result = CliRunner().invoke(main, ["optimize", str(SCENARIOS / "eco-fashion" / "scenario.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_same_seed_same_output_and_the_json_contract(eco: Path, runner) -> None:
    args = ["simulate", str(eco), "--draws", "3000", "--seed", "11", "--json", "--target-cpa", "80"]
    first, again = runner.invoke(main, args), runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.output == again.output
    other = runner.invoke(main, [*args[:5], "12", *args[6:]])
    assert other.exit_code == 0 and other.output != first.output
    data = json.loads(first.output)
    assert data["draws"] == 3000 and data["seed"] == 11
    for name in ("conversions", "emv", "cpa", "roi", data["objective"]):
        assert set(data["metrics"][name]) >= {"mean", "p10", "p50", "p90"}, name
        m = data["metrics"][name]
        assert m["p10"] <= m["p50"] <= m["p90"], name
    assert data["objective"] == "conversions"
    (cpa,) = data["targets"]
    assert cpa["metric"] == "cpa" and 0 < cpa["probability"] < 1
    text = runner.invoke(main, [*args[:6], "--target-cpa", "80"])
    assert text.exit_code == 0 and "P(cpa <= 80) = " in text.output and "conversions*" in text.output


def test_a_result_that_fails_the_audit_is_refused(eco: Path, tmp_path: Path, runner) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    data = json.loads((eco / "result.json").read_text())
    data["roster"][0]["cost"] += 100.0
    (bad / "result.json").write_text(json.dumps(data))
    result = runner.invoke(main, ["simulate", str(bad), "--draws", "100"])
    assert result.exit_code == 1
    assert "fails verification" in result.output and "roster[" in result.output


def test_too_many_draws_is_a_usage_error(eco: Path, runner) -> None:
    result = runner.invoke(main, ["simulate", str(eco), "--draws", "10000000"])
    assert result.exit_code == 2 and "draws x creators at most" in result.output


def test_discount_per_draw_matches_a_loop_over_draws(tmp_path: Path) -> None:
    """draw_values against the definition written out draw by draw: each creator's drawn value minus, for each
    chosen listed pair within max_pairwise, overlap x the smaller drawn first-post value."""
    overlap = "creator_a,creator_b,overlap\nc-01,c-03,0.3\nc-03,c-05,0.2\nc-05,c-08,0.6\nc-02,c-04,0.1\n"
    path = write_case(tmp_path, {"overlap_policy": {"discount": True, "max_pairwise": 0.5}}, overlap=overlap)
    problem = load_problem(path)
    roster = {"c-01": 2, "c-03": 1, "c-05": 3, "c-08": 1}
    draws = sample(creator_params(problem), roster, draws=300, seed=2)
    pairs = [("c-01", "c-03", 0.3), ("c-03", "c-05", 0.2)]  # c-05|c-08 is above max_pairwise; c-02|c-04 not chosen
    ids = draws.creator_ids
    compared = 0
    for metric in ("conversions", "emv", "engagements", "reach"):
        got = draw_values(problem, draws, roster, metric)
        first = draws.first_post(metric)
        total = draws.metric(metric)
        for s in range(len(got)):
            want = sum(total[s, ids.index(c)] for c in roster)
            want -= sum(o * min(first[s, ids.index(a)], first[s, ids.index(b)]) for a, b, o in pairs)
            assert got[s] == pytest.approx(want, rel=1e-12, abs=1e-12)
            compared += 1
    assert compared == 1200
    # the first post of a 3-post creator is worth less than its total, and a no-show shares nothing
    k = ids.index("c-05")
    assert np.all(draws.first_post("conversions")[:, k] <= draws.conversions[:, k] + 1e-12)
    assert np.all(draws.first_post("reach")[~draws.posted[:, k], k] == 0)


def test_mean_matches_the_point_forecast_without_discount(tmp_path: Path) -> None:
    path = write_case(tmp_path, {"assumptions": {"delivery_rate": 0.8, "average_order_value": 50}})
    problem = load_problem(path)
    result = optimize(problem)
    sim = simulate(problem, result.roster, draws=100_000, seed=1)
    doc = result.to_dict()
    for metric in ("conversions", "emv"):
        per = sim.per_draw[metric]
        se = per.std() / np.sqrt(len(per))
        assert abs(sim.metrics[metric]["mean"] - doc["totals_before_overlap_discount"][metric]) < 4 * se, metric
    assert sim.metrics["spend"]["mean"] == pytest.approx(0.8 * doc["total_cost"], rel=0.01)  # no-shows are not paid


def test_probability_of_the_scenario_target() -> None:
    problem = load_problem(SCENARIOS / "skincare" / "target.yaml")
    result = optimize(problem)
    sim = simulate(problem, result.roster, draws=5000, seed=3, target_cpa=1e9)
    target, cpa = sim.targets
    assert target["metric"] == "conversions" and target["value"] == 200
    assert target["probability"] == pytest.approx(float(np.mean(sim.per_draw["conversions"] >= 200)))
    # the draws include the 20% no-show the point forecast leaves out, so the target is met less than half the time
    assert target["probability"] < 0.5
    assert cpa["probability"] == pytest.approx(float(np.mean(np.isfinite(sim.per_draw["cpa"]))))


def test_summary_leaves_undefined_draws_out() -> None:
    s = summarise(np.array([np.nan, 4.0, 2.0]))
    assert s["undefined_draws"] == 1 and s["mean"] == 3.0
    assert summarise(np.array([np.nan]))["mean"] is None
