"""Rules on pool columns: audience composition (shares of the roster's reach) and custom sums and averages.

Two scenario blocks, one catalogue entry per rule kind (registered at the bottom of this module):

- ``audience: {audience_us: {min_share: 0.6}}``: the share of the roster's expected reach that falls in a
  segment. The reach of each booked post is the forecast's (post k worth ``post_decay``^(k-1) of the first),
  before the overlap discount. Linear: ``sum_posts reach x (share_c - min_share) >= 0`` (``<= 0`` for a cap).
- ``limits: {usage_fee: {max_sum: 5000}}``: the total or the average of a numeric pool column over the chosen
  creators (``per: creator``, each counted once) or over the booked posts (``per: post``, each post counted
  in full). An average is linear as ``sum (v - average) >= 0``.

Every row is global (it touches every eligible creator), so the reduction prices it with its dual. The
columns are read and checked here (`read_rule_columns`) before any row is built; `optimizer.verify` checks the
rules again with its own plain-loop re-implementation, from the pool's cells.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.errors import PoolError, ScenarioError
from optimizer.forecast import post_weights, total_weight
from optimizer.milp import Block
from optimizer.numbers import NumberFormat, parse_numbers
from optimizer.pool import _as_text, _fail, _numeric
from optimizer.rules import ConflictFacts, RuleSpec, register_rule

if TYPE_CHECKING:
    from optimizer.model import BuildContext
    from optimizer.pool import Pool
    from optimizer.problem import Problem
    from optimizer.scenario import LimitRule, Scenario

# Standard pool fields that hold numbers (a limit may name them: `followers: {max_sum: 500000}`).
NUMERIC_FIELDS: tuple[str, ...] = (
    "followers", "engagement_rate", "cost", "authenticity", "sentiment", "conversion_rate", "max_posts",
    "expected_conversions", "expected_emv", "expected_engagements", "expected_reach",
)  # fmt: skip
TEXT_FIELDS: tuple[str, ...] = ("creator_id", "handle", "platform", "niche", "niches", "country", "row")


class ColumnRuleKind(StrEnum):
    """Rule kinds of this module (a block's ``kind``); a limit per post has its own kind, so its words say so."""

    AUDIENCE_REACH = "audience_reach"
    LIMIT_NONEMPTY = "limit_nonempty"
    AUDIENCE_MIN = "audience_min"
    AUDIENCE_MAX = "audience_max"
    LIMIT_MIN_SUM = "limit_min_sum"
    LIMIT_MAX_SUM = "limit_max_sum"
    LIMIT_MIN_AVERAGE = "limit_min_average"
    LIMIT_MAX_AVERAGE = "limit_max_average"
    LIMIT_MIN_SUM_PER_POST = "limit_min_sum_per_post"
    LIMIT_MAX_SUM_PER_POST = "limit_max_sum_per_post"
    LIMIT_MIN_AVERAGE_PER_POST = "limit_min_average_per_post"
    LIMIT_MAX_AVERAGE_PER_POST = "limit_max_average_per_post"


def limit_kind(stat: str, per: str) -> str:
    """The rule kind of a limit statistic (``max_sum``, ...) counted per creator or per post.

    Examples
    --------
    >>> limit_kind("max_sum", "creator"), limit_kind("min_average", "post")
    ('limit_max_sum', 'limit_min_average_per_post')
    """
    return f"limit_{stat}" + ("_per_post" if per == "post" else "")


# --- reading the columns -------------------------------------------------------------------------


@dataclass
class RuleColumns:
    """The numeric pool columns the scenario's audience and limits rules name.

    Attributes
    ----------
    values : dict
        Column -> float Series indexed like the pool, NaN where the cell is blank.
    excluded : dict
        Column -> bool Series: blank cells of a rule with ``blank: exclude`` (those creators are ineligible).
    notes : list of str
        Blanks counted as zero, said out loud.
    """

    values: dict[str, pd.Series] = field(default_factory=dict)
    excluded: dict[str, pd.Series] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _named(scenario: Scenario) -> list[tuple[str, str, str]]:
    """(section, column, blank policy) of every rule, audience first."""
    out = [("audience", col, rule.blank) for col, rule in scenario.audience.items()]
    return out + [("limits", col, rule.blank) for col, rule in scenario.limits.items()]


def _limit_number(text: pd.Series, fmt: NumberFormat) -> tuple[pd.Series, pd.Series]:
    """Numbers written as ``1200``, ``1,200``, ``$1,200`` or ``85%`` (= 0.85), by the file's decimal rule.

    Returns the values (NaN where blank or unreadable) and why a cell breaks the decimal rule (None elsewhere).
    """
    pct = text.str.endswith("%").to_numpy(dtype=bool)
    amount, why_amount = parse_numbers(text.where(~pct, ""), fmt, "amount")
    rate, why_rate = parse_numbers(text.where(pct, ""), fmt, "rate")
    return amount.where(~pct, rate), why_amount.where(~pct, why_rate)


def read_rule_columns(scenario: Scenario, pool: Pool, source: str) -> RuleColumns:
    """Read and check every column an audience or limits rule names.

    Parameters
    ----------
    scenario : Scenario
    pool : Pool
        The validated pool (rule columns it does not know are still text cells).
    source : str
        The scenario file, for messages about the scenario.

    Returns
    -------
    RuleColumns

    Raises
    ------
    ScenarioError
        If a rule names a column the pool does not have (with a did-you-mean) or a text column.
    PoolError
        On a cell that is not a number, a share outside 0-1 (0-100%), or a blank where the rule needs a value;
        the message names the file, row, creator and column.
    """
    out = RuleColumns()
    if not scenario.audience and not scenario.limits:
        return out
    frame = pool.frame.sort_values("row")  # so the first row named in an error is the first in the file
    have = [c for c in frame.columns if c not in TEXT_FIELDS]
    for section, column, blank_rule in _named(scenario):
        shown = f"'{column}'" + (f" (mapped from '{scenario.columns[column]}')" if column in scenario.columns else "")
        if column not in frame.columns or column in TEXT_FIELDS:
            if column in TEXT_FIELDS and column in frame.columns:
                raise ScenarioError(f"{source}: {section}.{column}: column {shown} holds text, not numbers")
            hint = difflib.get_close_matches(column, have, n=1)
            tip = f"; did you mean '{hint[0]}'?" if hint else f"; its columns are: {', '.join(have)}"
            raise ScenarioError(
                f"{source}: {section}.{column}: {pool.source} has no column '{column}'{tip} "
                "(map an export header onto it under `columns:`)"
            )
        audience = section == "audience" or column in scenario.audience
        cells = frame[column]
        numeric = _numeric(cells)
        reasons = None
        if numeric is not None:
            value, blank = numeric, numeric.isna().to_numpy()
        else:
            text = _as_text(cells)
            if audience:
                value, reasons = parse_numbers(text, pool.number_format, "rate")
            else:
                value, reasons = _limit_number(text, pool.number_format)
            blank = (text == "").to_numpy()
        unreadable = ~blank & (value.isna() | ~np.isfinite(value.fillna(0))).to_numpy()
        if unreadable.any():
            expected = (
                "is not a share; expected a number from 0 to 1 (e.g. 0.6) or a percentage (60%)"
                if audience
                else "is not a number; expected e.g. 1200, 1,200 or 85%"
            )
            _fail(PoolError, pool.source, frame, unreadable, column, cells, f"{expected} ({section}.{column})",
                  reasons)  # fmt: skip
        if audience:
            for bad, expected in (
                ((value > 1).to_numpy(), "is above 1 (100%); audience shares are written 0.6 or 60%"),
                ((value < 0).to_numpy(), "is negative; audience shares are from 0 to 1 (0% to 100%)"),
            ):
                if bad.any():
                    _fail(PoolError, pool.source, frame, bad, column, cells, f"{expected} ({section}.{column})")
        if blank.any():
            if blank_rule == "error":
                _fail(
                    PoolError, pool.source, frame, blank, column, cells,
                    f"is blank, and {section}.{column} needs a value for every creator: fill it in, or say in the "
                    "rule `blank: zero` (count it as 0) or `blank: exclude` (leave such creators out)",
                )  # fmt: skip
            n = int(blank.sum())
            if blank_rule == "zero":
                out.notes.append(f"{n} creator(s) have no {column} value; {section}.{column} counts them as 0.")
            else:
                mask = pd.Series(blank, index=frame.index).reindex(pool.frame.index)
                out.excluded[column] = out.excluded[column] | mask if column in out.excluded else mask
        out.values[column] = value.reindex(pool.frame.index)
    return out


# --- figures (result.json) -----------------------------------------------------------------------


def _booked(problem: Problem, roster: dict[str, int]) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Chosen ids, posts, and expected reach of all their posts (post decay applied, before overlap)."""
    ids = pd.Index(sorted(roster))
    posts = np.array([roster[c] for c in ids], dtype=np.int64)
    decay = problem.scenario.assumptions.post_decay
    weight = np.array([total_weight(int(k), decay) for k in posts])
    reach = problem.metrics["reach"].reindex(ids).to_numpy(dtype=float) * weight
    return ids, posts, reach


def audience_rows(problem: Problem, roster: dict[str, int]) -> list[dict[str, Any]]:
    """One row per audience rule: the roster's share of expected reach in the segment, against the rule."""
    rows: list[dict[str, Any]] = []
    if not problem.scenario.audience:
        return rows
    ids, _, reach = _booked(problem, roster)
    total = float(reach.sum())
    for segment, rule in problem.scenario.audience.items():
        share = np.nan_to_num(problem.rule_values[segment].reindex(ids).to_numpy(dtype=float))
        inside = float(reach @ share)
        for name, limit, kind in (("min_share", rule.min_share, ColumnRuleKind.AUDIENCE_MIN),
                                  ("max_share", rule.max_share, ColumnRuleKind.AUDIENCE_MAX)):  # fmt: skip
            if limit is not None:
                rows.append({"segment": segment, "rule": name, "limit": float(limit),
                             "achieved": inside / total if total > 0 else None, "segment_reach": inside,
                             "reach": total, "text": _audience_words(kind == ColumnRuleKind.AUDIENCE_MIN, segment, limit)})  # fmt: skip
    return rows


def limit_rows(problem: Problem, roster: dict[str, int]) -> list[dict[str, Any]]:
    """One row per limit: the column's total or average over the roster, against the rule."""
    rows: list[dict[str, Any]] = []
    if not problem.scenario.limits:
        return rows
    ids, posts, _ = _booked(problem, roster)
    for column, rule in problem.scenario.limits.items():
        v = np.nan_to_num(problem.rule_values[column].reindex(ids).to_numpy(dtype=float))
        count = posts if rule.per == "post" else np.ones(len(ids), dtype=np.int64)
        total = float(v @ count)
        n = int(count.sum())
        for stat in _stats(rule):
            achieved = total if stat.endswith("sum") else (total / n if n else None)
            rows.append({"column": column, "rule": stat, "per": rule.per, "limit": float(getattr(rule, stat)),
                         "achieved": achieved, "text": _limit_words(stat, rule.per, column, getattr(rule, stat))})  # fmt: skip
    return rows


def near_limit(problem: Problem, roster: dict[str, int], within: float = 0.01) -> list[str]:
    """Audience and limits rules the roster meets within a share point (or 1% of the limit), in words.

    With whole creators such a rule shapes the roster even when it does not hold with equality, so an
    explanation of unspent budget that named only the rules at equality would leave it out.
    """
    out = []
    for r in audience_rows(problem, roster):
        if r["achieved"] is not None and abs(r["achieved"] - r["limit"]) <= within:
            out.append(f"{r['text']} ({r['achieved']:.1%})")
    for r in limit_rows(problem, roster):
        if r["achieved"] is not None and abs(r["achieved"] - r["limit"]) <= within * abs(r["limit"]):
            out.append(f"{r['text']} ({figure(r['achieved'])})")
    return out


def _stats(rule: LimitRule) -> list[str]:
    from optimizer.scenario import LIMIT_STATS

    return [s for s in LIMIT_STATS if getattr(rule, s) is not None]


# --- words ---------------------------------------------------------------------------------------


def figure(x: float) -> str:
    """A rule's number as a planner wrote it: whole numbers with separators, others to 4 significant places.

    Examples
    --------
    >>> figure(5000), figure(0.8), figure(1234567.0), figure(0.123456)
    ('5,000', '0.8', '1,234,567', '0.1235')
    """
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.2f}"


def _audience_words(more: bool, segment: str, share: float) -> str:
    return f"at {'least' if more else 'most'} {share:.0%} of the roster's expected reach in {segment}"


_STAT_WORDS = {"min_sum": "totals at least", "max_sum": "totals at most", "min_average": "averages at least",
               "max_average": "averages at most"}  # fmt: skip
_MUST_WORDS = {"min_sum": "total at least", "max_sum": "total at most", "min_average": "average at least",
               "max_average": "average at most"}  # fmt: skip


def _limit_words(stat: str, per: str, column: str, limit: float) -> str:
    over = "the booked posts" if per == "post" else "the chosen creators"
    return f"{column} {_STAT_WORDS[stat]} {figure(limit)} over {over}"


def _kind_stat(kind: str) -> tuple[str, str]:
    """(statistic, per) of a limit kind."""
    per = "post" if kind.endswith("_per_post") else "creator"
    return kind.removeprefix("limit_").removesuffix("_per_post"), per


# --- builders ------------------------------------------------------------------------------------


def _post_weights(ctx: BuildContext) -> np.ndarray:
    """Weight of each post column of the campaign: post k is worth post_decay^(k-1) of the first."""
    post = ctx.milp.post[ctx.post_cols]
    return post_weights(int(post.max()) if len(post) else 1, ctx.scenario.assumptions.post_decay)[post - 1]


def _column(ctx: BuildContext, column: str) -> np.ndarray:
    # blanks are 0 here: with `blank: zero` that is the rule, with `blank: exclude` those creators are not eligible
    return np.nan_to_num(ctx.problem.rule_values[column].loc[ctx.ids].to_numpy(dtype=float))


def _audience_reach(ctx: BuildContext) -> Iterable[Block]:
    """At least one creator with expected reach: a share of no reach at all is no answer to an audience rule.

    Without it the empty roster would meet every share rule (0 >= 0) and come back "optimal" whenever no
    real roster can; with it, that case is an infeasibility the diagnosis explains (docs/decisions.md).
    """
    if not ctx.scenario.audience:
        return
    live = np.flatnonzero(ctx.problem.metrics["reach"].loc[ctx.ids].to_numpy(dtype=float) > 0)
    yield Block.single(ColumnRuleKind.AUDIENCE_REACH, "", 1, ctx.first[live], np.ones(len(live)), ">=", 1,
                       ctx.campaign)  # fmt: skip


def _limit_nonempty(ctx: BuildContext) -> Iterable[Block]:
    """At least one creator when a limit states an average: like a share, an average of nothing is no answer."""
    if any(r.min_average is not None or r.max_average is not None for r in ctx.scenario.limits.values()):
        yield Block.single(ColumnRuleKind.LIMIT_NONEMPTY, "", 1, ctx.first, np.ones(len(ctx.first)), ">=", 1,
                           ctx.campaign)  # fmt: skip


def _audience(more: bool) -> Callable[[BuildContext], Iterable[Block]]:
    """``sum_posts reach x (share - min_share) >= 0`` (or ``<= 0`` with max_share), one row per segment."""
    kind = ColumnRuleKind.AUDIENCE_MIN if more else ColumnRuleKind.AUDIENCE_MAX

    def build(ctx: BuildContext) -> Iterable[Block]:
        if not ctx.scenario.audience:
            return
        reach = ctx.problem.metrics["reach"].loc[ctx.ids].to_numpy(dtype=float)
        col_reach = reach[ctx.col_creator] * _post_weights(ctx)
        for segment, rule in ctx.scenario.audience.items():
            limit = rule.min_share if more else rule.max_share
            if limit is None:
                continue
            coefs = col_reach * (_column(ctx, segment)[ctx.col_creator] - limit)
            keep = coefs != 0
            yield Block.single(kind, segment, limit, ctx.post_cols[keep], coefs[keep], ">=" if more else "<=", 0.0,
                               ctx.campaign)  # fmt: skip

    return build


def _limits(stat: str, per: str) -> Callable[[BuildContext], Iterable[Block]]:
    """A total (``sum v x >= or <= limit``) or an average (``sum (v - limit) x >= or <= 0``) of a column."""
    kind = limit_kind(stat, per)
    more = stat.startswith("min")

    def build(ctx: BuildContext) -> Iterable[Block]:
        for column, rule in ctx.scenario.limits.items():
            limit = getattr(rule, stat)
            if limit is None or rule.per != per:
                continue
            v = _column(ctx, column)
            cols, v = (ctx.post_cols, v[ctx.col_creator]) if per == "post" else (ctx.first, v)
            coefs, rhs = (v, limit) if stat.endswith("sum") else (v - limit, 0.0)
            keep = coefs != 0
            yield Block.single(kind, column, limit, cols[keep], coefs[keep], ">=" if more else "<=", rhs, ctx.campaign)

    return build


# --- conflicts: facts from the pool ----------------------------------------------------------------


def _audience_conflict(more: bool) -> Callable[[Block, ConflictFacts], str]:
    def text(b: Block, f: ConflictFacts) -> str:
        segment, limit = b.label, b.limit
        ids = f.eligible.index
        share = np.nan_to_num(f.problem.rule_values[segment].loc[ids].to_numpy(dtype=float))
        live = f.problem.metrics["reach"].loc[ids].to_numpy(dtype=float) > 0
        lead = f"at {'least' if more else 'most'} {limit:.0%} of the roster's expected reach must be in {segment}"
        if not live.any():
            return f"{lead}, but no eligible creator has any expected reach"
        best = int(np.argmax(np.where(live, share, -np.inf)) if more else np.argmin(np.where(live, share, np.inf)))
        word = "highest" if more else "lowest"
        if (share[best] < limit) if more else (share[best] > limit):
            # a roster's share is a reach-weighted average of its creators' shares: it cannot pass the best one
            return (f"{lead}, but the {word} share of any eligible creator is {share[best]:.1%} ({ids[best]}), "
                    "so no roster can get there")  # fmt: skip
        ok = live & ((share >= limit) if more else (share <= limit))
        where = "or more" if more else "or less"
        out = (f"{lead}; {int(ok.sum())} of {int(live.sum())} eligible creators with reach are at {limit:.0%} {where} "
               f"on their own (the {word}: {ids[best]}, {share[best]:.1%})")  # fmt: skip
        if f.with_budget():
            out += f"; the cheapest of them costs {f.money(float(f.eligible['cost'].to_numpy()[ok].min()))} a post"
        return out

    return text


def _limit_conflict(b: Block, f: ConflictFacts) -> str:
    stat, per = _kind_stat(str(b.kind))
    column = b.label
    ids = f.eligible.index
    v = np.nan_to_num(f.problem.rule_values[column].loc[ids].to_numpy(dtype=float))
    caps = f.problem.max_posts.loc[ids].to_numpy(dtype=float)
    over = "the booked posts" if per == "post" else "the chosen creators"
    lead = f"{column} must {_MUST_WORDS[stat]} {figure(b.limit)} over {over}"
    unit = "per post" if per == "post" else "of any eligible creator"
    if not len(v):
        return f"{lead}, but no creator is eligible"
    if stat == "min_sum":
        most = float((np.maximum(v, 0) * (caps if per == "post" else 1)).sum())
        return f"{lead} (all eligible creators together reach {figure(most)})"
    if stat == "max_sum":
        out = f"{lead} (the lowest {unit} is {figure(float(v.min()))}"
        k = f.problem.scenario.roster.min_creators
        if k and "roster_min" in f.kinds and k <= len(v):
            out += f"; the {k} lowest total {figure(float(np.sort(v)[:k].sum()))}"
        return out + ")"
    more = stat == "min_average"
    best = float(v.max() if more else v.min())
    if (best < b.limit) if more else (best > b.limit):
        return f"{lead}, but the {'highest' if more else 'lowest'} {unit} is {figure(best)}, so no roster can get there"
    ok = int(((v >= b.limit) if more else (v <= b.limit)).sum())
    return f"{lead} ({ok} of {len(v)} eligible creators are at {figure(b.limit)} {'or more' if more else 'or less'})"


# --- the catalogue entries -------------------------------------------------------------------------


def _limit_text(b: Block, currency: str) -> str:
    stat, per = _kind_stat(str(b.kind))
    return _limit_words(stat, per, b.label, b.limit)


SPECS: list[RuleSpec] = [
    RuleSpec(ColumnRuleKind.AUDIENCE_REACH, lambda b, cur: "audience rules need a roster that reaches someone",
             _audience_reach, lambda b, f: "audience rules need a roster with some expected reach"),
    RuleSpec(ColumnRuleKind.AUDIENCE_MIN, lambda b, cur: _audience_words(True, b.label, b.limit), _audience(True),
             _audience_conflict(True)),
    RuleSpec(ColumnRuleKind.AUDIENCE_MAX, lambda b, cur: _audience_words(False, b.label, b.limit), _audience(False),
             _audience_conflict(False)),
    RuleSpec(ColumnRuleKind.LIMIT_NONEMPTY, lambda b, cur: "average rules need at least one creator",
             _limit_nonempty, lambda b, f: "average rules need at least one chosen creator"),
    *[RuleSpec(limit_kind(stat, per), _limit_text, _limits(stat, per), _limit_conflict)
      for per in ("creator", "post") for stat in ("min_sum", "max_sum", "min_average", "max_average")],
]  # fmt: skip
for _spec in SPECS:
    register_rule(_spec)
