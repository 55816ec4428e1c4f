"""The catalogue of rules: for each kind of requirement, its block builder, its words, and how it behaves.

One entry per rule kind (`RuleSpec`), registered in build order. The model (`optimizer.model`) builds the
blocks of every entry; diagnosis, the reduction and the summaries read the entry instead of parsing keys:

- ``build(ctx)``: the rows of the rule for a campaign (`optimizer.model.BuildContext`);
- ``text(block, currency)``: the rule in the planner's words ("at most 40 creators");
- ``conflict(block, facts)``: what makes it bind when the scenario is infeasible, with facts from the pool;
- ``local``: each row touches the columns of one creator (or one pair) only, so the reduction may drop
  the row for a creator it has not yet priced (a relaxation, see `optimizer.reduce`);
- ``relaxable``: a requirement a planner set (diagnosis relaxes these; structural rows are not);
- ``check(problem, roster)``: for an extension rule, its independent check, which `optimizer.verify` runs
  (the built-in rules are re-implemented in verify.py itself, on purpose).

A new rule is one `register_rule` call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from optimizer.formatting import money
from optimizer.milp import Block, ColumnKind, rule_key

if TYPE_CHECKING:
    import pandas as pd

    from optimizer.model import BuildContext
    from optimizer.problem import Problem
    from optimizer.scenario import GroupRule


class RuleKind(StrEnum):
    """The built-in rule kinds (a block's ``kind``)."""

    POST_ORDER = "post_order"
    BUDGET = "budget"
    MIN_SPEND = "min_spend"
    ROSTER_MIN = "roster_min"
    ROSTER_MAX = "roster_max"
    NICHE_MIN = "niche_min"
    NICHE_MAX = "niche_max"
    NICHE_SHARE_MIN = "niche_share_min"
    NICHE_SHARE_MAX = "niche_share_max"
    PLATFORM_MIN = "platform_min"
    PLATFORM_MAX = "platform_max"
    PLATFORM_SHARE_MIN = "platform_share_min"
    PLATFORM_SHARE_MAX = "platform_share_max"
    INCLUDE = "include"
    OVERLAP_CONFLICTS = "overlap_conflicts"
    OVERLAP_DISCOUNT = "overlap_discount"
    TARGET = "target"
    CVAR_SHORTFALL = "cvar_shortfall"
    ROBUST_PROTECTION = "robust_protection"


@dataclass
class ConflictFacts:
    """What a conflict description may draw on.

    Attributes
    ----------
    problem : Problem
    eligible : pandas.DataFrame
        Pool rows of the eligible creators.
    kinds : set of str
        Rule kinds in the conflict.
    """

    problem: Problem
    eligible: pd.DataFrame
    kinds: set[str] = field(default_factory=set)
    budget_stated: bool = False  # a phrase already names the budget

    @property
    def currency(self) -> str:
        """The scenario's currency."""
        return self.problem.scenario.currency

    def money(self, amount: float) -> str:
        """Whole currency units, for explanations."""
        return money(amount, self.currency, 0)

    def with_budget(self) -> bool:
        """True when the budget is part of the conflict."""
        return RuleKind.BUDGET in self.kinds and self.problem.scenario.budget is not None

    def cheapest(self, costs: np.ndarray, k: int) -> float:
        """Cost of the k cheapest of `costs`."""
        return float(np.sort(costs)[:k].sum()) if k > 0 else 0.0


@dataclass(frozen=True)
class Measure:
    """What a one-row rule counts, for explanations that quote an amount ("$767 of spend", "5 creators").

    Attributes
    ----------
    amount : callable
        An amount in words with what it counts: ``amount(767)`` -> "$767 of spend", ``amount(1)`` -> "1 creator".
    limit : str
        The rule's own limit in words: "the budget of $600", "the roster maximum of 4".
    change : callable
        A new limit -> the smallest change in words: "raise the budget to $767".
    """

    amount: Callable[[float], str]
    limit: str
    change: Callable[[float], str]


@dataclass(frozen=True)
class RuleSpec:
    """One entry of the catalogue (see the module docstring)."""

    kind: str
    text: Callable[[Block, str], str]
    build: Callable[[BuildContext], Iterable[Block]] | None = None
    conflict: Callable[[Block, ConflictFacts], str | None] | None = None
    local: bool = False
    relaxable: bool = True
    states_budget: bool = False  # its conflict text already names the budget when the budget is in the conflict
    check: Callable[[Problem, dict[str, int]], list[str]] | None = None
    measure: Callable[[Block, str], Measure] | None = None  # for one-row rules whose limit is an amount


CATALOGUE: dict[str, RuleSpec] = {}


def register_rule(spec: RuleSpec) -> RuleSpec:
    """Add a rule kind to the catalogue (built after those already registered)."""
    CATALOGUE[str(spec.kind)] = spec
    return spec


def unregister_rule(kind: str) -> None:
    """Remove a rule kind (tests that add toy rules clean up with this)."""
    CATALOGUE.pop(str(kind), None)


def extension_rules() -> list[RuleSpec]:
    """Registered rules beyond the built-in ones that bring their own independent check (for verify)."""
    builtin = {str(k) for k in RuleKind}
    return [spec for kind, spec in CATALOGUE.items() if kind not in builtin and spec.check is not None]


def spec_of(kind: str) -> RuleSpec:
    """The catalogue entry of a rule kind."""
    try:
        return CATALOGUE[str(kind)]
    except KeyError:
        raise KeyError(f"rule kind {kind!r} is not in the catalogue (optimizer.rules.register_rule)") from None


def rule_text(block: Block, currency: str) -> str:
    """A rule in the planner's words, e.g. "at most 40 creators"."""
    return spec_of(block.kind).text(block, currency)


# --- words -------------------------------------------------------------------------------------


def _group(block: Block) -> str:
    return f"{'niche' if block.kind.startswith('niche') else 'platform'} '{block.label}'"


def _count_text(more: bool) -> Callable[[Block, str], str]:
    return lambda b, cur: f"{_group(b)}: at {'least' if more else 'most'} {creators(b.limit)}"


def _share_text(more: bool) -> Callable[[Block, str], str]:
    return lambda b, cur: f"{_group(b)}: at {'least' if more else 'most'} {b.limit:.0%} of the spend"


def _members(block: Block, frame: pd.DataFrame) -> pd.DataFrame:
    if block.kind.startswith("niche"):
        return frame[[block.label in t for t in frame["niches"]]]
    return frame[frame["platform"] == block.label]


def _group_min_conflict(b: Block, f: ConflictFacts) -> str:
    k = int(b.limit)
    m = _members(b, f.eligible)
    if f.with_budget():
        return (
            f"{_group(b)} needs {creators(k)}, and its {k} cheapest eligible cost "
            f"{f.money(f.cheapest(m['cost'].to_numpy(), k))}; the budget is {f.money(f.problem.scenario.budget or 0)}"
        )
    if len(m) < k:
        in_pool = len(_members(b, f.problem.pool.frame))
        return f"{_group(b)} needs {creators(k)} but only {len(m)} are eligible ({in_pool} in the pool)"
    return f"{_group(b)} needs at least {creators(k)}"


def _roster_min_conflict(b: Block, f: ConflictFacts) -> str:
    k = int(b.limit)
    if f.with_budget():
        return (
            f"{creators(k)} cost at least {f.money(f.cheapest(f.eligible['cost'].to_numpy(), k))} "
            f"(the {k} cheapest eligible) but the budget is {f.money(f.problem.scenario.budget or 0)}"
        )
    n = len(f.eligible)
    return (
        f"the roster needs at least {creators(k)} but only {n} are eligible"
        if n < k
        else (f"the roster needs at least {creators(k)}")
    )


def _min_spend_conflict(b: Block, f: ConflictFacts) -> str:
    p = f.problem
    most = float((f.eligible["cost"] * p.max_posts.loc[f.eligible.index]).sum())
    return f"min_spend requires spending {f.money(b.limit)} (all eligible creators together cost {f.money(most)})"


def _share_conflict(more: bool) -> Callable[[Block, ConflictFacts], str]:
    return lambda b, f: f"{_group(b)} must get {'at least' if more else 'at most'} {b.limit:.0%} of the roster's spend"


def _include_conflict(b: Block, f: ConflictFacts) -> str:
    cost = float(f.problem.pool.frame.at[b.label, "cost"])
    return f"{b.label} must be on the roster (one post costs {f.money(cost)})"


def creators(n: float, where: str = "") -> str:
    """ "1 creator", "3 creators", with an optional place ("in niche 'a'")."""
    count = round(n)
    return f"{count:,} creator{'' if count == 1 else 's'}" + (f" {where}" if where else "")


def _spend_measure(what: str, verb: str) -> Callable[[Block, str], Measure]:
    def measure(b: Block, cur: str) -> Measure:
        return Measure(lambda x: f"{money(x, cur, 0)} of spend", f"{what} of {money(b.limit, cur, 0)}",
                       lambda x: f"{verb} {what} to {money(x, cur, 2)}")  # fmt: skip

    return measure


def _roster_measure(more: bool) -> Callable[[Block, str], Measure]:
    def measure(b: Block, cur: str) -> Measure:
        word = "minimum" if more else "maximum"
        verb = "lower" if more else "raise"
        return Measure(creators, f"the roster {word} of {creators(b.limit)}",
                       lambda x: f"{verb} the roster {word} to {creators(x)}")  # fmt: skip

    return measure


def _group_measure(more: bool) -> Callable[[Block, str], Measure]:
    def measure(b: Block, cur: str) -> Measure:
        word = "minimum" if more else "maximum"
        verb = "lower" if more else "raise"
        return Measure(lambda x: creators(x, f"in {_group(b)}"), f"its {word} of {creators(b.limit)}",
                       lambda x: f"{verb} the {word} of {_group(b)} to {creators(x)}")  # fmt: skip

    return measure


def _target_measure(b: Block, cur: str) -> Measure:
    fmt = (lambda x: money(x, cur, 0)) if b.label == "emv" else (lambda x: f"{x:,.0f}")
    return Measure(lambda x: f"{fmt(x)} expected {b.label}", f"the target of {fmt(b.limit)}",
                   lambda x: f"lower the target to {fmt(x)} expected {b.label}")  # fmt: skip


# --- builders ----------------------------------------------------------------------------------


def _budget(ctx: BuildContext) -> Iterable[Block]:
    budget = ctx.scenario.budget
    if budget is not None:
        yield Block.single(RuleKind.BUDGET, "", budget, ctx.post_cols, ctx.col_cost, "<=", budget, ctx.campaign)


def _min_spend(ctx: BuildContext) -> Iterable[Block]:
    amount = ctx.scenario.min_spend
    if amount is not None:
        yield Block.single(RuleKind.MIN_SPEND, "", amount, ctx.post_cols, ctx.col_cost, ">=", amount, ctx.campaign)


def _roster_size(more: bool) -> Callable[[BuildContext], Iterable[Block]]:
    def build(ctx: BuildContext) -> Iterable[Block]:
        limit = ctx.scenario.roster.min_creators if more else ctx.scenario.roster.max_creators
        if limit is not None:
            kind = RuleKind.ROSTER_MIN if more else RuleKind.ROSTER_MAX
            yield Block.single(kind, "", limit, ctx.first, np.ones(len(ctx.first)), ">=" if more else "<=", limit,
                               ctx.campaign)  # fmt: skip

    return build


def _group_rules(ctx: BuildContext, group: str) -> Iterable[tuple[str, GroupRule, np.ndarray]]:
    """(label, rule, member positions) for each niche or platform rule of the scenario."""
    if group == "niche":
        sets = ctx.frame["niches"].tolist()
        for label, rule in ctx.scenario.niches.items():
            yield label, rule, np.array([i for i, tup in enumerate(sets) if label in tup], dtype=np.int64)
    else:
        platform = ctx.frame["platform"].to_numpy()
        for label, rule in ctx.scenario.platforms.items():
            yield label, rule, np.flatnonzero(platform == label)


def _group_count(group: str, more: bool) -> Callable[[BuildContext], Iterable[Block]]:
    kind = f"{group}_{'min' if more else 'max'}"

    def build(ctx: BuildContext) -> Iterable[Block]:
        for label, rule, members in _group_rules(ctx, group):
            limit = rule.min_creators if more else rule.max_creators
            if limit is not None:
                yield Block.single(kind, label, limit, ctx.first[members], np.ones(len(members)),
                                   ">=" if more else "<=", limit, ctx.campaign)  # fmt: skip

    return build


def _group_share(group: str, more: bool) -> Callable[[BuildContext], Iterable[Block]]:
    """A share of the roster's total spend: ``spend_group - share x spend_total (>= or <=) 0``.

    Shares of spend (not of the budget) keep the rule meaning the same whether or not the budget is all
    spent, and keep the optimum non-decreasing in the budget (docs/decisions.md #1).
    """
    kind = f"{group}_share_{'min' if more else 'max'}"

    def build(ctx: BuildContext) -> Iterable[Block]:
        for label, rule, members in _group_rules(ctx, group):
            share = rule.min_spend_share if more else rule.max_spend_share
            if share is None:
                continue
            inside = np.zeros(len(ctx.first), dtype=float)
            inside[members] = 1.0
            coefs = ctx.col_cost * (inside[ctx.col_creator] - share)
            keep = coefs != 0
            yield Block.single(kind, label, share, ctx.post_cols[keep], coefs[keep], ">=" if more else "<=", 0.0,
                               ctx.campaign)  # fmt: skip

    return build


def _include(ctx: BuildContext) -> Iterable[Block]:
    position = {str(c): i for i, c in enumerate(ctx.ids)}
    for cid in ctx.scenario.eligibility.include:
        i = position[cid]
        yield Block.single(RuleKind.INCLUDE, cid, 1, ctx.first[i : i + 1], np.ones(1), ">=", 1, ctx.campaign)


def _overlap_conflicts(ctx: BuildContext) -> Iterable[Block]:
    limit = ctx.scenario.overlap_policy.max_pairwise
    pa, pb, po = ctx.pairs
    if limit is None:
        return
    k = np.flatnonzero(po > limit)
    if len(k):
        r = np.arange(len(k))
        ids = ctx.ids
        yield Block(RuleKind.OVERLAP_CONFLICTS, "", limit, [f"overlap_max[{ids[pa[j]]}|{ids[pb[j]]}]" for j in k],
                    np.concatenate([r, r]), np.concatenate([ctx.first[pa[k]], ctx.first[pb[k]]]),
                    np.ones(2 * len(k)), "<=", np.ones(len(k)), ctx.campaign)  # fmt: skip


def _overlap_discount(ctx: BuildContext) -> Iterable[Block]:
    """Count a shared audience once: an extension with pair columns, rows and an objective term.

    ``shared[a|b] >= x_a + x_b - 1`` with ``shared >= 0``; its objective weight is minus the discount,
    overlap x min(value_a, value_b), so the solver keeps it at max(0, x_a + x_b - 1).
    """
    policy = ctx.scenario.overlap_policy
    if not policy.discount:
        return
    pa, pb, po = ctx.pairs
    limit = policy.max_pairwise
    # pairs that can never both be chosen need no discount term
    k = np.flatnonzero((po <= limit if limit is not None else np.ones(len(po), dtype=bool)) & (po > 0))
    disc = po[k] * np.minimum(ctx.value[pa[k]], ctx.value[pb[k]])
    k, disc = k[disc > 0], disc[disc > 0]
    ids = ctx.ids
    cols = ctx.milp.add_columns([f"shared[{ids[pa[j]]}|{ids[pb[j]]}]" for j in k], ColumnKind.PAIR, lb=0.0, ub=1.0,
                                owner=ctx.owners[pa[k]], partner=ctx.owners[pb[k]])  # fmt: skip
    ctx.add_value_term("overlap_discount", cols, -disc)
    r = np.arange(len(k))
    yield Block(RuleKind.OVERLAP_DISCOUNT, "", 0.0, [f"shared_def[{ids[pa[j]]}|{ids[pb[j]]}]" for j in k],
                np.concatenate([r, r, r]), np.concatenate([cols, ctx.first[pa[k]], ctx.first[pb[k]]]),
                np.concatenate([np.ones(len(k)), -np.ones(len(k)), -np.ones(len(k))]), ">=", -np.ones(len(k)),
                ctx.campaign)  # fmt: skip
    if ctx.scenario.target is not None:
        # In min-cost mode the discount sits in the target row, not the objective, so nothing pushes shared down
        # to x_a * x_b: it could float up to 1 and understate the roster's value. shared <= x_a, shared <= x_b
        # make it exactly x_a * x_b, so the value the model reports is the roster's value.
        two = np.arange(2 * len(k))
        yield Block(RuleKind.OVERLAP_DISCOUNT, "exact", 0.0,
                    [f"shared_le_{side}[{ids[pa[j]]}|{ids[pb[j]]}]" for side in "ab" for j in k],
                    np.concatenate([two, two]), np.concatenate([cols, cols, ctx.first[pa[k]], ctx.first[pb[k]]]),
                    np.concatenate([np.ones(2 * len(k)), -np.ones(2 * len(k))]), "<=", np.zeros(2 * len(k)),
                    ctx.campaign)  # fmt: skip


def _target(ctx: BuildContext) -> Iterable[Block]:
    target = ctx.scenario.target
    if target is None:
        return
    cols, coefs = ctx.value_expression()
    yield Block(RuleKind.TARGET, target.metric, target.value, [rule_key(RuleKind.TARGET, "", ctx.campaign)],
                np.zeros(len(cols), dtype=np.int64), cols, coefs, ">=", np.array([target.value]), ctx.campaign,
                rule_key(RuleKind.TARGET, "", ctx.campaign))  # fmt: skip


# --- the built-in catalogue, in build order ----------------------------------------------------

_BUILTIN: list[RuleSpec] = [
    RuleSpec(RuleKind.POST_ORDER, lambda b, cur: "post k+1 only after post k", local=True, relaxable=False),
    RuleSpec(RuleKind.BUDGET, lambda b, cur: f"spend at most the budget of {money(b.limit, cur, 0)}", _budget,
             lambda b, f: None if f.budget_stated else f"the budget is {f.money(b.limit)}",
             measure=_spend_measure("the budget", "raise")),
    RuleSpec(RuleKind.MIN_SPEND, lambda b, cur: f"spend at least {money(b.limit, cur, 0)}", _min_spend,
             _min_spend_conflict, measure=_spend_measure("min_spend", "lower")),
    RuleSpec(RuleKind.ROSTER_MIN, lambda b, cur: f"at least {creators(b.limit)}", _roster_size(True),
             _roster_min_conflict, states_budget=True, measure=_roster_measure(True)),
    RuleSpec(RuleKind.ROSTER_MAX, lambda b, cur: f"at most {creators(b.limit)}", _roster_size(False),
             lambda b, f: f"the roster may have at most {creators(b.limit)}", measure=_roster_measure(False)),
    RuleSpec(RuleKind.NICHE_MIN, _count_text(True), _group_count("niche", True), _group_min_conflict,
             states_budget=True, measure=_group_measure(True)),
    RuleSpec(RuleKind.NICHE_MAX, _count_text(False), _group_count("niche", False),
             lambda b, f: f"{_group(b)} may have at most {creators(b.limit)}", measure=_group_measure(False)),
    RuleSpec(RuleKind.NICHE_SHARE_MIN, _share_text(True), _group_share("niche", True), _share_conflict(True)),
    RuleSpec(RuleKind.NICHE_SHARE_MAX, _share_text(False), _group_share("niche", False), _share_conflict(False)),
    RuleSpec(RuleKind.PLATFORM_MIN, _count_text(True), _group_count("platform", True), _group_min_conflict,
             states_budget=True, measure=_group_measure(True)),
    RuleSpec(RuleKind.PLATFORM_MAX, _count_text(False), _group_count("platform", False),
             lambda b, f: f"{_group(b)} may have at most {creators(b.limit)}", measure=_group_measure(False)),
    RuleSpec(RuleKind.PLATFORM_SHARE_MIN, _share_text(True), _group_share("platform", True), _share_conflict(True)),
    RuleSpec(RuleKind.PLATFORM_SHARE_MAX, _share_text(False), _group_share("platform", False),
             _share_conflict(False)),
    RuleSpec(RuleKind.INCLUDE, lambda b, cur: f"{b.label} must be on the roster", _include, _include_conflict),
    RuleSpec(RuleKind.OVERLAP_CONFLICTS, lambda b, cur: f"no pair sharing more than {b.limit:.0%} of their audience",
             _overlap_conflicts,
             lambda b, f: f"no two chosen creators may share more than {b.limit:.0%} of their audience "
                          f"({b.n_rows} such pairs among eligible creators)", local=True),
    RuleSpec(RuleKind.OVERLAP_DISCOUNT, lambda b, cur: "a shared audience is counted once", _overlap_discount,
             local=True, relaxable=False),
    RuleSpec(RuleKind.TARGET, lambda b, cur: f"at least {b.limit:,.0f} expected {b.label}", _target,
             lambda b, f: f"the target is {b.limit:,.0f} expected {b.label}", measure=_target_measure),
    # risk-aware models (optimizer.risk builds them after the catalogue, since they replace the objective).
    # A shortfall row touches every creator's posts: global, so the reduction prices creators with its dual.
    RuleSpec(RuleKind.CVAR_SHORTFALL, lambda b, cur: f"shortfall of each of {b.n_rows:,} sampled outcomes below "
             f"the CVaR level (worst {1 - b.limit:.0%} averaged)", relaxable=False),
    # a protection row touches one creator's posts, their own dual column and the global protection level: local,
    # so the reduction may drop it for a creator it has not priced (a relaxation)
    RuleSpec(RuleKind.ROBUST_PROTECTION, lambda b, cur: f"protection against up to {b.limit:g} creators at their "
             "P10", local=True, relaxable=False),
]  # fmt: skip
for _spec in _BUILTIN:
    register_rule(_spec)


def group_rule_words(rule: GroupRule) -> str:
    """A niche or platform rule in words, e.g. "at least 3 creators, at most 40% of the spend".

    Examples
    --------
    >>> from optimizer.scenario import GroupRule
    >>> group_rule_words(GroupRule(min_creators=3, max_spend_share=0.4))
    'at least 3 creators, at most 40% of the spend'
    """
    parts = []
    if rule.min_creators is not None:
        parts.append(f"at least {creators(rule.min_creators)}")
    if rule.max_creators is not None:
        parts.append(f"at most {creators(rule.max_creators)}")
    if rule.min_spend_share is not None:
        parts.append(f"at least {rule.min_spend_share:.0%} of the spend")
    if rule.max_spend_share is not None:
        parts.append(f"at most {rule.max_spend_share:.0%} of the spend")
    return ", ".join(parts) or "no limits"


def conflict_text(blocks: list[Block], facts: ConflictFacts) -> list[str]:
    """One phrase per rule of a conflict, facts that tie a count to the budget first."""
    facts.kinds = {str(b.kind) for b in blocks}
    first = [b for b in blocks if spec_of(b.kind).states_budget and facts.with_budget()]
    facts.budget_stated = bool(first)
    parts: list[str] = []
    for b in first + [b for b in blocks if b not in first]:
        spec = spec_of(b.kind)
        text = spec.conflict(b, facts) if spec.conflict else spec.text(b, facts.currency)
        if text:
            parts.append(text)
    return parts


# The audience and limits rules live in their own module, which registers them after the built-in ones.
from optimizer import column_rules  # noqa: E402, F401
