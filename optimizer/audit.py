"""Check every figure a result.json claims, against the scenario and an independent recomputation.

`roster verify` and `roster report` run this before they trust a result file. It re-checks the roster
against every rule (`optimizer.verify`), then recomputes, without the solver, each number the file
states about it: totals, CPA, ROI, every roster entry, every niche and platform row, and the consistency
of status, bound and gap. Anything missing, NaN or different is a named violation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from pydantic import ValidationError

from optimizer.forecast import total_weight
from optimizer.problem import Problem
from optimizer.resultdoc import ResultDoc, schema_problems
from optimizer.returns import return_flags
from optimizer.scenario import LIMIT_STATS, OBJECTIVES
from optimizer.uncertainty import creator_params, sample
from optimizer.verify import (
    REL_TOL,
    Verification,
    audience_reach,
    column_total,
    draw_values,
    lower_tail_mean,
    risk_objective,
    roster_value,
    verify_roster,
)

# Figures written rounded to the cent (total_cost, group costs) are compared within half a cent.
CENT = 0.005 + 1e-9
# An "optimal" result's proven gap may not exceed this (the solvers' own absolute/relative tolerances).
OPTIMAL_GAP = 1e-6


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x)


class _Claims:
    """Collects mismatches between claimed and recomputed figures, each named."""

    def __init__(self) -> None:
        self.bad: list[str] = []
        self.checks: list[str] = []

    def same(self, name: str, claimed: Any, actual: float | None, abs_tol: float = 0.0) -> None:
        if actual is None:
            if claimed is not None:
                self.bad.append(f"{name}: claims {claimed!r}, but there is no such figure (expected null)")
            return
        value = _number(claimed)
        if claimed is None:
            self.bad.append(f"{name}: missing or null; recomputed {actual:,.6g}")
        elif value is None or not math.isfinite(value):
            self.bad.append(f"{name}: claims {claimed!r}, not a finite number; recomputed {actual:,.6g}")
        elif abs(value - actual) > max(abs_tol, REL_TOL * max(1.0, abs(actual))):
            self.bad.append(f"{name}: claims {value:,.6f}, which differs from the recomputed {actual:,.6f}")

    def equal(self, name: str, claimed: Any, actual: Any) -> None:
        if claimed != actual:
            self.bad.append(f"{name}: claims {claimed!r}, the scenario says {actual!r}")


def claimed_roster(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Creator id -> claimed posts, read leniently so that a broken entry is named, not fatal."""
    roster: dict[str, Any] = {}
    problems: list[str] = []
    entries = data.get("roster")
    if not isinstance(entries, list):
        return roster, ["field 'roster' is missing or not a list"]
    for pos, entry in enumerate(entries):
        if not isinstance(entry, dict) or "creator_id" not in entry or "posts" not in entry:
            problems.append(f"roster entry {pos} needs creator_id and posts")
            continue
        cid = str(entry["creator_id"])
        if cid in roster:
            problems.append(f"creator {cid} appears twice in the roster")
            continue
        roster[cid] = entry["posts"]  # the rule check says what is wrong with a posts value that is not a count
    return roster, problems


def audit_result(problem: Problem, data: dict[str, Any]) -> Verification:
    """Check a result document (parsed JSON) against `problem`: rules, and every claimed figure.

    Parameters
    ----------
    problem : Problem
        The scenario the result claims to answer, with its pool.
    data : dict
        The parsed result.json.

    Returns
    -------
    Verification
        ``passed`` only when every rule holds and every claim matches; ``violations`` names each field.
    """
    claims = _Claims()
    sc = problem.scenario
    try:
        ResultDoc.model_validate(data)
    except ValidationError as exc:
        claims.bad += schema_problems(exc)
    claims.checks.append("result.json has every field, each of the right kind and finite")

    roster, problems = claimed_roster(data)
    claims.bad += problems
    check = verify_roster(problem, roster)
    claims.bad += check.violations
    claims.checks += check.checks

    claims.checks.append("scenario, mode, objective and currency match the scenario")
    claims.equal("scenario", data.get("scenario"), sc.name)
    claims.equal("mode", data.get("mode"), sc.mode)
    claims.equal("objective", data.get("objective"), "cost" if sc.mode == "min_cost" else sc.objective)
    claims.equal("value_metric", data.get("value_metric"), sc.value_metric)
    claims.equal("currency", data.get("currency"), sc.currency)
    claims.same("budget", data.get("budget"), sc.budget)
    claims.same("min_spend", data.get("min_spend"), sc.min_spend)

    if problems or not check.complete:
        return Verification(False, claims.bad, claims.checks)
    _figures(problem, data, roster, check, claims)
    _proof(data, claims)
    _sections(problem, data, roster, check, claims)
    passed = not claims.bad
    return Verification(passed, claims.bad, claims.checks, check.value, check.value_before_discount, check.discount,
                        check.total_cost, risk_value=check.risk_value)  # fmt: skip


def _fresh(problem: Problem, roster: dict[str, int]) -> dict[str, float]:
    """A roster's objective metric on the out-of-sample draws: mean, P10, P50, P90 and (cvar) the CVaR."""
    r = problem.scenario.risk
    draws = sample(creator_params(problem), roster, draws=r.evaluation_draws, seed=r.fresh_seed)  # type: ignore[union-attr]
    values = draw_values(problem, draws, roster)
    q = np.quantile(values, [0.1, 0.5, 0.9])
    out = {"mean": float(values.mean()), "p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}
    if r.method == "cvar":  # type: ignore[union-attr]
        out["cvar"] = lower_tail_mean(values, 1 - r.alpha)  # type: ignore[union-attr]
    return out


def _risk_comparison(problem: Problem, claimed: Any, roster: dict[str, int], check: Verification,
                     claims: _Claims) -> None:  # fmt: skip
    """The ``risk`` block: settings as in the scenario, both rosters' figures recomputed on the fresh draws."""
    r = problem.scenario.risk
    claims.checks.append("risk-aware and expected-value rosters re-measured on the out-of-sample draws")
    if not isinstance(claimed, dict):
        claims.bad.append("risk: not an object")
        return
    for key, actual in (
        ("method", r.method),
        ("draws", r.draws),
        ("seed", r.seed),  # type: ignore[union-attr]
        ("evaluation", {"draws": r.evaluation_draws, "seed": r.fresh_seed}),
    ):  # type: ignore[union-attr]
        claims.equal(f"risk.{key}", claimed.get(key), actual)
    mine = claimed.get("risk_aware") if isinstance(claimed.get("risk_aware"), dict) else {}
    fresh = _fresh(problem, roster)
    for name, actual in {**fresh, "risk_objective": check.risk_value, "expected_value": check.value}.items():
        claims.same(f"risk.risk_aware.{name}", mine.get(name), actual)
    theirs = claimed.get("expected_value_roster")
    if theirs is None:
        return
    other = theirs.get("roster") if isinstance(theirs, dict) else None
    if not isinstance(other, dict) or not other:
        claims.bad.append("risk.expected_value_roster.roster: missing or empty")
        return
    ev_check = verify_roster(problem, {str(k): v for k, v in other.items()})
    if not ev_check.passed:
        claims.bad += [f"risk.expected_value_roster: {v}" for v in ev_check.violations]
        return
    ev_roster = {str(k): int(v) for k, v in other.items()}
    ev_fresh = _fresh(problem, ev_roster)
    figures = {**ev_fresh, "risk_objective": risk_objective(problem, ev_roster), "expected_value": ev_check.value}
    for name, actual in figures.items():
        claims.same(f"risk.expected_value_roster.{name}", theirs.get(name), actual)
    price = claimed.get("price_of_robustness")
    if isinstance(price, dict):
        claims.same("risk.price_of_robustness.mean_given_up", price.get("mean_given_up"),
                    ev_fresh["mean"] - fresh["mean"])  # fmt: skip
        claims.same("risk.price_of_robustness.p10_gained", price.get("p10_gained"), fresh["p10"] - ev_fresh["p10"])


def _figures(problem: Problem, data: dict[str, Any], roster: dict[str, int], check: Verification,
             claims: _Claims) -> None:  # fmt: skip
    """Recompute totals, every roster entry and every group row from the pool and the forecast."""
    sc = problem.scenario
    frame = problem.pool.frame
    metrics = problem.metrics
    decay = sc.assumptions.post_decay
    claims.checks.append("every figure of the roster, its totals and its groups recomputed")
    per: dict[str, dict[str, float]] = {}
    for cid, posts in roster.items():
        weight = total_weight(posts, decay)
        price = float(frame.at[cid, "cost"])
        per[cid] = {"posts": posts, "cost_per_post": price, "cost": price * posts,
                    "value": float(metrics.at[cid, sc.value_metric]) * weight,
                    **{f"expected_{m}": float(metrics.at[cid, m]) * weight for m in OBJECTIVES}}  # fmt: skip
    total = sum(p["cost"] for p in per.values())
    totals = {m: sum(p[f"expected_{m}"] for p in per.values()) for m in OBJECTIVES}
    entries = {str(e.get("creator_id")): e for e in data.get("roster", []) if isinstance(e, dict)}
    for cid, figures in per.items():
        entry = entries[cid]
        for name, actual in figures.items():
            claims.same(f"roster[{cid}].{name}", entry.get(name), actual, CENT if name == "cost" else 0.0)
    value = check.value
    claims.same("value", data.get("value"), value)
    claims.same("value_before_overlap_discount", data.get("value_before_overlap_discount"), check.value_before_discount)
    claims.same("overlap_discount", data.get("overlap_discount"), check.discount)
    claims.same("total_cost", data.get("total_cost"), total, CENT)
    if sc.risk is not None and sc.mode == "maximise":
        # a risk model's objective is its CVaR or robust value on the sampled draws, recomputed from the draws
        check.risk_value = risk_objective(problem, roster)
        claims.checks.append(f"the {sc.risk.method} objective recomputed from {sc.risk.draws:,} sampled draws")
        claims.same("objective_value", data.get("objective_value"), check.risk_value)
        if data.get("risk") is not None:
            _risk_comparison(problem, data["risk"], roster, check, claims)
    else:
        claims.same("objective_value", data.get("objective_value"), total if sc.mode == "min_cost" else value,
                    CENT if sc.mode == "min_cost" else 0.0)  # fmt: skip
    claims.same("roster_size", data.get("roster_size"), len(roster))
    claims.same("total_posts", data.get("total_posts"), sum(roster.values()))
    claims.same("budget_used_share", data.get("budget_used_share"), total / sc.budget if sc.budget else None)
    claimed_totals = data.get("totals_before_overlap_discount")
    claimed_totals = claimed_totals if isinstance(claimed_totals, dict) else {}
    for m in OBJECTIVES:
        claims.same(f"totals_before_overlap_discount.{m}", claimed_totals.get(m), totals[m])
    conversions = totals["conversions"]
    aov = sc.assumptions.average_order_value
    claims.same("cpa", data.get("cpa"), total / conversions if conversions > 0 else None)
    roi = (conversions * aov - total) / total if aov and total > 0 else None
    emv_per_dollar = totals["emv"] / total if total > 0 else None
    claims.same("emv_per_dollar", data.get("emv_per_dollar"), emv_per_dollar)
    claims.same("roi", data.get("roi"), roi)
    if "return_flags" in data:  # optional: files written before it existed have none
        claims.checks.append("return figures outside their published range are flagged, and only those")
        want = return_flags({"roi": roi, "emv_per_dollar": emv_per_dollar})
        got = data.get("return_flags")
        got_names = [f.get("figure") for f in got if isinstance(f, dict)] if isinstance(got, list) else None
        if got_names != [f["figure"] for f in want]:
            claims.bad.append(f"return_flags: flags {got_names!r}, the recomputed figures flag "
                              f"{[f['figure'] for f in want]!r}")  # fmt: skip
        else:
            for flag, expected in zip(got, want):
                claims.same(f"return_flags[{expected['figure']}].value", flag.get("value"), expected["value"])
    for key, groups in (("niche", _groups(problem, per, "niche")), ("platform", _groups(problem, per, "platform"))):
        rows = data.get(f"by_{key}")
        rows = {str(r.get(key)): r for r in rows if isinstance(r, dict)} if isinstance(rows, list) else {}
        if set(rows) != set(groups):
            claims.bad.append(f"by_{key}: lists {sorted(rows)}, the roster has {sorted(groups)}")
        for label, figures in groups.items():
            row = rows.get(label, {})
            for name, actual in figures.items():
                share_of = {"budget_share": sc.budget, "spend_share": total}.get(name)
                if name in ("budget_share", "spend_share"):
                    actual = figures["cost"] / share_of if share_of else None
                claims.same(f"by_{key}[{label}].{name}", row.get(name), actual, CENT if name == "cost" else 0.0)
    _column_rules(problem, data, roster, claims)


def _column_rules(problem: Problem, data: dict[str, Any], roster: dict[str, int], claims: _Claims) -> None:
    """The audience and limits rows: one per rule of the scenario, each figure recomputed by `optimizer.verify`."""
    sc = problem.scenario
    claims.checks.append("audience shares and limit totals recomputed")
    wanted: dict[tuple[str, str], dict[str, float | None]] = {}
    for segment, rule in sc.audience.items():
        inside, reach, _ = audience_reach(problem, roster, segment, rule.blank)
        for name in ("min_share", "max_share"):
            if getattr(rule, name) is not None:
                wanted[(segment, name)] = {"limit": getattr(rule, name), "segment_reach": inside, "reach": reach,
                                           "achieved": inside / reach if reach > 0 else None}  # fmt: skip
    _compare_rows(data, "audience", "segment", wanted, claims)
    wanted = {}
    for column, limit in sc.limits.items():
        total, count, _ = column_total(problem, roster, column, limit.per, limit.blank)
        for name in LIMIT_STATS:
            if getattr(limit, name) is not None:
                achieved = total if name.endswith("sum") else (total / count if count else None)
                wanted[(column, name)] = {"limit": getattr(limit, name), "achieved": achieved}
    _compare_rows(data, "limits", "column", wanted, claims)


def _compare_rows(data: dict[str, Any], field: str, label: str, wanted: dict[tuple[str, str], dict[str, float | None]],
                  claims: _Claims) -> None:  # fmt: skip
    rows = data.get(field, [])
    rows = rows if isinstance(rows, list) else []
    claimed = {(str(r.get(label)), str(r.get("rule"))): r for r in rows if isinstance(r, dict)}
    if len(claimed) != len(rows) or set(claimed) != set(wanted):
        claims.bad.append(f"{field}: lists {sorted(claimed)}, the scenario's rules are {sorted(wanted)}")
    for key, figures in wanted.items():
        row = claimed.get(key, {})
        for name, actual in figures.items():
            claims.same(f"{field}[{key[0]}, {key[1]}].{name}", row.get(name), actual)


def _groups(problem: Problem, per: dict[str, dict[str, float]], key: str) -> dict[str, dict[str, float]]:
    frame = problem.pool.frame
    out: dict[str, dict[str, float]] = {}
    for cid, figures in per.items():
        if key == "niche":
            labels: Iterable[str] = frame.at[cid, "niches"] or ("(none)",)
        else:
            labels = (frame.at[cid, "platform"],)
        for label in labels:
            row = out.setdefault(label, {"creators": 0, "posts": 0, "cost": 0.0, "budget_share": 0.0,
                                         "spend_share": 0.0, "value": 0.0,
                                         **dict.fromkeys(OBJECTIVES, 0.0)})  # fmt: skip
            row["creators"] += 1
            row["posts"] += figures["posts"]
            row["cost"] += figures["cost"]
            row["value"] += figures["value"]
            for m in OBJECTIVES:
                row[m] += figures[f"expected_{m}"]
    return out


def _proof(data: dict[str, Any], claims: _Claims) -> None:
    """Status, bound and gap must tell one consistent story; "optimal" needs a proof that says so."""
    claims.checks.append("status, bound and gap are consistent")
    status = data.get("status")
    maximise = data.get("mode") == "maximise"
    objective = _number(data.get("objective_value"))
    bound_raw = data.get("bound")
    bound = _number(bound_raw)
    gap = data.get("gap")
    if status not in ("optimal", "feasible"):
        claims.bad.append(f"status: claims {status!r} but lists a roster (expected optimal or feasible)")
        return
    if bound_raw is not None and (bound is None or not math.isfinite(bound)):
        claims.bad.append(f"bound: claims {bound_raw!r}, not a finite number")
        return
    if bound is None:
        if status == "optimal":
            claims.bad.append("status: claims optimal without a proven bound")
        if gap is not None:
            claims.bad.append(f"gap: claims {gap!r} without a bound")
        return
    if objective is None:
        return  # already named above
    tol = REL_TOL * max(1.0, abs(objective))
    if (maximise and bound < objective - tol) or (not maximise and bound > objective + tol):
        side = "below" if maximise else "above"
        claims.bad.append(f"bound: claims {bound:,.6f}, {side} the roster's own objective {objective:,.6f}")
    actual_gap = abs(bound - objective) / max(abs(objective), 1e-9)
    claims.same("gap", gap, actual_gap, 1e-9)
    if status == "optimal" and actual_gap > OPTIMAL_GAP:
        claims.bad.append(f"status: claims optimal with a gap of {actual_gap:.4%} between roster and bound")
    verification = data.get("verification")
    if not (isinstance(verification, dict) and verification.get("passed") is True):
        claims.bad.append("verification: the file does not record a passed independent check")


# --- optional sections: alternatives (optimizer.alternatives), change (optimizer.replace) --------------


def _sections(problem: Problem, data: dict[str, Any], roster: dict[str, int], check: Verification,
              claims: _Claims) -> None:  # fmt: skip
    """Check the claims of the optional sections a result carries."""
    if data.get("alternatives") is not None:
        _alternatives(problem, data, roster, claims)
    if data.get("change") is not None:
        _change(problem, data, roster, check, claims)


def _entry_figures(problem: Problem, roster: dict[str, int]) -> dict[str, dict[str, float]]:
    """Per creator: posts, price, cost, value and every metric over the posts booked (as roster entries state them)."""
    sc = problem.scenario
    out = {}
    for cid, posts in roster.items():
        weight = total_weight(posts, sc.assumptions.post_decay)
        price = float(problem.pool.frame.at[cid, "cost"])
        out[cid] = {"posts": posts, "cost_per_post": price, "cost": price * posts,
                    "value": float(problem.metrics.at[cid, sc.value_metric]) * weight,
                    **{f"expected_{m}": float(problem.metrics.at[cid, m]) * weight for m in OBJECTIVES}}  # fmt: skip
    return out


def _alternatives(problem: Problem, data: dict[str, Any], roster: dict[str, int], claims: _Claims) -> None:
    """Each alternative meets every rule, states its own figures, differs enough from every earlier roster, in order."""
    claims.checks.append("alternatives: every rule, every figure, distinct from every earlier roster, in order")
    alternatives = data.get("alternatives")
    search = data.get("alternatives_search")
    search = search if isinstance(search, dict) else {}
    if not isinstance(alternatives, list):
        claims.bad.append("alternatives: not a list")
        return
    claims.same("alternatives_search.found", search.get("found"), len(alternatives))
    least = search.get("min_difference", 1)
    least = least if isinstance(least, int) and not isinstance(least, bool) and least >= 1 else 1
    min_cost = problem.scenario.mode == "min_cost"
    earlier: list[set[str]] = [set(roster)]
    previous = _number(data.get("objective_value"))
    for pos, alt in enumerate(alternatives):
        name = f"alternatives[{pos}]"
        if not isinstance(alt, dict):
            claims.bad.append(f"{name}: not an object")
            continue
        claims.same(f"{name}.rank", alt.get("rank"), pos + 1)
        posts, problems = claimed_roster(alt)
        claims.bad += [f"{name}: {p}" for p in problems]
        check = verify_roster(problem, posts)
        claims.bad += [f"{name}: {v}" for v in check.violations]
        if problems or not check.complete:
            continue
        entries = {str(e.get("creator_id")): e for e in alt.get("roster", []) if isinstance(e, dict)}
        for cid, figures in _entry_figures(problem, posts).items():
            for field, actual in figures.items():
                claims.same(f"{name}.roster[{cid}].{field}", entries[cid].get(field), actual,
                            CENT if field == "cost" else 0.0)  # fmt: skip
        objective = check.total_cost if min_cost else check.value
        claims.same(f"{name}.value", alt.get("value"), check.value)
        claims.same(f"{name}.total_cost", alt.get("total_cost"), check.total_cost, CENT)
        claims.same(f"{name}.objective_value", alt.get("objective_value"), objective, CENT if min_cost else 0.0)
        claims.same(f"{name}.roster_size", alt.get("roster_size"), len(posts))
        claims.same(f"{name}.total_posts", alt.get("total_posts"), sum(posts.values()))
        want = {"in": sorted(set(posts) - earlier[0]), "out": sorted(earlier[0] - set(posts))}
        if alt.get("differs") != want:
            claims.bad.append(f"{name}.differs: claims {alt.get('differs')!r}, the rosters give {want!r}")
        for j, other in enumerate(earlier):
            apart = len(set(posts) ^ other)
            if apart < least:
                what = "the optimum" if j == 0 else f"alternatives[{j - 1}]"
                claims.bad.append(f"{name}: differs from {what} by {apart} creator(s), fewer than {least}")
        tol = REL_TOL * max(1.0, abs(objective))
        if previous is not None and (objective < previous - tol if min_cost else objective > previous + tol):
            claims.bad.append(f"{name}: objective {objective:,.6f} is {'below' if min_cost else 'above'} the roster "
                              f"before it ({previous:,.6f}): alternatives must come in order")  # fmt: skip
        bound = _number(alt.get("bound"))
        if alt.get("status") == "optimal" and (
            bound is None or abs(bound - objective) > max(tol, OPTIMAL_GAP * abs(objective))
        ):
            claims.bad.append(f"{name}.status: claims optimal, but its bound {alt.get('bound')!r} does not prove it")
        verification = alt.get("verification")
        if not (isinstance(verification, dict) and verification.get("passed") is True):
            claims.bad.append(f"{name}.verification: the file does not record a passed independent check")
        earlier.append(set(posts))
        previous = objective


def _change(problem: Problem, data: dict[str, Any], roster: dict[str, int], check: Verification,
            claims: _Claims) -> None:  # fmt: skip
    """The change object of a replacement: who left and joined, locks, declines, prices, value and spend before/after."""
    claims.checks.append("change: leavers, joiners, declines, bookings, prices, value and spend before and after")
    change = data.get("change")
    if not isinstance(change, dict):
        claims.bad.append("change: not an object")
        return
    frame = problem.pool.frame
    before_list = change.get("before") if isinstance(change.get("before"), list) else []
    before = {str(b.get("creator_id")): b.get("posts") for b in before_list if isinstance(b, dict)}
    unknown = sorted(c for c in before if c not in frame.index)
    if unknown:
        claims.bad.append(f"change.before: names {', '.join(unknown)}, not in the pool")
        return
    now = set(roster)
    leave, join = sorted(set(before) - now), sorted(now - set(before))

    def same_list(key: str, actual: list[str]) -> None:
        if change.get(key) != actual:
            claims.bad.append(f"change.{key}: claims {change.get(key)!r}, the rosters give {actual!r}")

    same_list("leave", leave)
    same_list("join", join)
    declined = [str(c) for c in change.get("declined") or []]
    booked = [str(c) for c in change.get("booked") or []]
    for cid in declined:
        if cid in now:
            claims.bad.append(f"change.declined: {cid} declined but is on the new roster")
        if cid not in before:
            claims.bad.append(f"change.declined: {cid} was not on the earlier roster")
    for cid in booked:
        if roster.get(cid) != before.get(cid):
            claims.bad.append(f"change.booked: {cid} is booked for {before.get(cid)!r} posts before and "
                              f"{roster.get(cid)!r} now; a booking is kept as it was")  # fmt: skip
    dropped = len(set(leave) - set(declined))
    claims.same("change.changes", change.get("changes"), dropped)
    limit = change.get("max_changes")
    if isinstance(limit, int) and dropped > limit:
        claims.bad.append(f"change.changes: {dropped} creators dropped, more than max_changes {limit}")
    fewest = change.get("fewest_changes")
    if limit is None and fewest is not None:
        claims.same("change.fewest_changes", fewest, dropped)
    posts_changed = [{"creator_id": c, "before": before[c], "after": roster[c]}
                     for c in sorted(now & set(before)) if before[c] != roster[c]]  # fmt: skip
    if change.get("posts_changed") != posts_changed:
        claims.bad.append(
            f"change.posts_changed: claims {change.get('posts_changed')!r}, the rosters give {posts_changed!r}"
        )
    old_price: dict[str, float] = {}
    for p in change.get("prices") or []:
        cid = str(p.get("creator_id")) if isinstance(p, dict) else ""
        if cid not in frame.index:
            claims.bad.append(f"change.prices: {cid!r} is not in the pool")
            continue
        claims.same(
            f"change.prices[{cid}].after (the price in the scenario)", p.get("after"), float(frame.at[cid, "cost"])
        )
        if _number(p.get("before")) is not None:
            old_price[cid] = float(p["before"])
    gross, discount = roster_value(problem, {c: int(k) for c, k in before.items() if isinstance(k, int)})
    claims.same("change.value_before", change.get("value_before"), gross - discount)
    spend_before = sum(
        old_price.get(c, float(frame.at[c, "cost"])) * k for c, k in before.items() if isinstance(k, int)
    )
    claims.same("change.spend_before", change.get("spend_before"), spend_before, CENT)
    claims.same("change.value_after", change.get("value_after"), check.value)
    claims.same("change.spend_after", change.get("spend_after"), check.total_cost, CENT)
