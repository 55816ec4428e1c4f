"""The roster MILP, built from arrays: one block of rows per scenario rule, named after it.

Variables (eligible creators only, in creator-id order so the model is the same for any row order):

    post_k[c]  binary, creator c booked for at least k posts (k = 1 is "c is on the roster")
    shared[a|b] continuous >= 0, only with overlap_policy.discount: 1 when a and b are both chosen

Every rule of the scenario is one `Block` with a key such as ``budget`` or ``niche_min[zero-waste]``;
to change a rule, change the one function that makes its block. Infeasibility analysis drops blocks
by key, so each key must stand for one requirement a planner can relax.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from optimizer.forecast import post_weights
from optimizer.problem import Problem
from optimizer.scenario import GroupRule

Sense = Literal["<=", ">="]


@dataclass
class Block:
    """Rows of one rule: ``sum_j A[r, j] x_j  (sense)  rhs[r]`` for each local row r.

    Attributes
    ----------
    key : str
        The rule, e.g. ``budget``, ``niche_min[zero-waste]``, ``include[c-0042]``.
    kind : str
        The rule family (``budget``, ``niche_min``, ...), used to explain infeasibility.
    label : str
        The niche, platform or creator the rule is about ('' for global rules).
    limit : float
        The number in the scenario the rule enforces (a count, an amount or a share).
    row_names : list of str
    rows, cols, coefs : numpy.ndarray
        The non-zeros in coordinate form (local row index, column index, coefficient).
    sense : str
    rhs : numpy.ndarray
    relaxable : bool
        False for structural rows (post order, overlap linearisation) that no planner sets.
    """

    key: str
    kind: str
    label: str
    limit: float
    row_names: list[str]
    rows: np.ndarray
    cols: np.ndarray
    coefs: np.ndarray
    sense: Sense
    rhs: np.ndarray
    relaxable: bool = True


@dataclass
class Milp:
    """A roster model in array form, ready for any backend."""

    maximise: bool
    col_names: list[str]
    obj: np.ndarray
    ub: np.ndarray
    is_int: np.ndarray
    blocks: list[Block]
    creator_ids: np.ndarray
    col_creator: np.ndarray  # index into creator_ids; -1 for shared[] columns
    col_post: np.ndarray  # post number k; 0 for shared[] columns
    first_col: np.ndarray  # column of post_1[c] for each creator
    notes: list[str] = field(default_factory=list)

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return len(self.col_names)

    def keys(self) -> list[str]:
        """Keys of the relaxable rules, in build order."""
        return [b.key for b in self.blocks if b.relaxable]

    def posts(self, values: np.ndarray) -> dict[str, int]:
        """Posts per chosen creator from a column-value vector."""
        booked = (values > 0.5) & (self.col_creator >= 0)
        counts = np.bincount(self.col_creator[booked], minlength=len(self.creator_ids))
        return {str(self.creator_ids[i]): int(counts[i]) for i in np.flatnonzero(counts)}


def _sum_block(
    key: str, kind: str, label: str, limit: float, cols: np.ndarray, coefs: np.ndarray, sense: Sense, rhs: float
) -> Block:
    return Block(
        key,
        kind,
        label,
        limit,
        [key],
        np.zeros(len(cols), dtype=np.int64),
        cols,
        coefs,
        sense,
        np.array([rhs], dtype=float),
    )


def build_model(problem: Problem) -> Milp:
    """Build the MILP of a campaign.

    Parameters
    ----------
    problem : Problem
        Validated inputs.

    Returns
    -------
    Milp
        The model in array form; `optimizer.solve` hands it to a solver.
    """
    sc = problem.scenario
    ids = problem.eligible.index[problem.eligible.to_numpy()].to_numpy()
    frame = problem.pool.frame.loc[ids]
    cost = frame["cost"].to_numpy(dtype=float)
    value = problem.values.loc[ids].to_numpy(dtype=float)
    caps = problem.max_posts.loc[ids].to_numpy(dtype=np.int64)
    share = sc.roster.max_creator_budget_share
    if share is not None and sc.budget is not None:
        # the per-creator budget cap is a cap on posts: cost x posts <= share x budget
        with np.errstate(divide="ignore"):
            affordable = np.where(cost > 0, np.floor(share * sc.budget / np.where(cost > 0, cost, 1) + 1e-9), caps)
        caps = np.minimum(caps, affordable.astype(np.int64))
    n = len(ids)

    # post columns, creator-major: creator i has caps[i] columns, post 1 first
    col_creator = np.repeat(np.arange(n), caps)
    starts = np.concatenate([[0], np.cumsum(caps)[:-1]]) if n else np.zeros(0, dtype=np.int64)
    col_post = np.arange(len(col_creator)) - np.repeat(starts, caps) + 1
    first_col = starts.astype(np.int64)
    decay = sc.assumptions.post_decay
    weights = post_weights(int(caps.max()) if n else 1, decay)
    col_value = value[col_creator] * weights[col_post - 1]
    col_cost = cost[col_creator]
    names = [f"post_{k}[{ids[i]}]" for i, k in zip(col_creator.tolist(), col_post.tolist())]

    blocks: list[Block] = []
    n_post_cols = len(col_creator)
    x = first_col

    # structural: post k+1 only after post k
    later = np.flatnonzero(col_post > 1)
    if len(later):
        r = np.arange(len(later))
        blocks.append(
            Block(
                "post_order",
                "post_order",
                "",
                0.0,
                [f"post_order[{names[c]}]" for c in later],
                np.concatenate([r, r]),
                np.concatenate([later, later - 1]),
                np.concatenate([np.ones(len(later)), -np.ones(len(later))]),
                "<=",
                np.zeros(len(later)),
                relaxable=False,
            )
        )

    all_cols = np.arange(n_post_cols)
    if sc.budget is not None:
        blocks.append(_sum_block("budget", "budget", "", sc.budget, all_cols, col_cost, "<=", sc.budget))
    if sc.min_spend is not None:
        blocks.append(_sum_block("min_spend", "min_spend", "", sc.min_spend, all_cols, col_cost, ">=", sc.min_spend))
    ones = np.ones(n)
    if sc.roster.min_creators is not None:
        blocks.append(
            _sum_block("roster_min", "roster_min", "", sc.roster.min_creators, x, ones, ">=", sc.roster.min_creators)
        )
    if sc.roster.max_creators is not None:
        blocks.append(
            _sum_block("roster_max", "roster_max", "", sc.roster.max_creators, x, ones, "<=", sc.roster.max_creators)
        )

    niche_sets = frame["niches"].tolist()
    for label, rule in sc.niches.items():
        members = np.array([i for i, tup in enumerate(niche_sets) if label in tup], dtype=np.int64)
        blocks += _group_blocks("niche", label, rule, members, x, col_creator, col_cost)
    platform = frame["platform"].to_numpy()
    for label, rule in sc.platforms.items():
        members = np.flatnonzero(platform == label)
        blocks += _group_blocks("platform", label, rule, members, x, col_creator, col_cost)

    position = pd.Series(np.arange(n), index=ids)
    for cid in sc.eligibility.include:
        i = int(position[cid])
        blocks.append(_sum_block(f"include[{cid}]", "include", cid, 1, x[i : i + 1], np.ones(1), ">=", 1))

    # overlaps among eligible creators
    pairs = problem.overlap
    # integer positions, not string lookups: pools list millions of pairs
    model_pos = -np.ones(len(problem.pool.frame), dtype=np.int64)
    model_pos[np.flatnonzero(problem.eligible.to_numpy())] = np.arange(n)
    ia = model_pos[pairs["ia"].to_numpy(dtype=np.int64)]
    ib = model_pos[pairs["ib"].to_numpy(dtype=np.int64)]
    keep = (ia >= 0) & (ib >= 0)
    pa, pb = ia[keep], ib[keep]
    po = pairs["overlap"].to_numpy(dtype=float)[keep]
    policy = sc.overlap_policy
    conflict = np.zeros(len(po), dtype=bool)
    if policy.max_pairwise is not None:
        conflict = po > policy.max_pairwise
        k = np.flatnonzero(conflict)
        if len(k):
            r = np.arange(len(k))
            blocks.append(
                Block(
                    "overlap_conflicts",
                    "overlap_conflicts",
                    "",
                    policy.max_pairwise,
                    [f"overlap_max[{ids[pa[j]]}|{ids[pb[j]]}]" for j in k],
                    np.concatenate([r, r]),
                    np.concatenate([x[pa[k]], x[pb[k]]]),
                    np.ones(2 * len(k)),
                    "<=",
                    np.ones(len(k)),
                )
            )
    disc_cols = np.zeros(0, dtype=np.int64)
    disc = np.zeros(0)
    if policy.discount:
        # pairs that can never both be chosen need no discount term
        k = np.flatnonzero(~conflict & (po > 0))
        disc = po[k] * np.minimum(value[pa[k]], value[pb[k]])
        k = k[disc > 0]
        disc = disc[disc > 0]
        disc_cols = n_post_cols + np.arange(len(k))
        names += [f"shared[{ids[pa[j]]}|{ids[pb[j]]}]" for j in k]
        r = np.arange(len(k))
        # shared >= x_a + x_b - 1  <=>  shared - x_a - x_b >= -1; its objective weight is negative,
        # so the solver keeps it at its lower bound max(0, x_a + x_b - 1).
        blocks.append(
            Block(
                "overlap_discount",
                "overlap_discount",
                "",
                0.0,
                [f"shared_def[{ids[pa[j]]}|{ids[pb[j]]}]" for j in k],
                np.concatenate([r, r, r]),
                np.concatenate([disc_cols, x[pa[k]], x[pb[k]]]),
                np.concatenate([np.ones(len(k)), -np.ones(len(k)), -np.ones(len(k))]),
                ">=",
                -np.ones(len(k)),
                relaxable=False,
            )
        )

    n_cols = n_post_cols + len(disc_cols)
    obj_value = np.concatenate([col_value, -disc])
    if sc.target is not None:
        blocks.append(
            Block(
                "target",
                "target",
                sc.target.metric,
                sc.target.value,
                ["target"],
                np.zeros(n_cols, dtype=np.int64),
                np.arange(n_cols),
                obj_value,
                ">=",
                np.array([sc.target.value]),
            )
        )
        obj = np.concatenate([col_cost, np.zeros(len(disc_cols))])
    else:
        obj = obj_value
    ub = np.ones(n_cols)
    is_int = np.concatenate([np.ones(n_post_cols, dtype=bool), np.zeros(len(disc_cols), dtype=bool)])
    return Milp(
        maximise=sc.target is None,
        col_names=names,
        obj=obj,
        ub=ub,
        is_int=is_int,
        blocks=blocks,
        creator_ids=ids,
        col_creator=np.concatenate([col_creator, -np.ones(len(disc_cols), dtype=np.int64)]),
        col_post=np.concatenate([col_post, np.zeros(len(disc_cols), dtype=np.int64)]),
        first_col=first_col,
    )


def _group_blocks(
    kind: str,
    label: str,
    rule: GroupRule,
    members: np.ndarray,
    x: np.ndarray,
    col_creator: np.ndarray,
    col_cost: np.ndarray,
) -> list[Block]:
    """Count and spend-share rows for one niche or platform (a creator in several niches counts in each).

    A share is of the roster's total spend: ``spend_group - share x spend_total (>= or <=) 0``. Shares of
    spend (not of the budget) keep the mix rule meaning the same whether or not the budget is all spent,
    and keep the optimum non-decreasing in the budget.
    """
    out: list[Block] = []
    ones = np.ones(len(members))
    if rule.min_creators is not None:
        out.append(
            _sum_block(
                f"{kind}_min[{label}]",
                f"{kind}_min",
                label,
                rule.min_creators,
                x[members],
                ones,
                ">=",
                rule.min_creators,
            )
        )
    if rule.max_creators is not None:
        out.append(
            _sum_block(
                f"{kind}_max[{label}]",
                f"{kind}_max",
                label,
                rule.max_creators,
                x[members],
                ones,
                "<=",
                rule.max_creators,
            )
        )
    inside = np.isin(col_creator, members).astype(float)
    cols = np.arange(len(col_creator))
    for share, sense, name in ((rule.min_budget_share, ">=", "share_min"), (rule.max_budget_share, "<=", "share_max")):
        if share is not None:
            coefs = col_cost * (inside - share)
            keep = coefs != 0
            out.append(
                _sum_block(
                    f"{kind}_{name}[{label}]", f"{kind}_{name}", label, share, cols[keep], coefs[keep], sense, 0.0
                )
            )  # type: ignore[arg-type]
    return out
