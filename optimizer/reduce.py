"""Provably safe reduction of large pools: core LP, pricing, and reduced-cost fixing.

Most creators in a 100k pool cannot be on an optimal roster of 50. This module proves which ones, so the
MIP is solved over the rest. It works on *owners* (a creator in a campaign, see `optimizer.milp`) and on
the model's metadata alone, so a model extended with new columns and rules is reduced the same way.
Everything is in "min form" (a maximisation is minimising its negation).

1. Core. Start from the owners most likely to matter (best value, best value per dollar, within every
   rule that names a group, and every must-include).
2. Pricing. Solve the LP relaxation of P', the model in which every row of a *local* rule (one that
   touches one owner or one pair, see `optimizer.rules`) is dropped for owners outside the core: P' only
   drops constraints, so its optimum bounds the true one. Restricted to the core, its row duals y give
   every column outside the core a reduced cost d_j = c_j - y^T A_j over the rows of P' (the global rows).
   An owner is priced as a bundle (`_owner_prices`): the least reduced cost of booking its first k posts,
   plus every negative reduced cost of the other columns it owns (each at its upper bound). Owners with a
   negative price join the core, until none prices out: the LP optimum L of the core is then that of P'.
3. Incumbent. The MIP on the core (the full model with every other owner's columns at zero) gives a
   feasible roster of the full problem, with min-form objective U.
4. Fixing. By LP duality, any solution of P' using owner j has objective >= L + b_j (every other
   reduced-cost term is non-negative at an optimal basis: columns at their lower bound have d >= 0, at
   their upper bound d <= 0, and owners outside the core sit at zero). If L + b_j exceeds the threshold
   (U by default) no roster with j can beat it: j is fixed out. Owned columns admit zero (enforced by
   `Milp.add_columns`), so fixing an owner out means fixing its columns at zero.

The threshold is a parameter: second-best rosters (K-best) must keep every owner that could appear in a
roster worth at least the K-th value, so they re-threshold with `Reduction.keep_at`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.milp import ColumnKind, Milp
from optimizer.rules import RuleKind, spec_of

CORE_SIZE = 150  # owners per ranking and per group rule in the first core
TOL = 1e-7
# Rule kinds that name a group of creators worth seeding the core with (each group's best few).
_GROUP_KINDS = {RuleKind.NICHE_MIN, RuleKind.NICHE_MAX, RuleKind.PLATFORM_MIN, RuleKind.PLATFORM_MAX,
                RuleKind.INCLUDE, RuleKind.ROSTER_MIN, RuleKind.ROSTER_MAX}  # fmt: skip


@dataclass
class Reduction:
    """What the reduction proved.

    Attributes
    ----------
    creators : int
        Owners in the model (creators, for a single campaign).
    kept : int
        Owners kept for the MIP.
    lp_bound : float or None
        The LP bound L, in the model's own sense.
    incumbent : float or None
        The core MIP's objective U, in the model's own sense.
    rounds : int
        Pricing rounds.
    seconds : float
    notes : list of str
        Why nothing could be proven, when that happens.
    """

    creators: int
    kept: int
    lp_bound: float | None = None
    incumbent: float | None = None
    rounds: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # per owner, the min-form bound on any roster using it (L + b_j); the core is always kept
    bound_with: np.ndarray | None = field(default=None, repr=False)
    core: np.ndarray | None = field(default=None, repr=False)
    maximise: bool = True

    def to_dict(self) -> dict[str, Any]:
        """For result.json."""
        return {
            k: getattr(self, k) for k in ("creators", "kept", "lp_bound", "incumbent", "rounds", "seconds", "notes")
        }

    def keep_at(self, threshold: float) -> np.ndarray:
        """Owners that may be in a roster worth at least `threshold` (in the model's own sense)."""
        if self.bound_with is None or self.core is None:
            return np.ones(self.creators, dtype=bool)
        limit = -threshold if self.maximise else threshold
        tol = 1e-6 * max(1.0, abs(limit))
        return self.core | (self.bound_with <= limit + tol)


def _lp(milp: Milp):
    """Solve the LP relaxation with HiGHS; return (ok, min-form objective, row duals, the matrix form)."""
    import highspy

    from optimizer.solve import _highs_instance, _highs_lp

    form = milp.matrix()
    h = _highs_instance(verbose=False)[0]
    cost = -milp.obj if milp.maximise else milp.obj
    lp = _highs_lp(milp, form, cost, milp.lb.astype(float), milp.ub.astype(float), integer=False)
    lp.sense_ = highspy.ObjSense.kMinimize
    h.passModel(lp)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return False, None, None, form
    duals = np.asarray(h.getSolution().row_dual, dtype=float)
    return True, float(h.getInfo().objective_function_value), duals, form


def _owner_values(milp: Milp) -> tuple[np.ndarray, np.ndarray]:
    """Per owner: value and cost of its first post (value from the objective, or the target row)."""
    first = milp.first_col
    n = len(first)
    cost = np.zeros(n)
    value = np.zeros(n)
    col_owner = -np.ones(milp.n_cols, dtype=np.int64)
    col_owner[first] = np.arange(n)
    for b in milp.blocks:
        if b.kind in (RuleKind.BUDGET, RuleKind.MIN_SPEND) or (b.kind == RuleKind.TARGET and not milp.maximise):
            on_first = col_owner[b.cols] >= 0
            target = value if b.kind == RuleKind.TARGET else cost
            target[col_owner[b.cols[on_first]]] = b.coefs[on_first]
    if milp.maximise and "value" in milp.expressions:
        # the campaign's expected value, also when the objective is something else (a risk model's CVaR has no
        # weight on the post columns at all); the ranking only seeds the core, the proof does not rely on it
        cols, coefs = milp.expressions["value"]
        dense = np.zeros(milp.n_cols)
        np.add.at(dense, cols, coefs)
        value = dense[first]
    elif milp.maximise:
        value = milp.obj[first]
    else:
        cost = milp.obj[first]
    return value, cost


def _initial_core(milp: Milp, size: int) -> np.ndarray:
    """Owners most likely to be chosen: top by value and by value per dollar, overall and in each group rule."""
    n = len(milp.first_col)
    value, cost = _owner_values(milp)
    col_owner = -np.ones(milp.n_cols, dtype=np.int64)
    col_owner[milp.first_col] = np.arange(n)
    groups: list[np.ndarray] = [np.arange(n)]
    for b in milp.blocks:
        if b.kind in _GROUP_KINDS:
            members = col_owner[b.cols]
            groups.append(members[members >= 0])
    per_dollar = np.where(cost > 0, value / np.where(cost > 0, cost, 1), np.inf)
    core = np.zeros(n, dtype=bool)
    for members in groups:
        for key in (value, per_dollar):
            k = min(size, len(members))
            if k:
                core[members[np.argsort(-key[members], kind="stable")[:k]]] = True
    for b in milp.blocks_of(RuleKind.INCLUDE):
        members = col_owner[b.cols]
        core[members[members >= 0]] = True
    return core


def _owner_prices(milp: Milp, d: np.ndarray) -> np.ndarray:
    """Per owner, a lower bound on the reduced cost of any use of its columns.

    Posts: post k needs post k-1 (post-order rows). Choosing duals for those rows to keep every post
    column's reduced cost non-negative is possible exactly when the least prefix sum d_1 + ... + d_k is
    non-negative, and the reduced cost left on the first post is that minimum. Other owned columns (pair
    columns count for both owners) add their reduced cost at the bound that makes it smallest.
    """
    n = len(milp.first_col)
    price = np.zeros(n)
    posts = np.flatnonzero(milp.kind == ColumnKind.POST)
    if len(posts):
        owners = milp.owner[posts]
        order = np.lexsort((milp.post[posts], owners))  # owner-major, posts in order
        cols, owners = posts[order], owners[order]
        prefix = np.cumsum(d[cols])
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        offset = np.r_[0.0, prefix][starts]
        within = prefix - np.repeat(offset, np.diff(np.r_[starts, len(cols)]))
        price[owners[starts]] = np.minimum.reduceat(within, starts)
    other = np.flatnonzero((milp.kind != ColumnKind.POST) & (milp.owner >= 0))
    if len(other):
        worst = np.minimum(0.0, np.minimum(d[other] * milp.lb[other], d[other] * milp.ub[other]))
        np.add.at(price, milp.owner[other], worst)
        paired = milp.partner[other] >= 0
        np.add.at(price, milp.partner[other][paired], worst[paired])
    return price


def reduce_model(
    milp: Milp,
    solve_core: Callable[[Milp], Any],
    core_size: int | None = None,
    max_rounds: int = 30,
    threshold: float | None = None,
) -> tuple[np.ndarray, Reduction]:
    """Owners that may be on an optimal roster (a bool mask), and what was proven.

    Parameters
    ----------
    milp : Milp
        The full model.
    solve_core : callable
        ``solve_core(sub_milp) -> SolveOutcome``: the MIP solver used for the incumbent.
    core_size : int, optional
        Owners per ranking and group in the first core (default `CORE_SIZE`).
    max_rounds : int
        Pricing rounds before giving up (the full model is then kept).
    threshold : float, optional
        Keep every owner that may be in a roster worth at least this (model sense); default: the
        incumbent's value, which keeps everything an optimal roster may need.

    Returns
    -------
    keep : numpy.ndarray of bool
        One per owner; all True when nothing could be proven.
    reduction : Reduction
    """
    began = time.perf_counter()
    core_size = core_size or CORE_SIZE
    n = len(milp.first_col)
    info = Reduction(creators=n, kept=n, maximise=milp.maximise)

    def give_up(why: str) -> tuple[np.ndarray, Reduction]:
        info.notes.append(why)
        info.seconds = time.perf_counter() - began
        return np.ones(n, dtype=bool), info

    if not milp.reducible:
        return give_up("this model does not support the reduction: no reduction")
    core = _initial_core(milp, core_size)
    c_min = -milp.obj if milp.maximise else milp.obj.copy()
    global_rows = np.array([not spec_of(b.kind).local for b in milp.blocks], dtype=bool)
    lp_obj = 0.0
    price = np.zeros(n)
    for rounds in range(1, max_rounds + 1):
        sub, _ = milp.restrict(core, relax_local=True)
        ok, lp_obj, duals, _ = _lp(sub)
        if not ok:
            if core.all():
                return give_up("the LP relaxation is infeasible or unsolved: no reduction")
            core = core | _initial_core(milp, core_size * 2**rounds)  # a bigger core may be feasible
            continue
        # reduced cost of every column over the global rows of P': c - A^T y
        dual_of = {}
        for b_sub, y in zip(sub.blocks, np.split(duals, np.cumsum([b.n_rows for b in sub.blocks])[:-1])):
            dual_of[b_sub.key] = (b_sub, y)
        d = c_min.copy()
        for b, is_global in zip(milp.blocks, global_rows):
            if not is_global or b.key not in dual_of:
                continue
            b_sub, y = dual_of[b.key]
            if b_sub.n_rows != b.n_rows:  # a global row the restriction made redundant has dual 0
                y = _full_duals(b, b_sub, y)
            np.subtract.at(d, b.cols, b.coefs * y[b.rows])
        price = _owner_prices(milp, d)
        pricing = ~core & (price < -TOL)
        if not pricing.any():
            break
        newcomers = np.flatnonzero(pricing)
        # add the most attractive first, a bounded number per round, so the LP stays small
        newcomers = newcomers[np.argsort(price[newcomers], kind="stable")[: max(core_size, 50)]]
        core[newcomers] = True
    else:
        return give_up(f"pricing did not settle in {max_rounds} rounds: no reduction")
    info.rounds = rounds
    sub, _ = milp.restrict(core)
    outcome = solve_core(sub)
    if not outcome.has_solution:
        return give_up("the core has no feasible roster: no reduction")
    info.bound_with = lp_obj + price  # any roster using owner j costs at least this (min form)
    info.core = core
    info.lp_bound = -lp_obj if milp.maximise else lp_obj
    info.incumbent = outcome.objective
    limit = outcome.objective if threshold is None else threshold
    keep = info.keep_at(limit)
    info.kept = int(keep.sum())
    info.seconds = time.perf_counter() - began
    return keep, info


def _full_duals(block, block_sub, y_sub: np.ndarray) -> np.ndarray:
    """Duals of a block's rows in the full model: those the restriction kept, 0 for the ones it dropped."""
    position = {name: i for i, name in enumerate(block.row_names)}
    y = np.zeros(block.n_rows)
    for name, value in zip(block_sub.row_names, y_sub):
        y[position[name]] = value
    return y
