"""Synthetic creator pools and overlap files, seeded, with distributions from ../shared/DOMAIN.md.

Used for the bundled scenarios, the tests and the benchmarks; vectorised so a million creators take seconds.
Figures (per DOMAIN.md): follower tiers; engagement by tier and platform (untapper benchmarks; YouTube uses
the Instagram ranges, as no benchmark is given); cost of a post as $4-9 per 1,000 followers (GRIN), scaled
by platform as the published per-platform price ranges are; authenticity mostly 0.75-0.97 with a fraud tail;
overlaps mostly within a niche.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.defaults import DEFAULT_NICHES
from optimizer.tiers import TIER_FLOORS, TIERS

# follower ranges to sample each tier from: the tier table's floors, with 1k as the smallest account
# worth listing and 20M as the largest (the public top-1000 export tops out near there)
_CEILINGS = (*list(TIER_FLOORS.values())[1:], 20_000_000)
TIER_RANGES = {tier: (max(floor, 1_000), ceiling) for (tier, floor), ceiling in zip(TIER_FLOORS.items(), _CEILINGS)}
# engagement rate ranges (low, high) by platform and tier
ER_RANGES = {
    "instagram": {
        "nano": (0.03, 0.05),
        "micro": (0.02, 0.035),
        "mid": (0.015, 0.025),
        "macro": (0.01, 0.018),
        "mega": (0.007, 0.012),
    },
    "tiktok": {
        "nano": (0.06, 0.10),
        "micro": (0.04, 0.07),
        "mid": (0.03, 0.05),
        "macro": (0.02, 0.035),
        "mega": (0.01, 0.02),
    },
}
ER_RANGES["youtube"] = ER_RANGES["instagram"]
# price relative to Instagram: TikTok nano $5-25 vs Instagram $10-100; YouTube nano $20-200
PLATFORM_PRICE = {"instagram": 1.0, "tiktok": 0.35, "youtube": 2.0}
WORDS = (
    "eco",
    "green",
    "daily",
    "lab",
    "studio",
    "life",
    "loop",
    "mind",
    "wild",
    "slow",
    "bold",
    "kind",
    "fresh",
    "urban",
    "pure",
    "glow",
    "fit",
    "root",
    "leaf",
    "craft",
    "nomad",
    "home",
    "zen",
    "spark",
)


@dataclass(frozen=True)
class PoolSpec:
    """What a synthetic pool looks like."""

    creators: int = 1000
    seed: int = 0
    niches: tuple[str, ...] = DEFAULT_NICHES
    platforms: tuple[str, ...] = ("instagram", "tiktok", "youtube")
    platform_weights: tuple[float, ...] = (0.55, 0.35, 0.10)
    tier_weights: tuple[float, ...] = (0.30, 0.50, 0.13, 0.05, 0.02)
    second_niche_share: float = 0.25
    pairs_per_creator: float = 2.0  # rows in the overlap file per creator: each creator is in ~2x this many pairs
    within_niche_share: float = 0.85
    countries: tuple[str, ...] = ("us", "uk", "de", "fr", "ca", "au")


def generate_pool(spec: PoolSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A creator pool and its overlap pairs.

    Parameters
    ----------
    spec : PoolSpec

    Returns
    -------
    pool : pandas.DataFrame
        Standard pool columns plus authenticity, sentiment, max_posts, country.
    overlap : pandas.DataFrame
        creator_a, creator_b, overlap (share of the smaller audience), one row per pair.

    Examples
    --------
    >>> pool, pairs = generate_pool(PoolSpec(creators=50, seed=1))
    >>> len(pool), pool["creator_id"].is_unique, bool((pairs["overlap"] <= 1).all())
    (50, True, True)
    """
    rng = np.random.default_rng(spec.seed)
    n = spec.creators
    width = max(4, len(str(n - 1)))
    ids = np.array([f"c-{i:0{width}d}" for i in range(n)], dtype=object)
    platform = rng.choice(np.array(spec.platforms, dtype=object), size=n, p=_norm(spec.platform_weights))
    tier = rng.choice(np.array(TIERS, dtype=object), size=n, p=_norm(spec.tier_weights))
    lo = np.array([TIER_RANGES[t][0] for t in tier], dtype=float)
    hi = np.array([TIER_RANGES[t][1] for t in tier], dtype=float)
    followers = np.floor(np.exp(rng.uniform(np.log(lo), np.log(hi)))).astype(np.int64)
    er_lo = np.array([ER_RANGES.get(p, ER_RANGES["instagram"])[t][0] for p, t in zip(platform, tier)])
    er_hi = np.array([ER_RANGES.get(p, ER_RANGES["instagram"])[t][1] for p, t in zip(platform, tier)])
    # 15% of creators sit outside their benchmark range, as real pools do
    stretch = np.where(rng.random(n) < 0.15, rng.uniform(0.5, 1.6, n), 1.0)
    er = np.clip(rng.uniform(er_lo, er_hi) * stretch, 0.001, 0.5).round(4)
    price = np.array([PLATFORM_PRICE.get(p, 1.0) for p in platform])
    # $4-9 per 1,000 followers, more for engaged audiences, rounded to $5, at least $10
    per_k = rng.uniform(4, 9, n) * (0.8 + 0.4 * (er - er_lo) / np.maximum(er_hi - er_lo, 1e-9))
    cost = np.maximum(10, np.round(followers / 1000 * per_k * price / 5) * 5)
    authenticity = np.clip(
        np.where(rng.random(n) < 0.1, rng.uniform(0.45, 0.78, n), rng.beta(18, 3, n)), 0.3, 0.99
    ).round(3)
    sentiment = np.clip(rng.normal(0.45, 0.25, n), -1, 1).round(2)
    max_posts = rng.choice(np.array([1, 2, 3]), size=n, p=[0.6, 0.3, 0.1])
    country = rng.choice(np.array(spec.countries, dtype=object), size=n)
    k = len(spec.niches)
    primary = rng.integers(0, k, n)
    second = np.where(
        rng.random(n) < spec.second_niche_share, (primary + rng.integers(1, k, n)) % k if k > 1 else primary, -1
    )
    names = np.array(spec.niches, dtype=object)
    niche = np.where(second >= 0, names[primary] + ";" + names[np.maximum(second, 0)], names[primary])
    w1 = rng.choice(np.array(WORDS, dtype=object), n)
    w2 = rng.choice(np.array(WORDS, dtype=object), n)
    handle = "@" + w1 + "." + w2 + "." + pd.Series(np.arange(n)).astype(str).to_numpy()
    pool = pd.DataFrame(
        {
            "creator_id": ids,
            "handle": handle,
            "platform": platform,
            "followers": followers,
            "engagement_rate": er,
            "niche": niche,
            "cost": cost.astype(np.int64),
            "authenticity": authenticity,
            "sentiment": sentiment,
            "max_posts": max_posts,
            "country": country,
        }
    )
    return pool, _pairs(rng, ids, primary, spec)


# Typical share of a creator's audience in the US by the creator's own country (synthetic, for demos: a
# creator's audience is mostly local, with the US the largest foreign audience of English-language accounts).
AUDIENCE_US_BY_COUNTRY = {"us": 0.62, "ca": 0.25, "uk": 0.12, "au": 0.10, "de": 0.05, "fr": 0.05}
# Dirichlet weights of the age buckets 13-17, 18-24, 25-34, 35+ (TikTok audiences skew younger).
AGE_WEIGHTS = {"tiktok": (1.6, 5.0, 3.2, 1.2), "other": (0.6, 3.2, 4.4, 2.4)}


def audience_columns(pool: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Audience demographics and a usage-rights fee per creator, as platform exports and planners carry them.

    Drawn from their own seeded stream, so adding them leaves every other column of a pool unchanged.

    Parameters
    ----------
    pool : pandas.DataFrame
        A pool from `generate_pool` (uses ``country``, ``platform`` and ``cost``).
    seed : int

    Returns
    -------
    pandas.DataFrame
        The pool with ``audience_us``, ``audience_female``, ``audience_13_17``, ``audience_18_24``,
        ``audience_25_34``, ``audience_35_plus`` (shares, 0-1: the share of the creator's audience in the
        segment) and ``usage_fee`` (a synthetic fee for the right to reuse the creator's content, per creator).

    Examples
    --------
    >>> pool, _ = generate_pool(PoolSpec(creators=20, seed=3))
    >>> extra = audience_columns(pool, seed=1)
    >>> bool(extra["audience_us"].between(0, 1).all()), bool((extra["usage_fee"] >= 0).all())
    (True, True)
    """
    rng = np.random.default_rng(seed)
    n = len(pool)
    home = pool["country"].map(AUDIENCE_US_BY_COUNTRY).fillna(0.1).to_numpy(dtype=float)
    out = pool.copy()
    out["audience_us"] = rng.beta(home * 20, (1 - home) * 20).round(3)
    out["audience_female"] = rng.beta(14, 6, n).round(3)
    tiktok = (pool["platform"] == "tiktok").to_numpy()
    ages = np.where(tiktok[:, None], rng.dirichlet(AGE_WEIGHTS["tiktok"], n), rng.dirichlet(AGE_WEIGHTS["other"], n))
    for i, name in enumerate(("13_17", "18_24", "25_34", "35_plus")):
        out[f"audience_{name}"] = ages[:, i].round(3)
    fee = pool["cost"].to_numpy(dtype=float) * rng.uniform(0.2, 0.6, n)
    out["usage_fee"] = (np.round(fee / 5) * 5).astype(np.int64)  # $5 steps, like the prices
    return out


def _pairs(rng: np.random.Generator, ids: np.ndarray, primary: np.ndarray, spec: PoolSpec) -> pd.DataFrame:
    n = len(ids)
    m = round(spec.pairs_per_creator * n)
    if n < 2 or m == 0:
        return pd.DataFrame({"creator_a": [], "creator_b": [], "overlap": []})
    a = rng.integers(0, n, m)
    # a partner in the same niche: position of a within its niche group, plus a random offset in the group
    order = np.argsort(primary, kind="stable")
    group_start = np.searchsorted(primary[order], primary)
    group_size = np.bincount(primary, minlength=primary.max() + 1)[primary]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    ga = a
    offset = rng.integers(1, np.maximum(group_size[ga], 2), m)
    same = order[group_start[ga] + (rank[ga] - group_start[ga] + offset) % np.maximum(group_size[ga], 1)]
    other = rng.integers(0, n, m)
    b = np.where(rng.random(m) < spec.within_niche_share, same, other)
    keep = a != b
    a, b = a[keep], b[keep]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = pd.DataFrame({"a": lo, "b": hi}).drop_duplicates().sort_values(["a", "b"])
    within = primary[pairs["a"].to_numpy()] == primary[pairs["b"].to_numpy()]
    # shared audiences: mostly 5-30%, heavier within a niche, a tail above 40%
    overlap = np.where(within, rng.beta(2.2, 6.0, len(pairs)), rng.beta(1.2, 12.0, len(pairs)))
    return pd.DataFrame(
        {
            "creator_a": ids[pairs["a"].to_numpy()],
            "creator_b": ids[pairs["b"].to_numpy()],
            "overlap": np.clip(overlap, 0.0, 0.95).round(3),
        }
    ).reset_index(drop=True)


def _norm(weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def write_pool(spec: PoolSpec, out: Path, fmt: str = "csv") -> tuple[int, int]:
    """Generate a pool and write creators.<fmt> and overlap.<fmt> into `out`; returns (creators, pairs)."""
    pool, pairs = generate_pool(spec)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pool.to_parquet(out / "creators.parquet", index=False)
        pairs.to_parquet(out / "overlap.parquet", index=False)
    else:
        pool.to_csv(out / "creators.csv", index=False)
        pairs.to_csv(out / "overlap.csv", index=False)
    return len(pool), len(pairs)
