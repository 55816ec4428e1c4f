"""Forecasts calibrated on post history: per creator, the predictive distribution of one post's engagements.

The model (docs/forecast.md, "Calibrated forecasts", says the same in words), for post j of creator i:

    y_ij = log(max(engagements_ij, 1) / followers_ij)
         = x_i'b  +  s_ij * delta  +  a_ij * gamma  +  u_i  +  e_ij
    u_i ~ N(0, tau^2)      creator effect, shrunk towards the group mean x_i'b
    e_ij ~ N(0, sigma^2)   post-to-post noise

x_i holds the creator's group: tier (by followers), platform and niche (dummies; a level with too few posts
falls into the baseline) and log10 followers; s_ij = 1 for a sponsored post; a_ij is the post's age in
years before the newest post of the history (engagement per follower drifts over time, and follower counts
are often a snapshot taken after the posts). b, delta, gamma are fitted by generalised least squares and
tau^2, sigma^2 by restricted maximum likelihood (REML; the random-intercept likelihood has a closed form
per creator, so one scalar search over tau^2 / sigma^2 does it).

A new post of creator i (age 0, sponsored or not) has log engagement rate

    Y ~ N(m_i, sigma^2 + v_i),   m_i = x_0'b + w_i (ybar_i - xbar_i'b),   w_i = n_i tau^2 / (sigma^2 + n_i tau^2)
    v_i = tau^2 sigma^2 / (sigma^2 + n_i tau^2) + d_i' Cov(b) d_i,   d_i = x_0 - w_i xbar_i

(the prediction error variance of the BLUP with estimated fixed effects: a creator with no history gets the
group mean, v_i = tau^2 + x_0' Cov(b) x_0). Engagements of the post are followers x exp(Y): lognormal.
v_i is shared by all the creator's posts (it is what we do not know about the creator); sigma^2 is drawn
afresh per post. `optimizer.uncertainty` samples exactly this.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from optimizer.errors import CalibrationError
from optimizer.history import History
from optimizer.pool import Pool, _as_text, read_table
from optimizer.tiers import TIERS, tier_of

Z90 = float(stats.norm.ppf(0.9))  # P10 / P90 of a normal are mean -/+ 1.2816 sd
# A niche or platform level needs this many posts (from MIN_LEVEL_CREATORS creators) to get its own effect;
# rarer levels are estimated as the baseline, which is safer than an effect fitted on a handful of posts.
MIN_LEVEL_POSTS = 30
MIN_LEVEL_CREATORS = 10
# Conversion-rate prior (beta-binomial) needs this many creators with conversion data to be fitted.
MIN_CONVERSION_CREATORS = 5
CALIBRATION_COLUMNS: tuple[str, ...] = (
    "creator_id", "posts_seen", "sponsored_posts_seen", "followers", "tier", "platform", "niche",
    "engagements_mean", "engagements_p10", "engagements_p50", "engagements_p90",
    "organic_engagements_mean", "organic_engagements_p10", "organic_engagements_p50", "organic_engagements_p90",
    "log_rate_mean", "organic_log_rate_mean", "log_rate_sd_creator", "organic_log_rate_sd_creator",
    "log_rate_sd_post", "shrinkage", "creator_effect", "group_log_rate", "sponsored_effect", "age_effect_per_year",
    "conversions_seen", "conversion_alpha", "conversion_beta", "conversion_rate_mean",
    "clicks_seen", "click_alpha", "click_beta", "source",
)  # fmt: skip


@dataclass
class Fit:
    """The fitted variance components and fixed effects of the engagement model.

    Attributes
    ----------
    columns : list of str
        Names of the fixed effects (design-matrix columns).
    beta : numpy.ndarray
        Fixed effects, log engagement rate per unit of each column.
    cov_beta : numpy.ndarray
        Their covariance (sigma^2 (X'V^-1 X)^-1 up to sigma^2's own estimate).
    sigma_post : float
        Post-to-post standard deviation of log engagement rate (sigma).
    sigma_creator : float
        Spread of creator effects around their group mean (tau).
    posts, creators : int
        Posts and creators the fit used.
    reference_time : pandas.Timestamp
        Newest post; ages are measured back from it and new posts are predicted at age 0.
    levels : dict
        Kept levels of each grouping (``platform``, ``niche``, ``tier``); others are the baseline.
    """

    columns: list[str]
    beta: np.ndarray
    cov_beta: np.ndarray
    sigma_post: float
    sigma_creator: float
    posts: int
    creators: int
    reference_time: pd.Timestamp
    levels: dict[str, list[str]] = field(default_factory=dict)

    def effect(self, name: str) -> tuple[float, float]:
        """A fixed effect and its standard error, by column name (e.g. ``'sponsored'``)."""
        k = self.columns.index(name)
        return float(self.beta[k]), float(np.sqrt(self.cov_beta[k, k]))


@dataclass
class Calibration:
    """Result of `calibrate`: one row per pool creator plus the fit and what was said about the inputs."""

    frame: pd.DataFrame
    fit: Fit
    notes: list[str] = field(default_factory=list)


# --- groups and the design matrix ------------------------------------------------------------------------------


def _creator_table(history: History, pool: Pool) -> tuple[pd.DataFrame, list[str]]:
    """One row per creator (pool creators first-class, history-only creators for the group-level fit):
    followers now, tier, platform, niches."""
    notes: list[str] = []
    posts = history.frame
    df = pool.frame
    seen = posts.groupby("creator_id", sort=True)
    hist_ids = pd.Index(seen.size().index)
    outside = hist_ids.difference(df.index)
    latest_followers = (
        posts.dropna(subset=["followers"]).sort_values("posted_at").groupby("creator_id")["followers"].last()
    )
    platforms = set(df["platform"])
    single_platform = next(iter(platforms)) if len(platforms) == 1 else "unknown"
    other = pd.DataFrame(index=outside)
    other["followers"] = latest_followers.reindex(outside).to_numpy(dtype=float)
    if "platform" in history.present:
        other["platform"] = seen["platform"].last().reindex(outside).replace("", "unknown").to_numpy()
    else:
        other["platform"] = single_platform
    if "niche" in history.present:
        niche = seen["niche"].last().reindex(outside).fillna("")
        other["niches"] = [tuple(sorted({p.strip() for p in n.split(";") if p.strip()})) for n in niche]
    else:
        other["niches"] = [()] * len(outside)
    other["in_pool"] = False
    mine = pd.DataFrame(index=df.index)
    mine["followers"] = df["followers"].to_numpy(dtype=float)
    mine["platform"] = df["platform"].to_numpy()
    mine["niches"] = list(df["niches"])
    mine["in_pool"] = True
    table = pd.concat([mine, other])
    if len(outside):
        notes.append(
            f"{history.source}: {len(outside)} creator(s) in the history are not in the pool "
            f"({int(posts['creator_id'].isin(outside).sum())} posts); they inform the group-level fit "
            "(tier, platform and niche means, spreads, sponsored effect) and get no row in the calibration file."
        )
        if "platform" not in history.present:
            notes.append(f"{history.source} has no platform column: its creators outside the pool count as "
                         f"platform '{single_platform}'.")  # fmt: skip
    return table, notes


def _kept_levels(values: pd.Series, creators: pd.Series, weight: pd.Series | None = None) -> list[str]:
    """Levels with enough posts and creators to be estimated on their own, most common first."""
    counts = values.value_counts()
    distinct = pd.DataFrame({"v": values, "c": creators}).drop_duplicates().groupby("v").size()
    keep = [str(v) for v, n in counts.items() if n >= MIN_LEVEL_POSTS and distinct.get(v, 0) >= MIN_LEVEL_CREATORS]
    return sorted(keep, key=lambda v: (-counts[v], v))


def _design(table: pd.DataFrame, levels: dict[str, list[str]], centre: float) -> tuple[np.ndarray, list[str]]:
    """Creator-level design: intercept, log10 followers (centred), tier, platform and niche dummies.

    The first kept level of each grouping is the baseline; a creator in several niches gets 1/k of each."""
    n = len(table)
    cols = [np.ones(n), np.log10(np.maximum(table["followers"].to_numpy(dtype=float), 1.0)) - centre]
    names = ["intercept", "log10_followers"]
    for group in ("tier", "platform"):
        values = table[group].to_numpy()
        for level in levels[group][1:]:
            cols.append((values == level).astype(float))
            names.append(f"{group}={level}")
    niche_levels = levels["niche"][1:]
    if niche_levels:
        mat = np.zeros((n, len(niche_levels)))
        where = {level: k for k, level in enumerate(niche_levels)}
        for r, tup in enumerate(table["niches"]):
            for label in tup:
                k = where.get(label)
                if k is not None:
                    mat[r, k] += 1.0 / len(tup)
        cols.extend(mat.T)
        names.extend(f"niche={level}" for level in niche_levels)
    return np.column_stack(cols), names


# --- the REML fit --------------------------------------------------------------------------------------------


def _reml(
    X: np.ndarray, y: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[float, np.ndarray, np.ndarray, float]:
    """Random-intercept REML: returns (lambda = tau^2/sigma^2, beta, A = X'H^-1 X, sigma^2)."""
    N, p = X.shape
    n = np.bincount(group, minlength=n_groups).astype(float)
    S = np.zeros((n_groups, p))
    np.add.at(S, group, X)
    ty = np.bincount(group, weights=y, minlength=n_groups)
    XtX, Xty, yty = X.T @ X, X.T @ y, float(y @ y)

    def parts(lam: float) -> tuple[np.ndarray, np.ndarray, float, float]:
        w = lam / (1.0 + n * lam)  # H_i^-1 = I - w_i 11' for each creator's block
        A = XtX - (S * w[:, None]).T @ S
        b = Xty - S.T @ (w * ty)
        beta = np.linalg.solve(A, b)
        rss = yty - float(w @ ty**2) - float(b @ beta)
        return A, beta, rss, float(np.log1p(n * lam).sum())

    def objective(log_lam: float) -> float:
        A, _, rss, logdet_h = parts(float(np.exp(log_lam)))
        _, logdet_a = np.linalg.slogdet(A)
        return (N - p) * np.log(max(rss, 1e-300) / (N - p)) + logdet_h + logdet_a

    best = optimize.minimize_scalar(objective, bounds=(-12.0, 6.0), method="bounded", options={"xatol": 1e-6})
    lam = float(np.exp(best.x))
    A, beta, rss, _ = parts(lam)
    return lam, beta, A, rss / (N - p)


def _beta_binomial_prior(successes: np.ndarray, trials: np.ndarray) -> tuple[float, float]:
    """Empirical-Bayes Beta(mean x conc, (1 - mean) x conc) prior over creators' rates, fitted by maximum
    likelihood of the beta-binomial (scipy), started from the pooled rate."""
    pooled = float(successes.sum() / trials.sum())
    pooled = min(max(pooled, 1e-6), 1 - 1e-6)

    def nll(theta: np.ndarray) -> float:
        mean = 1.0 / (1.0 + np.exp(-theta[0]))
        conc = np.exp(theta[1])
        return -float(stats.betabinom.logpmf(successes, trials, mean * conc, (1 - mean) * conc).sum())

    start = np.array([np.log(pooled / (1 - pooled)), np.log(100.0)])
    res = optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
    mean = 1.0 / (1.0 + np.exp(-res.x[0]))
    conc = float(np.clip(np.exp(res.x[1]), 1.0, 1e7))
    return float(mean), conc


# --- calibrate -----------------------------------------------------------------------------------------------


def calibrate(history: History, pool: Pool) -> Calibration:
    """Fit the engagement model on a post history and predict one post for every pool creator.

    Parameters
    ----------
    history : History
        Validated post history (`optimizer.history.load_history`).
    pool : Pool
        The candidate creators; every one gets a row, with or without history.

    Returns
    -------
    Calibration
        ``frame`` has one row per pool creator, keyed and sorted by ``creator_id``, with the columns of
        `CALIBRATION_COLUMNS`; ``fit`` the fitted model; ``notes`` what was assumed or left out.

    Raises
    ------
    CalibrationError
        When too few usable posts remain to fit the model.
    """
    notes = list(history.notes)
    table, more = _creator_table(history, pool)
    notes += more
    posts = history.frame.copy()
    followers_now = table["followers"]
    post_followers = posts["followers"].to_numpy(dtype=float)
    fallback = followers_now.reindex(posts["creator_id"]).to_numpy(dtype=float)
    use_pool = np.isnan(post_followers) & ~np.isnan(fallback)
    if use_pool.any():
        notes.append(
            f"{int(use_pool.sum())} post(s) have no followers value; the creator's pool follower count was used."
        )
    post_followers = np.where(np.isnan(post_followers), fallback, post_followers)
    usable = ~np.isnan(post_followers)
    if (~usable).any():
        notes.append(
            f"{int((~usable).sum())} post(s) by {posts.loc[~usable, 'creator_id'].nunique()} creator(s) outside the pool "
            "have no followers value, so no engagement rate; they were left out of the fit."
        )
    posts = posts.loc[usable].reset_index(drop=True)
    post_followers = post_followers[usable]
    table = table.loc[table["in_pool"] | table.index.isin(posts["creator_id"])]
    if len(posts) < 20 or posts["creator_id"].nunique() < 5:
        raise CalibrationError(
            f"{history.source}: only {len(posts)} usable post(s) by {posts['creator_id'].nunique()} creator(s); "
            "calibration needs at least 20 posts by 5 creators (with a follower count from the history or the pool)"
        )
    table = table.copy()
    table["tier"] = tier_of(table["followers"].fillna(0).to_numpy())
    table["niche_first"] = [t[0] if t else "" for t in table["niches"]]
    gidx = table.index.get_indexer(posts["creator_id"])
    levels = {
        "tier": [t for t in TIERS if t in set(table["tier"].to_numpy()[gidx])],
        "platform": _kept_levels(pd.Series(table["platform"].to_numpy()[gidx]), posts["creator_id"]),
        "niche": _kept_levels(pd.Series(table["niche_first"].to_numpy()[gidx]), posts["creator_id"]),
    }
    # tiers: keep those with enough posts, most common first so the baseline is well estimated
    tier_counts = pd.Series(table["tier"].to_numpy()[gidx]).value_counts()
    levels["tier"] = [t for t in tier_counts.index if tier_counts[t] >= MIN_LEVEL_POSTS]
    for group in ("platform", "niche", "tier"):
        if not levels[group]:
            levels[group] = ["(all)"]
    centre = float(np.median(np.log10(np.maximum(table["followers"].to_numpy(dtype=float)[gidx], 1.0))))
    C, names = _design(table, levels, centre)
    reference = posts["posted_at"].max()
    age = ((reference - posts["posted_at"]).dt.total_seconds() / (365.25 * 86400)).to_numpy()
    sponsored = posts["sponsored"].to_numpy(dtype=float)
    X = np.column_stack([C[gidx], sponsored, age])
    names = [*names, "sponsored", "age_years"]
    # a column with no variation (no sponsored post, all posts on one day) cannot be estimated: fix it at 0
    free = np.ones(X.shape[1], dtype=bool)
    for k in range(1, X.shape[1]):
        if np.ptp(X[:, k]) == 0:
            free[k] = False
    if not free[names.index("sponsored")]:
        notes.append("No sponsored post (or no organic post) in the history: the sponsored effect is taken as 0.")
    y = np.log(np.maximum(posts["engagements"].to_numpy(dtype=float), 1.0) / post_followers)
    lam, beta_free, A, sigma2 = _reml(X[:, free], y, gidx, len(table))
    beta = np.zeros(X.shape[1])
    beta[free] = beta_free
    cov = np.zeros((X.shape[1], X.shape[1]))
    cov[np.ix_(free, free)] = sigma2 * np.linalg.inv(A)
    fit = Fit(columns=names, beta=beta, cov_beta=cov, sigma_post=float(np.sqrt(sigma2)),
              sigma_creator=float(np.sqrt(lam * sigma2)), posts=len(posts), creators=int(posts["creator_id"].nunique()),
              reference_time=reference, levels=levels)  # fmt: skip

    # --- prediction for pool creators -------------------------------------------------------------------
    pool_rows = np.flatnonzero(table["in_pool"].to_numpy())
    n_groups = len(table)
    n = np.bincount(gidx, minlength=n_groups).astype(float)
    resid_sum = np.bincount(gidx, weights=y, minlength=n_groups)
    Xsum = np.zeros((n_groups, X.shape[1]))
    np.add.at(Xsum, gidx, X)
    spon_seen = np.bincount(gidx, weights=sponsored, minlength=n_groups)
    n_p, ysum_p, Xsum_p = n[pool_rows], resid_sum[pool_rows], Xsum[pool_rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = np.where(n_p[:, None] > 0, Xsum_p / np.maximum(n_p, 1)[:, None], 0.0)
        ybar = np.where(n_p > 0, ysum_p / np.maximum(n_p, 1), 0.0)
    w = n_p * lam / (1.0 + n_p * lam)
    u_hat = w * (ybar - xbar @ beta)
    var_u = sigma2 * lam / (1.0 + n_p * lam)
    out = pd.DataFrame(index=table.index[pool_rows])
    followers = table["followers"].to_numpy(dtype=float)[pool_rows]
    for prefix, flag in (("", 1.0), ("organic_", 0.0)):
        x0 = np.column_stack([C[pool_rows], np.full(len(pool_rows), flag), np.zeros(len(pool_rows))])
        d = x0 - w[:, None] * xbar
        var = var_u + np.einsum("ij,jk,ik->i", d, cov, d)
        mean = x0 @ beta + u_hat
        total_sd = np.sqrt(var + sigma2)
        out[f"{prefix}log_rate_mean"] = mean
        out[f"{prefix}log_rate_sd_creator"] = np.sqrt(var)
        out[f"{prefix}engagements_mean"] = followers * np.exp(mean + total_sd**2 / 2)
        out[f"{prefix}engagements_p10"] = followers * np.exp(mean - Z90 * total_sd)
        out[f"{prefix}engagements_p50"] = followers * np.exp(mean)
        out[f"{prefix}engagements_p90"] = followers * np.exp(mean + Z90 * total_sd)
        if flag:
            out["group_log_rate"] = x0 @ beta
    out["log_rate_sd_post"] = fit.sigma_post
    out["shrinkage"] = 1.0 - w  # 1 = all from the group prior, 0 = all from the creator's own posts
    out["creator_effect"] = u_hat
    out["sponsored_effect"] = fit.effect("sponsored")[0]
    out["age_effect_per_year"] = fit.effect("age_years")[0]
    out["posts_seen"] = n_p.astype(int)
    out["sponsored_posts_seen"] = spon_seen[pool_rows].astype(int)
    out["followers"] = followers
    out["tier"] = table["tier"].to_numpy()[pool_rows]
    out["platform"] = table["platform"].to_numpy()[pool_rows]
    out["niche"] = [";".join(t) for t in table["niches"].to_numpy()[pool_rows]]
    out["source"] = np.where(n_p > 0, "history", "group prior")
    _rates(out, posts, history, "conversions", "conversion", notes)
    _rates(out, posts, history, "clicks", "click", notes)
    out["conversion_rate_mean"] = out["conversion_alpha"] / (out["conversion_alpha"] + out["conversion_beta"])
    out.insert(0, "creator_id", out.index.to_numpy())
    out = out[list(CALIBRATION_COLUMNS)].sort_index(kind="stable")
    out.index.name = None
    spon, spon_se = fit.effect("sponsored")
    notes.append(
        f"Fitted on {fit.posts:,} posts by {fit.creators:,} creators: creator spread (tau) {fit.sigma_creator:.3f}, "
        f"post-to-post spread (sigma) {fit.sigma_post:.3f} in log engagement rate; sponsored effect "
        f"{spon:+.3f} (x{np.exp(spon):.2f}, s.e. {spon_se:.3f}); {int((n_p > 0).sum())} of {len(pool_rows)} pool "
        "creator(s) have history, the others get their group's prior."
    )
    return Calibration(frame=out, fit=fit, notes=notes)


def _rates(
    out: pd.DataFrame, posts: pd.DataFrame, history: History, column: str, prefix: str, notes: list[str]
) -> None:
    """Beta-binomial rate per engagement (conversions or clicks) for pool creators; blank without data."""
    out[f"{column}_seen"] = np.nan
    out[f"{prefix}_alpha"] = np.nan
    out[f"{prefix}_beta"] = np.nan
    if column not in history.present:
        return
    known = posts.dropna(subset=[column])
    by = known.groupby("creator_id").agg(k=(column, "sum"), e=("engagements", "sum"))
    by = by[by["e"] > 0]
    if len(by) < MIN_CONVERSION_CREATORS:
        notes.append(f"Only {len(by)} creator(s) have {column} in the history; {column} per engagement was not "
                     f"fitted (needs {MIN_CONVERSION_CREATORS}).")  # fmt: skip
        return
    k = by["k"].round().to_numpy(dtype=np.int64)
    e = by["e"].round().to_numpy(dtype=np.int64)
    mean, conc = _beta_binomial_prior(k, e)
    a0, b0 = mean * conc, (1 - mean) * conc
    mine = by.reindex(out.index)
    seen = mine["k"].notna().to_numpy()
    out[f"{column}_seen"] = np.where(seen, mine["k"].to_numpy(), 0.0)
    out[f"{prefix}_alpha"] = a0 + np.where(seen, mine["k"].to_numpy(), 0.0)
    out[f"{prefix}_beta"] = b0 + np.where(seen, (mine["e"] - mine["k"]).to_numpy(), 0.0)
    notes.append(
        f"{column.capitalize()} per engagement: beta-binomial prior fitted on {len(by)} creator(s), mean {mean:.4%}, "
        f"concentration {conc:,.0f} (a creator with that many engagements of their own counts half-and-half)."
    )


def write_calibration(calibration: Calibration, path: str | Path) -> Path:
    """Write the calibration CSV atomically (one row per pool creator, keyed by creator_id)."""
    from optimizer.output import safe_frame, write_file  # output imports result: keep this module light

    path = Path(path)
    # ids and labels from the pool are neutralised for spreadsheets; `load_calibration` undoes it for ids
    text = safe_frame(calibration.frame).to_csv(index=False, float_format="%.6g")
    write_file(path, text)
    return path


# --- reading a calibration file for a scenario ----------------------------------------------------------------

REQUIRED_FOR_FORECAST = ("creator_id", "followers", "log_rate_mean", "log_rate_sd_creator", "log_rate_sd_post")


def load_calibration(path: str | Path, pool_ids: pd.Index) -> tuple[pd.DataFrame, list[str]]:
    """Read a calibration file written by `roster calibrate`, keyed by creator_id.

    Parameters
    ----------
    path : str or Path
        The calibration CSV.
    pool_ids : pandas.Index
        Creator ids of the scenario's pool; rows for other creators are ignored (and counted).

    Returns
    -------
    frame : pandas.DataFrame
        Numeric calibration columns indexed by creator_id (only creators of the pool).
    notes : list of str

    Raises
    ------
    CalibrationError
        On a missing column, an unreadable number or a repeated creator.
    """
    path = Path(path)
    notes: list[str] = []
    raw = read_table(path, CalibrationError, notes)
    missing = [c for c in REQUIRED_FOR_FORECAST if c not in raw.columns]
    if missing:
        raise CalibrationError(
            f"{path}: missing column(s) {', '.join(missing)}; is this a file written by `roster calibrate`?"
        )
    ids = _as_text(raw["creator_id"])
    # undo the spreadsheet guard `write_calibration` put on ids starting with = + - @
    guarded = ids.str.match(r"^'[=+\-@\t\r]").to_numpy(dtype=bool)
    ids = ids.where(~guarded, ids.str.slice(1))
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = (np.flatnonzero(ids == ids[dup].iloc[0]) + 2).tolist()
        raise CalibrationError(f"{path}, column 'creator_id': id {ids[dup].iloc[0]!r} appears on rows "
                               f"{', '.join(map(str, rows))}; ids must be unique")  # fmt: skip
    frame = pd.DataFrame(index=pd.Index(ids.to_numpy()))
    for name in raw.columns:
        if name in ("creator_id", "tier", "platform", "niche", "source"):
            continue
        value = pd.to_numeric(raw[name], errors="coerce").to_numpy(dtype=float)
        text = _as_text(raw[name]).to_numpy()
        bad = np.isnan(value) & (text != "")
        if name in REQUIRED_FOR_FORECAST:
            bad |= np.isnan(value)
        if name.startswith("log_rate_sd") or name == "followers" or name.endswith(("_alpha", "_beta")):
            bad |= value < 0
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise CalibrationError(f"{path}, row {first + 2} (creator {ids.iloc[first]}), column '{name}': value "
                                   f"{text[first]!r} is not a number this column allows")  # fmt: skip
        frame[name] = value
    if "source" in raw.columns:
        frame["source"] = _as_text(raw["source"]).to_numpy()
    outside = frame.index.difference(pool_ids)
    if len(outside):
        notes.append(f"{path}: {len(outside)} creator(s) in the calibration file are not in the pool; ignored.")
    return frame.loc[frame.index.isin(pool_ids)], notes
