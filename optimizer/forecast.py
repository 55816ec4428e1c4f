"""Forecast per creator and post: reach, engagements, clicks, conversions and earned media value (EMV).

The formulas (docs/forecast.md says the same in words, with the source of every default), per post, for a
creator with F followers:

    real        = authenticity (share of real followers; 1.0 if the pool has no such column)
    reach       = F x real x reach_rate x delivery_rate                      [people reached]
    engagements = F x real x engagement_rate x delivery_rate                 [likes + comments + ...]
    clicks      = reach x click_rate (by tier)                               [visits to the shop]
    conversions = clicks x purchase_rate (by tier)                           [purchases]
                  or, where a per-engagement rate is given (assumptions.conversion_rate, the pool's
                  conversion_rate column, a calibration fitted on conversions):
                  engagements x conversion_rate
    emv (cpm)        = reach x cpm / 1000                                    [currency]
    emv (per_action) = reach x impression_value + engagements x engagement_value

The funnel runs through people reached, not engagements: the published ~2.2% purchase rate is per click
(site visit), and clicks are about 1% of the people a post reaches (DOMAIN.md). Applying 2.2% to engagements,
as the first release did, overstated conversions about 15-fold for a micro creator with a 4% engagement rate.

With a calibration (``roster calibrate``, scenario key ``calibration``), a calibrated creator's engagements are
the mean of their predictive distribution for one sponsored post, times delivery_rate, instead of
F x real x engagement_rate x delivery_rate; where the calibration fitted a conversion rate (history with
conversions, per engagement) it replaces the funnel unless the pool gives one. See `optimizer.calibrate`.

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
# The units of the funnel's rates, stated in result.json and the report next to every rate.
RATE_UNITS: dict[str, str] = {
    "click_rate": "clicks (shop visits) per person reached",
    "purchase_rate": "purchases per click (shop visit)",
    "conversion_rate": "purchases per engagement",
}
FUNNEL = "conversions = people reached x click_rate x purchase_rate"
FUNNEL_PER_ENGAGEMENT = "conversions = engagements x conversion_rate (per engagement)"


def funnel_words(metrics: pd.DataFrame) -> str:
    """How the conversions of these creators were forecast, in words (result.json's ``units``).

    Examples
    --------
    >>> funnel_words(pd.DataFrame({"purchase_rate": [0.02, np.nan]}))
    'conversions = people reached x click_rate x purchase_rate; for 1 creator(s) with a per-engagement rate or given expected_conversions: engagements x conversion_rate'
    """
    other = int(metrics["purchase_rate"].isna().sum()) if len(metrics) else 0
    if other == 0:
        return FUNNEL
    if other == len(metrics):
        return FUNNEL_PER_ENGAGEMENT
    return (f"{FUNNEL}; for {other} creator(s) with a per-engagement rate or given expected_conversions: "
            "engagements x conversion_rate")  # fmt: skip


def _by_tier(rate: float | dict[str, float], tier: np.ndarray) -> np.ndarray:
    """One rate per creator from a single number or a per-tier table."""
    if isinstance(rate, dict):
        return pd.Series(tier).map(rate).to_numpy(dtype=float)
    return np.full(len(tier), float(rate))


def forecast(
    pool: Pool, assumptions: Assumptions, calibration: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Expected value of one (the first) post by each creator.

    Parameters
    ----------
    pool : Pool
        The validated pool.
    assumptions : Assumptions
        Forecast parameters from the scenario (or their defaults).
    calibration : pandas.DataFrame, optional
        Calibration rows indexed by creator_id (`optimizer.calibrate.load_calibration`); creators in it get
        their calibrated engagements (and conversion rate, where fitted).

    Returns
    -------
    frame : pandas.DataFrame
        Indexed like ``pool.frame``; columns ``tier``, ``conversions``, ``emv``, ``engagements``, ``reach``,
        ``clicks`` (per first post), the rates used (``click_rate``, ``purchase_rate``, blank for creators on a
        per-engagement rate, and ``conversion_rate``, the effective purchases per engagement) and ``funnel``
        (``reach`` or ``per_engagement``).
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
    # per-engagement rates where someone stated one (NaN: the creator goes through the reach funnel)
    if assumptions.conversion_rate is not None:
        rate = _by_tier(assumptions.conversion_rate, tier)
        notes.append(
            "assumptions.conversion_rate is read as purchases per engagement (its meaning since the first release): "
            f"{FUNNEL_PER_ENGAGEMENT}. Published rates near 2% are per click, not per engagement; to use the "
            f"funnel from reach ({FUNNEL}), remove conversion_rate (and set click_rate, purchase_rate if needed)."
        )
    else:
        rate = np.full(len(df), np.nan)
    if "conversion_rate" in pool.present:
        given = df["conversion_rate"].to_numpy(dtype=float)
        rate = np.where(np.isnan(given), rate, given)
        if (~np.isnan(given)).any():
            notes.append(
                f"The pool's conversion_rate column is read as purchases per engagement, for the "
                f"{int((~np.isnan(given)).sum())} creator(s) with a value."
            )
    calibrated = np.zeros(len(df), dtype=bool)
    if calibration is not None:
        calibrated, rate, more = _calibrated(df, pool, calibration, rate)
        notes += more
    live = assumptions.delivery_rate
    audience = followers * real * live
    out = pd.DataFrame(index=df.index)
    out["tier"] = tier
    out["reach"] = audience * assumptions.reach_rate
    out["engagements"] = audience * df["engagement_rate"].to_numpy(dtype=float)
    if calibrated.any():
        # the mean of the predictive lognormal for one sponsored post; observed engagement already reflects
        # fake followers, so authenticity is not applied again
        cal = calibration.reindex(df.index)
        sd2 = cal["log_rate_sd_creator"].to_numpy() ** 2 + cal["log_rate_sd_post"].to_numpy() ** 2
        mean = followers * np.exp(cal["log_rate_mean"].to_numpy() + sd2 / 2) * live
        out["engagements"] = np.where(calibrated, mean, out["engagements"].to_numpy())
    per_engagement = ~np.isnan(rate)
    click = _by_tier(assumptions.click_rate, tier)
    purchase = _by_tier(assumptions.purchase_rate, tier)
    out["clicks"] = out["reach"].to_numpy() * click
    engagements = out["engagements"].to_numpy()
    out["conversions"] = np.where(
        per_engagement, engagements * np.nan_to_num(rate), out["clicks"].to_numpy() * purchase
    )
    emv = assumptions.emv
    if emv.method == "cpm":
        out["emv"] = out["reach"].to_numpy() * emv.cpm / 1000.0
    else:
        out["emv"] = (
            out["reach"].to_numpy() * emv.impression_value + out["engagements"].to_numpy() * emv.engagement_value
        )
    out["click_rate"] = click
    out["purchase_rate"] = np.where(per_engagement, np.nan, purchase)
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
            if metric == "conversions":
                out["purchase_rate"] = np.where(used, np.nan, out["purchase_rate"].to_numpy())
    # purchase_rate is blank where the conversions did not come from the reach funnel; conversion_rate is always
    # the effective purchases per engagement of the final forecast (what the sampler draws around)
    engagements = out["engagements"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["conversion_rate"] = np.where(engagements > 0, out["conversions"].to_numpy() / engagements, 0.0)
    return out, notes


def _calibrated(
    df: pd.DataFrame, pool: Pool, calibration: pd.DataFrame, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Which creators the calibration covers, the conversion rates it changes, and notes saying so."""
    notes: list[str] = []
    cal = calibration.reindex(df.index)
    calibrated = cal["log_rate_mean"].notna().to_numpy()
    own = calibrated & (cal["posts_seen"].fillna(0).to_numpy() > 0) if "posts_seen" in cal else calibrated
    ids = df.index[~calibrated]
    listed = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
    notes.append(
        f"Engagements from the calibration for {int(calibrated.sum())} creator(s) ({int(own.sum())} with post history "
        f"of their own, {int((calibrated & ~own).sum())} from their group's prior); from followers x stated engagement "
        f"rate for {int((~calibrated).sum())}" + (f" ({listed})." if len(ids) else ".")
    )
    if "conversion_alpha" in cal:
        a = cal["conversion_alpha"].to_numpy()
        b = cal["conversion_beta"].to_numpy()
        fitted = calibrated & ~np.isnan(a) & ~np.isnan(b) & (a + b > 0)
        if "conversion_rate" in pool.present:
            fitted &= np.isnan(df["conversion_rate"].to_numpy(dtype=float))  # the pool's own rate wins
        if fitted.any():
            rate = np.where(fitted, a / np.where(fitted, a + b, 1.0), rate)
            notes.append(f"Conversion rate from the calibration (posterior mean) for {int(fitted.sum())} creator(s).")
    return calibrated, rate, notes


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
