"""Risk-aware rosters inside the same MILP: CVaR over sampled outcomes, or Bertsimas-Sim budgeted robustness.

Both start from S sampled outcomes of every eligible creator's posts (`risk_draws`: the seeded sampler, one
stream per creator) and the objective metric's value V[s, j] of each post column j in draw s, and both are
added through the model's extension points (`Milp.add_columns`, `Milp.add_block`, `Milp.add_objective`),
replacing the expected-value objective. The expected value stays the model's ``value`` expression.

**CVaR** (Rockafellar & Uryasev 2000), scenario ``risk: {method: cvar, alpha, draws, seed}``. The value of a
roster x in draw s is V_s(x) = sum_j V[s, j] x_j - sum_p D[s, p] z_p, where z_p is the overlap discount's pair
column and D[s, p] = overlap x the smaller *drawn* first-post value of the pair in draw s. With beta = 1 - alpha:

    maximise   eta - 1 / (beta S) x sum_s u_s
    subject to u_s >= eta - V_s(x)      (one row per draw, kind cvar_shortfall)
               u_s >= 0, eta free       (GLOBAL columns)

whose optimum over eta is the mean of the worst beta share of the S draws of V(x) (the lower-tail CVaR, with
a fractional weight on one draw when beta S is not whole). z_p enters the rows with a positive coefficient, so it
is never above max(0, x_a + x_b - 1) where that changes the objective.

**Robust** (Bertsimas & Sim 2004), scenario ``risk: {method: robust, gamma, draws, seed}``. From the draws, each
creator i booked for k posts has a mean m_i(k) and a P10, and a deviation d_i(k) = m_i(k) - P10_i(k). The
robust value of a roster is its nominal value (the draws' means, minus the overlap discount on the mean
first-post values) minus the largest sum of deviations of at most gamma creators. By LP duality:

    maximise   sum_j mean_j x_j - discount - gamma q - sum_i p_i
    subject to p_i + q >= sum_k delta_ik x_ik   (one row per creator, kind robust_protection)
               p_i >= 0 (OWNED by creator i), q >= 0 (GLOBAL)

with delta_ik = d_i(k) - d_i(k - 1), so the right-hand side is the deviation of the creator's booked posts.

**What result.json's figures mean for a risk model** (docs/decisions.md): ``objective_value`` is the risk
objective of the roster on the sampled draws (CVaR, or robust value), recomputed by `optimizer.verify`
independently from the draws; ``bound`` and ``gap`` are the solver's proof on that risk objective, never on the
expected value; ``value`` stays the expected value (point forecast after the overlap discount). ``risk``
compares the roster with the expected-value roster on fresh draws (another seed): `compare`.

**The reduction** (`optimizer.reduce`) stays a proof: shortfall rows are global rows (their duals price every
creator), protection rows are local (dropping them for an unpriced creator is a relaxation), the new columns are
GLOBAL (always kept) or OWNED with finite bounds, so the LP-duality argument of the module docstring holds
unchanged. Tests compare reduced and unreduced risk models.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from optimizer.errors import ScenarioError
from optimizer.milp import Block, ColumnKind
from optimizer.rules import RuleKind
from optimizer.uncertainty import Draws, creator_params, sample
from optimizer.verify import draw_values, lower_tail_mean, risk_objective

if TYPE_CHECKING:
    from optimizer.model import BuildContext
    from optimizer.pipeline import SolveOptions
    from optimizer.problem import Problem
    from optimizer.result import Result

# sampled draws x eligible creators a risk model may be built on: the CVaR block is dense (one row per draw over
# every post column), and the reduction reads it whole
MAX_RISK_CELLS = 5_000_000


def risk_draws(problem: Problem) -> Draws:
    """The sampled outcomes a risk model is built on: every eligible creator, every post they may be booked for.

    Raises
    ------
    ScenarioError
        If draws x eligible creators exceeds `MAX_RISK_CELLS`.
    """
    r = problem.scenario.risk
    if r is None:
        raise ValueError("the scenario has no risk block")
    ids = [str(c) for c in problem.eligible.index[problem.eligible.to_numpy()]]
    if r.draws * len(ids) > MAX_RISK_CELLS:
        raise ScenarioError(
            f"{problem.source}: risk.draws {r.draws:,} x {len(ids):,} eligible creators is more than "
            f"{MAX_RISK_CELLS:,} sampled outcomes; use fewer draws or a narrower eligibility"
        )
    caps = problem.max_posts.loc[ids].astype(int).to_dict()
    return sample(creator_params(problem), caps, draws=r.draws, seed=r.seed, keep_posts=True)


def _pair_columns(ctx: BuildContext) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The overlap discount's pair columns, with their two creators (positions in ``ctx.ids``) and overlap."""
    if "overlap_discount" not in ctx.value_terms:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    cols = ctx.value_terms["overlap_discount"][0]
    position = -np.ones(len(ctx.milp.owner_creator), dtype=np.int64)
    position[ctx.owners] = np.arange(len(ctx.owners))
    a = position[ctx.milp.owner[cols]]
    b = position[ctx.milp.partner[cols]]
    pa, pb, po = ctx.pairs
    overlap = dict(zip(zip(pa.tolist(), pb.tolist()), po.tolist()))
    o = np.array([overlap[(i, j)] for i, j in zip(a.tolist(), b.tolist())], dtype=float)
    return cols, a, b, o


def add_risk(ctx: BuildContext) -> None:
    """Replace a built campaign model's objective by its risk objective (see the module docstring)."""
    r = ctx.scenario.risk
    if r is None:
        return
    if not len(ctx.ids):  # no eligible creator: the empty roster's risk objective is 0, like its value
        ctx.milp.objective = {}
        return
    draws = risk_draws(ctx.problem)
    at = np.array([draws.creator_ids.index(str(c)) for c in ctx.ids], dtype=np.int64)
    per_post = draws.per_post(ctx.scenario.value_metric)[:, at, :]  # (draws, ctx creators, posts)
    col_post = ctx.milp.post[ctx.post_cols]
    value = per_post[:, ctx.col_creator, col_post - 1]  # (draws, post columns)
    pair_cols, a, b, o = _pair_columns(ctx)
    ctx.milp.objective = {}
    if r.method == "cvar":
        first = per_post[:, :, 0]
        discount = o * np.minimum(first[:, a], first[:, b])  # (draws, pairs)
        _cvar(ctx, value, pair_cols, discount, r.alpha)
    else:
        _robust(ctx, per_post, value, pair_cols, a, b, o, r.gamma)


def _cvar(ctx: BuildContext, value: np.ndarray, pair_cols: np.ndarray, discount: np.ndarray, alpha: float) -> None:
    milp = ctx.milp
    n = len(value)
    eta = milp.add_columns(["cvar_level"], ColumnKind.GLOBAL, lb=-np.inf, ub=np.inf)
    u = milp.add_columns([f"cvar_shortfall[{s}]" for s in range(n)], ColumnKind.GLOBAL, lb=0.0, ub=np.inf)
    # row s: u_s - eta + V_s(x) >= 0, i.e. u_s >= eta - V_s(x)
    coefs = np.hstack([value, -discount])
    cols = np.concatenate([ctx.post_cols, pair_cols])
    rows = np.repeat(np.arange(n), len(cols))
    keep = coefs.ravel() != 0
    r = np.arange(n)
    milp.add_block(Block(RuleKind.CVAR_SHORTFALL, "", alpha, [f"cvar_shortfall[{s}]" for s in range(n)],
                         np.concatenate([rows[keep], r, r]),
                         np.concatenate([np.tile(cols, n)[keep], u, np.repeat(eta, n)]),
                         np.concatenate([coefs.ravel()[keep], np.ones(n), -np.ones(n)]), ">=", np.zeros(n),
                         ctx.campaign))  # fmt: skip
    milp.add_objective("cvar_level", eta, np.ones(1))
    milp.add_objective("cvar_shortfall", u, np.full(n, -1.0 / ((1 - alpha) * n)))


def _robust(ctx: BuildContext, per_post: np.ndarray, value: np.ndarray, pair_cols: np.ndarray, a: np.ndarray,
            b: np.ndarray, o: np.ndarray, gamma: float) -> None:  # fmt: skip
    milp = ctx.milp
    totals = np.cumsum(per_post, axis=2)  # (draws, creators, k): value of the first k posts
    mean = totals.mean(axis=0)
    deviation = mean - np.quantile(totals, 0.1, axis=0)  # d_i(k), creators x posts
    delta = np.diff(deviation, axis=1, prepend=0.0)
    col_post = milp.post[ctx.post_cols]
    milp.add_objective("robust_value", ctx.post_cols, value.mean(axis=0))
    if len(pair_cols):
        milp.add_objective("robust_overlap_discount", pair_cols, -o * np.minimum(mean[a, 0], mean[b, 0]))
    q = milp.add_columns(["robust_level"], ColumnKind.GLOBAL, lb=0.0, ub=np.inf)
    milp.add_objective("robust_budget", q, np.array([-gamma]))
    caps = np.bincount(ctx.col_creator, minlength=len(ctx.ids))
    worst = np.array([deviation[i, : caps[i]].max(initial=0.0) for i in range(len(ctx.ids))])
    exposed = np.flatnonzero(worst > 0)  # a creator who cannot disappoint needs no protection row
    if not len(exposed):
        return
    p = milp.add_columns([f"robust_dual[{ctx.ids[i]}]" for i in exposed], ColumnKind.OWNED, lb=0.0,
                         ub=worst[exposed], owner=ctx.owners[exposed])  # fmt: skip
    milp.add_objective("robust_duals", p, -np.ones(len(exposed)))
    row_of = -np.ones(len(ctx.ids), dtype=np.int64)
    row_of[exposed] = np.arange(len(exposed))
    on = row_of[ctx.col_creator] >= 0
    col_delta = delta[ctx.col_creator, col_post - 1]
    r = np.arange(len(exposed))
    milp.add_block(Block(RuleKind.ROBUST_PROTECTION, "", gamma, [f"robust_protection[{ctx.ids[i]}]" for i in exposed],
                         np.concatenate([r, r, row_of[ctx.col_creator[on]]]),
                         np.concatenate([p, np.repeat(q, len(exposed)), ctx.post_cols[on]]),
                         np.concatenate([np.ones(len(exposed)), np.ones(len(exposed)), -col_delta[on]]), ">=",
                         np.zeros(len(exposed)), ctx.campaign))  # fmt: skip


def describe(problem: Problem) -> str:
    """The risk objective in words, with its unit (result.json's ``objective_unit``)."""
    r = problem.scenario.risk
    sc = problem.scenario
    from optimizer.forecast import UNITS

    unit = UNITS[sc.value_metric]
    if r is None:
        return unit
    if r.method == "cvar":
        return (f"{unit}: CVaR {r.alpha:.0%}, the mean of the worst {1 - r.alpha:.0%} of {r.draws:,} sampled outcomes "
                f"(seed {r.seed})")  # fmt: skip
    return (f"{unit}: robust value, the sampled mean minus the P10 shortfall of the {r.gamma:g} creators that "
            f"disappoint most ({r.draws:,} sampled outcomes, seed {r.seed})")  # fmt: skip


def outcome_stats(values: np.ndarray, alpha: float | None) -> dict[str, float]:
    """Mean, P10, P50, P90 (and the CVaR at ``alpha``) of per-draw values."""
    q = np.quantile(values, [0.1, 0.5, 0.9])
    out = {"mean": float(values.mean()), "p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}
    if alpha is not None:
        out["cvar"] = lower_tail_mean(values, 1 - alpha)
    return out


def fresh_outcomes(problem: Problem, roster: dict[str, int]) -> np.ndarray:
    """Per-draw value of a roster on the out-of-sample draws (``risk.evaluation_draws``, ``risk.fresh_seed``).

    Each creator's draws depend only on the seed and the creator, so two rosters drawn this way are compared
    on the same outcomes for the creators they share.
    """
    r = problem.scenario.risk
    if r is None or not roster:
        raise ValueError("needs a risk block and a roster")
    draws = sample(creator_params(problem), roster, draws=r.evaluation_draws, seed=r.fresh_seed)
    return draw_values(problem, draws, roster)


def compare(problem: Problem, result: Result, options: SolveOptions) -> dict[str, Any]:
    """result.json's ``risk``: the risk-aware roster against the expected-value roster, on fresh draws.

    Solves the same scenario without its risk block (the expected-value roster), then measures both rosters on
    the same ``risk.evaluation_draws`` outcomes drawn with ``risk.fresh_seed`` (another seed than the model's):
    mean and P10/P50/P90 of the objective metric, and the CVaR for method cvar. What the risk-aware roster
    gives up in mean for its P10 is the price of robustness finance reviews.
    """
    from optimizer.pipeline import optimize

    sc = problem.scenario
    r = sc.risk
    if r is None:
        raise ValueError("the scenario has no risk block")
    alpha = r.alpha if r.method == "cvar" else None
    ev = optimize(problem.with_scenario(sc.model_copy(update={"risk": None})), options=replace(options, explain=False))
    out: dict[str, Any] = {
        "method": r.method, "alpha": alpha, "gamma": r.gamma if r.method == "robust" else None,
        "metric": sc.value_metric, "draws": r.draws, "seed": r.seed,
        "evaluation": {"draws": r.evaluation_draws, "seed": r.fresh_seed},
    }  # fmt: skip
    mine = outcome_stats(fresh_outcomes(problem, result.roster), alpha)
    check = result.verification
    out["risk_aware"] = {**mine, "risk_objective": check.risk_value if check else None,
                         "expected_value": check.value if check else None}  # fmt: skip
    if not ev.roster or ev.verification is None:
        out["expected_value_roster"] = None
        out["notes"] = [f"The scenario without its risk block has no roster ({ev.status}): nothing to compare."]
        return out
    theirs = outcome_stats(fresh_outcomes(problem, ev.roster), alpha)
    out["expected_value_roster"] = {**theirs, "roster": dict(sorted(ev.roster.items())), "status": ev.status,
                                    "risk_objective": risk_objective(problem, ev.roster),
                                    "expected_value": ev.verification.value}  # fmt: skip
    out["price_of_robustness"] = {"mean_given_up": theirs["mean"] - mine["mean"],
                                  "p10_gained": mine["p10"] - theirs["p10"]}  # fmt: skip
    return out
