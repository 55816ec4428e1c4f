"""Forecast per creator and post: reach, engagements, conversions and earned media value (EMV).

The formulas (docs/forecast.md says the same in words), per post, for a creator with F followers:

    real        = authenticity (share of real followers; 1.0 if the pool has no such column)
    reach       = F x real x reach_rate x delivery_rate                      [people]
    engagements = F x real x engagement_rate x delivery_rate                 [likes + comments + ...]
    conversions = engagements x conversion_rate (pool column, else by tier)  [purchases]
    emv (cpm)        = reach x cpm / 1000                                    [currency]
    emv (per_action) = reach x impression_value + engagements x engagement_value

A pool column ``expected_<metric>`` replaces the forecast of that metric for the rows where it is given.
Post k of a creator (k = 1, 2, ...) is worth post_decay^(k-1) of the first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.pool import Pool
from optimizer.scenario import OBJECTIVES, Assumptions
from optimizer.tiers import tier_of

UNITS: dict[str, str] = {
    "conversions": "expected purchases",
    "emv": "earned media value, currency",
    "engagements": "expected engagements (likes, comments, shares, saves)",
    "reach": "expected people reached",
}


def forecast(pool: Pool, assumptions: Assumptions) -> tuple[pd.DataFrame, list[str]]:
    """Expected value of one (the first) post by each creator.

    Parameters
    ----------
    pool : Pool
        The validated pool.
    assumptions : Assumptions
        Forecast parameters from the scenario (or their defaults).

    Returns
    -------
    frame : pandas.DataFrame
        Indexed like ``pool.frame``; columns ``tier``, ``conversions``, ``emv``, ``engagements``,
        ``reach`` (per first post) and ``conversion_rate`` (the rate used).
    notes : list of str
        Which defaults were applied, so the output can say so.
    """
    df = pool.frame
    notes: list[str] = []
    followers = df["followers"].to_numpy(dtype=float)
    if "authenticity" in pool.present:
        real = df["authenticity"].to_numpy(dtype=float)
        blank = np.isnan(real)
        if blank.any():
            notes.append(
                f"{int(blank.sum())} creator(s) have no authenticity value; they count as fully authentic (1.0)."
            )
        real = np.where(blank, 1.0, real)
    else:
        real = np.ones(len(df))
        notes.append("The pool has no authenticity column: every creator counts as fully authentic (1.0).")
    tier = tier_of(followers)
    if isinstance(assumptions.conversion_rate, dict):
        default_rate = pd.Series(tier).map(assumptions.conversion_rate).to_numpy(dtype=float)
    else:
        default_rate = np.full(len(df), float(assumptions.conversion_rate))
    if "conversion_rate" in pool.present:
        given = df["conversion_rate"].to_numpy(dtype=float)
        rate = np.where(np.isnan(given), default_rate, given)
    else:
        rate = default_rate
    live = assumptions.delivery_rate
    audience = followers * real * live
    out = pd.DataFrame(index=df.index)
    out["tier"] = tier
    out["reach"] = audience * assumptions.reach_rate
    out["engagements"] = audience * df["engagement_rate"].to_numpy(dtype=float)
    out["conversions"] = out["engagements"].to_numpy() * rate
    emv = assumptions.emv
    if emv.method == "cpm":
        out["emv"] = out["reach"].to_numpy() * emv.cpm / 1000.0
    else:
        out["emv"] = (
            out["reach"].to_numpy() * emv.impression_value + out["engagements"].to_numpy() * emv.engagement_value
        )
    out["conversion_rate"] = rate
    for metric in OBJECTIVES:
        column = f"expected_{metric}"
        if column in pool.present:
            given = df[column].to_numpy(dtype=float)
            used = ~np.isnan(given)
            out[metric] = np.where(used, given, out[metric].to_numpy())
            if not used.all():
                notes.append(
                    f"{column}: given for {int(used.sum())} creator(s); the forecast is used for the other {int((~used).sum())}."
                )
    return out, notes


def post_weights(max_posts: int, decay: float) -> np.ndarray:
    """Value of posts 1..max_posts relative to the first: 1, d, d^2, ...

    Examples
    --------
    >>> post_weights(3, 0.5).tolist()
    [1.0, 0.5, 0.25]
    """
    return decay ** np.arange(max_posts, dtype=float)


def total_weight(posts: int, decay: float) -> float:
    """Value of ``posts`` posts relative to one: 1 + d + ... + d^(posts-1)."""
    return float(post_weights(posts, decay).sum()) if posts > 0 else 0.0
