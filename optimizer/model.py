"""The roster MILP of a campaign: post columns, one block per rule of the catalogue, the objective.

Columns (eligible creators only, in creator-id order so the model is the same for any row order):

    post_k[c]   binary, creator c booked for at least k posts (k = 1 is "c is on the roster")
    shared[a|b] continuous >= 0, only with overlap_policy.discount (added by that rule's builder)

The rows are built by the rule catalogue (`optimizer.rules`), in its order; each block's key stands for
one requirement a planner can relax. The objective is the value of the posts minus the overlap discount
(maximise), or, with a target, the cost (minimise) with the value moved into the target row; with a
``risk:`` block, `optimizer.risk` replaces it by the CVaR or the robust value of sampled outcomes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.forecast import post_weights
from optimizer.milp import Block, ColumnKind, Milp
from optimizer.problem import Problem
from optimizer.rules import CATALOGUE, RuleKind
from optimizer.scenario import Scenario

# Re-exported so that model code reads from one place.
__all__ = ["Block", "BuildContext", "ColumnKind", "Milp", "build_model"]


@dataclass
class BuildContext:
    """One campaign's arrays while its blocks are built (what a rule builder may read and extend).

    Attributes
    ----------
    problem : Problem
    milp : Milp
        The model being built (builders may add columns and objective terms through its extension points).
    campaign : str
        '' for a single campaign.
    ids : numpy.ndarray
        Eligible creator ids in model order; ``frame`` their pool rows.
    cost, value : numpy.ndarray
        Per creator: price of one post; value of the first post under the scenario's metric.
    owners : numpy.ndarray
        Owner index of each creator in ``milp``.
    first : numpy.ndarray
        Column of each creator's first post.
    post_cols, col_creator, col_cost, col_value : numpy.ndarray
        Every post column of the campaign, its creator position, cost and value (with post decay).
    pairs : tuple of numpy.ndarray
        Listed overlap pairs among eligible creators: positions a, b and the overlap.
    value_terms : dict
        Terms whose sum is the campaign's expected value (the objective, or the target row).
    """

    problem: Problem
    milp: Milp
    campaign: str
    ids: np.ndarray
    frame: pd.DataFrame
    cost: np.ndarray
    value: np.ndarray
    owners: np.ndarray
    first: np.ndarray
    post_cols: np.ndarray
    col_creator: np.ndarray
    col_cost: np.ndarray
    col_value: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    value_terms: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def scenario(self) -> Scenario:
        """The campaign's scenario."""
        return self.problem.scenario

    def add_value_term(self, name: str, cols: np.ndarray, coefs: np.ndarray) -> None:
        """Add to the campaign's expected value (its objective, or its target row in min-cost mode)."""
        self.value_terms[name] = (np.asarray(cols, dtype=np.int64), np.asarray(coefs, dtype=float))

    def value_expression(self) -> tuple[np.ndarray, np.ndarray]:
        """All value terms as one (cols, coefs) pair."""
        if not self.value_terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        cols, coefs = zip(*self.value_terms.values())
        return np.concatenate(cols), np.concatenate(coefs)


def add_campaign(
    milp: Milp, problem: Problem, campaign: str = "", creator_index: pd.Index | None = None
) -> BuildContext:
    """Add one campaign's post columns and every rule of the catalogue to `milp`.

    Parameters
    ----------
    milp : Milp
        The model to extend (its ``creator_ids`` must contain the campaign's eligible creators).
    problem : Problem
    campaign : str
        Campaign name ('' for a single campaign); prefixes its rule keys.
    creator_index : pandas.Index, optional
        Position of each id in ``milp.creator_ids`` (computed when not given).

    Returns
    -------
    BuildContext
        With the campaign's value terms (the caller decides how they enter the objective).
    """
    sc = problem.scenario
    ids = problem.eligible.index[problem.eligible.to_numpy()].to_numpy()
    frame = problem.pool.frame.loc[ids]
    cost = frame["cost"].to_numpy(dtype=float)
    value = problem.values.loc[ids].to_numpy(dtype=float)
    caps = problem.max_posts.loc[ids].to_numpy(dtype=np.int64)
    n = len(ids)
    index = creator_index if creator_index is not None else pd.Index(milp.creator_ids)
    campaign_no = milp.campaigns.index(campaign) if campaign in milp.campaigns else len(milp.campaigns)
    if campaign not in milp.campaigns:
        milp.campaigns.append(campaign)
    owners = milp.add_owners(index.get_indexer(ids), campaign_no)

    # post columns, creator-major: creator i has caps[i] columns, post 1 first
    col_creator = np.repeat(np.arange(n), caps)
    starts = np.concatenate([[0], np.cumsum(caps)[:-1]]).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    col_post = np.arange(len(col_creator)) - np.repeat(starts, caps) + 1
    weights = post_weights(int(caps.max()) if n else 1, sc.assumptions.post_decay)
    names = [f"post_{k}[{ids[i]}]" for i, k in zip(col_creator.tolist(), col_post.tolist())]
    if campaign:
        names = [f"{campaign}/{name}" for name in names]
    post_cols = milp.add_columns(names, ColumnKind.POST, lb=0.0, ub=1.0, integer=True, owner=owners[col_creator],
                                 post=col_post)  # fmt: skip
    first = milp.first_col[owners]
    col_value = value[col_creator] * weights[col_post - 1]
    pa, pb, po = _eligible_pairs(problem, n)
    ctx = BuildContext(problem, milp, campaign, ids, frame, cost, value, owners, first, post_cols, col_creator,
                       cost[col_creator], col_value, (pa, pb, po))  # fmt: skip
    ctx.add_value_term("value", post_cols, col_value)

    # structural: post k+1 only after post k
    later = post_cols[col_post > 1]
    if len(later):
        r = np.arange(len(later))
        milp.add_block(Block(RuleKind.POST_ORDER, "", 0.0, [f"post_order[{milp.col_names[c]}]" for c in later],
                             np.concatenate([r, r]), np.concatenate([later, later - 1]),
                             np.concatenate([np.ones(len(later)), -np.ones(len(later))]), "<=", np.zeros(len(later)),
                             campaign))  # fmt: skip
    for spec in CATALOGUE.values():
        if spec.build is not None:
            for block in spec.build(ctx):
                milp.add_block(block)
    return ctx


def _eligible_pairs(problem: Problem, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Listed pairs whose two creators are eligible, as model positions (integers: pools list millions)."""
    pairs = problem.overlap
    model_pos = -np.ones(len(problem.pool.frame), dtype=np.int64)
    model_pos[np.flatnonzero(problem.eligible.to_numpy())] = np.arange(n)
    ia = model_pos[pairs["ia"].to_numpy(dtype=np.int64)]
    ib = model_pos[pairs["ib"].to_numpy(dtype=np.int64)]
    keep = (ia >= 0) & (ib >= 0)
    return ia[keep], ib[keep], pairs["overlap"].to_numpy(dtype=float)[keep]


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
    milp = Milp(maximise=sc.target is None, creator_ids=ids, campaigns=[""])
    ctx = add_campaign(milp, problem, "", pd.Index(ids))
    milp.expressions["value"] = ctx.value_expression()
    milp.expressions["cost"] = (ctx.post_cols, ctx.col_cost)
    if sc.target is None:
        for name, (cols, coefs) in ctx.value_terms.items():
            milp.add_objective(name, cols, coefs)
    else:
        milp.add_objective("cost", ctx.post_cols, ctx.col_cost)
    if sc.risk is not None:
        # a risk-aware roster: the objective becomes the CVaR or the robust value of the sampled outcomes
        from optimizer.risk import add_risk

        add_risk(ctx)
    return milp
