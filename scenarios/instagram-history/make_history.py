"""Rebuild this folder's post history, pool and calibration from the shared real post history (seeded).

    python scenarios/instagram-history/make_history.py

Needs ../shared/data/posts/instagram_posts_history.csv (see README.md here for its provenance). Writes
posts.csv (every post of 1,200 creators drawn with a fixed seed), creators.csv (320 candidates: 300 of those
creators and 20 whose posts are not bundled, so they get their group's prior) and calibration.csv
(`roster calibrate posts.csv --pool creators.csv --column post_id=shortcode --column niche=category`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.calibrate import calibrate, write_calibration
from optimizer.history import load_history
from optimizer.pool import load_pool

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / "shared" / "data" / "posts" / "instagram_posts_history.csv"
COLUMNS = ["creator_id", "posted_at", "followers", "likes", "comments", "sponsored", "shortcode", "category"]


def main() -> None:
    """Write posts.csv, creators.csv and calibration.csv next to this script."""
    raw = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)[COLUMNS]
    known = raw[raw["followers"] != ""]
    ids = np.array(sorted(known["creator_id"].unique()))
    rng = np.random.default_rng(2018)
    picked = rng.choice(ids, size=1200, replace=False)
    posts = raw[raw["creator_id"].isin(picked)].sort_values(["posted_at", "creator_id"], kind="stable")
    posts.to_csv(HERE / "posts.csv", index=False)
    candidates = sorted(rng.choice(np.array(sorted(picked)), size=300, replace=False))
    newcomers = sorted(rng.choice(np.setdiff1d(ids, picked), size=20, replace=False))
    pool_ids = [*candidates, *newcomers]
    # what a platform export would show: latest followers, mean (likes + comments) / followers over the posts
    full = known[known["creator_id"].isin(pool_ids)].copy()
    full["engagements"] = pd.to_numeric(full["likes"]) + pd.to_numeric(full["comments"]).fillna(0)
    full["followers"] = pd.to_numeric(full["followers"])
    by = full.groupby("creator_id").agg(followers=("followers", "last"), engagements=("engagements", "sum"),
                                        posts=("engagements", "size"), niche=("category", "last"))  # fmt: skip
    by["engagement_rate"] = (by["engagements"] / by["posts"] / by["followers"]).clip(upper=1).round(4)
    pool = pd.DataFrame({
        "creator_id": pool_ids, "handle": [f"@{i}" for i in pool_ids], "platform": "instagram",
        "followers": by["followers"].reindex(pool_ids).astype(int).to_numpy(),
        "engagement_rate": by["engagement_rate"].reindex(pool_ids).to_numpy(),
        "niche": by["niche"].reindex(pool_ids).replace("", "other").to_numpy(),
    })  # fmt: skip
    # no public price list exists: $100 per 10k followers (inbeat's rule of thumb, DOMAIN.md), at least $10
    pool["cost"] = np.maximum(10, (pool["followers"] / 100).round(-1)).astype(int)
    pool.to_csv(HERE / "creators.csv", index=False)
    history = load_history(HERE / "posts.csv", {"post_id": "shortcode", "niche": "category"})
    result = calibrate(history, load_pool(HERE / "creators.csv"))
    write_calibration(result, HERE / "calibration.csv")
    print(f"{len(posts)} posts by {posts['creator_id'].nunique()} creators; pool of {len(pool)}")
    for note in result.notes:
        print("  " + note)


if __name__ == "__main__":
    main()
