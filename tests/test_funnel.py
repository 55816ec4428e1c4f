"""The conversion funnel: people reached -> clicks -> purchases, with sourced defaults, worked out by hand; the
old per-engagement rate keeps its meaning; returns far above published ones are flagged in result.json and the
report; the bundled scenarios' returns are no longer an order of magnitude above published ones.

Defaults (docs/forecast.md): clicks per person reached by tier (Fanpage Karma: micro 1.3%, mid 1.0%
interpolated), purchases per click by tier (Digital Applied: micro 2.18%, mid 1.8% interpolated). Same three
creators as tests/test_forecast_by_hand.py (reach_rate 0.2, delivery_rate 0.8):

| creator | tier | reach | clicks (x click rate) | conversions (x purchase rate) |
|---|---|---:|---:|---:|
| h-1 | micro (50k) | 7,200 | 93.6 (1.3%) | 2.04048 (2.18%) |
| h-2 | micro (20k) | 3,200 | 41.6 (1.3%) | 0.90688 (2.18%) |
| h-3 | mid (200k) | 16,000 | 160.0 (1.0%) | 2.88 (1.8%) |
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from optimizer import build_problem, load_problem, optimize, parse_scenario, pool_from_frame
from optimizer.errors import ScenarioError
from optimizer.pipeline import with_overrides
from optimizer.report import build_report, render_html, render_markdown
from optimizer.returns import PUBLISHED
from optimizer.uncertainty import creator_params, sample
from tests.conftest import SCENARIOS
from tests.test_forecast_by_hand import POOL

BY_HAND = {"h-1": (7_200, 93.6, 2.04048), "h-2": (3_200, 41.6, 0.90688), "h-3": (16_000, 160.0, 2.88)}


def _problem(**assumptions):
    sc = {"name": "funnel", "pool": "p", "budget": 10_000,
          "assumptions": {"reach_rate": 0.2, "delivery_rate": 0.8, **assumptions}}  # fmt: skip
    return build_problem(parse_scenario(sc), pool_from_frame(POOL.copy(), "hand pool"))


@pytest.mark.parametrize("cid", sorted(BY_HAND))
def test_default_funnel_matches_the_hand_table(cid) -> None:
    m = _problem().metrics.loc[cid]
    reach, clicks, conversions = BY_HAND[cid]
    assert m["reach"] == pytest.approx(reach)
    assert m["clicks"] == pytest.approx(clicks)
    assert m["conversions"] == pytest.approx(conversions)
    # the effective per-engagement rate is what the conversions imply
    assert m["conversion_rate"] == pytest.approx(conversions / m["engagements"])


def test_a_stated_conversion_rate_keeps_its_per_engagement_meaning() -> None:
    """An old scenario's conversion_rate still multiplies engagements, and the output says so."""
    problem = _problem(conversion_rate=0.015)
    assert problem.metrics.at["h-1", "conversions"] == pytest.approx(1_440 * 0.015)
    assert np.isnan(problem.metrics.at["h-1", "purchase_rate"])
    note = next(n for n in problem.notes if n.startswith("assumptions.conversion_rate"))
    assert "purchases per engagement" in note and "per click" in note
    units = optimize(problem).to_dict()["units"]
    assert units["conversion_funnel"] == "conversions = engagements x conversion_rate (per engagement)"
    assert units["click_rate"] == "clicks (shop visits) per person reached"
    assert units["purchase_rate"] == "purchases per click (shop visit)"


def test_own_rates_replace_the_defaults() -> None:
    m = _problem(click_rate=0.02, purchase_rate={"nano": 0.1, "micro": 0.05, "mid": 0.04, "macro": 0.1, "mega": 0.1})
    assert m.metrics.at["h-1", "conversions"] == pytest.approx(7_200 * 0.02 * 0.05)
    assert m.metrics.at["h-3", "conversions"] == pytest.approx(16_000 * 0.02 * 0.04)


def test_a_per_engagement_rate_and_the_funnel_rates_are_not_both_given() -> None:
    with pytest.raises(ScenarioError, match=r"give conversion_rate .* or purchase_rate .*not both"):
        _problem(conversion_rate=0.02, purchase_rate=0.02)


def test_the_pool_conversion_rate_column_is_per_engagement() -> None:
    pool = POOL.copy()
    pool["conversion_rate"] = ["1%", "", ""]
    problem = build_problem(parse_scenario({"name": "t", "pool": "p", "budget": 10_000,
                                            "assumptions": {"delivery_rate": 0.8}}),
                            pool_from_frame(pool, "pool"))  # fmt: skip
    m = problem.metrics
    assert m.at["h-1", "conversions"] == pytest.approx(1_440 * 0.01)
    assert m.at["h-2", "conversions"] == pytest.approx(BY_HAND["h-2"][2])
    assert any("conversion_rate column is read as purchases per engagement, for the 1" in n for n in problem.notes)
    assert "for 1 creator(s) with a per-engagement rate" in optimize(problem).to_dict()["units"]["conversion_funnel"]


def test_drawn_purchase_rate_has_the_documented_spread() -> None:
    """On the funnel the Beta is drawn around the purchase rate per click (mean 2.18%, strength 100), so a
    creator's conversion multiplier has that Beta's P10/P50/P90 divided by its mean."""
    problem = _problem()
    draws = sample(creator_params(problem), {"h-1": 1}, draws=200_000, seed=4)
    ratio = draws.conversion_scale[:, 0] / problem.metrics.at["h-1", "conversions"] * 0.8  # per posting creator
    want = stats.beta.ppf([0.1, 0.5, 0.9], 2.18, 97.82) / 0.0218
    assert np.quantile(ratio, [0.1, 0.5, 0.9]) == pytest.approx(want, rel=0.02)


BUNDLED = sorted(SCENARIOS.glob("*/*.yaml"))


@pytest.mark.parametrize("scenario", BUNDLED, ids=[f"{p.parent.name}/{p.stem}" for p in BUNDLED])
def test_bundled_returns_are_not_an_order_of_magnitude_above_published_ones(scenario) -> None:
    d = optimize(load_problem(scenario)).to_dict()
    assert d["status"] == "optimal"
    if d["roi"] is not None:
        assert d["roi"] <= PUBLISHED["roi"].high, d["roi"]
    assert d["emv_per_dollar"] <= PUBLISHED["emv_per_dollar"].high
    assert not [f for f in d["return_flags"] if f["level"] == "warning"]
    # CPA: dollars per forecast purchase, not the first release's $2-$14
    assert d["cpa"] > 20


def test_an_out_of_range_roi_is_flagged_in_result_and_report(tmp_path) -> None:
    """The first release's misapplied rate (2.2% of engagements) gives a ROI far above 500%: flagged as a warning
    in result.json, and shown next to the figure in report.html and summary.md."""
    base = load_problem(SCENARIOS / "eco-fashion" / "scenario.yaml")
    old = with_overrides(base, {"assumptions": {"conversion_rate": 0.022}})
    result = optimize(old)
    d = result.to_dict()
    assert d["roi"] > 3 * PUBLISHED["roi"].high  # 1,876% under the audience rules (2,248% without them)
    (flag,) = [f for f in d["return_flags"] if f["figure"] == "roi"]
    assert flag["level"] == "warning" and flag["position"] == "above"
    rep = build_report(result, budgets=[9000.0], explain=False)
    html = render_html(rep)
    assert 'data-flag="roi" data-level="warning"' in html and 'class="kpi flagged" id="kpi-roi"' in html
    assert "is above the published range" in render_markdown(rep)
    # and the funnel the default scenario uses is not flagged as a warning
    fine = render_html(build_report(optimize(base), budgets=[9000.0], explain=False))
    assert 'data-level="warning"' not in fine and 'class="kpi flagged"' not in fine
    json.dumps(d)
