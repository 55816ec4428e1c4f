"""The catalogue of bad inputs: each gets one clear paragraph naming file, row or key, exit code 2,
no traceback, and no output files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from optimizer.cli import main
from tests.conftest import base_pool, write_case


def _pool(**changes: tuple[int, str, str]) -> pd.DataFrame:
    pool = base_pool()
    for _, (row, col, value) in changes.items():
        pool.loc[row, col] = value
    return pool


OVERLAP_OK = "creator_a,creator_b,overlap\nc-01,c-02,0.2\n"

# id, scenario overrides, pool, overlap, fragments the message must contain
CASES = [
    (
        "missing-column",
        {},
        base_pool().drop(columns=["cost"]),
        None,
        ["creators.csv", "missing required column(s) cost"],
    ),
    (
        "duplicate-ids",
        {},
        _pool(a=(2, "creator_id", "c-01")),
        None,
        ["creators.csv", "column 'creator_id'", "'c-01' appears on rows 2, 4", "must be unique"],
    ),
    (
        "negative-cost",
        {},
        _pool(a=(2, "cost", "-5")),
        None,
        ["creators.csv, row 4 (creator c-03), column 'cost': value '-5' is not a price"],
    ),
    (
        "nan-cost",
        {},
        _pool(a=(3, "cost", "NaN")),
        None,
        ["creators.csv, row 5 (creator c-04), column 'cost': value 'NaN' is not a price"],
    ),
    (
        "text-cost",
        {},
        _pool(a=(0, "cost", "call me")),
        None,
        ["creators.csv, row 2 (creator c-01), column 'cost': value 'call me' is not a price"],
    ),
    ("blank-cost", {}, _pool(a=(1, "cost", "")), None, ["row 3 (creator c-02), column 'cost'"]),
    (
        "engagement-450pct",
        {},
        _pool(a=(4, "engagement_rate", "450%")),
        None,
        ["row 6 (creator c-05), column 'engagement_rate': value '450%' is above 1 (100%)"],
    ),
    (
        "followers-text",
        {},
        _pool(a=(5, "followers", "lots")),
        None,
        ["row 7 (creator c-06), column 'followers': value 'lots' is not a follower count"],
    ),
    (
        "niche-nobody-has",
        {"niches": {"vegan-baking": {"min_creators": 1}}},
        None,
        None,
        [
            "scenario.yaml",
            "niche 'vegan-baking' is not the niche of any creator",
            "the pool has: sustainable-fashion, vegan-food, zero-waste",
        ],
    ),
    (
        "niche-typo",
        {"niches": {"vegan-foods": {"min_creators": 1}}},
        None,
        None,
        ["niche 'vegan-foods' is not the niche of any creator", "did you mean 'vegan-food'?"],
    ),
    (
        "platform-nobody-has",
        {"platforms": {"twitch": {"min_creators": 1}}},
        None,
        None,
        ["scenario.yaml", "platform 'twitch' is not the platform of any creator"],
    ),
    (
        "include-and-exclude",
        {"eligibility": {"include": ["c-02"], "exclude": ["c-02"]}},
        None,
        None,
        ["scenario.yaml: eligibility", "c-02 are both in include and in exclude"],
    ),
    (
        "include-ineligible",
        {"eligibility": {"followers": {"max": 100000}, "include": ["c-07"]}},
        None,
        None,
        ["eligibility.include lists c-07 (row 8 of", "not eligible: more than 100,000 followers"],
    ),
    (
        "include-unknown",
        {"eligibility": {"include": ["c-99"]}},
        None,
        None,
        ["eligibility.include names c-99, not a creator_id in"],
    ),
    (
        "overlap-unknown-creator",
        {},
        None,
        "creator_a,creator_b,overlap\nc-01,c-99,0.2\n",
        ["overlap.csv, row 2, column 'creator_b': value 'c-99' is not a creator_id in the pool"],
    ),
    (
        "overlap-above-1",
        {},
        None,
        "creator_a,creator_b,overlap\nc-01,c-02,0.2\nc-02,c-03,1.5\n",
        ["overlap.csv, row 3, column 'overlap': value '1.5' is outside [0, 1]"],
    ),
    (
        "overlap-negative",
        {},
        None,
        "creator_a,creator_b,overlap\nc-01,c-02,-0.1\n",
        ["overlap.csv, row 2, column 'overlap'", "is outside [0, 1]"],
    ),
    (
        "overlap-self-pair",
        {},
        None,
        "creator_a,creator_b,overlap\nc-03,c-03,0.5\n",
        ["overlap.csv, row 2, column 'creator_b'", "cannot overlap with itself"],
    ),
    (
        "overlap-duplicate-pair",
        {},
        None,
        "creator_a,creator_b,overlap\nc-01,c-02,0.2\nc-02,c-01,0.3\n",
        ["overlap.csv: the pair c-01 / c-02 is listed on rows 2, 3"],
    ),
    (
        "overlap-missing-column",
        {},
        None,
        "a,b,overlap\nc-01,c-02,0.2\n",
        ["overlap.csv: missing column(s) creator_a, creator_b"],
    ),
    (
        "empty-pool",
        {},
        ",".join(["creator_id", "handle", "platform", "followers", "engagement_rate", "niche", "cost"]) + "\n",
        None,
        ["creators.csv: the pool has no creators (header only)"],
    ),
    ("empty-file", {}, "", None, ["creators.csv: the file is empty"]),
    ("unknown-key", {"budjet": 5}, None, None, ["scenario.yaml: budjet: unknown key 'budjet'; did you mean 'budget'?"]),
    (
        "unknown-nested-key",
        {"roster": {"max_creator": 4}},
        None,
        None,
        ["scenario.yaml: roster.max_creator: unknown key 'max_creator'; did you mean 'max_creators'?"],
    ),
    (
        "unknown-niche-rule-key",
        {"niches": {"zero-waste": {"min_creator": 1}}},
        None,
        None,
        ["niches.zero-waste.min_creator: unknown key 'min_creator'; did you mean 'min_creators'?"],
    ),
    ("budget-negative", {"budget": -10}, None, None, ["scenario.yaml: budget: Input should be greater than 0"]),
    (
        "min-over-max",
        {"roster": {"min_creators": 5, "max_creators": 2}},
        None,
        None,
        ["roster: min_creators (5) is greater than max_creators (2)"],
    ),
    ("objective-unknown", {"objective": "likes"}, None, None, ["scenario.yaml: objective:", "'conversions'"]),
    (
        "sentiment-without-column",
        {"eligibility": {"min_sentiment": 0.2}},
        None,
        None,
        ["eligibility.min_sentiment is set but", "has no sentiment column"],
    ),
    (
        "policy-without-overlap-file",
        {"overlap_policy": {"max_pairwise": 0.3}},
        None,
        None,
        ["overlap_policy needs an overlap file"],
    ),
    (
        "column-map-missing",
        {"columns": {"followers": "Followers"}},
        None,
        None,
        ["the scenario maps 'followers' to column 'Followers', which is not in the file"],
    ),
    # audience and limits rules: the columns they name, and the cells in them
    (
        "audience-share-above-1",
        {"audience": {"audience_us": {"min_share": 0.5}}},
        base_pool().assign(audience_us=["0.5", "0.2", "1.4", "0.1", "0.3", "0.3", "0.3", "0.3"]),
        None,
        [
            "creators.csv, row 4 (creator c-03), column 'audience_us': value '1.4' is above 1 (100%); audience "
            "shares are written 0.6 or 60% (audience.audience_us)"
        ],
    ),
    (
        "audience-share-120pct",
        {"audience": {"audience_us": {"min_share": 0.5}}},
        base_pool().assign(audience_us=["50%", "120%", "10%", "0.1", "0.3", "0.3", "0.3", "0.3"]),
        None,
        ["row 3 (creator c-02), column 'audience_us': value '120%' is above 1 (100%)"],
    ),
    (
        "audience-share-negative",
        {"audience": {"audience_13_17": {"max_share": 0.2}}},
        base_pool().assign(audience_13_17=["0.1", "0.2", "0.1", "-0.1", "0.3", "0.3", "0.3", "0.3"]),
        None,
        ["row 5 (creator c-04), column 'audience_13_17': value '-0.1' is negative; audience shares are from 0 to 1"],
    ),
    (
        "audience-share-text",
        {"audience": {"audience_us": {"min_share": 0.5}}},
        base_pool().assign(audience_us=["0.5", "n/a", "0.2", "0.1", "0.3", "0.3", "0.3", "0.3"]),
        None,
        ["row 3 (creator c-02), column 'audience_us': value 'n/a' is not a share; expected a number from 0 to 1"],
    ),
    (
        "audience-share-blank",
        {"audience": {"audience_us": {"min_share": 0.5}}},
        base_pool().assign(audience_us=["0.5", "0.2", "0.2", "", "0.3", "", "0.3", "0.3"]),
        None,
        [
            "row 5 (creator c-04), column 'audience_us': value '' is blank, and audience.audience_us needs a value "
            "for every creator",
            "`blank: zero`",
            "`blank: exclude`",
            "1 more row(s) have the same problem (rows 7)",
        ],
    ),
    (
        "audience-column-missing",
        {"audience": {"audience_usa": {"min_share": 0.5}}},
        base_pool().assign(audience_us="0.5"),
        None,
        ["scenario.yaml: audience.audience_usa:", "has no column 'audience_usa'; did you mean 'audience_us'?"],
    ),
    (
        "limit-column-missing",
        {"limits": {"usage_fees": {"max_sum": 500}}},
        base_pool().assign(usage_fee="10"),
        None,
        ["scenario.yaml: limits.usage_fees:", "has no column 'usage_fees'; did you mean 'usage_fee'?"],
    ),
    (
        "limit-text-cell",
        {"limits": {"usage_fee": {"max_sum": 500}}},
        base_pool().assign(usage_fee=["10", "20", "call us", "5", "5", "5", "5", "5"]),
        None,
        [
            "row 4 (creator c-03), column 'usage_fee': value 'call us' is not a number; expected e.g. 1200, 1,200 "
            "or 85% (limits.usage_fee)"
        ],
    ),
    (
        "limit-blank",
        {"limits": {"production_hours": {"max_sum": 20, "per": "post"}}},
        base_pool().assign(production_hours=["2", "", "3", "1", "1", "1", "1", "1"]),
        None,
        ["row 3 (creator c-02), column 'production_hours': value '' is blank, and limits.production_hours needs"],
    ),
    (
        "limit-on-a-text-column",
        {"limits": {"handle": {"max_sum": 3}}},
        None,
        None,
        ["scenario.yaml: limits.handle: column 'handle' holds text, not numbers"],
    ),
    (
        "rule-column-map-unknown",
        {"audience": {"audience_us": {"min_share": 0.5}}, "columns": {"audience_usa": "US %"}},
        None,
        None,
        [
            "scenario.yaml: columns: 'audience_usa' is neither a pool field nor a column an audience or limits rule "
            "names; did you mean 'audience_us'?"
        ],
    ),
    (
        "audience-rule-empty",
        {"audience": {"audience_us": {}}},
        None,
        None,
        ["scenario.yaml: audience.audience_us: give min_share, max_share or both"],
    ),
    (
        "audience-share-rule-above-1",
        {"audience": {"audience_us": {"min_share": 60}}},
        None,
        None,
        ["scenario.yaml: audience.audience_us.min_share: Input should be less than or equal to 1"],
    ),
    (
        "duplicate-header",
        {},
        "creator_id,handle,platform,followers,engagement_rate,niche,cost,followers\n"
        "c-1,@a,instagram,10K,2%,x,100,12K\n",
        None,
        ["column 'followers' appears twice (columns 4 and 8)"],
    ),
    ("blank-id", {}, _pool(a=(6, "creator_id", " ")), None, ["row 8, column 'creator_id'", "is empty"]),
    (
        "sentiment-out-of-range",
        {},
        base_pool().assign(sentiment=["0.5", "0.1", "1.5", "", "0", "0", "0", "0"]),
        None,
        ["row 4 (creator c-03), column 'sentiment': value '1.5' is not a sentiment; expected a number from -1 to 1"],
    ),
    (
        "max-posts-fraction",
        {},
        base_pool().assign(max_posts=["1", "2", "2.5", "", "1", "1", "1", "1"]),
        None,
        ["row 4 (creator c-03), column 'max_posts': value '2.5' is not a post count; expected a whole number >= 1"],
    ),
    (
        "expected-negative",
        {},
        base_pool().assign(expected_emv=["1", "-2", "", "", "1", "1", "1", "1"]),
        None,
        ["row 3 (creator c-02), column 'expected_emv': value '-2' is not a forecast"],
    ),
]


@pytest.mark.parametrize(
    ("scenario", "pool", "overlap", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_a_clear_error(tmp_path: Path, runner, scenario, pool, overlap, fragments) -> None:
    path = write_case(tmp_path / "case", scenario, pool, overlap)
    out = tmp_path / "out"
    for command in (["optimize", str(path), "--out", str(out)], ["validate", str(path)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        message = result.stderr
        for fragment in fragments:
            assert fragment in message, message
        assert message.startswith("Error: ")
        assert "Traceback" not in result.output
        assert "\n\n" not in message.strip(), "one paragraph"
        assert not out.exists(), "no files may be written on bad input"


def test_missing_scenario_file(tmp_path: Path, runner) -> None:
    result = runner.invoke(main, ["optimize", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "nope.yaml: scenario file not found" in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_pool_file(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path, {"pool": "elsewhere.csv"})
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "pool file" in result.stderr and "elsewhere.csv not found" in result.stderr


def test_invalid_yaml_names_the_line(tmp_path: Path, runner) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\npool: [unclosed\nbudget: 5\n")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "bad.yaml: not valid YAML at line" in result.stderr


def test_scenario_that_is_not_a_mapping(tmp_path: Path, runner) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "expected a mapping of keys" in result.stderr
