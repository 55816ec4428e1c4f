"""Reading pools: messy counts and rates, column mapping, unknown columns carried through, file formats,
and the real public exports in ../shared/data/influencers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from optimizer import PoolError, load_pool, load_problem, optimize, pool_from_frame
from optimizer.cli import main
from optimizer.pool import parse_count, parse_rate
from tests.conftest import SHARED_DATA, base_pool, write_case

INFLUENCERS = SHARED_DATA / "influencers"
needs_exports = pytest.mark.skipif(not INFLUENCERS.is_dir(), reason=f"public exports not found at {INFLUENCERS}")


@pytest.mark.parametrize(
    ("text", "value"),
    [("12400", 12400), ("12,400", 12400), ("12.4K", 12400), ("12.4k", 12400), ("1.2M", 1_200_000),
     ("409.8M", 409_800_000), ("3B", 3e9), (" 7 ", 7), ("1e3", 1000)],
)  # fmt: skip
def test_parse_count(text: str, value: float) -> None:
    assert parse_count(pd.Series([text])).iloc[0] == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "lots", "12..4K", "1.2MM", "K"])
def test_parse_count_rejects(text: str) -> None:
    assert pd.isna(parse_count(pd.Series([text])).iloc[0])


@pytest.mark.parametrize(
    ("text", "value"), [("0.045", 0.045), ("4.5%", 0.045), ("4.5 %", 0.045), ("100%", 1.0), ("0", 0.0)]
)
def test_parse_rate(text: str, value: float) -> None:
    assert parse_rate(pd.Series([text])).iloc[0] == pytest.approx(value)


def test_pool_is_keyed_by_id_not_position() -> None:
    shuffled = base_pool().iloc[::-1]
    pool = pool_from_frame(shuffled, "p.csv")
    assert list(pool.frame.index) == sorted(base_pool()["creator_id"])
    # the row number still points at the line in the file the planner gave
    assert pool.frame.at["c-08", "row"] == 2
    assert pool.frame.at["c-03", "niches"] == ("sustainable-fashion", "zero-waste")
    assert pool.frame.at["c-07", "followers"] == 1_200_000


def test_unknown_columns_are_carried_into_outputs(tmp_path: Path, runner) -> None:
    pool = base_pool()
    pool["agency_contact"] = [f"agent{i}@example.com" for i in range(len(pool))]
    pool["notes"] = "=cmd|' /C calc'!A0"  # a spreadsheet formula must come out inert
    path = write_case(tmp_path / "in", {"budget": 500}, pool)
    out = tmp_path / "out"
    assert runner.invoke(main, ["optimize", str(path), "--out", str(out)]).exit_code == 0
    roster = pd.read_csv(out / "roster.csv")
    assert "agency_contact" in roster.columns and roster["agency_contact"].str.endswith("@example.com").all()
    assert (roster["notes"] == "'=cmd|' /C calc'!A0").all()
    doc = json.loads((out / "result.json").read_text())
    assert all("agency_contact" in e for e in doc["roster"])


def test_column_mapping_for_platform_exports(tmp_path: Path, runner) -> None:
    pool = base_pool().rename(columns={"followers": "Followers", "engagement_rate": "ER", "niche": "Category"})
    path = write_case(
        tmp_path / "in",
        {"budget": 500, "columns": {"followers": "Followers", "engagement_rate": "ER", "niche": "Category"}},
        pool,
    )
    assert runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")]).exit_code == 0


def test_missing_column_suggests_a_mapping(tmp_path: Path) -> None:
    pool = base_pool().rename(columns={"followers": "Followers"})
    with pytest.raises(
        PoolError, match=r"Map them under `columns:` in the scenario \(perhaps 'Followers' for 'followers'\)"
    ):
        pool_from_frame(pool, "export.csv")


def test_expected_columns_override_the_forecast() -> None:
    pool = base_pool()
    pool["expected_conversions"] = ["10", "", "30", "", "", "", "", ""]
    p = pool_from_frame(pool, "p.csv")
    assert p.frame.at["c-01", "expected_conversions"] == 10
    from optimizer.forecast import forecast
    from optimizer.scenario import Assumptions

    metrics, notes = forecast(p, Assumptions())
    assert metrics.at["c-01", "conversions"] == 10 and metrics.at["c-03", "conversions"] == 30
    # the funnel for the others: followers x real x reach rate 0.2 x micro click rate 1.3% x purchase rate 2.18%
    assert metrics.at["c-02", "conversions"] == pytest.approx(25_000 * 0.88 * 0.2 * 0.013 * 0.0218)
    assert "expected_conversions: given for 2 creator(s); the forecast is used for the other 6." in notes


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_parquet_and_xlsx_pools(tmp_path: Path, fmt: str) -> None:
    frame = base_pool()
    path = tmp_path / f"creators.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_excel(path, index=False)
    pool = load_pool(path)
    assert len(pool.frame) == 8 and pool.frame.at["c-02", "followers"] == 25_000


def test_corrupt_binary_pool(tmp_path: Path) -> None:
    path = tmp_path / "creators.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(PoolError, match=r"creators.parquet: cannot read the file"):
        load_pool(path)


@needs_exports
def test_real_instagram_export_duplicate_header_is_named() -> None:
    with pytest.raises(PoolError, match=r"column 'followers' appears twice \(columns 6 and 7\)"):
        load_pool(INFLUENCERS / "social_media_influencers_instagram_dec2022.csv")


@needs_exports
def test_real_instagram_export_counts_and_duplicates(tmp_path: Path) -> None:
    raw = pd.read_csv(INFLUENCERS / "social_media_influencers_instagram_dec2022.csv", dtype=str, keep_default_na=False)
    # a planner's preparation: platform, an engagement rate, and a stated cost model ($100 per 10k followers, inbeat)
    raw["platform"] = "instagram"
    raw["cost"] = (pd.to_numeric(raw["followers.1"]) / 10_000 * 100).round(2)
    raw["er"] = pd.to_numeric(raw["Eng. (Avg.).1"]) / pd.to_numeric(raw["followers.1"])
    mapping = {
        "creator_id": "name",
        "handle": "instagram name",
        "niche": "Category_1",
        "followers": "followers",
        "engagement_rate": "er",
    }
    with pytest.raises(
        PoolError, match=r"column 'creator_id': id .* appears on rows .*ids must be unique \(9 id\(s\) are repeated\)"
    ):
        pool_from_frame(raw, "instagram.csv", mapping)
    deduped = raw.drop_duplicates("name", keep="first")
    pool = pool_from_frame(deduped, "instagram.csv", mapping)
    # every "409.8M"-style count parses to the export's own integer column
    expected = pd.to_numeric(deduped.set_index("name")["followers.1"]).astype(float)
    assert (pool.frame["followers"] == expected.loc[pool.frame.index]).all()
    assert (pool.frame["niches"].map(len) == 0).sum() == (deduped["Category_1"].str.strip() == "").sum() > 0


@needs_exports
def test_real_youtube_export_latin1_is_read_and_said(tmp_path: Path) -> None:
    raw = pd.read_csv(
        INFLUENCERS / "global_youtube_statistics_2023.csv", encoding="latin-1", dtype=str, keep_default_na=False
    )
    raw = raw.drop_duplicates("Youtuber")
    raw["platform"] = "youtube"
    raw["cost"] = (pd.to_numeric(raw["subscribers"]) / 1000 * 6.5).round(2)  # GRIN's $4-9 per 1,000: midpoint
    raw["engagement_rate"] = "1%"
    out = tmp_path / "yt.csv"
    raw.to_csv(out, index=False, encoding="latin-1", errors="replace")
    pool = load_pool(
        out, {"creator_id": "Youtuber", "handle": "Title", "followers": "subscribers", "niche": "category"}
    )
    assert any("not UTF-8; it was read as Windows-1252" in n for n in pool.notes)
    assert len(pool.frame) == len(raw)


def test_yaml_written_by_a_planner_round_trips(tmp_path: Path) -> None:
    path = write_case(tmp_path, {"budget": 900, "objective": "emv", "assumptions": {"emv": {"method": "per_action"}}})
    problem = load_problem(path)
    assert problem.scenario.assumptions.emv.method == "per_action"
    assert optimize(problem).status == "optimal"
