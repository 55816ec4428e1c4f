"""The forecast against numbers worked out by hand, independent of the code's formulas.

Golden files (tests/golden/) are regression tests: they say the numbers did not change, not that they
are right. This table is the independent check. Three creators, assumptions stated in the scenario
(reach_rate 0.2, delivery_rate 0.8, conversion rate 1.5%, CPM $10, post_decay 0.5):

| creator | followers | authenticity | ER | real followers | reach (x0.2x0.8) | engagements (xERx0.8) | conversions (x1.5%) | EMV (reach x $10/1000) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| h-1 | 50,000 | 0.90 | 4% | 45,000 | 7,200 | 1,440 | 21.6 | 72.00 |
| h-2 | 20,000 | blank (1.0) | 5% | 20,000 | 3,200 | 800 | 12.0 | 32.00 |
| h-3 | 200,000 | 0.50 | 2% | 100,000 | 16,000 | 1,600 | 24.0 | 160.00 |

Two posts by h-1 are worth 1 + 0.5 = 1.5 first posts: 32.4 conversions, EMV $108.00. With the per-action
EMV ($0.003 per impression, $0.15 per engagement) h-1's first post is 7,200 x 0.003 + 1,440 x 0.15 = 237.60.
"""

from __future__ import annotations

import pandas as pd
import pytest

from optimizer import build_problem, parse_scenario, pool_from_frame, verify_roster

POOL = pd.DataFrame(
    {
        "creator_id": ["h-1", "h-2", "h-3"],
        "handle": ["@a", "@b", "@c"],
        "platform": "instagram",
        "followers": ["50K", "20,000", "200000"],
        "engagement_rate": ["4%", "0.05", "2%"],
        "niche": "x",
        "cost": [100, 50, 400],
        "authenticity": ["0.9", "", "0.5"],
        "max_posts": [2, 1, 1],
    }
)
ASSUMPTIONS = {"reach_rate": 0.2, "delivery_rate": 0.8, "conversion_rate": 0.015, "post_decay": 0.5,
               "emv": {"method": "cpm", "cpm": 10.0}}  # fmt: skip
BY_HAND = {  # creator: (reach, engagements, conversions, emv) of the first post
    "h-1": (7_200, 1_440, 21.6, 72.0),
    "h-2": (3_200, 800, 12.0, 32.0),
    "h-3": (16_000, 1_600, 24.0, 160.0),
}


def _problem(**assumptions):
    sc = {"name": "by hand", "pool": "p", "budget": 10_000, "assumptions": {**ASSUMPTIONS, **assumptions}}
    return build_problem(parse_scenario(sc), pool_from_frame(POOL.copy(), "hand pool"))


@pytest.mark.parametrize("cid", sorted(BY_HAND))
def test_first_post_forecast_matches_the_hand_table(cid) -> None:
    m = _problem().metrics.loc[cid]
    reach, engagements, conversions, emv = BY_HAND[cid]
    assert m["reach"] == pytest.approx(reach)
    assert m["engagements"] == pytest.approx(engagements)
    assert m["conversions"] == pytest.approx(conversions)
    assert m["emv"] == pytest.approx(emv)


def test_second_post_and_per_action_emv_match_the_hand_table() -> None:
    check = verify_roster(_problem(), {"h-1": 2})
    assert check.value == pytest.approx(32.4)  # 21.6 x 1.5
    assert check.total_cost == pytest.approx(200)
    per_action = _problem(emv={"method": "per_action", "impression_value": 0.003, "engagement_value": 0.15})
    assert per_action.metrics.at["h-1", "emv"] == pytest.approx(237.6)
