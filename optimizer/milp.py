"""The mixed-integer programme in array form: columns with their metadata, blocks of rows, objective terms.

This module knows nothing about scenarios. `optimizer.model` builds a campaign's `Milp` from the rule
catalogue (`optimizer.rules`); new models (CVaR, robust, portfolios, alternatives) extend it through
three extension points, and every consumer (solvers, the reduction, diagnosis) works from the metadata:

- `Milp.add_columns`: new columns with bounds, integrality, a *column kind* and their owners;
- `Milp.add_block`: rows of one rule of the catalogue (a `Block`);
- `Milp.add_objective`: a named objective term.

Owners. A column belongs to no one (a global column, e.g. CVaR's value-at-risk level), to one owner (the
posts of a creator, or an auxiliary column of that creator) or to two (a pair column such as the shared
audience of two creators). An owner is a (campaign, creator) pair: a single campaign has one owner per
eligible creator; a portfolio has one per campaign and creator. When the reduction (`optimizer.reduce`)
removes an owner, every column it owns is fixed at zero, so owned columns must admit zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np

Sense = Literal["<=", ">=", "=="]


class ColumnKind(StrEnum):
    """What a column stands for; its registered spec says how many owners it has."""

    POST = "post"  # binary: the owner is booked for at least k posts (k = the column's post number)
    PAIR = "pair"  # an auxiliary column of two owners (e.g. the shared audience of two chosen creators)
    OWNED = "owned"  # an auxiliary column of one owner (e.g. a creator's dual in a robust model)
    GLOBAL = "global"  # an auxiliary column of the whole model (e.g. a CVaR level or a per-draw shortfall)


@dataclass(frozen=True)
class ColumnKindSpec:
    """How consumers treat a column kind.

    Attributes
    ----------
    name : str
    owners : int
        0 (global, always kept), 1 or 2 (kept only while every owner is kept).
    description : str
    """

    name: str
    owners: int
    description: str


COLUMN_KINDS: dict[str, ColumnKindSpec] = {}


def register_column_kind(spec: ColumnKindSpec) -> ColumnKindSpec:
    """Add a column kind (the one place a new kind of auxiliary column is declared)."""
    if spec.owners not in (0, 1, 2):
        raise ValueError(f"column kind {spec.name!r}: owners must be 0, 1 or 2")
    COLUMN_KINDS[spec.name] = spec
    return spec


for _spec in (
    ColumnKindSpec(ColumnKind.POST, 1, "post_k[c]: binary, creator c booked for at least k posts"),
    ColumnKindSpec(ColumnKind.PAIR, 2, "auxiliary column of two creators, zero unless both can be chosen"),
    ColumnKindSpec(ColumnKind.OWNED, 1, "auxiliary column of one creator, zero when the creator is out"),
    ColumnKindSpec(ColumnKind.GLOBAL, 0, "auxiliary column of the whole model"),
):
    register_column_kind(_spec)


@dataclass
class Block:
    """Rows of one rule: ``sum_j A[r, j] x_j  (sense)  rhs[r]`` for each local row r.

    Attributes
    ----------
    kind : str
        The rule's entry in the catalogue (`optimizer.rules.RuleKind` or a registered extension).
    label : str
        The niche, platform or creator the rule is about ('' for global rules).
    limit : float
        The number in the scenario the rule enforces (a count, an amount or a share).
    row_names : list of str
    rows, cols, coefs : numpy.ndarray
        The non-zeros in coordinate form (local row index, column index, coefficient).
    sense : str
    rhs : numpy.ndarray
    campaign : str
        The campaign of a portfolio the rule belongs to ('' for a single campaign).
    key : str
        Unique name of the requirement, e.g. ``budget``, ``niche_min[zero-waste]``; derived from kind,
        label and campaign unless given. Infeasibility analysis relaxes rules by key.
    """

    kind: str
    label: str
    limit: float
    row_names: list[str]
    rows: np.ndarray
    cols: np.ndarray
    coefs: np.ndarray
    sense: Sense
    rhs: np.ndarray
    campaign: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = rule_key(self.kind, self.label, self.campaign)

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.rhs)

    @classmethod
    def single(
        cls,
        kind: str,
        label: str,
        limit: float,
        cols: np.ndarray,
        coefs: np.ndarray,
        sense: Sense,
        rhs: float,
        campaign: str = "",
    ) -> Block:
        """A one-row block named after its key (``sum coefs x[cols] (sense) rhs``)."""
        key = rule_key(kind, label, campaign)
        return cls(kind, label, limit, [key], np.zeros(len(cols), dtype=np.int64), np.asarray(cols, dtype=np.int64),
                   np.asarray(coefs, dtype=float), sense, np.array([rhs], dtype=float), campaign, key)  # fmt: skip


def rule_key(kind: str, label: str = "", campaign: str = "") -> str:
    """The key of a rule: ``kind`` or ``kind[label]``, prefixed by ``campaign/`` in a portfolio.

    Examples
    --------
    >>> rule_key("budget"), rule_key("niche_min", "zero-waste"), rule_key("budget", "", "spring")
    ('budget', 'niche_min[zero-waste]', 'spring/budget')
    """
    key = f"{kind}[{label}]" if label else str(kind)
    return f"{campaign}/{key}" if campaign else key


@dataclass
class MatrixForm:
    """A `Milp` as one sparse matrix (column-wise), ready for any solver interface.

    Attributes
    ----------
    start, index, value : numpy.ndarray
        Compressed sparse columns: the non-zeros of column j are ``index[start[j]:start[j+1]]``.
    row_lower, row_upper : numpy.ndarray
        Row bounds (``-inf``/``inf`` for one-sided rows).
    row_names : list of str
    row_block : numpy.ndarray
        Index into ``Milp.blocks`` of each row.
    row_local : numpy.ndarray
        Row index within its block.
    """

    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_names: list[str]
    row_block: np.ndarray
    row_local: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.row_lower)


@dataclass
class Milp:
    """A roster model in array form.

    Attributes
    ----------
    maximise : bool
    creator_ids : numpy.ndarray
        Ids of the creators the model may book, in creator-id order.
    campaigns : list of str
        Campaign names ('' for a single campaign).
    owner_creator, owner_campaign : numpy.ndarray
        For each owner, its creator (index into ``creator_ids``) and campaign (index into ``campaigns``).
    first_col : numpy.ndarray
        For each owner, the column of its first post.
    col_names : list of str
    lb, ub : numpy.ndarray
        Column bounds (``-inf``/``inf`` allowed for global columns).
    is_int : numpy.ndarray
    kind : numpy.ndarray
        Column kind of each column (see `ColumnKind`).
    owner, partner : numpy.ndarray
        Owner of each column and, for pair columns, its second owner (-1 where there is none).
    post : numpy.ndarray
        Post number k of a post column (0 for other columns).
    blocks : list of Block
    objective : dict
        Named objective terms ``name -> (cols, coefs)``; the objective is their sum.
    expressions : dict
        Named linear expressions the model reports on, whether or not they are in the objective
        (``value``: the campaign's expected value, which the verifier recomputes).
    reducible : bool
        Whether `optimizer.reduce` may prove owners out of this model (an extension that cannot be
        reduced safely sets it to False and says why in ``notes``).
    notes : list of str
    """

    maximise: bool
    creator_ids: np.ndarray
    campaigns: list[str] = field(default_factory=lambda: [""])
    owner_creator: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    owner_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    first_col: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    col_names: list[str] = field(default_factory=list)
    lb: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ub: np.ndarray = field(default_factory=lambda: np.zeros(0))
    is_int: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="U16"))
    owner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    partner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    post: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    blocks: list[Block] = field(default_factory=list)
    objective: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    expressions: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    reducible: bool = True
    notes: list[str] = field(default_factory=list)

    # --- extension points ----------------------------------------------------------------------

    def add_owners(self, creators: np.ndarray, campaign: int = 0) -> np.ndarray:
        """Register owners (one per creator index, in one campaign); returns their owner indices."""
        creators = np.asarray(creators, dtype=np.int64)
        first = len(self.owner_creator)
        self.owner_creator = np.concatenate([self.owner_creator, creators])
        self.owner_campaign = np.concatenate([self.owner_campaign, np.full(len(creators), campaign, dtype=np.int64)])
        self.first_col = np.concatenate([self.first_col, -np.ones(len(creators), dtype=np.int64)])
        return np.arange(first, first + len(creators))

    def add_columns(
        self,
        names: Sequence[str],
        kind: str,
        *,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray = 1.0,
        integer: bool | np.ndarray = False,
        owner: int | np.ndarray = -1,
        partner: int | np.ndarray = -1,
        post: int | np.ndarray = 0,
    ) -> np.ndarray:
        """Append columns; returns their indices.

        Parameters
        ----------
        names : sequence of str
            One deterministic name per column (``post_2[c-0042]``, ``shared[a|b]``).
        kind : str
            A registered column kind; its number of owners must match ``owner``/``partner``.
        lb, ub : float or array
            Bounds. A column with an owner must admit zero (it is fixed at zero when its owner is
            proven out of the roster).
        integer : bool or array
        owner, partner : int or array
            Owner indices (`add_owners`), -1 for none.
        post : int or array
            Post number of a post column.
        """
        spec = COLUMN_KINDS.get(str(kind))
        if spec is None:
            raise ValueError(f"unknown column kind {kind!r}; register it with register_column_kind")
        n = len(names)
        start = len(self.col_names)

        def full(value, dtype):
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        owner_a, owner_b = full(owner, np.int64), full(partner, np.int64)
        given = (owner_a >= 0).astype(int) + (owner_b >= 0).astype(int)
        if n and not (given == spec.owners).all():
            raise ValueError(f"columns of kind {kind!r} need {spec.owners} owner(s) each")
        low, high = full(lb, float), full(ub, float)
        if n and spec.owners and ((low > 0) | (high < 0)).any():
            raise ValueError(f"owned columns of kind {kind!r} must admit zero (lb <= 0 <= ub)")
        self.col_names.extend(names)
        self.lb = np.concatenate([self.lb, low])
        self.ub = np.concatenate([self.ub, high])
        self.is_int = np.concatenate([self.is_int, full(integer, bool)])
        self.kind = np.concatenate([self.kind, np.full(n, str(kind), dtype="U16")])
        self.owner = np.concatenate([self.owner, owner_a])
        self.partner = np.concatenate([self.partner, owner_b])
        self.post = np.concatenate([self.post, full(post, np.int64)])
        cols = np.arange(start, start + n)
        if kind == ColumnKind.POST and n:
            firsts = cols[self.post[cols] == 1]
            self.first_col[self.owner[firsts]] = firsts
        return cols

    def add_block(self, block: Block) -> Block:
        """Append the rows of one rule (its key must be new)."""
        if len(block.cols) and (block.cols.min() < 0 or block.cols.max() >= self.n_cols):
            raise ValueError(f"block {block.key}: column index out of range")
        if block.key in self._keys():
            raise ValueError(f"block {block.key} is already in the model")
        self.blocks.append(block)
        return block

    def add_objective(self, name: str, cols: np.ndarray, coefs: np.ndarray) -> None:
        """Add a named objective term (added to an existing term of the same name)."""
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.asarray(coefs, dtype=float)
        if name in self.objective:
            old_cols, old_coefs = self.objective[name]
            cols, coefs = np.concatenate([old_cols, cols]), np.concatenate([old_coefs, coefs])
        self.objective[name] = (cols, coefs)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def n_cols(self) -> int:
        """Number of columns."""
        return len(self.col_names)

    @property
    def obj(self) -> np.ndarray:
        """The objective as a dense vector (sum of the named terms)."""
        out = np.zeros(self.n_cols)
        for cols, coefs in self.objective.values():
            np.add.at(out, cols, coefs)
        return out

    def expression_value(self, name: str, values: np.ndarray) -> float:
        """Value of a named expression at a solution."""
        cols, coefs = self.expressions[name]
        return float(coefs @ values[cols])

    @property
    def col_creator(self) -> np.ndarray:
        """Creator index of each post column; -1 for every other column."""
        out = -np.ones(self.n_cols, dtype=np.int64)
        posts = self.kind == ColumnKind.POST
        out[posts] = self.owner_creator[self.owner[posts]]
        return out

    def _keys(self) -> set[str]:
        return {b.key for b in self.blocks}

    def rule_keys(self, relaxable_only: bool = True) -> list[str]:
        """Keys of the rules, in build order (by default only those a planner can relax)."""
        from optimizer.rules import spec_of  # the catalogue knows which rules a planner sets

        return [b.key for b in self.blocks if not relaxable_only or spec_of(b.kind).relaxable]

    def blocks_of(self, kind: str) -> list[Block]:
        """The blocks of one rule kind."""
        return [b for b in self.blocks if b.kind == kind]

    def posts(self, values: np.ndarray, campaign: int = 0) -> dict[str, int]:
        """Posts per chosen creator of one campaign from a column-value vector."""
        booked = (values > 0.5) & (self.kind == ColumnKind.POST)
        booked &= self.owner_campaign[np.maximum(self.owner, 0)] == campaign
        creators = self.owner_creator[self.owner[booked]]
        counts = np.bincount(creators, minlength=len(self.creator_ids))
        return {str(self.creator_ids[i]): int(counts[i]) for i in np.flatnonzero(counts)}

    def start_vector(self, roster: dict[str, int], campaign: int = 0) -> np.ndarray:
        """Post-column values of a roster (creator id -> posts) as a full column vector (NaN elsewhere).

        Columns other than posts are left NaN: solvers complete a partial start themselves.
        """
        booked = np.array([roster.get(str(c), 0) for c in self.creator_ids], dtype=np.int64)
        guess = np.full(self.n_cols, np.nan)
        cols = np.flatnonzero(self.kind == ColumnKind.POST)
        owners = self.owner[cols]
        mine = self.owner_campaign[owners] == campaign
        cols, owners = cols[mine], owners[mine]
        guess[cols] = (self.post[cols] <= booked[self.owner_creator[owners]]).astype(float)
        return guess

    # --- forms -----------------------------------------------------------------------------------

    def matrix(self, drop: Iterable[str] = ()) -> MatrixForm:
        """All rows as one column-wise sparse matrix, leaving out the blocks whose keys are in `drop`."""
        drop = set(drop)
        rows, cols, vals, lo, hi, names, block_of, local = [], [], [], [], [], [], [], []
        offset = 0
        for b_index, b in enumerate(self.blocks):
            if b.key in drop:
                continue
            n = b.n_rows
            rows.append(b.rows + offset)
            cols.append(b.cols)
            vals.append(b.coefs)
            lo.append(b.rhs if b.sense in (">=", "==") else np.full(n, -np.inf))
            hi.append(b.rhs if b.sense in ("<=", "==") else np.full(n, np.inf))
            names.extend(b.row_names)
            block_of.append(np.full(n, b_index, dtype=np.int64))
            local.append(np.arange(n, dtype=np.int64))
            offset += n
        r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
        v = np.concatenate(vals) if vals else np.zeros(0)
        keep = v != 0
        r, c, v = r[keep], c[keep], v[keep]
        order = np.lexsort((r, c))
        r, c, v = r[order], c[order], v[order]
        return MatrixForm(
            start=np.searchsorted(c, np.arange(self.n_cols + 1)).astype(np.int64),
            index=r.astype(np.int64),
            value=v.astype(float),
            row_lower=np.concatenate(lo).astype(float) if lo else np.zeros(0),
            row_upper=np.concatenate(hi).astype(float) if hi else np.zeros(0),
            row_names=names,
            row_block=np.concatenate(block_of) if block_of else np.zeros(0, dtype=np.int64),
            row_local=np.concatenate(local) if local else np.zeros(0, dtype=np.int64),
        )

    def restrict(self, keep_owner: np.ndarray, relax_local: bool = False) -> tuple[Milp, np.ndarray]:
        """The model with the columns of removed owners fixed at zero (and so left out).

        Parameters
        ----------
        keep_owner : numpy.ndarray of bool
            One per owner.
        relax_local : bool
            Also drop every row of a *local* rule (see `optimizer.rules`) that touches a removed owner.
            That is a relaxation (used for the reduction's LP bound); without it the result is exactly
            the model with those columns at zero (used for the MIPs).

        Returns
        -------
        sub : Milp
        columns : numpy.ndarray
            Index in this model of each column of `sub`.
        """
        from optimizer.rules import spec_of

        keep_owner = np.asarray(keep_owner, dtype=bool)
        ok = np.ones(len(keep_owner) + 1, dtype=bool)  # ok[-1] stands for "no owner"
        ok[:-1] = keep_owner
        keep_col = ok[self.owner] & ok[self.partner]
        columns = np.flatnonzero(keep_col)
        new_index = -np.ones(self.n_cols, dtype=np.int64)
        new_index[columns] = np.arange(len(columns))
        blocks: list[Block] = []
        for b in self.blocks:
            inside = keep_col[b.cols]
            if relax_local and spec_of(b.kind).local:
                row_ok = np.ones(b.n_rows, dtype=bool)
                row_ok[np.unique(b.rows[~inside])] = False
            else:
                # a row left with no column is 0 (sense) rhs: keep it only if that fails, so the
                # restriction stays infeasible where the model with those columns at zero is
                row_ok = _rows_still_needed(b, inside, self.lb, self.ub)
            if not row_ok.any():
                continue
            nz = row_ok[b.rows] & inside
            row_new = -np.ones(b.n_rows, dtype=np.int64)
            row_new[row_ok] = np.arange(int(row_ok.sum()))
            blocks.append(Block(b.kind, b.label, b.limit, [n for n, k in zip(b.row_names, row_ok) if k],
                                row_new[b.rows[nz]], new_index[b.cols[nz]], b.coefs[nz], b.sense, b.rhs[row_ok],
                                b.campaign, b.key))  # fmt: skip
        owner_new = -np.ones(len(keep_owner) + 1, dtype=np.int64)
        kept_owners = np.flatnonzero(keep_owner)
        owner_new[kept_owners] = np.arange(len(kept_owners))

        def subset(terms: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
            return {
                name: (new_index[cols[keep_col[cols]]], coefs[keep_col[cols]]) for name, (cols, coefs) in terms.items()
            }

        objective, expressions = subset(self.objective), subset(self.expressions)
        sub = Milp(
            maximise=self.maximise, creator_ids=self.creator_ids, campaigns=list(self.campaigns),
            owner_creator=self.owner_creator[kept_owners], owner_campaign=self.owner_campaign[kept_owners],
            first_col=new_index[self.first_col[kept_owners]], col_names=[self.col_names[c] for c in columns],
            lb=self.lb[columns], ub=self.ub[columns], is_int=self.is_int[columns], kind=self.kind[columns],
            owner=owner_new[self.owner[columns]], partner=owner_new[self.partner[columns]], post=self.post[columns],
            blocks=blocks, objective=objective, expressions=expressions, reducible=self.reducible,
            notes=list(self.notes),
        )  # fmt: skip
        return sub, columns


def _rows_still_needed(b: Block, inside: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Rows of `b` to keep when the columns outside `inside` are fixed at zero.

    A row that lost none of its columns is kept as it is. A row that lost some is kept only if its
    remaining columns can still violate it (its activity range over the column bounds crosses the rhs),
    so the restricted model is exact and free of rows the removal made redundant (``x_a + x_b <= 1``
    with b removed). A row left with no column is kept only if 0 breaks it, so infeasibility survives.
    """
    lost = np.zeros(b.n_rows, dtype=bool)
    lost[np.unique(b.rows[~inside])] = True
    if not lost.any():
        return np.ones(b.n_rows, dtype=bool)
    live = inside & (b.coefs != 0)
    coef, cols, rows = b.coefs[live], b.cols[live], b.rows[live]
    lo_term = np.minimum(coef * lb[cols], coef * ub[cols])
    hi_term = np.maximum(coef * lb[cols], coef * ub[cols])
    low = np.bincount(rows, weights=lo_term, minlength=b.n_rows)
    high = np.bincount(rows, weights=hi_term, minlength=b.n_rows)
    tol = 1e-9 * np.maximum(1.0, np.abs(b.rhs))
    can_break = np.zeros(b.n_rows, dtype=bool)
    if b.sense in ("<=", "=="):
        can_break |= high > b.rhs + tol
    if b.sense in (">=", "=="):
        can_break |= low < b.rhs - tol
    return ~lost | can_break
