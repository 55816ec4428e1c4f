"""Calibrated forecasts: recovery of known parameters, calibration on unseen real posts, the scenario key,
and bad history files (exit 2, exact message, nothing written)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from optimizer.calibrate import calibrate, load_calibration
from optimizer.cli import main
from optimizer.forecast import tier_of
from optimizer.history import History, history_from_frame, load_history
from optimizer.pool import pool_from_frame
from optimizer.problem import load_problem
from tests.conftest import SHARED_DATA, base_pool, write_case

POSTS = SHARED_DATA / "posts" / "instagram_posts_history.csv"
NOW = pd.Timestamp("2024-01-01", tz="UTC")

# --- synthetic history with known parameters ----------------------------------------------------------------

TRUE = {"tau": 0.6, "sigma": 0.5, "sponsored": -0.3, "niche_b": 0.4, "intercept": -3.5, "age": -0.2}


def _synthetic(seed: int, creators: int = 800) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """History drawn from the model itself: log ER = intercept + niche + sponsored + age + u_i + e_ij,
    followers all in the micro tier so that tier effects are not in play; returns (posts, pool, u)."""
    rng = np.random.default_rng(seed)
    ids = [f"s-{k:04d}" for k in range(creators)]
    followers = rng.integers(20_000, 80_000, creators)
    niche = np.where(rng.random(creators) < 0.5, "a", "b")
    u = rng.normal(0, TRUE["tau"], creators)
    n_posts = rng.integers(1, 7, creators)
    rows = []
    for i, cid in enumerate(ids):
        for _ in range(n_posts[i]):
            age = rng.uniform(0, 2)
            sponsored = int(rng.random() < 0.3)
            y = TRUE["intercept"] + TRUE["niche_b"] * (niche[i] == "b") + TRUE["sponsored"] * sponsored
            y += TRUE["age"] * age + u[i] + rng.normal(0, TRUE["sigma"])
            when = pd.Timestamp("2023-06-01", tz="UTC") - pd.Timedelta(days=365.25 * age)
            rows.append((cid, when.isoformat(), followers[i], round(followers[i] * np.exp(y)), sponsored))
    posts = pd.DataFrame(rows, columns=["creator_id", "posted_at", "followers", "likes", "sponsored"])
    # the newest post defines age 0; make it exactly the reference so the intercept is the age-0 level
    posts.loc[len(posts)] = (ids[0], "2023-06-01T00:00:00+00:00", followers[0], round(followers[0] * np.exp(-3.5)), 0)
    pool = pd.DataFrame({"creator_id": ids, "handle": ids, "platform": "instagram", "followers": followers,
                         "engagement_rate": 0.03, "niche": niche, "cost": 100})  # fmt: skip
    return posts, pool, pd.Series(u, index=ids)


def test_fit_recovers_known_parameters() -> None:
    """800 creators, 1-6 posts each: the variance components, the sponsored, niche and age effects come back
    within about 3 standard errors (tolerances below), and creators with more posts are shrunk less."""
    posts, pool_raw, u = _synthetic(seed=7)
    history = history_from_frame(posts, "synthetic", now=NOW)
    cal = calibrate(history, pool_from_frame(pool_raw, "pool"))
    fit = cal.fit
    spon, spon_se = fit.effect("sponsored")
    assert fit.sigma_creator == pytest.approx(TRUE["tau"], abs=0.05)
    assert fit.sigma_post == pytest.approx(TRUE["sigma"], abs=0.03)
    assert spon == pytest.approx(TRUE["sponsored"], abs=0.06)
    assert spon_se < 0.03
    # the baseline niche is the more common one, which the draw decides: compare b relative to a either way
    niche_b = fit.effect("niche=b")[0] if "niche=b" in fit.columns else -fit.effect("niche=a")[0]
    assert niche_b == pytest.approx(TRUE["niche_b"], abs=0.1)
    assert fit.effect("age_years")[0] == pytest.approx(TRUE["age"], abs=0.06)
    frame = cal.frame
    # creator effects: the BLUPs track the true effects, more closely with more posts
    assert np.corrcoef(frame["creator_effect"], u.reindex(frame.index))[0, 1] > 0.8
    by_posts = frame.groupby("posts_seen")["shrinkage"].mean()
    assert by_posts.is_monotonic_decreasing and by_posts.index.min() == 1
    # the sponsored/organic medians differ by exp(sponsored effect) for every creator
    ratio = frame["engagements_p50"] / frame["organic_engagements_p50"]
    assert np.allclose(ratio, np.exp(spon))


def test_predictive_intervals_cover_fresh_synthetic_posts() -> None:
    """New posts drawn from the true model fall inside the fitted P10-P90 about 80% of the time."""
    posts, pool_raw, u = _synthetic(seed=11)
    cal = calibrate(history_from_frame(posts, "synthetic", now=NOW), pool_from_frame(pool_raw, "pool")).frame
    rng = np.random.default_rng(99)
    niche_b = (pool_raw.set_index("creator_id")["niche"] == "b").reindex(cal.index).to_numpy()
    hits = []
    for sponsored, prefix in ((1, ""), (0, "organic_")):
        y = TRUE["intercept"] + TRUE["niche_b"] * niche_b + TRUE["sponsored"] * sponsored + u.reindex(cal.index)
        new = cal["followers"] * np.exp(y + rng.normal(0, TRUE["sigma"], len(cal)))
        hits.append(((new >= cal[f"{prefix}engagements_p10"]) & (new <= cal[f"{prefix}engagements_p90"])).to_numpy())
    share = np.concatenate(hits).mean()
    assert 0.77 <= share <= 0.83, share


def test_creators_without_history_get_their_group_prior() -> None:
    posts, pool_raw, _ = _synthetic(seed=3, creators=300)
    extra = pd.DataFrame([("new-1", "@n", "instagram", 50_000, 0.03, "b", 100)], columns=pool_raw.columns)
    pool = pool_from_frame(pd.concat([pool_raw, extra]), "pool")
    cal = calibrate(history_from_frame(posts, "synthetic", now=NOW), pool).frame
    row = cal.loc["new-1"]
    assert row["posts_seen"] == 0 and row["source"] == "group prior" and row["shrinkage"] == 1.0
    assert row["creator_effect"] == 0.0
    assert row["log_rate_mean"] == pytest.approx(row["group_log_rate"])
    # wider than anyone with history: the whole creator spread is unknown
    assert row["log_rate_sd_creator"] > cal.loc[cal["posts_seen"] > 0, "log_rate_sd_creator"].max()


def test_conversion_rates_are_fitted_beta_binomial() -> None:
    """Conversions per engagement drawn from Beta(mean 1%, strength 200): the fitted prior mean is within 10%
    of 1%, and a creator's posterior mean lies between their own rate and the prior mean."""
    posts, pool_raw, _ = _synthetic(seed=5)
    rng = np.random.default_rng(5)
    rates = pd.Series(rng.beta(2.0, 198.0, len(pool_raw)), index=pool_raw["creator_id"])
    posts["conversions"] = rng.binomial(posts["likes"].astype(int), rates.reindex(posts["creator_id"]).to_numpy())
    cal = calibrate(history_from_frame(posts, "synthetic", now=NOW), pool_from_frame(pool_raw, "pool"))
    frame = cal.frame
    assert any("beta-binomial prior fitted on 800 creator(s)" in n for n in cal.notes)
    by = posts.groupby("creator_id").agg(c=("conversions", "sum"), e=("likes", "sum"))
    own = (by["c"] / by["e"]).reindex(frame.index)
    pooled = by["c"].sum() / by["e"].sum()
    post = frame["conversion_rate_mean"]
    assert post.mean() == pytest.approx(0.01, rel=0.1)
    lo, hi = np.minimum(own, pooled) - 1e-3, np.maximum(own, pooled) + 1e-3
    assert ((post >= lo) & (post <= hi)).mean() > 0.95
    assert np.corrcoef(post, rates.reindex(frame.index))[0, 1] > 0.6


# --- the real post history: fit on earlier posts, score later ones ------------------------------------------

# Tier benchmarks for creators with no fit-window post (DOMAIN.md, Instagram, middle of each range).
TIER_BENCHMARK = {"nano": 0.04, "micro": 0.0275, "mid": 0.02, "macro": 0.014, "mega": 0.0095}
SPLIT = pd.Timestamp("2018-07-01", tz="UTC")


@pytest.mark.skipif(not POSTS.exists(), reason=f"real Instagram post history not found at {POSTS}")
def test_calibration_holds_on_later_real_posts() -> None:
    """Fit on posts before 2018-07-01, score every later post by a creator seen before (about 3,900 posts).

    The uncalibrated forecast is followers x the engagement rate a platform export would show: the creator's
    mean (likes + comments) / followers over their fit-window posts, or the DOMAIN.md tier benchmark
    (Instagram, middle of the range) for a creator with none (here every scored creator has one, by
    construction). Followers are the history's snapshot (the file has no per-post counts)."""
    history = load_history(POSTS, {"post_id": "shortcode", "niche": "category"}, now=NOW)
    posts = history.frame
    fit_posts = posts[posts["posted_at"] < SPLIT]
    later = posts[posts["posted_at"] >= SPLIT]
    followers = posts.dropna(subset=["followers"]).groupby("creator_id")["followers"].last()
    ids = sorted(set(fit_posts["creator_id"]) & set(followers.index))
    rate = (fit_posts["engagements"] / fit_posts["creator_id"].map(followers)).groupby(fit_posts["creator_id"]).mean()
    niche = posts.groupby("creator_id")["niche"].last()
    pool = pool_from_frame(pd.DataFrame({
        "creator_id": ids, "handle": ids, "platform": "instagram", "followers": followers[ids].to_numpy(),
        "engagement_rate": rate.reindex(ids).clip(upper=1).to_numpy(), "niche": niche.reindex(ids).to_numpy(),
        "cost": 100}), "pool")  # fmt: skip
    cal = calibrate(History(fit_posts.reset_index(drop=True), "fit window", history.present), pool).frame

    scored = later[later["creator_id"].isin(ids)]
    cid = scored["creator_id"].to_numpy()
    sponsored = scored["sponsored"].to_numpy() == 1
    row = cal.reindex(cid)
    pick = lambda name: np.where(sponsored, row[name].to_numpy(), row[f"organic_{name}"].to_numpy())  # noqa: E731
    actual = scored["engagements"].to_numpy()
    inside = (actual >= pick("engagements_p10")) & (actual <= pick("engagements_p90"))
    tiers = tier_of(followers[cid].to_numpy())
    stated = rate.reindex(cid).to_numpy()
    stated = np.where(np.isnan(stated), pd.Series(tiers).map(TIER_BENCHMARK).to_numpy(), stated)
    uncalibrated = followers[cid].to_numpy() * stated
    mae_cal = float(np.median(np.abs(actual - pick("engagements_p50"))))
    mae_uncal = float(np.median(np.abs(actual - uncalibrated)))

    report = [f"scored {len(actual)} later posts by {len(set(cid))} creators ({int(sponsored.sum())} sponsored): "
              f"{inside.mean():.1%} inside P10-P90; median absolute error {mae_cal:.0f} calibrated vs "
              f"{mae_uncal:.0f} uncalibrated"]  # fmt: skip
    assert len(actual) >= 3000 and len(set(cid)) >= 2000 and sponsored.sum() >= 200, report
    assert 0.75 <= inside.mean() <= 0.85, report
    # centred, not just wide enough: each tail holds about 10% (a biased median would tilt them)
    below, above = (actual < pick("engagements_p10")).mean(), (actual > pick("engagements_p90")).mean()
    report.append(f"below P10 {below:.1%}, above P90 {above:.1%}")
    assert 0.06 <= below <= 0.14 and 0.06 <= above <= 0.14, report
    checked = 0
    for tier in ("nano", "micro", "mid", "macro", "mega"):
        mask = tiers == tier
        report.append(f"{tier}: {int(mask.sum())} posts, {inside[mask].mean() if mask.any() else float('nan'):.1%}")
        if mask.sum() >= 200:
            checked += 1
            assert 0.75 <= inside[mask].mean() <= 0.85, report
    assert checked >= 3, report
    assert mae_cal < mae_uncal, report
    print("\n".join(report))


# --- the command, the scenario key and bad input -----------------------------------------------------------

HISTORY_OK = (
    "creator_id,posted_at,likes,comments,followers,sponsored\n"
    + "".join(
        f"c-0{1 + k % 8},2023-0{1 + k // 8}-1{k % 8}T10:00:00Z,{200 + 37 * k},{k % 5},{20_000 + 500 * (k % 8)},{k % 3 == 0:d}\n"
        for k in range(40)
    )
    + "x-99,2023-05-01,150,4,30000,0\n"
)


def _calibrate(tmp_path: Path, runner, history: str, *extra: str):
    folder = tmp_path / "in"
    write_case(folder)
    (folder / "posts.csv").write_text(history, encoding="utf-8")
    out = tmp_path / "out" / "calibration.csv"
    args = ["calibrate", str(folder / "posts.csv"), "--pool", str(folder / "creators.csv"), "--out", str(out), *extra]
    return runner.invoke(main, args), out, folder


def test_calibrate_command_writes_one_row_per_pool_creator(tmp_path: Path, runner) -> None:
    result, out, _ = _calibrate(tmp_path, runner, HISTORY_OK)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame["creator_id"]) == sorted(base_pool()["creator_id"])  # keyed and sorted by id, x-99 absent
    for column in ("posts_seen", "engagements_p10", "engagements_p50", "engagements_p90", "organic_engagements_p10",
                   "organic_engagements_p50", "organic_engagements_p90", "log_rate_mean", "sponsored_effect"):  # fmt: skip
        assert column in frame.columns
    assert (frame["engagements_p10"] < frame["engagements_p50"]).all()
    assert (frame["engagements_p50"] < frame["engagements_p90"]).all()
    assert frame.set_index("creator_id")["posts_seen"].to_dict() == {f"c-0{k}": 5 for k in range(1, 9)}
    assert "1 creator(s) in the history are not in the pool (1 posts)" in result.stdout
    assert f"Wrote {out}" in result.stdout


def test_scenario_uses_the_calibration(tmp_path: Path, runner) -> None:
    result, out, folder = _calibrate(tmp_path, runner, HISTORY_OK)
    assert result.exit_code == 0
    pool = base_pool()
    pool.loc[len(pool)] = ("c-09", "@new", "instagram", "40K", "3%", "zero-waste", "100", "0.9")
    plain = write_case(folder / "plain", {"assumptions": {"delivery_rate": 0.8}}, pool)
    cal = pd.read_csv(out).set_index("creator_id").drop(index="c-08")  # c-08 and c-09 keep the stated rate
    cal.to_csv(folder / "plain" / "cal.csv")
    with_cal = write_case(folder / "plain", {"assumptions": {"delivery_rate": 0.8}, "calibration": "cal.csv"}, pool,
                          name="calibrated.yaml")  # fmt: skip
    before, after = load_problem(plain), load_problem(with_cal)
    m0, m1 = before.metrics, after.metrics
    used = cal.index
    expected = cal["engagements_mean"] * 0.8  # the predictive mean of one sponsored post, x delivery_rate
    assert m1.loc[used, "engagements"].to_numpy() == pytest.approx(expected.reindex(used).to_numpy(), rel=1e-5)
    assert m1.loc[used, "conversions"].to_numpy() == pytest.approx(
        (m1.loc[used, "engagements"] * m1.loc[used, "conversion_rate"]).to_numpy()
    )
    for cid in ("c-08", "c-09"):
        assert m1.loc[cid].drop("tier").tolist() == pytest.approx(m0.loc[cid].drop("tier").tolist())
    assert m1["reach"].tolist() == pytest.approx(m0["reach"].tolist())  # reach is not calibrated
    note = next(n for n in after.notes if n.startswith("Engagements from the calibration"))
    assert "for 7 creator(s) (7 with post history of their own, 0 from their group's prior)" in note
    assert "stated engagement rate for 2 (c-08, c-09)" in note
    run = runner.invoke(main, ["optimize", str(with_cal), "--out", str(tmp_path / "res")])
    assert run.exit_code == 0, run.output


def test_load_calibration_keys_by_id_whatever_the_row_order(tmp_path: Path, runner) -> None:
    result, out, _ = _calibrate(tmp_path, runner, HISTORY_OK)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    shuffled = tmp_path / "shuffled.csv"
    frame.iloc[::-1].to_csv(shuffled, index=False)
    ids = pd.Index(sorted(frame["creator_id"]))
    a, _ = load_calibration(out, ids)
    b, _ = load_calibration(shuffled, ids)
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index())


HEADER = "creator_id,posted_at,likes,comments,followers,sponsored\n"
GOOD = "c-01,2023-01-05T10:00:00Z,120,4,20000,0\n"
BAD_HISTORIES = [
    ("negative-likes", HEADER + GOOD + "c-02,2023-01-06,-5,1,20000,0\n",
     "posts.csv, row 3 (creator c-02), column 'likes': value '-5' is not a count; expected a whole number >= 0"),
    ("future-date", HEADER + GOOD + "c-02,2031-01-06,50,1,20000,0\n",
     "posts.csv, row 3 (creator c-02), column 'posted_at': value '2031-01-06' is in the future"),
    ("unreadable-date", HEADER + GOOD + "c-02,05/01/2023,50,1,20000,0\n",
     "posts.csv, row 3 (creator c-02), column 'posted_at': value '05/01/2023' is not a date; expected ISO 8601"),
    ("duplicate-post", HEADER + GOOD + "c-01,2023-01-05T10:00:00Z,130,4,20000,0\n",
     "posts.csv: rows 2, 3 are the same creator and posted_at (creator c-01, posted_at 2023-01-05T10:00:00Z) "
     "with different likes, engagements; list each post once"),
    ("duplicate-post-id", "post_id," + HEADER.replace("\n", "") + "\np1," + GOOD + "p1,c-02,2023-01-07,9,0,2000,0\n",
     "posts.csv: rows 2, 3 are the same post_id (creator c-01, posted_at 2023-01-05T10:00:00Z) with different "
     "creator_id, posted_at, likes, comments, engagements, followers; list each post once"),
    ("empty-file", "", "posts.csv: the file is empty (no header row)"),
    ("header-only", HEADER, "posts.csv: the history has no posts (header only)"),
    ("missing-likes", "creator_id,posted_at,comments\nc-01,2023-01-05,3\n",
     "posts.csv: missing required column(s) likes (or engagements); the file has: creator_id, posted_at, comments"),
    ("blank-likes", HEADER + GOOD + "c-02,2023-01-06,,1,20000,0\n",
     "posts.csv, row 3 (creator c-02), column 'likes': value '' is blank; every post needs its likes"),
    ("sponsored-text", HEADER + GOOD + "c-02,2023-01-06,50,1,20000,maybe\n",
     "posts.csv, row 3 (creator c-02), column 'sponsored': value 'maybe' is not a yes/no flag"),
    ("zero-followers", HEADER + GOOD + "c-02,2023-01-06,50,1,0,0\n",
     "posts.csv, row 3 (creator c-02), column 'followers': value '0' is not a follower count"),
    ("too-few-posts", HEADER + GOOD, "posts.csv: only 1 usable post(s) by 1 creator(s); calibration needs at least 20"),
]  # fmt: skip


@pytest.mark.parametrize(("history", "message"), [c[1:] for c in BAD_HISTORIES], ids=[c[0] for c in BAD_HISTORIES])
def test_bad_history_is_a_clear_error(tmp_path: Path, runner, history: str, message: str) -> None:
    result, out, _ = _calibrate(tmp_path, runner, history)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert "\n\n" not in result.stderr.strip(), "one paragraph"
    assert not out.exists() and not out.parent.exists(), "nothing may be written on bad input"


def test_exact_repeats_are_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(HEADER + GOOD + GOOD + "c-02,2023-01-06,50,,20000,1\n", encoding="utf-8")
    history = load_history(path, now=NOW)
    assert len(history.frame) == 2
    assert any("1 row(s) repeat an earlier row exactly" in n for n in history.notes)
    # a blank comments cell is filled from the typical comments per like (4 / 120), not taken as zero
    assert history.frame.loc[1, "engagements"] == 50 + round(50 * 4 / 120)
    assert any("1 post(s) have no comments value" in n for n in history.notes)


def test_bad_column_option_and_calibration_files(tmp_path: Path, runner) -> None:
    result, out, folder = _calibrate(tmp_path, runner, HISTORY_OK, "--column", "likes")
    assert result.exit_code == 2 and "expected FIELD=NAME" in result.output and not out.exists()
    result, out, folder = _calibrate(tmp_path, runner, HISTORY_OK, "--column", "favs=likes")
    assert result.exit_code == 2 and "'favs' is not a history field" in result.stderr and not out.exists()
    missing = write_case(folder / "s", {"calibration": "nope.csv"})
    run = runner.invoke(main, ["validate", str(missing)])
    assert run.exit_code == 2 and "calibration file" in run.stderr and "nope.csv not found" in run.stderr
    (folder / "s" / "bad.csv").write_text("creator_id,followers\nc-01,100\n", encoding="utf-8")
    bad = write_case(folder / "s", {"calibration": "bad.csv"}, name="bad.yaml")
    run = runner.invoke(main, ["validate", str(bad)])
    assert run.exit_code == 2 and "bad.csv: missing column(s) log_rate_mean" in run.stderr
    assert yaml.safe_load(bad.read_text())["calibration"] == "bad.csv"


def test_a_repriced_campaign_keeps_its_calibrated_forecast() -> None:
    """`roster explain`'s pick-price search re-prices one creator: every forecast must stay the calibrated one."""
    from optimizer.explain import _priced
    from optimizer.problem import load_problem
    from tests.conftest import SCENARIOS

    problem = load_problem(SCENARIOS / "instagram-history" / "scenario.yaml")
    assert problem.calibration is not None
    cid = str(problem.eligible[problem.eligible].index[0])
    repriced = _priced(problem, cid, 1.0)
    assert repriced.calibration is problem.calibration
    pd.testing.assert_frame_equal(repriced.metrics, problem.metrics)
    assert float(repriced.pool.frame.at[cid, "cost"]) == 1.0
