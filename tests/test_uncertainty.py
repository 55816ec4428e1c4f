"""The outcome sampler: its mean is the optimiser's point forecast, it is seeded, keyed by creator id, and it
uses the calibrated spreads when the scenario has a calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.cli import main
from optimizer.problem import load_problem
from optimizer.uncertainty import METRICS, creator_params, point_forecast, sample
from tests.conftest import SCENARIOS, write_case

ROSTER = {"c-01": 1, "c-03": 3, "c-05": 2, "c-07": 1, "c-08": 2}


def _problem(tmp_path: Path, uncertainty: dict | None = None, **assumptions):
    return load_problem(write_case(tmp_path / "case", {"assumptions": assumptions, "uncertainty": uncertainty or {}}))


@pytest.mark.parametrize(("no_show", "delivery"), [(0.0, 1.0), (0.2, 0.8)])
@pytest.mark.parametrize("emv", ["cpm", "per_action"])
def test_mean_of_draws_is_the_point_forecast(tmp_path: Path, no_show: float, delivery: float, emv: str) -> None:
    """With no_show = 1 - delivery_rate the point forecast includes the expected no-show, and the draws agree
    with it per creator and in total, within 4 Monte-Carlo standard errors, for every metric."""
    problem = _problem(tmp_path, delivery_rate=delivery, emv={"method": emv},
                       uncertainty={"no_show": no_show})  # fmt: skip
    draws = sample(creator_params(problem), ROSTER, draws=200_000, seed=3)
    assert draws.notes == []
    for metric in METRICS:
        matrix = draws.metric(metric)
        want = point_forecast(problem, ROSTER, metric)
        assert list(want.index) == draws.creator_ids
        # a metric with no spread (reach, CPM EMV with no no-show) must match to rounding
        se = matrix.std(axis=0) / np.sqrt(len(matrix)) + 1e-9 * want.to_numpy()
        assert np.all(np.abs(matrix.mean(axis=0) - want.to_numpy()) < 4 * se), metric
        total = matrix.sum(axis=1)
        assert abs(total.mean() - want.sum()) < 4 * total.std() / np.sqrt(len(total)) + 1e-9 * want.sum(), metric
    assert draws.posted.mean() == pytest.approx(1 - no_show, abs=0.005)


def test_no_show_that_the_forecast_leaves_out_is_said(tmp_path: Path) -> None:
    """Defaults: the forecast assumes every post goes live (delivery_rate 1.0), the draws a 20% no-show."""
    problem = _problem(tmp_path)
    draws = sample(creator_params(problem), ROSTER, draws=200_000, seed=1)
    want = point_forecast(problem, ROSTER, "conversions").sum()
    assert draws.conversions.sum(axis=1).mean() == pytest.approx(0.8 * want, rel=0.01)
    assert "mean of the draws is 0.80 x that forecast" in draws.notes[0]
    # a no-show is not paid
    assert np.all(draws.spend[~draws.posted] == 0) and np.all(draws.engagements[~draws.posted] == 0)


def test_same_seed_same_draws_keyed_by_id(tmp_path: Path) -> None:
    params = creator_params(_problem(tmp_path))
    a = sample(params, ROSTER, draws=1000, seed=42)
    b = sample(params, dict(reversed(list(ROSTER.items()))), draws=1000, seed=42)
    c = sample(params, ROSTER, draws=1000, seed=43)
    assert a.creator_ids == b.creator_ids == sorted(ROSTER)
    for metric in METRICS:
        np.testing.assert_array_equal(a.metric(metric), b.metric(metric))
    assert not np.array_equal(a.engagements, c.engagements)
    with pytest.raises(KeyError, match="c-99"):
        sample(params, {"c-99": 1}, draws=10)


def test_posts_of_one_creator_share_the_creator_draw(tmp_path: Path) -> None:
    """Posts 2..k carry post_decay like the point forecast, and their noise is correlated through the
    creator effect: the spread of a 3-post total is wider than three independent posts would give."""
    problem = _problem(tmp_path, post_decay=1.0, uncertainty={"no_show": 0.0, "engagement_sigma": 0.7})
    params = creator_params(problem)
    one = sample(params, {"c-03": 1}, draws=100_000, seed=5).engagements[:, 0]
    three = sample(params, {"c-03": 3}, draws=100_000, seed=5).engagements[:, 0]
    assert three.mean() == pytest.approx(3 * one.mean(), rel=0.02)
    independent_sd = np.sqrt(3) * one.std()
    assert three.std() > 1.3 * independent_sd


def test_calibrated_spreads_reach_the_sampler(tmp_path: Path, runner) -> None:
    """One sponsored post of a calibrated creator: the draws' P10/P50/P90 are the calibration file's."""
    from tests.test_calibrate import HISTORY_OK

    folder = tmp_path / "in"
    write_case(folder)
    (folder / "posts.csv").write_text(HISTORY_OK, encoding="utf-8")
    out = folder / "calibration.csv"
    result = runner.invoke(main, ["calibrate", str(folder / "posts.csv"), "--pool", str(folder / "creators.csv"),
                                  "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    path = write_case(folder, {"calibration": "calibration.csv", "uncertainty": {"no_show": 0}},
                      name="cal.yaml")  # fmt: skip
    problem = load_problem(path)
    cal = pd.read_csv(out).set_index("creator_id")
    draws = sample(creator_params(problem), {"c-02": 1, "c-04": 1}, draws=200_000, seed=9)
    for k, cid in enumerate(draws.creator_ids):
        q = np.quantile(draws.engagements[:, k], [0.1, 0.5, 0.9])
        want = cal.loc[cid, ["engagements_p10", "engagements_p50", "engagements_p90"]].to_numpy(dtype=float)
        assert q == pytest.approx(want, rel=0.02), cid


def test_bundled_scenario_params_cover_every_creator() -> None:
    problem = load_problem(SCENARIOS / "eco-fashion" / "scenario.yaml")
    params = creator_params(problem)
    assert list(params.creator_ids) == list(problem.pool.frame.index)
    assert np.all(params.sd_creator >= 0) and np.all(params.sd_post > 0)
    assert np.all((params.conversion_rate > 0) & (params.conversion_rate < 1))


def test_a_creators_draws_do_not_depend_on_who_else_is_drawn(tmp_path: Path) -> None:
    """Keyed by (seed, creator id): the same creator gets the same outcomes in any roster, and booking fewer
    posts leaves the first posts unchanged, so a roster's draws are a subset of a larger draw."""
    params = creator_params(_problem(tmp_path))
    small = sample(params, {"c-03": 2, "c-05": 1}, draws=2000, seed=8, keep_posts=True)
    large = sample(params, {"c-01": 1, "c-03": 3, "c-05": 1, "c-08": 2}, draws=2000, seed=8, keep_posts=True)
    for cid in ("c-03", "c-05"):
        i, j = small.creator_ids.index(cid), large.creator_ids.index(cid)
        np.testing.assert_array_equal(small.posted[:, i], large.posted[:, j])
        np.testing.assert_array_equal(small.first_post("conversions")[:, i], large.first_post("conversions")[:, j])
        for metric in METRICS:
            np.testing.assert_array_equal(small.per_post(metric)[:, i, :2], large.per_post(metric)[:, j, :2])
    i = small.creator_ids.index("c-05")
    np.testing.assert_array_equal(small.conversions[:, i], large.conversions[:, large.creator_ids.index("c-05")])
    # and the per-post values add up to the totals
    for metric in METRICS:
        np.testing.assert_allclose(large.per_post(metric).sum(axis=2), large.metric(metric), rtol=1e-12)
