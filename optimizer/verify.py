"""Independent check of a roster against every rule of its scenario, without the MILP.

Written separately from `optimizer.model` on purpose: plain loops over the roster and the scenario,
so a bug in the vectorised model builder cannot hide here. Every roster is checked before it is written.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optimizer.forecast import total_weight
from optimizer.problem import Problem
from optimizer.rules import extension_rules
from optimizer.uncertainty import Draws, creator_params, sample

REL_TOL = 1e-6


@dataclass
class Verification:
    """The checker's verdict.

    Attributes
    ----------
    passed : bool
    violations : list of str
        One sentence per broken rule.
    checks : list of str
        The rules that were checked.
    value : float
        Objective value recomputed from the forecast: value of the posts minus the overlap discount.
    value_before_discount : float
    discount : float
    total_cost : float
    """

    passed: bool
    violations: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    value: float = 0.0
    value_before_discount: float = 0.0
    discount: float = 0.0
    total_cost: float = 0.0
    complete: bool = True  # False when the roster itself was unreadable, so nothing was recomputed
    risk_value: float | None = None  # the risk objective on the sampled draws, for a scenario with a risk block


def _over(amount: float, limit: float) -> bool:
    return amount > limit + REL_TOL * max(1.0, abs(limit))


def _under(amount: float, limit: float) -> bool:
    return amount < limit - REL_TOL * max(1.0, abs(limit))


def _pairs_within(problem: Problem, roster: dict[str, int]) -> list[tuple[str, str, float]]:
    """Listed pairs whose two creators are both on the roster (a pandas filter first: pools list millions)."""
    pairs = problem.overlap
    ids = list(roster)
    both = pairs["a"].isin(ids).to_numpy() & pairs["b"].isin(ids).to_numpy()
    return list(pairs.loc[both, ["a", "b", "overlap"]].itertuples(index=False, name=None))


def roster_value(problem: Problem, roster: dict[str, int]) -> tuple[float, float]:
    """Value of a roster under the scenario's metric: (value of the posts, overlap discount)."""
    sc = problem.scenario
    metric = sc.value_metric
    decay = sc.assumptions.post_decay
    first = problem.metrics.loc[[c for c in roster], metric].to_dict() if roster else {}
    gross = 0.0
    for cid, posts in roster.items():
        gross += float(first[cid]) * total_weight(posts, decay)
    discount = 0.0
    if sc.overlap_policy.discount:
        limit = sc.overlap_policy.max_pairwise
        for a, b, o in _pairs_within(problem, roster):
            if limit is None or o <= limit:
                discount += o * min(float(first[a]), float(first[b]))
    return gross, discount


def cell_number(cell: Any, decimal: str = ".") -> float | None:
    """A pool cell as a number, read here on its own: ``0.6``, ``60%``, ``1,200``, ``$1,200``; None when blank.

    With ``decimal=","`` (a semicolon-separated file, or the scenario's ``format``) ``0,6`` is 0.6 and
    ``1.200`` is 1200.

    Raises
    ------
    ValueError
        When the cell holds something else.

    Examples
    --------
    >>> cell_number("60%"), cell_number(" $1,200 "), cell_number(""), cell_number(0.5)
    (0.6, 1200.0, None, 0.5)
    >>> cell_number("0,6", ","), cell_number("1.200,5", ",")
    (0.6, 1200.5)
    """
    if isinstance(cell, numbers.Real):
        return None if math.isnan(float(cell)) else float(cell)
    text = "" if cell is None else str(cell).strip().replace(" ", "").replace("\u00a0", "").lstrip("$€£")
    thousands = "." if decimal == "," else ","
    text = text.replace(thousands, "").replace(decimal, ".")
    if not text:
        return None
    if text.endswith("%"):
        return float(text[:-1]) / 100.0
    return float(text)


def _cell(problem: Problem, cid: str, column: str, blank: str, problems: list[str]) -> float:
    """A rule column's value for a chosen creator; a blank counts as the rule says (0, or a named violation)."""
    try:
        value = cell_number(problem.pool.frame.at[cid, column], problem.pool.number_format.decimal)
    except ValueError:
        problems.append(f"{cid} has {problem.pool.frame.at[cid, column]!r} in column '{column}', not a number")
        return 0.0
    if value is None:
        if blank != "zero":
            problems.append(f"{cid} has no '{column}' value, so it may not be chosen under that column's rule")
        return 0.0
    return value


def audience_reach(
    problem: Problem, roster: dict[str, int], segment: str, blank: str
) -> tuple[float, float, list[str]]:
    """(expected reach in the segment, expected reach, problems) of a roster: every post, with post decay."""
    decay = problem.scenario.assumptions.post_decay
    inside = reach = 0.0
    problems: list[str] = []
    for cid, posts in roster.items():
        share = _cell(problem, cid, segment, blank, problems)
        if not 0.0 <= share <= 1.0:
            problems.append(f"{cid} has an audience share of {share!r} in column '{segment}', outside 0-1")
        r = float(problem.metrics.at[cid, "reach"]) * total_weight(posts, decay)
        reach += r
        inside += r * share
    return inside, reach, problems


def column_total(
    problem: Problem, roster: dict[str, int], column: str, per: str, blank: str
) -> tuple[float, int, list[str]]:
    """(total of a column, how many values were added, problems) over the chosen creators or their posts."""
    total = 0.0
    count = 0
    problems: list[str] = []
    for cid, posts in roster.items():
        times = posts if per == "post" else 1
        total += _cell(problem, cid, column, blank, problems) * times
        count += times
    return total, count, problems


def draw_values(problem: Problem, draws: Draws, roster: dict[str, int], metric: str | None = None) -> np.ndarray:
    """Per-draw value of a roster: its creators' drawn values minus the pairwise overlap discount, draw by draw.

    The discount is the model's (overlap x the smaller first-post value, for each chosen listed pair within
    ``max_pairwise``) with each creator's *drawn* first-post value in that draw, so a no-show shares nothing.
    Written as plain loops over the roster and its pairs, separately from the risk models' matrices
    (`optimizer.risk`), which it checks.

    Parameters
    ----------
    problem : Problem
    draws : Draws
        From `optimizer.uncertainty.sample`; must hold every creator of the roster with at least as many posts.
    roster : dict
        Creator id -> posts.
    metric : str, optional
        conversions, emv, engagements or reach (default: the scenario's value metric).

    Returns
    -------
    numpy.ndarray
        One value per draw.
    """
    sc = problem.scenario
    metric = metric or sc.value_metric
    position = {cid: i for i, cid in enumerate(draws.creator_ids)}
    totals = draws.metric(metric)
    if all(int(draws.posts[position[c]]) == k for c, k in roster.items()):
        value = totals[:, [position[c] for c in roster]].sum(axis=1)
    else:  # the roster books fewer posts than were drawn (the risk models' draws hold every post a creator offers)
        per_post = draws.per_post(metric)
        value = np.zeros(len(totals))
        for cid, posts in roster.items():
            value += per_post[:, position[cid], :posts].sum(axis=1)
    limit = sc.overlap_policy.max_pairwise
    pairs = [(a, b, o) for a, b, o in _pairs_within(problem, roster) if o > 0 and (limit is None or o <= limit)]
    if sc.overlap_policy.discount and pairs:
        shared = sorted({position[c] for a, b, _ in pairs for c in (a, b)})
        first = draws.first_post(metric, np.array(shared))
        at = {p: j for j, p in enumerate(shared)}
        for a, b, o in pairs:
            value -= o * np.minimum(first[:, at[position[a]]], first[:, at[position[b]]])
    return value


def lower_tail_mean(values: np.ndarray, share: float) -> float:
    """The mean of the worst ``share`` of the values (the lower-tail CVaR), by sorting.

    When share x n is not whole, the next value counts with the fractional weight, which is what the
    Rockafellar-Uryasev programme's optimum equals on a discrete sample.

    Examples
    --------
    >>> lower_tail_mean(np.array([5.0, 1.0, 3.0, 2.0]), 0.5)  # the worst two: 1 and 2
    1.5
    >>> lower_tail_mean(np.array([5.0, 1.0, 3.0, 2.0]), 0.375)  # 1.5 draws: 1, and half of 2
    1.3333333333333333
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    k = share * len(ordered)
    whole = min(int(np.floor(k + 1e-9)), len(ordered))
    total = ordered[:whole].sum()
    if whole < len(ordered) and k - whole > 1e-9:
        total += (k - whole) * ordered[whole]
    return float(total / k)


def risk_objective(problem: Problem, roster: dict[str, int], draws: Draws | None = None) -> float:
    """The risk objective of a roster on the scenario's sampled draws (``risk:``), recomputed from the draws.

    Independent of the risk models' matrices (`optimizer.risk`): the draws are taken again (each creator's
    depend only on the seed and the creator), each draw's value comes from `draw_values`, and then

    - cvar: the mean of the worst (1 - alpha) share of the draws (`lower_tail_mean`);
    - robust: the nominal value (each creator's mean over the draws, minus the overlap discount on the mean
      first-post values) minus the largest total shortfall to P10 of at most gamma creators.

    Parameters
    ----------
    problem : Problem
    roster : dict
        Creator id -> posts (every creator eligible).
    draws : Draws, optional
        The scenario's draws of at least these creators and posts (drawn again when not given).
    """
    r = problem.scenario.risk
    if r is None:
        raise ValueError("the scenario has no risk block")
    if not roster:
        return 0.0
    if draws is None:
        draws = sample(creator_params(problem), roster, draws=r.draws, seed=r.seed, keep_posts=r.method == "robust")
    if r.method == "cvar":
        return lower_tail_mean(draw_values(problem, draws, roster), 1 - r.alpha)
    sc = problem.scenario
    metric = sc.value_metric
    position = {cid: i for i, cid in enumerate(draws.creator_ids)}
    per_post = draws.per_post(metric)
    nominal = 0.0
    shortfall = []
    first_mean = {}
    for cid, posts in roster.items():
        total = per_post[:, position[cid], :posts].sum(axis=1)
        mean = float(total.mean())
        nominal += mean
        shortfall.append(max(0.0, mean - float(np.quantile(total, 0.1))))
        first_mean[cid] = float(per_post[:, position[cid], 0].mean())
    if sc.overlap_policy.discount:
        limit = sc.overlap_policy.max_pairwise
        for a, b, o in _pairs_within(problem, roster):
            if o > 0 and (limit is None or o <= limit):
                nominal -= o * min(first_mean[a], first_mean[b])
    worst = sorted(shortfall, reverse=True)
    whole = min(int(r.gamma), len(worst))
    loss = sum(worst[:whole])
    if whole < len(worst):
        loss += (r.gamma - whole) * worst[whole]
    return nominal - loss


def eligibility_violations(problem: Problem, cid: str, row: dict | None = None) -> list[str]:
    """Every eligibility rule a creator breaks, re-derived from the pool row (empty when it may be chosen)."""
    rules = problem.scenario.eligibility
    row = row if row is not None else problem.pool.frame.loc[cid].to_dict()
    out: list[str] = []
    if cid in rules.exclude:
        out.append("is excluded")
    if rules.platforms is not None and row["platform"] not in rules.platforms:
        out.append(f"is on {row['platform']}, not an allowed platform")
    f = float(row["followers"])
    if rules.followers is not None:
        if rules.followers.min is not None and f < rules.followers.min:
            out.append(f"has {f:,.0f} followers, below the minimum {rules.followers.min:,.0f}")
        if rules.followers.max is not None and f > rules.followers.max:
            out.append(f"has {f:,.0f} followers, above the maximum {rules.followers.max:,.0f}")
    er = float(row["engagement_rate"])
    if rules.min_engagement_rate is not None and er < rules.min_engagement_rate:
        out.append(f"has engagement rate {er:.4f}, below {rules.min_engagement_rate}")
    if rules.max_engagement_rate is not None and er > rules.max_engagement_rate:
        out.append(f"has engagement rate {er:.4f}, above {rules.max_engagement_rate}")
    if rules.min_authenticity is not None and "authenticity" in problem.pool.present:
        a = float(row["authenticity"])
        if not math.isnan(a) and a < rules.min_authenticity:
            out.append(f"has authenticity {a:.2f}, below {rules.min_authenticity}")
    if rules.min_sentiment is not None:
        s = float(row["sentiment"])
        if math.isnan(s) or s < rules.min_sentiment:
            out.append(f"has sentiment {s}, below {rules.min_sentiment}")
    if rules.countries is not None and row["country"] not in rules.countries:
        out.append(f"is in {row['country'] or 'no country'}, not an allowed country")
    return out


def verify_roster(
    problem: Problem, roster: dict[str, int], reported_value: float | None = None, reported_cost: float | None = None
) -> Verification:
    """Check a roster against every rule of the scenario and recompute its value and cost.

    Parameters
    ----------
    problem : Problem
        The campaign's validated inputs.
    roster : dict
        Creator id -> number of posts booked.
    reported_value, reported_cost : float, optional
        Figures claimed for the roster (e.g. from result.json); a mismatch is a violation.

    Returns
    -------
    Verification
    """
    sc = problem.scenario
    frame = problem.pool.frame
    bad: list[str] = []
    checks: list[str] = []

    def check(name: str) -> None:
        checks.append(name)

    check("creators exist, posts are whole numbers within each creator's max_posts")
    known = [cid for cid in roster if cid in frame.index]
    rows: dict[str, dict] = frame.loc[known].to_dict("index") if known else {}  # one lookup, then plain dicts
    for cid, posts in roster.items():
        if cid not in rows:
            bad.append(f"{cid} is not in the pool")
            continue
        if not isinstance(posts, int) or posts < 1:
            bad.append(f"{cid} is booked for {posts!r} posts; expected a whole number >= 1")
            continue
        cap = int(rows[cid]["max_posts"])
        if sc.roster.max_posts is not None:
            cap = min(cap, sc.roster.max_posts)
        if posts > cap:
            bad.append(f"{cid} is booked for {posts} posts but offers at most {cap}")
    if bad:
        return Verification(False, bad, checks, complete=False)

    check("eligibility (platform, followers, engagement, authenticity, sentiment, country, exclude)")
    for cid in roster:
        bad += [f"{cid} {why}" for why in eligibility_violations(problem, cid, rows[cid])]
    check("must-include creators are on the roster")
    for cid in sc.eligibility.include:
        if cid not in roster:
            bad.append(f"{cid} must be on the roster but is not")

    spend = {cid: float(rows[cid]["cost"]) * posts for cid, posts in roster.items()}
    total = sum(spend.values())
    if sc.budget is not None:
        check("total spend within the budget")
        if _over(total, sc.budget):
            bad.append(f"spend {total:,.2f} exceeds the budget {sc.budget:,.2f}")
    if sc.min_spend is not None:
        check("total spend at least min_spend")
        if _under(total, sc.min_spend):
            bad.append(f"spend {total:,.2f} is below min_spend {sc.min_spend:,.2f}")
    size = len(roster)
    if sc.roster.min_creators is not None:
        check("roster size at least min_creators")
        if size < sc.roster.min_creators:
            bad.append(f"{size} creators, fewer than min_creators {sc.roster.min_creators}")
    if sc.roster.max_creators is not None:
        check("roster size at most max_creators")
        if size > sc.roster.max_creators:
            bad.append(f"{size} creators, more than max_creators {sc.roster.max_creators}")
    share = sc.roster.max_creator_budget_share
    if share is not None and sc.budget is not None:
        check("no creator above max_creator_budget_share")
        for cid, amount in spend.items():
            if _over(amount, share * sc.budget):
                bad.append(f"{cid} takes {amount:,.2f}, more than {share:.0%} of the budget")

    for kind, rules in (("niche", sc.niches), ("platform", sc.platforms)):
        for label, rule in rules.items():
            if kind == "niche":
                members = [cid for cid in roster if label in rows[cid]["niches"]]
            else:
                members = [cid for cid in roster if rows[cid]["platform"] == label]
            count = len(members)
            amount = sum(spend[cid] for cid in members)
            check(f"{kind} '{label}' counts and budget shares")
            if rule.min_creators is not None and count < rule.min_creators:
                bad.append(f"{kind} '{label}' has {count} creators, fewer than {rule.min_creators}")
            if rule.max_creators is not None and count > rule.max_creators:
                bad.append(f"{kind} '{label}' has {count} creators, more than {rule.max_creators}")
            # shares are of the roster's total spend
            if rule.min_spend_share is not None and _under(amount, rule.min_spend_share * total):
                bad.append(
                    f"{kind} '{label}' gets {amount:,.2f}, less than {rule.min_spend_share:.0%} of the spend {total:,.2f}"
                )
            if rule.max_spend_share is not None and _over(amount, rule.max_spend_share * total):
                bad.append(
                    f"{kind} '{label}' gets {amount:,.2f}, more than {rule.max_spend_share:.0%} of the spend {total:,.2f}"
                )

    limit = sc.overlap_policy.max_pairwise
    if limit is not None:
        check("no two chosen creators share more than max_pairwise of their audience")
        for a, b, o in _pairs_within(problem, roster):
            if o > limit:
                bad.append(f"{a} and {b} are both chosen but share {o:.0%} of their audience (limit {limit:.0%})")

    if sc.audience:
        check("audience rules: the roster has some expected reach")
        if sum(float(problem.metrics.at[cid, "reach"]) for cid in roster) <= 0:
            bad.append("the roster reaches no one, so it has no audience shares to meet the audience rules")
    for segment, rule in sc.audience.items():
        check(f"audience '{segment}': its share of the roster's expected reach")
        inside, reach, problems = audience_reach(problem, roster, segment, rule.blank)
        bad += problems
        if rule.min_share is not None and _under(inside, rule.min_share * reach):
            bad.append(f"audience '{segment}' is {inside / reach:.4%} of the roster's expected reach, "
                       f"less than {rule.min_share:.2%}")  # fmt: skip
        if rule.max_share is not None and _over(inside, rule.max_share * reach):
            bad.append(f"audience '{segment}' is {inside / reach:.4%} of the roster's expected reach, "
                       f"more than {rule.max_share:.2%}")  # fmt: skip
    if any(r.min_average is not None or r.max_average is not None for r in sc.limits.values()):
        check("average rules: the roster has at least one creator")
        if not roster:
            bad.append("the roster is empty, so it has no average to meet the limits rules")
    for column, rule in sc.limits.items():
        check(f"limits on '{column}' (per {rule.per})")
        summed, count, problems = column_total(problem, roster, column, rule.per, rule.blank)
        bad += problems
        for name, bound, low in (("total", rule.min_sum, True), ("total", rule.max_sum, False),
                                 ("average", rule.min_average, True), ("average", rule.max_average, False)):  # fmt: skip
            if bound is None:
                continue
            # an average rule holds as sum(v) (>= or <=) bound x count, as in the model; it holds on an empty roster
            goal = bound if name == "total" else bound * count
            if (_under if low else _over)(summed, goal):
                got = summed if name == "total" else summed / count
                side = "below" if low else "above"
                bad.append(f"'{column}' {name} over the roster (per {rule.per}) is {got:,.6g}, {side} {bound:,.6g}")

    for spec in extension_rules():
        check(f"extension rule '{spec.kind}'")
        bad += spec.check(problem, roster)  # type: ignore[misc]

    gross, discount = roster_value(problem, roster)
    value = gross - discount
    if sc.target is not None:
        check(f"expected {sc.target.metric} at least the target")
        if _under(value, sc.target.value):
            bad.append(f"expected {sc.target.metric} {value:,.2f} is below the target {sc.target.value:,.2f}")
    if reported_value is not None:
        check("reported value equals the recomputed value")
        if abs(reported_value - value) > REL_TOL * max(1.0, abs(value)):
            bad.append(f"reported value {reported_value:,.6f} differs from the recomputed {value:,.6f}")
    if reported_cost is not None:
        check("reported cost equals the recomputed cost")
        if abs(reported_cost - total) > REL_TOL * max(1.0, abs(total)):
            bad.append(f"reported cost {reported_cost:,.2f} differs from the recomputed {total:,.2f}")
    return Verification(not bad, bad, checks, value, gross, discount, total)
