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
- **conversions** of post k follow the post's performance (a post that engages more also gets more clicks):
  ``C_k = conversions_1 x (E_k / E[E_1]) x R / E[R]``, where R is one Beta draw per creator and draw of the
  rate the forecast is built on: purchases per click (``purchase_rate``) on the reach funnel, purchases per
  engagement where a per-engagement rate was given. Its mean is that rate and its strength the calibrated
  posterior (history with conversions) or ``conversion_concentration``. So the mean of C_1 is the point forecast.
- **reach** given posting is the point forecast's (no history of reach is fitted), so EMV by CPM varies only
  through no-shows; EMV per action varies with engagements too.

**Point forecast vs draws.** The optimiser's point forecast multiplies by ``delivery_rate`` (default 1.0) and
knows nothing of ``no_show``. So the mean of the draws is ``(1 - no_show) / delivery_rate`` x the point forecast:
equal to it when ``delivery_rate = 1 - no_show`` (e.g. 0.8 and 0.2, or 1.0 and 0), and 0.8 x it with the
defaults. `Draws.notes` says so whenever they differ.

**Keyed by creator id.** Each creator's draws come from their own random stream, seeded by the seed and the
creator id (`creator_stream`): a creator's outcomes are the same whichever other creators are drawn with them,
and the first k posts are the same however many posts are drawn after them. So a roster's draws are a subset
of any larger draw with the same seed: the risk models, their checks and `roster simulate` see the same outcomes.

The draws are per creator (matrices draws x creators), before any overlap discount, so a later step can
apply the pairwise discount per draw, take quantiles of totals (conversions, EMV, CPA, ROI), or use the
draws as scenarios of a CVaR programme. Creator effects are drawn independently across creators: the shared
uncertainty of the fitted group means is small next to them and is not propagated jointly.
"""

from __future__ import annotations

import hashlib
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
        Mean conversions per engagement (0 for a creator without engagements).
    conversion_strength : numpy.ndarray
        Beta prior/posterior strength (alpha + beta) of the drawn rate; ``inf`` for a fixed rate.
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
    conversions : numpy.ndarray, optional
        Mean conversions of the first post given the creator posts (default: engagements x conversion_rate).
    rate_mean : numpy.ndarray, optional
        Mean of the Beta-drawn rate: purchases per click on the reach funnel, per engagement otherwise
        (default: conversion_rate).
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
    conversions: np.ndarray | None = None
    rate_mean: np.ndarray | None = None

    def __post_init__(self) -> None:
        # the older positional form (no conversions, no rate_mean) stays valid: derive them
        if self.conversions is None:
            object.__setattr__(self, "conversions", self.engagements * self.conversion_rate)
        if self.rate_mean is None:
            object.__setattr__(self, "rate_mean", self.conversion_rate)

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
    # the Beta is drawn around the rate the forecast was built on: purchases per click on the reach funnel (the
    # published 0.5-3% spread is a spread of that rate), the per-engagement rate otherwise
    purchase = m["purchase_rate"].to_numpy(dtype=float)
    rate_mean = np.where(np.isnan(purchase), rate, purchase)
    # a rate that is not a probability (an expected_conversions override larger than engagements) stays fixed
    strength = np.where((rate_mean > 0) & (rate_mean < 1), strength, np.inf)
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
        post_decay=a.post_decay, delivery_rate=live, conversions=conv, rate_mean=rate_mean,
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
    first_performance : numpy.ndarray
        float (draws, creators): the first post's engagements relative to their mean (0 for a no-show); the
        first post's value of any metric follows from it (`first_post`), for the overlap discount per draw.
    conversion_scale : numpy.ndarray
        float (draws, creators): expected conversions of a post of mean performance, with the drawn rate.
    post_performance : numpy.ndarray or None
        float (draws, creators, posts): each post's performance x post_decay^(k-1) (0 for posts not booked and for
        no-shows); only with ``sample(..., keep_posts=True)``.
    unit : dict
        Per creator, the mean first-post engagements, reach and EMV parts given posting (for `first_post`).
    weights : numpy.ndarray
        post_decay^(k-1) for k = 1..max posts.
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
    first_performance: np.ndarray | None = field(default=None, repr=False)
    conversion_scale: np.ndarray | None = field(default=None, repr=False)
    post_performance: np.ndarray | None = field(default=None, repr=False)
    unit: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    weights: np.ndarray | None = field(default=None, repr=False)

    def metric(self, name: str) -> np.ndarray:
        """The (draws, creators) matrix of one metric: conversions, emv, engagements or reach."""
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; metrics are {', '.join(METRICS)}")
        return getattr(self, name)

    def first_post(self, name: str, columns: np.ndarray | None = None) -> np.ndarray:
        """The (draws, creators) matrix of one metric for each creator's first post only (0 for a no-show).

        ``columns`` (positions in ``creator_ids``) restricts it to those creators, in that order.
        """
        if columns is None:
            return self._value(name, self.first_performance, self.posted.astype(float))  # type: ignore[arg-type]
        unit = {k: v[columns] for k, v in self.unit.items()}
        scale = self.conversion_scale[:, columns]  # type: ignore[index]
        return self._value(name, self.first_performance[:, columns], self.posted[:, columns].astype(float),  # type: ignore[index]
                           scale, unit)  # fmt: skip

    def per_post(self, name: str) -> np.ndarray:
        """The (draws, creators, posts) array of one metric for each booked post (needs ``keep_posts=True``)."""
        if self.post_performance is None:
            raise ValueError("these draws were made without keep_posts=True")
        booked = np.arange(len(self.weights)) < self.posts[:, None]  # type: ignore[arg-type]
        live = self.posted[:, :, None] * (booked * self.weights)[None, :, :]
        return self._value(name, self.post_performance, live, self.conversion_scale[:, :, None])  # type: ignore[index]

    def _value(
        self,
        name: str,
        performance: np.ndarray,
        live: np.ndarray,
        scale: np.ndarray | None = None,
        unit: dict[str, np.ndarray] | None = None,
    ) -> np.ndarray:
        if name not in METRICS:
            raise KeyError(f"unknown metric {name!r}; metrics are {', '.join(METRICS)}")
        shape = (1,) * (performance.ndim - 2)  # per-creator constants broadcast over draws (and posts)
        u = {k: v.reshape(-1, *shape) for k, v in (unit or self.unit).items()}
        if name == "engagements":
            return performance * u["engagements"]
        if name == "conversions":
            return performance * (self.conversion_scale if scale is None else scale)
        if name == "reach":
            return live * u["reach"]
        return live * u["emv_fixed"] + performance * (u["engagements"] * u["emv_per_engagement"])


def sample(
    params: CreatorParams, roster: dict[str, int], draws: int = 10_000, seed: int = 0, keep_posts: bool = False
) -> Draws:
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
    keep_posts : bool
        Also keep each post's performance (`Draws.per_post`), for models that choose the number of posts.
        The draws are the same either way.

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
    n, c = draws, len(ids)
    top = int(posts.max())
    sd_c, sd_p = params.sd_creator[pos], params.sd_post[pos]
    no_show = params.no_show[pos]
    mean_rate = params.rate_mean[pos]  # type: ignore[index]
    strength = params.conversion_strength[pos]
    drawn_rate = np.isfinite(strength) & (mean_rate > 0)
    weights = post_weights(top, params.post_decay)
    # filled creator by creator, each row contiguous; returned transposed as (draws, creators) views
    posted = np.empty((c, n), dtype=bool)
    first = np.empty((c, n))
    performance = np.zeros((c, n))
    ratio = np.ones((c, n))
    by_post = np.zeros((c, top, n)) if keep_posts else None
    for j, cid in enumerate(ids):
        # each creator has its own stream, seeded by (seed, creator id): the creator's draws do not depend on who
        # else is drawn, nor on how many posts are drawn after theirs (creator-level draws come first, then posts)
        rng = creator_stream(seed, cid)
        posted[j] = rng.random(n) >= no_show[j]
        # log of the performance multiplier shared by the creator's posts; the -sd^2/2 makes E[post 1] = 1
        creator = rng.standard_normal(n)
        creator *= sd_c[j]
        creator -= (sd_c[j] ** 2 + sd_p[j] ** 2) / 2
        if drawn_rate[j]:
            # Beta as a ratio of gammas (numpy's beta() is several times slower), divided by its mean
            x = rng.standard_gamma(mean_rate[j] * strength[j], n)
            y = rng.standard_gamma((1 - mean_rate[j]) * strength[j], n)
            y += x
            x /= y
            x /= mean_rate[j]
            ratio[j] = x
        for k in range(int(posts[j])):
            m = rng.standard_normal(n)
            m *= sd_p[j]
            m += creator
            np.exp(m, out=m)
            if k == 0:
                first[j] = m
            m *= weights[k]
            performance[j] += m
            if by_post is not None:
                by_post[j, k] = m
    live = posted.astype(float)
    first *= live
    performance *= live
    if by_post is not None:
        by_post *= live[:, None, :]
    scale = ratio
    scale *= params.conversions[pos][:, None]  # type: ignore[index]
    eng = params.engagements[pos]
    engagements = performance * eng[:, None]
    total_weight = np.array([weights[:p].sum() for p in posts])
    reach = live * (params.reach[pos] * total_weight)[:, None]
    emv = engagements * params.emv_per_engagement[pos][:, None]
    emv += live * (params.emv_fixed[pos] * total_weight)[:, None]
    spend = live * (params.cost[pos] * posts)[:, None]
    with np.errstate(divide="ignore"):
        per_engagement = np.where(eng > 0, 1.0 / np.where(eng > 0, eng, 1.0), 0.0)
    rate = scale * per_engagement[:, None]
    conversions = performance
    conversions *= scale  # performance is not needed any more: reuse its memory
    notes: list[str] = []
    ratio_live = (1 - params.no_show[pos]) / params.delivery_rate
    if not np.allclose(ratio_live, 1.0):
        notes.append(
            f"The draws assume a {params.no_show[pos].max():.0%} chance that a creator does not post; the optimiser's "
            f"forecast assumes delivery_rate {params.delivery_rate:g}, so the mean of the draws is "
            f"{float(ratio_live.mean()):.2f} x that forecast (set assumptions.delivery_rate to 1 - no_show to align them)."
        )
    unit = {"engagements": eng, "reach": params.reach[pos], "emv_fixed": params.emv_fixed[pos],
            "emv_per_engagement": params.emv_per_engagement[pos]}  # fmt: skip
    return Draws(creator_ids=ids, posts=posts, posted=posted.T, engagements=engagements.T,
                 conversions=conversions.T, emv=emv.T, reach=reach.T, conversion_rate=rate.T, spend=spend.T, seed=seed,
                 notes=notes, first_performance=first.T, conversion_scale=scale.T,
                 post_performance=None if by_post is None else by_post.transpose(2, 0, 1), unit=unit,
                 weights=weights)  # fmt: skip


def creator_stream(seed: int, creator_id: str) -> np.random.Generator:
    """The random stream of one creator's draws: seeded by the seed and a stable hash of the creator id.

    Examples
    --------
    >>> float(creator_stream(0, "c-1").random()) == float(creator_stream(0, "c-1").random())
    True
    """
    key = int.from_bytes(hashlib.blake2b(str(creator_id).encode("utf-8"), digest_size=8).digest(), "little")
    return np.random.default_rng(np.random.SeedSequence([int(seed) % 2**64, key]))


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
