"""The finance-ready allocation report: report.html (self-contained), allocation.xlsx and summary.md.

One context (`build_report`) feeds all three renderers, so the figures agree everywhere. The roster is
re-verified independently from result.json before anything is written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from optimizer.audit import audit_result
from optimizer.baselines import compute_baselines
from optimizer.charts import bar_chart, line_chart, scatter, share_chart
from optimizer.errors import ResultFileError
from optimizer.explain import explain_creator
from optimizer.forecast import UNITS, total_weight
from optimizer.formatting import money, num, pct
from optimizer.frontier import FrontierPoint, frontier_jobs, frontier_points, frontier_shared, solve_budget
from optimizer.model import build_model
from optimizer.outlook import Outlook, outlook
from optimizer.output import neutralise, write_files
from optimizer.parallel import run_all
from optimizer.problem import Problem, load_problem
from optimizer.result import Result, VerificationFailed
from optimizer.resultdoc import parse_result, read_result_data, scenario_of
from optimizer.rules import group_rule_words
from optimizer.scenario import OBJECTIVES
from optimizer.solve import SolveOutcome, Status
from optimizer.text import md_escape, strip_controls
from optimizer.tiers import TIERS

_ILLEGAL_XLSX = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# optional result.json sections a report carries over from the file (audited with it)
SECTIONS = ("alternatives", "alternatives_search", "change", "portfolio")


@dataclass
class Report:
    """Everything the report shows."""

    doc: dict[str, Any]
    problem: Problem
    baselines: list[dict[str, Any]]
    frontier: list[FrontierPoint]
    lost_without: dict[str, float | None] = field(default_factory=dict)
    replacements: dict[str, str] = field(default_factory=dict)
    outlook: Outlook | None = None  # P10-P90 ranges, the distribution, the risk comparison, the calibration
    notes: list[str] = field(default_factory=list)


def default_budgets(budget: float) -> list[float]:
    """Budgets around the campaign's: from a quarter to double it, and one $10,000 step either side.

    Examples
    --------
    >>> default_budgets(60000)[:3]
    [15000.0, 30000.0, 45000.0]
    """
    fractions = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
    budgets = {round(budget * f, 2) for f in fractions} | {budget + 10_000}
    if budget > 10_000:
        budgets.add(budget - 10_000)
    return sorted(float(b) for b in budgets if b > 0)


def _result_path(result_dir: Path) -> Path:
    path = result_dir / "result.json"
    if not path.exists():
        raise ResultFileError(f"{path}: not found; run `roster optimize SCENARIO --out {result_dir}` first")
    return path


def build_report(
    result: Result,
    budgets: list[float] | None = None,
    explain: bool = True,
    solver: str = "cbc",
    progress: Callable[[str, int, int], None] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
) -> Report:
    """Compute everything the report needs: baselines, the budget frontier and per-creator explanations.

    Parameters
    ----------
    result : Result
        A solved (optimal or feasible) result.
    budgets : list of float, optional
        Frontier budgets (default: `default_budgets`).
    explain : bool
        Re-solve without each chosen creator to show the value lost (one solve per creator).
    solver : str
    progress : callable, optional
        ``progress("re-solves", done, total)`` for a progress bar.
    scheduler, workers
        Where the re-solves run (see `optimizer.parallel`): local processes by default.

    Returns
    -------
    Report
    """
    problem = result.problem
    doc = result.to_dict()
    optimum = doc["value"]
    baselines = []
    for b in compute_baselines(problem):
        row = b.to_dict(optimum, problem.scenario.value_metric)
        conversions = _conversions(problem, b.roster)
        row["conversions"] = conversions
        row["cpa"] = row["cost"] / conversions if conversions else None
        baselines.append(row)
    notes: list[str] = []
    frontier_wanted = problem.scenario.mode == "maximise" and bool(problem.scenario.budget)
    if problem.scenario.risk is not None:
        # re-solves of a risk model optimise the risk objective while the frontier and the explanations score
        # expected value: the comparison section answers what a risk-aware roster costs instead
        explain, frontier_wanted = False, False
        notes.append("Risk-aware roster: the budget frontier and the value lost without each creator are expected-value "
                     "figures and are not computed for it; the risk-aware vs expected-value comparison shows what the "
                     "risk objective costs in expected value.")  # fmt: skip
    # the frontier's budgets and the explanations' creators are independent solves: one pool of workers
    # runs them all (each worker receives the models once)
    budget_jobs: list[float] = []
    todo: list[float] = []
    if frontier_wanted:
        todo = budgets or default_budgets(problem.scenario.budget)  # type: ignore[arg-type]
        budget_jobs = frontier_jobs(todo)
    ids = sorted(result.roster) if explain else []
    jobs = [("budget", b) for b in budget_jobs] + [("explain", cid) for cid in ids]

    def tick(done: int) -> None:
        if progress:
            progress("re-solves", done, len(jobs))

    shared = (
        problem,
        result,
        solver,
        build_model(problem),
        frontier_shared(problem, budget_jobs) if budget_jobs else None,
    )
    answers = run_all(_report_job, shared, jobs, scheduler, workers, tick if progress else None) if jobs else []
    solved = {job[1]: answer for job, answer in zip(jobs, answers) if job[0] == "budget"}
    points: list[FrontierPoint] = frontier_points(todo, solved) if frontier_wanted else []
    lost: dict[str, float | None] = {}
    repl: dict[str, str] = {}
    for job, e in zip(jobs, answers):
        if job[0] == "explain":
            lost[job[1]] = None if e.value_change is None else -e.value_change
            repl[job[1]] = ", ".join(e.replacements)
    return Report(doc, problem, baselines, points, lost, repl, outlook(problem, doc), notes)


def _report_job(shared: tuple, job: tuple):
    """One re-solve of the report: a frontier budget or a creator's explanation (runs in a worker)."""
    problem, base, solver, milp, frontier_state = shared
    kind, what = job
    if kind == "budget":
        return solve_budget(frontier_state, what, solver)
    return explain_creator(problem, base, what, solver=solver, price_search=False, milp=milp)


def _explain_job(shared: tuple, cid: str):
    problem, base, solver, milp = shared
    return explain_creator(problem, base, cid, solver=solver, price_search=False, milp=milp)


def _conversions(problem: Problem, roster: dict[str, int]) -> float:
    decay = problem.scenario.assumptions.post_decay
    return float(sum(problem.metrics.at[c, "conversions"] * total_weight(k, decay) for c, k in roster.items()))


def result_from_dir(result_dir: Path, scenario: Path | None = None) -> Result:
    """Rebuild a `Result` from DIR/result.json and its scenario, after checking every figure it claims.

    Raises
    ------
    VerificationFailed
        If any rule or claimed figure fails the audit (`optimizer.audit`): a report is never built on it.
    """
    path = _result_path(result_dir)
    data = read_result_data(path)
    problem = load_problem(scenario_of(data, path, scenario))
    if not data.get("roster"):
        raise ResultFileError(f"{path}: status {data.get('status')!r}: there is no roster to report on")
    check = audit_result(problem, data)
    if not check.passed:
        raise VerificationFailed(f"{path} fails verification, so no report was written: " + "; ".join(check.violations))
    doc = parse_result(data, str(path))
    outcome = SolveOutcome(Status(doc.status), None, doc.objective_value, doc.bound, doc.gap, doc.solver.name or "",
                           doc.solver.seconds or 0.0)  # fmt: skip
    return Result(problem, doc.status, doc.posts, outcome, check, message=doc.message,
                  settings={"solver": doc.solver.name, "time_limit": doc.solver.time_limit,
                            "gap": doc.solver.gap_setting},
                  binding=[b.model_dump() for b in doc.binding_rules],
                  sections={k: data[k] for k in SECTIONS if data.get(k) is not None},
                  risk=data.get("risk"))  # fmt: skip


# --- the shared context ------------------------------------------------------------------------


def _assumption_words(value: Any) -> Any:
    """An assumption's value for a reader: numbers stay numbers (for the spreadsheet), the rest in words."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:.2%}" for k, v in value.items())
    return value


def _assumptions(problem: Problem) -> list[dict[str, Any]]:
    a = problem.scenario.assumptions
    rows = []
    for name, fld in type(a).model_fields.items():
        value = getattr(a, name)
        if name == "emv":
            for sub, sfld in type(value).model_fields.items():
                rows.append({"parameter": f"emv.{sub}", "value": _assumption_words(getattr(value, sub)),
                             "source": "scenario" if sub in value.model_fields_set and "emv" in a.model_fields_set else "default",
                             "meaning": sfld.description or ""})  # fmt: skip
            continue
        rows.append({"parameter": name, "value": _assumption_words(value),
                     "source": "scenario" if name in a.model_fields_set else "default", "meaning": fld.description or ""})  # fmt: skip
    return rows


def _context(rep: Report) -> dict[str, Any]:
    d = rep.doc
    p = rep.problem
    cur = d["currency"]
    roster = d["roster"]
    for e in roster:
        e["value_lost_without"] = rep.lost_without.get(e["creator_id"])
        e["replaced_by"] = rep.replacements.get(e["creator_id"], "")
    for key, rules in (("niche", p.scenario.niches), ("platform", p.scenario.platforms)):
        for r in d[f"by_{key}"]:
            r["rule"] = group_rule_words(rules[r[key]]) if r[key] in rules else ""
    tiers = []
    for tier in TIERS:
        rows = [e for e in roster if e["tier"] == tier]
        if rows:
            tiers.append({"tier": tier, "creators": len(rows), "cost": sum(e["cost"] for e in rows),
                          "value": sum(e["value"] for e in rows)})  # fmt: skip
    chosen = set(e["creator_id"] for e in roster)
    elig = p.eligible[p.eligible].index
    metric = p.scenario.value_metric
    pts = [
        (float(p.pool.frame.at[c, "cost"]), float(p.values[c]), c in chosen, f"{c} {p.pool.frame.at[c, 'handle']}")
        for c in elig
    ]
    pairs = p.overlap[p.overlap["a"].isin(chosen) & p.overlap["b"].isin(chosen)]
    overlaps = [{"a": a, "b": b, "overlap": o} for a, b, o in pairs[["a", "b", "overlap"]].itertuples(index=False)]
    t = d["totals_before_overlap_discount"]
    headline = {
        "spend": d["total_cost"], "budget": d["budget"], "budget_used_share": d["budget_used_share"],
        "conversions": t["conversions"], "cpa": d["cpa"], "emv": t["emv"], "emv_per_dollar": d["emv_per_dollar"],
        "roi": d["roi"], "value": d["value"], "value_metric": metric, "value_unit": UNITS[metric],
        "creators": d["roster_size"], "posts": d["total_posts"], "overlap_discount": d["overlap_discount"],
        "aov": p.scenario.assumptions.average_order_value, "funnel": d["units"].get("conversion_funnel", ""),
        "flags": d.get("return_flags") or [],
        "ranges": {k: rep.outlook.range_of(k) for k in (metric, "conversions", "emv", "cpa", "roi", "spend")}
        if rep.outlook else {},
    }  # fmt: skip
    fr = [pt.to_dict() for pt in rep.frontier]
    audience = _audience_mix(d["audience"])
    charts = {
        "niche": bar_chart([r["niche"] for r in d["by_niche"]], {f"spend ({cur})": [r["cost"] for r in d["by_niche"]],
                           f"expected {metric}": [r["value"] for r in d["by_niche"]]}, "Spend and value by niche"),
        "platform": bar_chart([r["platform"] for r in d["by_platform"]], {f"spend ({cur})": [r["cost"] for r in d["by_platform"]],
                              f"expected {metric}": [r["value"] for r in d["by_platform"]]}, "Spend and value by platform"),
        "tier": bar_chart([r["tier"] for r in tiers], {f"spend ({cur})": [r["cost"] for r in tiers],
                          f"expected {metric}": [r["value"] for r in tiers]}, "Spend and value by follower tier"),
        "pool": scatter(pts, f"Eligible pool: price of one post vs expected {metric} (chosen in orange)",
                        f"price of one post ({cur})", f"expected {metric}, first post"),
        "baselines": bar_chart([b["name"] for b in rep.baselines] + ["optimum"],
                               {f"expected {metric}": [b["value"] for b in rep.baselines] + [d["value"] or 0.0]},
                               "Optimum vs the usual alternatives"),
        "frontier": line_chart([r["budget"] for r in fr], [r["value"] for r in fr], "Budget frontier: the optimum at each budget",
                               f"budget ({cur})", f"expected {metric}", marker=d["budget"]) if fr else "",
        "audience": share_chart([(a["segment"], a["achieved"] or 0.0, a["min"], a["max"]) for a in audience],
                                "Audience mix: share of the roster's expected reach, against each rule") if audience else "",
    }  # fmt: skip
    u = rep.outlook
    if u is not None:
        charts["outcome"] = u.chart
        if u.comparison:
            charts["comparison"] = u.comparison["chart"]
    return {"d": d, "h": headline, "roster": roster, "tiers": tiers, "overlaps": overlaps, "baselines": rep.baselines,
            "u": u, "report_notes": rep.notes,
            "frontier": fr, "assumptions": _assumptions(p), "charts": charts, "cur": cur, "metric": metric,
            "loss_label": "extra cost without" if p.scenario.mode == "min_cost" else "lost without",
            "loss_meaning": (f"the extra cost ({cur}) of reaching the target if that creator is removed"
                             if p.scenario.mode == "min_cost" else
                             f"the expected {metric} the optimum loses if that creator is removed"),
            "next_best": _next_best(d),
            "unit": UNITS[metric], "objectives": OBJECTIVES, "audience": audience, "limits": d["limits"]}  # fmt: skip


def _audience_mix(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per segment (its floor and cap side by side), from result.json's audience rows."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        seg = out.setdefault(r["segment"], {"segment": r["segment"], "achieved": r["achieved"], "min": None,
                                            "max": None, "segment_reach": r["segment_reach"], "reach": r["reach"]})  # fmt: skip
        seg["min" if r["rule"] == "min_share" else "max"] = r["limit"]
    return list(out.values())


def _next_best(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the next-best rosters (result.json's ``alternatives``) for every renderer."""
    optimum = d.get("value")
    return [{"rank": a["rank"], "status": a["status"], "value": a["value"], "cost": a["total_cost"],
             "ratio": a["value"] / optimum if optimum else None, "creators": a["roster_size"],
             "posts": a["total_posts"], "joins": ", ".join(a["differs"]["in"]) or "nobody",
             "leaves": ", ".join(a["differs"]["out"]) or "nobody"}
            for a in d.get("alternatives") or []]  # fmt: skip


# --- renderers ---------------------------------------------------------------------------------


def _no_controls(value: Any) -> Any:
    # every printed value passes here: no NUL or other control character reaches the HTML
    if isinstance(value, Markup):
        return Markup(strip_controls(str(value)))
    return strip_controls(value) if isinstance(value, str) else value


def render_html(rep: Report) -> str:
    """report.html: one self-contained file (inline CSS, SVG and script; nothing fetched)."""
    env = Environment(
        loader=PackageLoader("optimizer", "templates"),
        autoescape=select_autoescape(default=True),
        finalize=_no_controls,
    )
    env.filters.update(money=money, num=num, pct=pct)
    return env.get_template("report.html.j2").render(**_context(rep))


def _md_cell(x: Any) -> str:
    # text from a pool or scenario: no link, image (a tracking pixel), HTML, code span or column break
    text = str(x)
    return md_escape(text[:200]) + "…" if len(text) > 200 else md_escape(text)


def render_markdown(rep: Report) -> str:
    """summary.md: the headline and the tables, for a ticket or a chat."""
    c = _context(rep)
    d, h, cur = c["d"], c["h"], _md_cell(c["cur"])
    lines = [f"# {_md_cell(d['scenario'])}: {d['status']} roster", "",
             f"- Spend: {money(h['spend'], cur)} of {money(h['budget'], cur)} ({pct(h['budget_used_share'])}); "
             f"{h['creators']} creators, {h['posts']} posts",
             f"- Expected {h['value_metric']} (after overlap discount): {num(h['value'])} ({h['value_unit']})",
             f"- Expected conversions: {num(h['conversions'], 1)}; CPA {money(h['cpa'], cur)} per conversion",
             f"- EMV: {money(h['emv'], cur)}; {num(h['emv_per_dollar'])} EMV per {cur} spent",
             f"- ROI: {pct(h['roi'])}" + (f" at {money(h['aov'], cur)} per order" if h["aov"] else " (set assumptions.average_order_value)"),
             *[f"- **{'Warning' if f['level'] == 'warning' else 'Note'}**: {_md_cell(f['message'])}" for f in h["flags"]],
             f"- Conversion funnel: {_md_cell(h['funnel'])}",
             *_md_ranges(c),
             f"- Proof: {d['solver']['name']} {d['status']}, bound {num(d['bound'])}"
             f"{' (on the risk objective ' + num(d['objective_value']) + ', not on the mean)' if d.get('risk') else ''}, gap {pct(d['gap'])}; "
             f"independent verification {'passed' if d['verification']['passed'] else 'FAILED'}", "",
             "## Roster", "", f"| creator | handle | platform | niche | posts | cost | expected value | {c['loss_label']} |",
             "|---|---|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for e in c["roster"]:
        lines.append(f"| {_md_cell(e['creator_id'])} | {_md_cell(e['handle'])} | {_md_cell(e['platform'])} | {_md_cell(e['niche'])} | "
                     f"{e['posts']} | {money(e['cost'], cur)} | {num(e['value'])} | {num(e['value_lost_without'])} |")  # fmt: skip
    for title, key, rows in (("By niche", "niche", d["by_niche"]), ("By platform", "platform", d["by_platform"])):
        lines += [
            "",
            f"## {title}",
            "",
            f"| {key} | creators | spend | share of spend | scenario rule | expected value |",
            "|---|---:|---:|---:|---|---:|",
        ]
        for r in rows:
            lines.append(
                f"| {_md_cell(r[key])} | {r['creators']} | {money(r['cost'], cur)} | {pct(r['spend_share'])} | {r['rule']} | {num(r['value'])} |"
            )
    if c["audience"]:
        lines += ["", "## Audience mix (share of the roster's expected reach)", "",
                  "| segment | share | people reached in it | rule |", "|---|---:|---:|---|"]  # fmt: skip
        for a in c["audience"]:
            lines.append(f"| {_md_cell(a['segment'])} | {pct(a['achieved'])} | {num(a['segment_reach'], 0)} | "
                         f"{_md_cell(_share_rule(a))} |")  # fmt: skip
    if c["limits"]:
        lines += ["", "## Limits", "", "| rule | roster |", "|---|---:|"]
        for r in c["limits"]:
            lines.append(f"| {_md_cell(r['text'])} | {num(r['achieved'])} |")
    lines += ["", "## Baselines (same budget, eligibility, forecast and overlap model)", "",
              "| baseline | creators | spend | expected value | CPA | value / optimum | meets every rule |", "|---|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for b in c["baselines"]:
        lines.append(f"| {_md_cell(b['description'])} | {b['creators']} | {money(b['cost'], cur)} | {num(b['value'])} | "
                     f"{money(b['cpa'], cur)} | {pct(b['ratio_to_optimum'])} | {'yes' if b['feasible'] else 'no: ' + _md_cell('; '.join(b['rules_broken'][:2]))} |")  # fmt: skip
    if c["frontier"]:
        lines += ["", "## Budget frontier", "", "| budget | status | expected value | spend | creators | CPA | value of the last $1,000 |",
                  "|---:|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        for r in c["frontier"]:
            lines.append(f"| {money(r['budget'], cur)} | {r['status']} | {num(r['value'])} | {money(r['cost'], cur)} | {r['creators']} | "
                         f"{money(r['cpa'], cur)} | {num(r['marginal_value_per_1000'])} |")  # fmt: skip
    if c["next_best"]:
        lines += ["", "## Next-best rosters (a different set of creators, each verified)", "",
                  "| rank | status | expected value | value / optimum | spend | creators | joins | leaves |",
                  "|---:|---|---:|---:|---:|---:|---|---|"]  # fmt: skip
        for r in c["next_best"]:
            lines.append(f"| {r['rank']} | {r['status']} | {num(r['value'])} | {pct(r['ratio'])} | {money(r['cost'], cur)} | "
                         f"{r['creators']} | {_md_cell(r['joins'])} | {_md_cell(r['leaves'])} |")  # fmt: skip
    lines += _md_outlook(c)
    lines += ["", "## Assumptions", "", "| parameter | value | source |", "|---|---|---|"]
    for a in c["assumptions"]:
        lines.append(f"| {a['parameter']} | {_md_cell(a['value'])} | {a['source']} |")
    for note in d["notes"]:
        lines.append(f"\n> {_md_cell(note)}")
    return "\n".join(lines) + "\n"


def _share_rule(a: dict[str, Any]) -> str:
    """A segment's floor and cap in words, e.g. "at least 50%, at most 70%"."""
    parts = [
        f"{word} {pct(a[key], 0)}" for key, word in (("min", "at least"), ("max", "at most")) if a[key] is not None
    ]
    return ", ".join(parts)


def _md_ranges(c: dict[str, Any]) -> list[str]:
    """Headline P10-P90 ranges from the report's simulation, one Markdown bullet."""
    u, h, cur = c["u"], c["h"], _md_cell(c["cur"])
    if u is None:
        return []
    r = h["ranges"]
    parts = [f"{h['value_metric']} {num(r[h['value_metric']][0])} to {num(r[h['value_metric']][1])}",
             f"CPA {money(r['cpa'][0], cur)} to {money(r['cpa'][1], cur)}"]  # fmt: skip
    if h["roi"] is not None:
        parts.append(f"ROI {pct(r['roi'][0])} to {pct(r['roi'][1])}")
    return [f"- Simulated P10-P90 ({u.simulation.draws:,} draws, seed {u.simulation.seed}): " + "; ".join(parts)]


def _md_outlook(c: dict[str, Any]) -> list[str]:
    """The risk comparison and the calibration summary, as Markdown sections."""
    u = c["u"]
    lines: list[str] = []
    if u is None:
        return lines
    if u.comparison:
        cmp = u.comparison
        lines += ["", "## Risk-aware vs expected-value roster", "", _md_cell(cmp["title"]), "",
                  "| roster | mean | P10 | P50 | P90 | risk objective | expected value | creators |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
        for r in cmp["rows"]:
            lines.append(f"| {r['name']} | {num(r['mean'])} | {num(r['p10'])} | {num(r['p50'])} | {num(r['p90'])} | "
                         f"{num(r['risk_objective'])} | {num(r['expected_value'])} | {r['creators']} |")  # fmt: skip
        lines += ["", cmp["price"]]
    if u.calibration:
        lines += ["", "## Calibration", ""] + [f"- {k}: {_md_cell(v)}" for k, v in u.calibration["facts"]]
    return lines


def _xlsx_text(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(_ILLEGAL_XLSX.sub("", value))[:32_000]
    return value


def render_xlsx(rep: Report) -> bytes:
    """allocation.xlsx: Summary, Roster, By niche, By platform, Baselines, Frontier, Assumptions, Uncertainty (real
    numbers, formatted)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    c = _context(rep)
    d, h, cur = c["d"], c["h"], c["cur"]
    money_format = '"$"#,##0.00' if cur == "USD" else f'#,##0.00 "{cur}"'
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], formats: dict[int, str]) -> None:
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_xlsx_text(v) for v in row])
            for col, fmt in formats.items():
                ws.cell(row=ws.max_row, column=col).number_format = fmt
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula
        for col in ws.columns:
            longest = max(len(str(x.value)) if x.value is not None else 0 for x in col)
            ws.column_dimensions[col[0].column_letter].width = min(40, max(10, longest + 2))

    summary = [
        ["Campaign", d["scenario"], ""], ["Status", d["status"], ""], ["Spend", h["spend"], money_format],
        ["Budget", h["budget"], money_format], ["Share of budget spent", h["budget_used_share"], "0.0%"],
        [f"Expected {h['value_metric']} (after overlap discount)", h["value"], "#,##0.00"],
        ["Expected conversions", h["conversions"], "#,##0.00"], ["CPA (spend per expected conversion)", h["cpa"], money_format],
        ["EMV", h["emv"], money_format], ["EMV per dollar", h["emv_per_dollar"], "0.00"], ["ROI", h["roi"], "0.0%"],
        ["Creators", h["creators"], "0"], ["Posts", h["posts"], "0"], ["Solver", d["solver"]["name"], ""],
        ["Proven bound", d["bound"], "#,##0.00"], ["Gap", d["gap"], "0.0000%"],
        ["Independent verification", "passed" if d["verification"]["passed"] else "FAILED", ""],
        ["Conversion funnel", h["funnel"], ""],
        *[[f"Return check ({f['figure']}, {f['level']})", f["message"], ""] for f in h["flags"]],
    ]  # fmt: skip
    ws = wb.active
    ws.title = "Summary"
    ws.append(["Figure", "Value"])
    for cell in ws[1]:
        cell.font = bold
    for label, value, fmt in summary:
        ws.append([label, _xlsx_text(value)])
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 24

    extra = [k for k in (c["roster"][0] if c["roster"] else {}) if k not in (
        "creator_id", "handle", "platform", "niche", "tier", "followers", "engagement_rate", "posts", "cost_per_post", "cost", "value",
        "expected_conversions", "expected_emv", "expected_engagements", "expected_reach", "value_lost_without", "replaced_by")]  # fmt: skip
    sheet("Roster", ["creator_id", "handle", "platform", "niche", "tier", "followers", "engagement_rate", "posts", "cost_per_post",
                     "cost", "expected value", "expected_conversions", "expected_emv", "expected_engagements", "expected_reach",
                     c["loss_label"], *extra],
          [[e["creator_id"], e["handle"], e["platform"], e["niche"], e["tier"], e["followers"], e["engagement_rate"], e["posts"],
            e["cost_per_post"], e["cost"], e["value"], e["expected_conversions"], e["expected_emv"], e["expected_engagements"],
            e["expected_reach"], e["value_lost_without"], *[e[k] for k in extra]] for e in c["roster"]],
          {6: "#,##0", 7: "0.00%", 9: money_format, 10: money_format, 11: "#,##0.00", 12: "#,##0.00", 13: money_format, 14: "#,##0", 15: "#,##0", 16: "#,##0.00"})  # fmt: skip
    for title, key, rows in (("By niche", "niche", d["by_niche"]), ("By platform", "platform", d["by_platform"])):
        sheet(title, [key, "creators", "posts", "spend", "share of spend", "scenario rule", "expected value", "expected conversions", "EMV"],
              [[r[key], r["creators"], r["posts"], r["cost"], r["spend_share"], r["rule"], r["value"], r["conversions"], r["emv"]] for r in rows],
              {4: money_format, 5: "0.0%", 7: "#,##0.00", 8: "#,##0.00", 9: money_format})  # fmt: skip
    sheet("Baselines", ["baseline", "description", "creators", "spend", "expected value", "expected conversions", "CPA",
                        "value / optimum", "meets every rule", "rules broken"],
          [[b["name"], b["description"], b["creators"], b["cost"], b["value"], b["conversions"], b["cpa"], b["ratio_to_optimum"],
            "yes" if b["feasible"] else "no", "; ".join(b["rules_broken"])] for b in c["baselines"]],
          {4: money_format, 5: "#,##0.00", 6: "#,##0.00", 7: money_format, 8: "0.0%"})  # fmt: skip
    sheet("Frontier", ["budget", "status", "expected value", "spend", "creators", "expected conversions", "CPA", "value of the last $1,000"],
          [[r["budget"], r["status"], r["value"], r["cost"], r["creators"], r["conversions"], r["cpa"], r["marginal_value_per_1000"]]
           for r in c["frontier"]], {1: money_format, 3: "#,##0.00", 4: money_format, 6: "#,##0.00", 7: money_format, 8: "#,##0.00"})  # fmt: skip
    if c["next_best"]:
        sheet("Next-best rosters", ["rank", "status", "expected value", "value / optimum", "spend", "creators", "posts",
                                    "joins", "leaves"],
              [[r["rank"], r["status"], r["value"], r["ratio"], r["cost"], r["creators"], r["posts"], r["joins"],
                r["leaves"]] for r in c["next_best"]], {3: "#,##0.00", 4: "0.00%", 5: money_format})  # fmt: skip
    sheet("Assumptions", ["parameter", "value", "source", "meaning"],
          [[a["parameter"], a["value"], a["source"], a["meaning"]]
           for a in c["assumptions"]], {})  # fmt: skip
    if c["audience"] or c["limits"]:
        # one sheet, only for scenarios with such rules: shares as percentages, limit figures as plain numbers
        sheet("Audience and limits", ["rule", "kind", "roster", "floor", "cap", "people reached in segment"],
              [[f"audience {a['segment']}", "share of expected reach", a["achieved"], a["min"], a["max"], a["segment_reach"]]
               for a in c["audience"]]
              + [[r["text"], f"{r['rule']} per {r['per']}", r["achieved"], r["limit"] if r["rule"].startswith("min") else None,
                  r["limit"] if r["rule"].startswith("max") else None, None] for r in c["limits"]],
              {6: "#,##0"})  # fmt: skip
        ws = wb["Audience and limits"]
        for row in ws.iter_rows(min_row=2, max_row=1 + len(c["audience"])):
            for cell in row[2:5]:
                cell.number_format = "0.0%"
    if c["u"] is not None:
        rows = c["u"].sheet_rows()
        sheet("Uncertainty", rows[0], rows[1:], {k: "#,##0.00" for k in range(2, 9)})
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def report_files(rep: Report) -> dict[str, str | bytes]:
    """report.html, allocation.xlsx and summary.md, ready for `optimizer.output.write_files`."""
    return {"report.html": render_html(rep), "allocation.xlsx": render_xlsx(rep), "summary.md": render_markdown(rep)}


def write_report(rep: Report, directory: Path) -> list[Path]:
    """Write report.html, allocation.xlsx and summary.md atomically."""
    return write_files(directory, report_files(rep))
