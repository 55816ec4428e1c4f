"""Provably safe reduction of large pools: core LP, pricing, and reduced-cost fixing.

Most creators in a 100k pool cannot be on an optimal roster of 50. This module proves which ones, so the
MIP is solved over the rest. Everything is in "min form" (a maximisation is minimising its negation).

1. Core. Start from the creators most likely to matter (best value, best value per dollar, within every
   niche and platform with a rule, and every must-include).
2. Pricing. Solve the LP relaxation of the model restricted to the core (pair and post-order rows whose
   columns lie in the core are kept). With its row duals y, every column outside the core gets a reduced
   cost d_j = c_j - y^T A_j over the *global* rows (budget, spend, sizes, niches, platforms, shares,
   target). That is exact for the relaxation P' in which creators outside the core have no overlap rows
   and no post-order rows; P' only drops constraints and non-negative discounts, so its LP optimum L
   bounds the true optimum. Columns with d_j < 0 join the core and the LP is solved again, until none
   prices out: then L is the LP optimum of P'.
   A creator with several posts is priced as a bundle (see `_bundle_costs`).
3. Incumbent. The MIP on the core gives a feasible roster of the full problem (creators outside it are
   simply not booked) with min-form objective U.
4. Fixing. By LP duality, any solution of P' booking creator j has objective >= L + b_j, with b_j the
   creator's bundle reduced cost (every other reduced-cost term is non-negative at an optimal basis). If L + d_j > U + tol, no
   roster with j can beat the incumbent: j is fixed out. The survivors are the core plus every creator
   that could not be fixed; the MIP over them is optimal for the whole pool.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from optimizer.model import Block, Milp
from optimizer.solve import _quiet

CORE_SIZE = 150  # creators per ranking and per group rule in the first core
LOCAL_KINDS = {"post_order", "overlap_conflicts", "overlap_discount"}
TOL = 1e-7


@dataclass
class Reduction:
    """What the reduction proved."""

    creators: int
    kept: int
    lp_bound: float | None = None
    incumbent: float | None = None
    rounds: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """For result.json."""
        return dict(self.__dict__)


def _owners(milp: Milp) -> list[np.ndarray]:
    """For each column, the creators it belongs to (two for a shared[] column)."""
    owner_a = milp.col_creator.copy()
    owner_b = milp.col_creator.copy()
    for block in milp.blocks:
        if block.key == "overlap_discount":
            plus = block.coefs > 0
            shared = block.cols[plus]
            order = np.argsort(block.rows[~plus], kind="stable")
            xs = block.cols[~plus][order].reshape(-1, 2)  # two x columns per row, rows in order
            rows_plus = block.rows[plus]
            owner_a[shared] = milp.col_creator[xs[rows_plus, 0]]
            owner_b[shared] = milp.col_creator[xs[rows_plus, 1]]
    return [owner_a, owner_b]


def submodel(milp: Milp, keep_creators: np.ndarray) -> tuple[Milp, np.ndarray]:
    """The model restricted to some creators: their columns, the global rows, and local rows inside them.

    Returns
    -------
    sub : Milp
    columns : numpy.ndarray
        Index in `milp` of each column of `sub`.
    """
    owner_a, owner_b = _owners(milp)
    keep_col = keep_creators[owner_a] & keep_creators[owner_b]
    columns = np.flatnonzero(keep_col)
    new_index = -np.ones(milp.n_cols, dtype=np.int64)
    new_index[columns] = np.arange(len(columns))
    blocks: list[Block] = []
    for b in milp.blocks:
        inside = keep_col[b.cols]
        if b.kind in LOCAL_KINDS:
            # keep a row only if all its columns are kept
            bad_rows = np.unique(b.rows[~inside])
            row_ok = np.ones(len(b.rhs), dtype=bool)
            row_ok[bad_rows] = False
            nz = row_ok[b.rows]
        else:
            row_ok = np.ones(len(b.rhs), dtype=bool)
            nz = inside
        if not row_ok.any():
            continue
        row_new = -np.ones(len(b.rhs), dtype=np.int64)
        row_new[row_ok] = np.arange(int(row_ok.sum()))
        blocks.append(Block(b.key, b.kind, b.label, b.limit, [n for n, ok in zip(b.row_names, row_ok) if ok],
                            row_new[b.rows[nz]], new_index[b.cols[nz]], b.coefs[nz], b.sense, b.rhs[row_ok],
                            b.relaxable))  # fmt: skip
    keep_ids = np.flatnonzero(keep_creators)
    creator_new = -np.ones(len(milp.creator_ids), dtype=np.int64)
    creator_new[keep_ids] = np.arange(len(keep_ids))
    cc = milp.col_creator[columns]
    sub = Milp(
        maximise=milp.maximise, col_names=[milp.col_names[c] for c in columns], obj=milp.obj[columns],
        ub=milp.ub[columns], is_int=milp.is_int[columns], blocks=blocks, creator_ids=milp.creator_ids[keep_ids],
        col_creator=np.where(cc >= 0, creator_new[np.maximum(cc, 0)], -1), col_post=milp.col_post[columns],
        first_col=new_index[milp.first_col[keep_ids]],
    )  # fmt: skip
    return sub, columns


def _highs_lp(milp: Milp):
    """Solve the LP relaxation with HiGHS directly; return (status ok, min-form objective, duals per block)."""
    import highspy

    rows, cols, vals, lo, hi, sizes = [], [], [], [], [], []
    offset = 0
    for b in milp.blocks:
        rows.append(b.rows + offset)
        cols.append(b.cols)
        vals.append(b.coefs)
        n = len(b.rhs)
        lo.append(np.full(n, -np.inf) if b.sense == "<=" else b.rhs)
        hi.append(b.rhs if b.sense == "<=" else np.full(n, np.inf))
        sizes.append(n)
        offset += n
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    v = np.concatenate(vals) if vals else np.zeros(0)
    order = np.lexsort((r, c))
    r, c, v = r[order], c[order], v[order]
    lp = highspy.HighsLp()
    lp.num_col_ = milp.n_cols
    lp.num_row_ = offset
    lp.col_cost_ = -milp.obj if milp.maximise else milp.obj
    lp.col_lower_ = np.zeros(milp.n_cols)
    lp.col_upper_ = milp.ub.astype(float)
    lp.row_lower_ = np.concatenate(lo) if lo else np.zeros(0)
    lp.row_upper_ = np.concatenate(hi) if hi else np.zeros(0)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(c, np.arange(milp.n_cols + 1))
    lp.a_matrix_.index_ = r
    lp.a_matrix_.value_ = v
    with _quiet(True):
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.passModel(lp)
        h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return False, None, None
    duals = np.asarray(h.getSolution().row_dual, dtype=float)
    split = np.split(duals, np.cumsum(sizes)[:-1]) if sizes else []
    return True, float(h.getInfo().objective_function_value), split


def _initial_core(milp: Milp, size: int) -> np.ndarray:
    """Creators most likely to be chosen: top by value and by value per dollar, overall and in each group rule."""
    n = len(milp.creator_ids)
    first = milp.first_col
    value = -milp.obj[first] if not milp.maximise else milp.obj[first]
    cost = np.zeros(n)
    groups: list[np.ndarray] = [np.arange(n)]
    for b in milp.blocks:
        if b.key == "budget" or b.key == "min_spend":
            on_first = np.isin(b.cols, first)
            cost[milp.col_creator[b.cols[on_first]]] = b.coefs[on_first]
        if b.kind in ("niche_min", "niche_max", "platform_min", "platform_max", "include", "roster_min", "roster_max"):
            groups.append(milp.col_creator[b.cols])
    if milp.maximise:
        score = value
    else:  # min-cost mode: the objective is cost; value comes from the target row
        score = np.zeros(n)
        for b in milp.blocks:
            if b.key == "target":
                on_first = np.isin(b.cols, first)
                score[milp.col_creator[b.cols[on_first]]] = b.coefs[on_first]
        cost = milp.obj[first]
    per_dollar = np.where(cost > 0, score / np.where(cost > 0, cost, 1), np.inf)
    core = np.zeros(n, dtype=bool)
    for members in groups:
        for key in (score, per_dollar):
            k = min(size, len(members))
            if k:
                top = members[np.argsort(-key[members], kind="stable")[:k]]
                core[top] = True
    for b in milp.blocks:
        if b.kind == "include":
            core[milp.col_creator[b.cols]] = True
    return core


def _bundle_costs(milp: Milp, d: np.ndarray) -> np.ndarray:
    """Per creator, the least reduced cost of booking their first k posts: min over k of d_1 + ... + d_k.

    Post k needs post k-1 (post-order rows). Choosing duals for those rows to keep every post column's
    reduced cost non-negative is possible exactly when this minimum is non-negative, and the reduced cost
    left on the first post is this minimum: it is the creator's price in the LP bound.
    """
    posts = milp.col_creator >= 0
    cols = np.flatnonzero(posts)  # creator-major, posts in order (see model.build_model)
    starts = milp.first_col
    prefix = np.cumsum(d[cols])
    offset = np.concatenate([[0.0], prefix])[np.searchsorted(cols, starts)]
    seg = np.repeat(np.arange(len(starts)), np.diff(np.append(np.searchsorted(cols, starts), len(cols))))
    within = prefix - offset[seg]
    return np.minimum.reduceat(within, np.searchsorted(cols, starts)) if len(cols) else np.zeros(0)


def reduce_model(
    milp: Milp, solve_core, core_size: int | None = None, max_rounds: int = 30
) -> tuple[np.ndarray, Reduction]:
    """Creators that may be on an optimal roster (a bool mask), and what was proven.

    Parameters
    ----------
    milp : Milp
        The full model.
    solve_core : callable
        ``solve_core(sub_milp) -> SolveOutcome``: the MIP solver used for the incumbent.
    core_size : int
        Creators per ranking and group in the first core.
    max_rounds : int
        Pricing rounds before giving up (the full model is then kept).

    Returns
    -------
    keep : numpy.ndarray of bool
        One per creator in ``milp.creator_ids``; all True when nothing could be proven.
    reduction : Reduction
    """
    began = time.perf_counter()
    core_size = core_size or CORE_SIZE
    n = len(milp.creator_ids)
    info = Reduction(creators=n, kept=n)
    core = _initial_core(milp, core_size)
    c_min = -milp.obj if milp.maximise else milp.obj.copy()
    global_blocks = [b for b in milp.blocks if b.kind not in LOCAL_KINDS]
    lp_obj = None
    for rounds in range(1, max_rounds + 1):
        sub, _ = submodel(milp, core)
        ok, lp_obj, duals = _highs_lp(sub)
        if not ok:
            if core.all():
                info.notes.append("the LP relaxation is infeasible or unsolved: no reduction")
                info.seconds = time.perf_counter() - began
                return np.ones(n, dtype=bool), info
            core = core | _initial_core(milp, core_size * 2**rounds)  # a bigger core may be feasible
            continue
        dual_of = {b.key: y for b, y in zip(sub.blocks, duals)}
        # reduced cost of every column over the global rows: c - A^T y
        d = c_min.copy()
        for b in global_blocks:
            y = dual_of.get(b.key)
            if y is None:
                continue
            np.subtract.at(d, b.cols, b.coefs * y[b.rows])
        bundle = _bundle_costs(milp, d)
        pricing = ~core & (bundle < -TOL)
        if not pricing.any():
            break
        newcomers = np.flatnonzero(pricing)
        # add the most attractive first, a bounded number per round, so the LP stays small
        newcomers = newcomers[np.argsort(bundle[newcomers], kind="stable")[: max(core_size, 50)]]
        core[newcomers] = True
    else:
        info.notes.append(f"pricing did not settle in {max_rounds} rounds: no reduction")
        info.seconds = time.perf_counter() - began
        return np.ones(n, dtype=bool), info
    info.rounds = rounds
    sub, _ = submodel(milp, core)
    outcome = solve_core(sub)
    if not outcome.has_solution:
        info.notes.append("the core has no feasible roster: no reduction")
        info.seconds = time.perf_counter() - began
        return np.ones(n, dtype=bool), info
    incumbent = -outcome.objective if milp.maximise else outcome.objective
    tol = 1e-6 * max(1.0, abs(incumbent))
    bound_with = lp_obj + bundle  # any roster booking creator j costs at least this (min form)
    keep = core | (bound_with <= incumbent + tol)
    info.kept = int(keep.sum())
    info.lp_bound = -lp_obj if milp.maximise else lp_obj
    info.incumbent = outcome.objective
    info.seconds = time.perf_counter() - began
    return keep, info
