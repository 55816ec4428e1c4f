"""Regenerate the bundled example pools (seeded: the same files every time).

    python scenarios/make_pools.py

Distributions come from optimizer.generate (see ../shared/DOMAIN.md); each campaign gets its own niches,
platform mix and size. Eco-fashion's pool also carries audience demographics and a usage-rights fee
(`audience_columns`), drawn from their own seeded stream after the standard columns, so those columns and
the other pools are the same as before they were added.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.generate import PoolSpec, audience_columns, generate_pool

HERE = Path(__file__).resolve().parent

POOLS = {
    "eco-fashion": PoolSpec(
        creators=1500,
        seed=2026,
        niches=("sustainable-fashion", "zero-waste", "thrift", "slow-living", "ethical-beauty", "lifestyle"),
        platforms=("instagram", "tiktok", "youtube"),
        platform_weights=(0.6, 0.3, 0.1),
    ),
    "crossfit": PoolSpec(
        creators=800,
        seed=77,
        niches=("crossfit", "strength", "running", "nutrition", "yoga", "wellness"),
        platforms=("instagram", "youtube", "tiktok"),
        platform_weights=(0.5, 0.2, 0.3),
    ),
    "skincare": PoolSpec(
        creators=2500,
        seed=404,
        niches=("skincare", "beauty", "makeup", "wellness", "dermatology", "haircare"),
        platforms=("instagram", "tiktok"),
        platform_weights=(0.5, 0.5),
        tier_weights=(0.35, 0.5, 0.1, 0.04, 0.01),
    ),
}

# Pools with audience shares and a usage fee (scenario keys `audience` and `limits`): folder -> seed of that stream.
AUDIENCE_SEEDS = {"eco-fashion": 13}


def main() -> None:
    for folder, spec in POOLS.items():
        pool, pairs = generate_pool(spec)
        if folder in AUDIENCE_SEEDS:
            pool = audience_columns(pool, AUDIENCE_SEEDS[folder])
        out = HERE / folder
        out.mkdir(exist_ok=True)
        pool.to_csv(out / "creators.csv", index=False)
        pairs.to_csv(out / "overlap.csv", index=False)
        print(f"{folder}: {len(pool)} creators, {len(pairs)} overlap pairs")


if __name__ == "__main__":
    main()
