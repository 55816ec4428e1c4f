"""The finance report: files from a clean run, Excel totals to the cent, baselines never beat the optimum,
a monotone budget frontier, re-solved explanations, and hostile names kept inert everywhere."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from optimizer import load_problem, optimize
from optimizer.baselines import compute_baselines
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.explain import explain_creator
from optimizer.formatting import num
from optimizer.frontier import frontier
from optimizer.pipeline import with_overrides
from optimizer.report import build_report, render_html, render_markdown
from tests.conftest import SCENARIOS, base_pool, write_case
from tests.test_bruteforce import _problem, campaigns

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
BUNDLED = sorted(SCENARIOS.glob("*/*.yaml"))


# this machine's network is closed: without these, Chromium's own background connections fail noisily
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND"]  # fmt: skip


def _chromium(url: str, *extra: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="roster-chromium-")  # a fresh, throw-away browser profile
    return subprocess.run([CHROMIUM, "--headless", *CHROMIUM_ARGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """`roster optimize --report` from a clean run for every bundled scenario."""
    from click.testing import CliRunner

    runner = CliRunner()
    out = {}
    for scenario in BUNDLED:
        name = f"{scenario.parent.name}-{scenario.stem}"
        folder = tmp_path_factory.mktemp(name)
        if name == "skincare-scenario":
            # the largest roster: explanations there cost 40 re-solves, covered on the other scenarios
            args = ["optimize", str(scenario), "--out", str(folder)]
            assert runner.invoke(main, args).exit_code == 0
            result = runner.invoke(main, ["report", str(folder), "--no-explain", "--budgets", "10000,20000,30000"])
        else:
            result = runner.invoke(main, ["optimize", str(scenario), "--out", str(folder), "--report"])
        assert result.exit_code == 0, result.output
        out[name] = folder
    return out


def test_report_files_for_every_bundled_scenario(reports) -> None:
    assert len(reports) == len(BUNDLED) == 6  # crossfit, eco-fashion, instagram-history x2, skincare x2
    for folder in reports.values():
        for name in ("result.json", "roster.csv", "report.html", "allocation.xlsx", "summary.md"):
            assert (folder / name).stat().st_size > 0, (folder, name)
        html = (folder / "report.html").read_text()
        for section in (
            "headline",
            "roster",
            "allocation",
            "overlap",
            "baselines",
            "uncertainty",
            "assumptions",
            "proof",
        ):
            assert f'id="{section}"' in html
        # self-contained: nothing is fetched (the SVG namespace is an identifier, not a request)
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "@import" not in html and "url(" not in html


def test_excel_figures_match_the_pool_file_to_the_cent(reports) -> None:
    """Spend in allocation.xlsx recomputed from the raw pool file (price x posts), not from result.json."""
    from openpyxl import load_workbook

    for folder in reports.values():
        doc = json.loads((folder / "result.json").read_text())
        raw = pd.read_csv(doc["pool"]["file"], dtype=str).set_index("creator_id")
        wb = load_workbook(folder / "allocation.xlsx")
        extra = ["Audience and limits"] if doc["audience"] or doc["limits"] else []
        assert wb.sheetnames == ["Summary", "Roster", "By niche", "By platform", "Baselines", "Frontier", "Assumptions",
                                 *extra, "Uncertainty"]  # fmt: skip
        header = [c.value for c in wb["Roster"][1]]
        rows = [dict(zip(header, r)) for r in wb["Roster"].iter_rows(min_row=2, values_only=True)]
        assert len(rows) == doc["roster_size"] > 0
        spend = 0.0
        by_platform: dict[str, float] = {}
        for r in rows:
            price = float(raw.at[r["creator_id"], "cost"])
            assert r["cost_per_post"] == pytest.approx(price), r["creator_id"]
            assert r["cost"] == pytest.approx(price * r["posts"]), r["creator_id"]
            assert isinstance(r["cost"], float | int), "costs are numbers, not text"
            spend += price * r["posts"]
            platform = raw.at[r["creator_id"], "platform"].strip().lower()
            by_platform[platform] = by_platform.get(platform, 0.0) + price * r["posts"]
        summary = {row[0].value: row[1] for row in wb["Summary"].iter_rows(min_row=2)}
        assert round(summary["Spend"].value, 2) == round(spend, 2)
        assert summary["Spend"].number_format.startswith('"$"')
        assert summary["Share of budget spent"].number_format == "0.0%"
        assert wb["Roster"]["J2"].number_format.startswith('"$"')
        sheet = {r[0]: r for r in wb["By platform"].iter_rows(min_row=2, values_only=True)}
        assert set(sheet) == set(by_platform)
        for platform, amount in by_platform.items():
            assert round(sheet[platform][3], 2) == round(amount, 2)
            assert sheet[platform][4] == pytest.approx(amount / spend), "share of spend, not of the budget"


def test_eco_fashion_report_shows_the_audience_mix(reports) -> None:
    from openpyxl import load_workbook

    folder = reports["eco-fashion-scenario"]
    doc = json.loads((folder / "result.json").read_text())
    assert [(r["segment"], r["rule"]) for r in doc["audience"]] == [("audience_us", "min_share"),
                                                                     ("audience_13_17", "max_share")]  # fmt: skip
    html = (folder / "report.html").read_text()
    assert 'id="audience"' in html and "Audience mix: share of the roster" in html
    for r in doc["audience"]:
        assert f"{r['achieved']:.1%}" in html  # the table and the chart show result.json's shares
    assert "usage_fee totals at most 2,000 over the chosen creators" in html
    rows = list(load_workbook(folder / "allocation.xlsx")["Audience and limits"].iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == pytest.approx([r["achieved"] for r in doc["audience"]]
                                                 + [r["achieved"] for r in doc["limits"]])  # fmt: skip
    summary = (folder / "summary.md").read_text()
    assert "## Audience mix" in summary and "| audience_us |" in summary
    for other in ("crossfit-scenario", "skincare-target"):
        assert 'id="audience"' not in (reports[other] / "report.html").read_text()


def test_rules_close_to_their_limit_explain_unspent_budget() -> None:
    """Within a share point of their limits, audience and limits rules explain unspent budget though not at
    equality (eco-fashion at $15,000: the roster is full and 17% of the budget is left)."""
    problem = with_overrides(load_problem(SCENARIOS / "eco-fashion" / "scenario.yaml"), {"budget": 15_000})
    doc = optimize(problem, explain=False).to_dict()
    assert doc["total_cost"] < 0.9 * 15_000
    note = doc["budget_note"]
    assert "Close to their limit: at least 50% of the roster's expected reach in audience_us" in note, note
    assert "usage_fee totals at most 2,000 over the chosen creators" in note, note
    # and the binding rules are not named twice
    assert note.count("at most 22 creators") == 1, note


@needs_chromium
def test_report_renders_in_headless_chromium(reports, tmp_path: Path) -> None:
    for name, folder in reports.items():
        url = (folder / "report.html").resolve().as_uri()
        dom = _chromium(url, "--dump-dom", "--virtual-time-budget=3000")
        assert dom.returncode == 0, dom.stderr[-2000:]
        body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
        assert 'data-ready="1"' in body, (name, body)
        assert 'data-errors="0"' in body, (name, body)
        charts = int(re.search(r'data-charts="(\d+)"', body).group(1))
        drawn = int(re.search(r'data-drawn="(\d+)"', body).group(1))
        empty = re.search(r'data-empty="([^"]*)"', body).group(1)
        assert charts >= 5, (name, charts)
        assert drawn == charts, (name, "charts without a visible mark:", empty)
        assert "ERR_NAME_NOT_RESOLVED" not in dom.stderr and "net::ERR" not in dom.stderr
        shot = tmp_path / f"{name}.png"
        result = _chromium(url, f"--screenshot={shot}", "--window-size=1280,2000")
        assert result.returncode == 0 and shot.stat().st_size > 20_000


def test_headline_ranges_distribution_and_uncertainty_sheet(reports) -> None:
    """Each headline range is the P10-P90 of the report's seeded simulation of the roster, recomputed here; the
    distribution chart and the Uncertainty sheet show the same simulation."""
    from openpyxl import load_workbook

    from optimizer.formatting import money
    from optimizer.outlook import REPORT_DRAWS, REPORT_SEED
    from optimizer.simulate import simulate

    checked = 0
    for name in ("eco-fashion-scenario", "crossfit-scenario", "skincare-target"):
        folder = reports[name]
        doc = json.loads((folder / "result.json").read_text())
        problem = load_problem(doc["scenario_file"])
        sim = simulate(problem, {e["creator_id"]: e["posts"] for e in doc["roster"]}, REPORT_DRAWS, REPORT_SEED)
        html = (folder / "report.html").read_text()
        m, c, cpa = sim.metrics[doc["value_metric"]], sim.metrics["conversions"], sim.metrics["cpa"]
        assert f'data-range="{doc["value_metric"]}">P10-P90 {num(m["p10"])} to {num(m["p90"])}' in html, name
        assert f'data-range="conversions">P10-P90 {num(c["p10"], 1)} to {num(c["p90"], 1)}' in html, name
        assert f'data-range="cpa">P10-P90 {money(cpa["p10"])} to {money(cpa["p90"])}' in html, name
        assert f'aria-label="Distribution of expected {doc["value_metric"]}: 10,000 simulated outcomes' in html
        rows = {r[0]: r for r in load_workbook(folder / "allocation.xlsx")["Uncertainty"].iter_rows(values_only=True)}
        for metric, figures in sim.metrics.items():
            assert rows[metric][1:5] == pytest.approx([figures[k] for k in ("mean", "p10", "p50", "p90")]), metric
        summary = (folder / "summary.md").read_text()
        assert f"Simulated P10-P90 (10,000 draws, seed 0): {doc['value_metric']} {num(m['p10'])} to" in summary
        checked += 1
    assert checked == 3


def test_risk_report_shows_both_rosters(reports) -> None:
    """The bundled risk scenario's report: both rosters' fresh-draw figures from result.json, the comparison chart,
    the bound labelled as a bound on the risk objective, and no expected-value frontier."""
    from openpyxl import load_workbook

    folder = reports["instagram-history-risk"]
    doc = json.loads((folder / "result.json").read_text())
    mine, theirs = doc["risk"]["risk_aware"], doc["risk"]["expected_value_roster"]
    html = (folder / "report.html").read_text()
    section = html[html.index('<section id="risk">') : html.index("</section>", html.index('<section id="risk">'))]
    for figures in (mine, theirs):
        for key in ("mean", "p10", "p50", "p90", "risk_objective", "expected_value"):
            assert f'<td class="n">{num(figures[key])}</td>' in section, key
    assert 'aria-label="engagements on 10,000 fresh draws (seed 8)"' in section
    assert "P10 risk-aware" in section and "P10 expected-value" in section
    assert "on the risk objective (not a bound on the mean)" in html
    assert 'id="frontier"' not in html and "not computed for it" in html
    assert "## Risk-aware vs expected-value roster" in (folder / "summary.md").read_text()
    rows = {r[0]: r for r in load_workbook(folder / "allocation.xlsx")["Uncertainty"].iter_rows(values_only=True)}
    assert rows["risk-aware (robust)"][2] == pytest.approx(mine["p10"])
    assert rows["expected-value"][2] == pytest.approx(theirs["p10"])
    assert rows["risk-aware (robust)"][2] > rows["expected-value"][2]


def test_calibration_summary_in_report(reports) -> None:
    folder = reports["instagram-history-scenario"]
    doc = json.loads((folder / "result.json").read_text())
    cal = pd.read_csv(SCENARIOS / "instagram-history" / "calibration.csv").set_index("creator_id")
    html = (folder / "report.html").read_text()
    assert 'id="calibration"' in html
    assert f"<td>posts used (pool creators)</td><td>{int(cal['posts_seen'].sum()):,}</td>" in html
    ids = [e["creator_id"] for e in doc["roster"]]
    own = int((cal.loc[ids, "posts_seen"] > 0).sum())
    assert f"<td>roster creators on their own posts</td><td>{own} of {len(ids)}, " in html
    assert "80.2% fell inside their P10-P90" in html
    assert 'id="calibration"' not in (reports["eco-fashion-scenario"] / "report.html").read_text()


def test_optimum_beats_every_feasible_baseline_in_bundled_scenarios() -> None:
    compared = 0
    # the guarantee is for the expected-value optimum: a risk-aware roster gives up expected value on purpose
    problems = []
    for scenario in [s for s in BUNDLED if "target" not in s.name and s.name != "risk.yaml"]:
        problems.append((scenario, load_problem(scenario)))
        sc = problems[-1][1].scenario
        if sc.audience or sc.limits:
            # the same campaign without its audience and limits rules, where more baselines meet every rule
            problems.append((f"{scenario} without audience and limits",
                             problems[-1][1].with_scenario(sc.model_copy(update={"audience": {}, "limits": {}}))))  # fmt: skip
    for scenario, problem in problems:
        result = optimize(problem)
        baselines = compute_baselines(problem)
        for b in baselines:
            assert b.roster, (scenario, b.name)
            if b.feasible:
                compared += 1
                assert result.verification.value >= b.check.value - 1e-6, (scenario, b.name)
            else:
                assert b.check.violations, (scenario, b.name)  # a baseline that breaks a rule says which
        rows = build_report(result, budgets=[problem.scenario.budget], explain=False).baselines
        assert [r["ratio_to_optimum"] is not None for r in rows] == [True] * len(baselines)
    assert compared >= 3, compared


def test_optimum_is_never_below_a_feasible_baseline() -> None:
    """On random campaigns (every rule family) and on campaigns whose rules the greedy baselines always
    respect (budget, roster and group caps, overlap limits), no baseline that meets every rule beats the optimum."""
    compared = {"any rules": 0, "caps only": 0}

    def check(problem, kind: str) -> None:
        result = optimize(problem, explain=False)
        for b in compute_baselines(problem):
            if b.feasible:
                compared[kind] += 1
                assert result.status == "optimal"
                assert result.verification.value >= b.check.value - 1e-6, (b.name, b.roster, result.roster)

    @settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(campaigns())
    def any_rules(case) -> None:
        sc, pool, overlap = case
        sc = {k: v for k, v in sc.items() if k != "target"}
        try:
            problem = _problem(sc, pool, overlap)
        except InputError:
            return
        check(problem, "any rules")

    @settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(campaigns())
    def caps_only(case) -> None:
        sc, pool, overlap = case
        keep = {"name", "pool", "budget", "objective", "overlap", "assumptions"}
        sc = {k: v for k, v in sc.items() if k in keep}
        sc["roster"] = {"max_creators": 3}
        if "overlap" in sc:
            sc["overlap_policy"] = {"max_pairwise": 0.5, "discount": True}
        check(_problem(sc, pool, overlap), "caps only")

    any_rules()
    caps_only()
    # enough comparisons actually made (on rule-heavy campaigns most greedy lists break some rule)
    assert compared["any rules"] >= 80 and compared["caps only"] >= 200, compared


def test_frontier_of_20_budgets_never_decreases(tmp_path: Path, runner) -> None:
    scenario = SCENARIOS / "eco-fashion" / "scenario.yaml"
    result = runner.invoke(main, ["frontier", str(scenario), "--budgets", "1000:20000:1000", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "frontier.json").read_text())
    assert len(rows) == 20
    values = [r["value"] for r in rows if r["value"] is not None]
    assert len(values) >= 15
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(values))
    assert (tmp_path / "frontier.svg").read_text().startswith("<svg")
    assert pd.read_csv(tmp_path / "frontier.csv").shape[0] == 20
    header = result.stdout.splitlines()[0]
    assert "budget" in header and "last $1,000" in header


def test_frontier_reports_progress_and_marginals() -> None:
    problem = load_problem(SCENARIOS / "eco-fashion" / "scenario.yaml")
    seen: list[tuple[int, int]] = []
    points = frontier(problem, [8000, 9000, 10000], progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]  # 7000 is solved too, for the marginal at 8000
    assert points[1].marginal_value_per_1000 == pytest.approx(points[1].value - points[0].value)
    assert points[1].value == pytest.approx(optimize(problem).verification.value)


def test_explanations_are_found_by_re_solving() -> None:
    path = SCENARIOS / "eco-fashion" / "scenario.yaml"
    problem = load_problem(path)
    base = optimize(problem)
    chosen = sorted(c for c in base.roster if c not in problem.scenario.eligibility.include)[0]
    e = explain_creator(problem, base, chosen)
    assert e.chosen and e.value_change < 0
    sc = problem.scenario
    without = problem.with_scenario(sc.model_copy(update={"eligibility": sc.eligibility.model_copy(
        update={"exclude": [*sc.eligibility.exclude, chosen]})}))  # fmt: skip
    assert -e.value_change == pytest.approx(base.verification.value - optimize(without).verification.value)
    assert e.replacements and chosen not in optimize(without).roster

    # a creator not chosen: the pick price is where the optimum starts taking them
    # best value first: with eco-fashion's US share rule most non-US creators are not picked at any price
    candidates = [c for c in problem.eligible[problem.eligible].index if c not in base.roster]
    candidates.sort(key=lambda c: -float(problem.values[c]))
    for cid in candidates[:15]:
        e = explain_creator(problem, base, cid)
        if e.pick_price is None:
            continue
        from optimizer.explain import _priced

        assert cid in optimize(_priced(problem, cid, e.pick_price)).roster
        assert cid not in optimize(_priced(problem, cid, e.pick_price + 2.0)).roster
        break
    else:
        pytest.fail("no creator with a pick price among the first candidates")


def test_explain_cli(runner) -> None:
    path = SCENARIOS / "eco-fashion" / "scenario.yaml"
    result = runner.invoke(main, ["explain", str(path), "--creator", "c-0007", "--creator", "c-0051"])
    assert result.exit_code == 0, result.output
    assert "c-0007 (not chosen): c-0007 is not eligible: fewer than 10,000 followers." in result.stdout
    assert "c-0051 (chosen): c-0051 is on the roster because the scenario requires it (include)." in result.stdout


HOSTILE = [
    "<script>alert('x')</script>",
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(A1:A9)",
    "-2+3",
    "@cmd",
    "\u202eevil\u202c mark",
    "emoji 🌱♻️👗",
    "x" * 10_000,
    "\ttab",
]


def test_hostile_names_are_inert_everywhere(tmp_path: Path, runner) -> None:
    pool = base_pool()
    pool["handle"] = [*HOSTILE[:8]]
    pool.loc[0, "niche"] = "zero-waste;<b>bold</b>"
    pool["note"] = [HOSTILE[8], *HOSTILE[:7]]
    path = write_case(tmp_path / "in", {"budget": 100_000}, pool)
    out = tmp_path / "out"
    result = runner.invoke(main, ["optimize", str(path), "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "result.json").read_text())
    assert len(doc["roster"]) == 8  # everyone is chosen, so every hostile name reaches every output

    html = (out / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>bold</b>" not in html
    assert html.count("<script>") == 1  # ours only

    csv = pd.read_csv(out / "roster.csv", dtype=str, keep_default_na=False)
    for col in ("handle", "note"):
        for cell in csv[col]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

    from openpyxl import load_workbook

    ws = load_workbook(out / "allocation.xlsx")["Roster"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s" and not cell.value.startswith(("=", "+", "-", "@", "\t"))

    md = (out / "summary.md").read_text()
    assert "<script>" not in md and "&lt;script&gt;" in md and "<b>bold</b>" not in md

    if CHROMIUM:
        dom = _chromium((out / "report.html").resolve().as_uri(), "--dump-dom", "--virtual-time-budget=3000")
        body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
        assert 'data-errors="0"' in body and 'data-ready="1"' in body


def test_report_renderers_share_one_context() -> None:
    problem = load_problem(SCENARIOS / "crossfit" / "scenario.yaml")
    rep = build_report(optimize(problem), budgets=[40000], explain=False)
    html, md = render_html(rep), render_markdown(rep)
    spend = f"${rep.doc['total_cost']:,.2f}"
    assert spend in html and spend in md
    assert "meets every rule" in md and "Budget frontier" in md


def test_report_on_a_missing_result(tmp_path: Path, runner) -> None:
    result = runner.invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2 and "result.json: not found" in result.stderr


needs_playwright = pytest.mark.skipif(
    CHROMIUM is None or importlib.util.find_spec("playwright") is None,
    reason="needs Debian's chromium and the playwright package (both installed by .ci/run and the test extra)",
)


@needs_playwright
def test_roster_table_fits_or_scrolls_and_prints_on_a4_landscape(reports, tmp_path: Path) -> None:
    """At 1,280 and 1,920 px every roster column is on screen or behind a visible horizontal scroll bar,
    no row is clipped; printed on A4 landscape every creator of the roster is on the paper."""
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    folder = reports["skincare-scenario"]  # the widest roster of the bundled scenarios
    ids = [e["creator_id"] for e in json.loads((folder / "result.json").read_text())["roster"]]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for width in (1280, 1920):
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.goto((folder / "report.html").resolve().as_uri())
                box = page.evaluate("""() => { const b = document.getElementById('roster-box');
                    return {sw: b.scrollWidth, cw: b.clientWidth, sh: b.scrollHeight, ch: b.clientHeight,
                            ox: getComputedStyle(b).overflowX, rows: document.querySelectorAll('#roster-table tbody tr').length,
                            right: b.getBoundingClientRect().right, vw: window.innerWidth}; }""")
                assert box["rows"] == len(ids)
                assert box["sw"] <= box["cw"] + 1 or box["ox"] == "scroll", (width, box)
                assert box["sh"] <= box["ch"] + 1, ("rows clipped", width, box)
                assert box["right"] <= box["vw"], ("the table's box runs off the page", width, box)
                page.close()
            page = browser.new_page()
            page.goto((folder / "report.html").resolve().as_uri())
            page.emulate_media(media="print")
            pdf = tmp_path / "report.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height), "landscape"
    assert abs(float(box.width) - 841.9) < 2 and abs(float(box.height) - 595.3) < 2, "A4"
    text = " ".join(page.extract_text() for page in reader.pages)
    missing = [cid for cid in ids if cid not in text]
    assert not missing, f"{len(missing)} roster creators are not on the printed pages: {missing[:5]}"
