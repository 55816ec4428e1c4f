"""The uncertainty model: per-creator spreads around the point forecast, and a seeded, vectorised sampler.

For each creator on a roster and each draw, independently across creators:

- **no-show**: the creator posts nothing with probability ``no_show`` (default 0.2, Later Influence's
  "80% of confirmed creators post"; ``uncertainty.no_show``). A no-show is not paid.
- **engagements** of post k, given the creator posts:
  ``E_k = exp(log_mean + sd_creator * Z + sd_post * Z_k) * post_decay^(k-1)``, with Z shared by the
  creator's posts in that draw (what we do not know about the creator) and Z_k drawn per post. log_mean is
  set so that E[E_1] = the point forecast's engagements / delivery_rate. With a calibration, sd_creator and
  sd_post are the calibrated ones (parameter uncertainty and post noise); otherwise the tier's
  ``engagement_sigma`` is split into the post noise measured on real history (`DEFAULT_SD_POST`) and the rest.
- **conversion rate**: one Beta draw per creator and draw, mean = the rate the point forecast uses
  (conversions / engagements), strength = the calibrated posterior (history with conversions) or
  ``conversion_concentration``; conversions = engagements x rate (expected purchases given the rate).
- **reach** given posting is the point forecast's (no history of reach is fitted), so EMV by CPM varies only
  through no-shows; EMV per action varies with engagements too.

**Point forecast vs draws.** The optimiser's point forecast multiplies by ``delivery_rate`` (default 1.0) and
knows nothing of ``no_show``. So the mean of the draws is ``(1 - no_show) / delivery_rate`` x the point forecast:
equal to it when ``delivery_rate = 1 - no_show`` (e.g. 0.8 and 0.2, or 1.0 and 0), and 0.8 x it with the
defaults. `Draws.notes` says so whenever they differ.

The draws are per creator (matrices draws x creators), before any overlap discount, so a later step can
apply the pairwise discount per draw, take quantiles of totals (conversions, EMV, CPA, ROI), or use the
draws as scenarios of a CVaR programme. Creator effects are drawn independently across creators: the shared
uncertainty of the fitted group means is small next to them and is not propagated jointly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.forecast import post_weights
from optimizer.problem import Problem

# Post-to-post spread of log engagements, the REML estimate on the shared Instagram history (docs/forecast.md);
# used to split a tier's default spread into a per-post part and a per-creator part when there is no calibration.
DEFAULT_SD_POST = 0.53
METRICS: tuple[str, ...] = ("conversions", "emv", "engagements", "reach")


@dataclass(frozen=True)
class CreatorParams:
    """Per-creator parameters of the outcome distribution of their first post, keyed by creator id.

    Every array is aligned with ``creator_ids`` (never with a file's row order).

    Attributes
    ----------
    creator_ids : numpy.ndarray
        Creator ids (object array).
    engagements : numpy.ndarray
        Mean engagements of the first post given the creator posts.
    sd_creator, sd_post : numpy.ndarray
        Log-scale spreads: shared by the creator's posts in a draw, and drawn afresh per post.
    conversion_rate : numpy.ndarray
        Mean conversions per engagement.
    conversion_strength : numpy.ndarray
        Beta prior/posterior strength (alpha + beta) of the rate; ``inf`` for a fixed rate.
    reach : numpy.ndarray
        Reach of the first post given the creator posts.
    emv_fixed, emv_per_engagement : numpy.ndarray
        EMV of the first post = emv_fixed + emv_per_engagement x engagements (given the creator posts).
    cost : numpy.ndarray
        Price of one post.
    no_show : numpy.ndarray
        Probability that the creator posts nothing.
    post_decay : float
        Post k is worth post_decay^(k-1) of the first.
    delivery_rate : float
        The point forecast's delivery_rate (for comparing draws with it).
    """

    creator_ids: np.ndarray
    engagements: np.ndarray
    sd_creator: np.ndarray
    sd_post: np.ndarray
    conversion_rate: np.ndarray
    conversion_strength: np.ndarray
    reach: np.ndarray
    emv_fixed: np.ndarray
    emv_per_engagement: np.ndarray
    cost: np.ndarray
    no_show: np.ndarray
    post_decay: float
    delivery_rate: float = 1.0

    def index(self, ids: list[str]) -> np.ndarray:
        """Positions of ``ids`` in ``creator_ids``; raises KeyError naming any unknown id."""
        pos = pd.Index(self.creator_ids).get_indexer(ids)
        if (pos < 0).any():
            unknown = [i for i, p in zip(ids, pos) if p < 0]
            raise KeyError(f"not a creator of these parameters: {', '.join(map(str, unknown[:5]))}")
        return pos


def creator_params(problem: Problem, no_show: float | None = None) -> CreatorParams:
    """Per-creator outcome parameters consistent with the problem's point forecast.

    Parameters
    ----------
    problem : Problem
        A loaded campaign (its forecast, assumptions and, if any, calibration).
    no_show : float, optional
        Override ``uncertainty.no_show`` for every creator.

    Returns
    -------
    CreatorParams
    """
    sc = problem.scenario
    a = sc.assumptions
    u = sc.uncertainty
    df = problem.pool.frame
    m = problem.metrics
    live = a.delivery_rate
    eng = m["engagements"].to_numpy(dtype=float) / live
    conv = m["conversions"].to_numpy(dtype=float) / live
    reach = m["reach"].to_numpy(dtype=float) / live
    emv = m["emv"].to_numpy(dtype=float) / live
    tiers = m["tier"].to_numpy()
    if isinstance(u.engagement_sigma, dict):
        total = pd.Series(tiers).map(u.engagement_sigma).to_numpy(dtype=float)
    else:
        total = np.full(len(df), float(u.engagement_sigma))
    sd_post = np.minimum(total, DEFAULT_SD_POST)
    sd_creator = np.sqrt(np.maximum(total**2 - sd_post**2, 0.0))
    strength = np.full(len(df), float(u.conversion_concentration))
    cal = problem.calibration
    if cal is not None:
        c = cal.reindex(df.index)
        has = c["log_rate_mean"].notna().to_numpy()
        sd_creator = np.where(has, c["log_rate_sd_creator"].to_numpy(), sd_creator)
        sd_post = np.where(has, c["log_rate_sd_post"].to_numpy(), sd_post)
        if "conversion_alpha" in c:
            ab = (c["conversion_alpha"] + c["conversion_beta"]).to_numpy()
            strength = np.where(has & np.isfinite(ab) & (ab > 0), ab, strength)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(eng > 0, conv / eng, 0.0)
    # a rate that is not a probability (an expected_conversions override larger than engagements) stays fixed
    strength = np.where((rate > 0) & (rate < 1), strength, np.inf)
    # EMV = a fixed part (reach-based) + a part per engagement (per-action method); a given expected_emv is fixed
    per_eng = np.full(len(df), a.emv.engagement_value if a.emv.method == "per_action" else 0.0)
    if "expected_emv" in problem.pool.present:
        per_eng = np.where(np.isnan(df["expected_emv"].to_numpy(dtype=float)), per_eng, 0.0)
    emv_fixed = emv - per_eng * eng
    p = u.no_show if no_show is None else float(no_show)
    if not 0 <= p < 1:
        raise ValueError(f"no_show must be in [0, 1), got {p}")
    return CreatorParams(
        creator_ids=df.index.to_numpy(dtype=object), engagements=eng, sd_creator=sd_creator, sd_post=sd_post,
        conversion_rate=rate, conversion_strength=strength, reach=reach, emv_fixed=emv_fixed,
        emv_per_engagement=per_eng, cost=df["cost"].to_numpy(dtype=float), no_show=np.full(len(df), p),
        post_decay=a.post_decay, delivery_rate=live,
    )  # fmt: skip


@dataclass
class Draws:
    """Sampled outcomes of a roster: one row per draw, one column per creator (``creator_ids`` order).

    Attributes
    ----------
    creator_ids : list of str
        The roster's creators, sorted by id.
    posts : numpy.ndarray
        Posts booked per creator.
    posted : numpy.ndarray
        bool (draws, creators): the creator posted (was not a no-show).
    engagements, conversions, emv, reach : numpy.ndarray
        float (draws, creators): totals over the creator's booked posts, before any overlap discount.
    conversion_rate : numpy.ndarray
        float (draws, creators): the drawn conversions per engagement.
    spend : numpy.ndarray
        float (draws, creators): price x posts when the creator posted, 0 for a no-show.
    seed : int
    notes : list of str
    """

    creator_ids: list[str]
    posts: np.ndarray
    posted: np.ndarray
    engagements: np.ndarray
    conversions: np.ndarray
    emv: np.ndarray
    reach: np.ndarray
    conversion_rate: np.ndarray
    spend: np.ndarray
    seed: int
    notes: list[str] = field(default_factory=list)

    def metric(self, name: str) -> np.ndarray:
        """The (draws, creators) matrix of one metric: conversions, emv, engagements or reach."""
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; metrics are {', '.join(METRICS)}")
        return getattr(self, name)


def sample(params: CreatorParams, roster: dict[str, int], draws: int = 10_000, seed: int = 0) -> Draws:
    """Draw joint outcomes of a roster, seeded and vectorised.

    Parameters
    ----------
    params : CreatorParams
        From `creator_params`.
    roster : dict
        creator_id -> posts booked (>= 1). Order does not matter: columns come out sorted by id.
    draws : int
        Number of joint outcomes.
    seed : int
        Same seed, same roster, same parameters -> the same draws.

    Returns
    -------
    Draws

    Examples
    --------
    >>> p = CreatorParams(np.array(["a"], dtype=object), np.array([100.0]), np.array([0.3]), np.array([0.5]),
    ...                   np.array([0.02]), np.array([100.0]), np.array([400.0]), np.array([2.6]), np.array([0.0]),
    ...                   np.array([50.0]), np.array([0.0]), 0.6)
    >>> d = sample(p, {"a": 2}, draws=200_000, seed=1)
    >>> round(float(d.engagements.mean()) / 160.0, 2)  # 100 x (1 + 0.6)
    1.0
    """
    ids = sorted(roster)
    if not ids:
        raise ValueError("the roster is empty")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    posts = np.array([int(roster[i]) for i in ids])
    if (posts < 1).any():
        raise ValueError("every creator on the roster needs at least 1 post")
    pos = params.index(ids)
    rng = np.random.default_rng(seed)
    n, c = draws, len(ids)
    sd_c, sd_p = params.sd_creator[pos], params.sd_post[pos]
    # log-mean so that E[engagements of post 1 | posted] equals the forecast's value
    with np.errstate(divide="ignore"):
        log_mean = np.log(params.engagements[pos]) - (sd_c**2 + sd_p**2) / 2
    posted = rng.random((n, c)) >= params.no_show[pos]
    creator = log_mean + sd_c * rng.standard_normal((n, c))
    weights = post_weights(int(posts.max()), params.post_decay)
    engagements = np.zeros((n, c))
    for k in range(int(posts.max())):
        live = posts > k  # creators booked for at least k + 1 posts
        cols = np.flatnonzero(live)
        noise = sd_p[cols] * rng.standard_normal((n, len(cols)))
        engagements[:, cols] += np.exp(creator[:, cols] + noise) * weights[k]
    engagements *= posted
    rate = _beta(rng, params.conversion_rate[pos], params.conversion_strength[pos], n)
    total_weight = np.array([weights[:p].sum() for p in posts])
    reach = posted * (params.reach[pos] * total_weight)
    emv = posted * (params.emv_fixed[pos] * total_weight) + engagements * params.emv_per_engagement[pos]
    spend = posted * (params.cost[pos] * posts)
    notes: list[str] = []
    ratio = (1 - params.no_show[pos]) / params.delivery_rate
    if not np.allclose(ratio, 1.0):
        notes.append(
            f"The draws assume a {params.no_show[pos].max():.0%} chance that a creator does not post; the optimiser's "
            f"forecast assumes delivery_rate {params.delivery_rate:g}, so the mean of the draws is "
            f"{float(ratio.mean()):.2f} x that forecast (set assumptions.delivery_rate to 1 - no_show to align them)."
        )
    return Draws(creator_ids=ids, posts=posts, posted=posted, engagements=engagements,
                 conversions=engagements * rate, emv=emv, reach=reach, conversion_rate=rate, spend=spend, seed=seed,
                 notes=notes)  # fmt: skip


def _beta(rng: np.random.Generator, mean: np.ndarray, strength: np.ndarray, n: int) -> np.ndarray:
    """(n, creators) Beta draws with the given means and strengths (alpha + beta); inf strength = fixed."""
    fixed = ~np.isfinite(strength)
    out = np.broadcast_to(mean, (n, len(mean))).copy()
    cols = np.flatnonzero(~fixed)
    if len(cols):
        a = mean[cols] * strength[cols]
        b = (1 - mean[cols]) * strength[cols]
        # Beta as a ratio of gammas: numpy's beta() is several times slower for large arrays
        x = rng.standard_gamma(a, size=(n, len(cols)))
        y = rng.standard_gamma(b, size=(n, len(cols)))
        out[:, cols] = x / (x + y)
    return out


def point_forecast(problem: Problem, roster: dict[str, int], metric: str) -> pd.Series:
    """The optimiser's expected ``metric`` per creator for ``roster`` (before the overlap discount), by creator id.

    Parameters
    ----------
    problem : Problem
    roster : dict
        creator_id -> posts.
    metric : str
        conversions, emv, engagements or reach.

    Returns
    -------
    pandas.Series
        Indexed by creator id (sorted): first-post value x (1 + d + ... + d^(posts-1)).
    """
    ids = sorted(roster)
    decay = problem.scenario.assumptions.post_decay
    weights = np.array([post_weights(int(roster[i]), decay).sum() for i in ids])
    return pd.Series(problem.metrics[metric].reindex(ids).to_numpy() * weights, index=ids)
