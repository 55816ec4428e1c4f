"""Follower tiers, defined once: names, follower floors, and the tier of a follower count.

nano < 10k <= micro < 100k <= mid < 500k <= macro < 1M <= mega (../shared/DOMAIN.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Lowest follower count of each tier, in order; a count below 10k is nano.
TIER_FLOORS: dict[str, int] = {"nano": 0, "micro": 10_000, "mid": 100_000, "macro": 500_000, "mega": 1_000_000}
TIERS: tuple[str, ...] = tuple(TIER_FLOORS)
CELEBRITY_FLOOR = TIER_FLOORS["macro"]  # a "celebrity deal" is a macro or mega creator


def tier_of(followers: np.ndarray | pd.Series) -> np.ndarray:
    """Follower tier names.

    Examples
    --------
    >>> tier_of(np.array([9_999, 10_000, 250_000, 1_000_000])).tolist()
    ['nano', 'micro', 'mid', 'mega']
    """
    floors = np.fromiter(TIER_FLOORS.values(), dtype=float)
    idx = np.searchsorted(floors, np.asarray(followers, dtype=float), side="right") - 1
    return np.asarray(TIERS, dtype=object)[np.clip(idx, 0, len(TIERS) - 1)]
