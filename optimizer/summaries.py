"""Plain-text summaries for people: a run's result and a scenario's validation, in the planner's words.

The CLI prints these; the app shows the same facts. Every rule is stated in words, never as data.
"""

from __future__ import annotations

from pathlib import Path

from optimizer.forecast import UNITS
from optimizer.formatting import money, num, pct
from optimizer.problem import Problem
from optimizer.resultdoc import ResultDoc
from optimizer.rules import group_rule_words


def run_summary(d: ResultDoc, out: Path | None = None, written: list[str] | None = None) -> str:
    """What one `roster optimize` found, in a dozen lines."""
    cur = d.currency
    lines = [f"{d.scenario}: {d.status} ({d.message})"]
    if d.roster:
        if d.mode == "min_cost" and d.target is not None:
            lines.append(f"  Objective: lowest cost reaching {d.target.value:,.2f} expected {d.target.metric}")
            proof = (
                f"proven lower bound {money(d.bound, cur)}; gap {pct(d.gap, 4)}"
                if d.bound is not None
                else ("no proven bound: optimality was not proven")
            )
            lines.append(f"  Cost {money(d.objective_value, cur)}; {proof}")
        elif d.risk is not None:
            # the bound is on the risk objective, never on the expected value: say which is which
            r = d.risk
            lines.append(f"  Objective: maximise {d.objective} for a bad outcome ({d.objective_unit})")
            proof = (
                f"proven bound on it {num(d.bound)}; gap {pct(d.gap, 4)}"
                if d.bound is not None
                else "no proven bound: optimality was not proven"
            )
            lines.append(f"  Risk objective {num(d.objective_value)}; {proof}")
            lines.append(f"  Expected {d.value_metric} (point forecast, after overlap discount): {num(d.value)}")
            ev = r.expected_value_roster
            if ev is not None:
                lines.append(
                    f"  On {r.evaluation['draws']:,} fresh draws (seed {r.evaluation['seed']}): this roster mean "  # type: ignore[index]
                    f"{num(r.risk_aware.mean)}, P10 {num(r.risk_aware.p10)}; the expected-value roster mean "
                    f"{num(ev.mean)}, P10 {num(ev.p10)}"
                )
        else:
            lines.append(f"  Objective: maximise {d.objective} ({d.objective_unit})")
            proof = (
                f"proven bound {num(d.bound)}; gap {pct(d.gap, 4)}"
                if d.bound is not None
                else ("no proven bound: optimality was not proven")
            )
            lines.append(f"  Value {num(d.objective_value)}; {proof}")
        if d.overlap_discount:
            lines.append(
                f"  Overlap discount: -{num(d.overlap_discount)} {d.value_metric} "
                f"(from {num(d.value_before_overlap_discount)}; pairwise, so conservative)"
            )
        budget = f" of {money(d.budget, cur)} ({pct(d.budget_used_share)})" if d.budget else ""
        lines.append(f"  Spend: {money(d.total_cost, cur)}{budget}; {d.roster_size} creators, {d.total_posts} posts")
        t = d.totals_before_overlap_discount
        lines.append(
            f"  Expected (before overlap discount): {t.conversions:,.1f} conversions, EMV {money(t.emv, cur)}, "
            f"{t.engagements:,.0f} engagements, {t.reach:,.0f} reach"
        )
        if d.cpa:
            lines.append(f"  CPA: {money(d.cpa, cur)} per expected conversion")
        for flag in d.return_flags:
            lines.append(f"  {'Warning' if flag.level == 'warning' else 'Return check'}: {flag.message}")
        for title, rows, key in (("niche", d.by_niche, "niche"), ("platform", d.by_platform, "platform")):
            if rows:
                lines.append(f"  By {title}: " + ", ".join(
                    f"{getattr(r, key)} {r.creators} ({money(r.cost, cur)}, {pct(r.spend_share)} of spend)" for r in rows))  # fmt: skip
        if d.audience:
            lines.append("  Audience: " + "; ".join(
                f"{r.segment} {pct(r.achieved)} of expected reach ({'at least' if r.rule == 'min_share' else 'at most'} "
                f"{pct(r.limit, 0)})"
                for r in d.audience))  # fmt: skip
        if d.limits:
            lines.append("  Limits: " + "; ".join(f"{r.column} {num(r.achieved)} ({r.text})" for r in d.limits))
        if d.binding_rules:
            lines.append("  Rules that bind: " + "; ".join(b.text for b in d.binding_rules))
        if d.budget_note:
            lines.append(f"  Budget: {d.budget_note}")
        v = d.verification
        if v is not None:
            lines.append(
                f"  Verification: {'passed' if v.passed else 'FAILED'} ({len(v.checks)} rule groups checked independently)"
            )
        o = d.solver
        lines.append(f"  Solver: {o.name} {o.status} in {o.seconds or 0:.2f} s")
    for note in d.notes:
        lines.append(f"  Note: {note}")
    if out is not None and written:
        lines.append("Wrote " + ", ".join(str(out / w) for w in written))
    return "\n".join(lines)


def validation_text(problem: Problem) -> str:
    """What `roster validate` prints: pool counts, why creators are out, eligible per niche and platform."""
    sc = problem.scenario
    frame = problem.pool.frame
    elig = frame.loc[problem.eligible.to_numpy()]
    lines = [
        f"{sc.name}: scenario and pool are valid.",
        f"  Pool {problem.pool.source}: {len(frame)} creators, {len(elig)} eligible; "
        f"{len(problem.overlap)} overlap pairs.",
    ]
    read_filter = problem.pool.source_filter
    if read_filter is not None:
        # the counts below are of the creators read: say how many the source kept back, and why
        lines.append(
            f"  Left unread at the source: {read_filter.unread:,} creators and {read_filter.overlap_dropped:,} "
            f"overlap pairs, which cannot be eligible ({'; '.join(read_filter.rules)})."
        )
    reasons = problem.reasons[problem.reasons != ""].value_counts().sort_index()
    for why, n in reasons.items():
        lines.append(f"  Not eligible: {n} ({why})")
    lines.append("  Eligible by niche (eligible / in pool; scenario rule):")
    for label in sorted({n for t in frame["niches"] for n in t}):
        total = sum(label in t for t in frame["niches"])
        ok = sum(label in t for t in elig["niches"])
        rule = sc.niches.get(label)
        warn = ""
        if rule and rule.min_creators is not None and ok < rule.min_creators:
            warn = f"  <- needs {rule.min_creators}: infeasible"
        lines.append(f"    {label}: {ok} / {total}" + (f"; {group_rule_words(rule)}" if rule else "") + warn)
    lines.append("  Eligible by platform (eligible / in pool; scenario rule):")
    for label in sorted(set(frame["platform"])):
        ok = int((elig["platform"] == label).sum())
        total = int((frame["platform"] == label).sum())
        rule = sc.platforms.get(label)
        warn = ""
        if rule and rule.min_creators is not None and ok < rule.min_creators:
            warn = f"  <- needs {rule.min_creators}: infeasible"
        lines.append(f"    {label}: {ok} / {total}" + (f"; {group_rule_words(rule)}" if rule else "") + warn)
    lines.append(f"  Value counted: {sc.value_metric} ({UNITS[sc.value_metric]}); mode: {sc.mode}.")
    for note in problem.notes:
        lines.append(f"  Note: {note}")
    return "\n".join(lines)
