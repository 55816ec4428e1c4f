"""The `roster` command: parses options, calls the library, prints, and maps errors to exit codes.

Exit codes: 0 solved (optimal, or feasible with a proven gap), 2 bad input or usage,
3 infeasible (the conflicting rules are named), 1 anything else.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from optimizer import __version__
from optimizer.errors import ResultFileError, RosterError
from optimizer.forecast import UNITS
from optimizer.generate import DEFAULT_NICHES, PoolSpec, generate_pool
from optimizer.output import result_json, write_result
from optimizer.parallel import run_all
from optimizer.problem import Problem, load_problem
from optimizer.result import Result, optimize
from optimizer.solve import DEFAULT_GAP, SOLVERS
from optimizer.text import safe_terminal
from optimizer.verify import verify_roster

EXIT_CODES = """\b
Exit codes:
  0  solved: an optimal roster, or a feasible one with a proven gap
  1  anything else (no roster found within the time limit, verification failed)
  2  bad input or usage (the message names the file, row or key)
  3  infeasible (the message names the requirements that conflict)"""


_solver_option = click.option("--solver", type=click.Choice(SOLVERS), default="cbc", show_default=True,
                              help="CBC (bundled with PuLP) or HiGHS (through highspy).")  # fmt: skip


def _fail(exc: RosterError) -> None:
    # messages quote file contents (labels, headers, ids): no escape sequence may reach the terminal
    click.echo(f"Error: {safe_terminal(exc)}", err=True)
    sys.exit(exc.exit_code)


def _money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "n/a"
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


class _Group(click.Group):
    """Turns library errors into one-paragraph messages and exit codes, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RosterError as exc:
            _fail(exc)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was written.", err=True)
            sys.exit(1)
        except Exception as exc:  # a bug: say so plainly, without a traceback
            click.echo(
                f"Error: unexpected {type(exc).__name__}: {safe_terminal(exc)}. Please report this with your inputs.",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="roster")
def main() -> None:
    """Pick the micro-influencer roster that maximises expected conversions or EMV under a budget,
    and prove how close to optimal it is."""


def _summary(d: dict[str, Any], roster: dict[str, int], out: Path | None) -> str:
    cur = d["currency"]
    lines = [f"{d['scenario']}: {d['status']} ({d['message']})"]
    if roster:
        o = d["solver"]
        if d["mode"] == "min_cost":
            lines.append(
                f"  Objective: lowest cost reaching {d['target']['value']:,.2f} expected {d['target']['metric']}"
            )
            lines.append(
                f"  Cost {_money(d['objective_value'], cur)}; proven lower bound {_money(d['bound'], cur)}; gap {d['gap']:.4%}"
            )
        else:
            unit = d["objective_unit"]
            lines.append(f"  Objective: maximise {d['objective']} ({unit})")
            lines.append(f"  Value {d['objective_value']:,.2f}; proven bound {d['bound']:,.2f}; gap {d['gap']:.4%}")
        if d["overlap_discount"]:
            lines.append(
                f"  Overlap discount: -{d['overlap_discount']:,.2f} {d['value_metric']} "
                f"(from {d['value_before_overlap_discount']:,.2f}; pairwise, so conservative)"
            )
        budget = f" of {_money(d['budget'], cur)} ({d['budget_used_share']:.1%})" if d["budget"] else ""
        lines.append(
            f"  Spend: {_money(d['total_cost'], cur)}{budget}; {d['roster_size']} creators, {d['total_posts']} posts"
        )
        t = d["totals_before_overlap_discount"]
        lines.append(
            f"  Expected (before overlap discount): {t['conversions']:,.1f} conversions, EMV {_money(t['emv'], cur)}, "
            f"{t['engagements']:,.0f} engagements, {t['reach']:,.0f} reach"
        )
        if d["cpa"]:
            lines.append(f"  CPA: {_money(d['cpa'], cur)} per expected conversion")
        if d["by_niche"]:
            lines.append(
                "  By niche: "
                + ", ".join(f"{r['niche']} {r['creators']} ({_money(r['cost'], cur)})" for r in d["by_niche"])
            )
        if d["by_platform"]:
            lines.append(
                "  By platform: "
                + ", ".join(f"{r['platform']} {r['creators']} ({_money(r['cost'], cur)})" for r in d["by_platform"])
            )
        if d["binding_rules"]:
            lines.append("  Rules that bind: " + "; ".join(b["text"] for b in d["binding_rules"]))
        if d["budget_note"]:
            lines.append(f"  Budget: {d['budget_note']}")
        v = d["verification"]
        lines.append(
            f"  Verification: {'passed' if v['passed'] else 'FAILED'} ({len(v['checks'])} rule groups checked independently)"
        )
        lines.append(f"  Solver: {o['name']} {o['status']} in {o['seconds']:.2f} s")
    for note in d["notes"]:
        lines.append(f"  Note: {note}")
    if out is not None:
        written = ["result.json"] + (["roster.csv"] if roster else [])
        lines.append("Wrote " + ", ".join(str(out / w) for w in written))
    return safe_terminal("\n".join(lines))


@main.command("optimize", epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for roster.csv and result.json [default: out/<scenario name>].",
)
@_solver_option
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds; at the limit the best roster so far is reported with its proven gap.",
)
@click.option(
    "--gap",
    type=click.FloatRange(min=0, max=1),
    default=DEFAULT_GAP,
    show_default=True,
    help="Relative optimality gap at which to stop (0 = prove optimality).",
)
@click.option("--json", "as_json", is_flag=True, help="Print result.json to standard output instead of the summary.")
@click.option("--verbose", is_flag=True, help="Show the solver's log.")
@click.option("--report", "with_report", is_flag=True, help="Also write report.html, allocation.xlsx and summary.md.")
def optimize_cmd(
    scenario: Path,
    out: Path | None,
    solver: str,
    time_limit: float | None,
    gap: float,
    as_json: bool,
    verbose: bool,
    with_report: bool = False,
) -> None:
    """Find the best roster for SCENARIO (a YAML file) and write roster.csv and result.json."""
    began = time.perf_counter()
    problem = load_problem(scenario)
    loaded = time.perf_counter() - began
    result = optimize(problem, solver=solver, time_limit=time_limit, gap=gap, verbose=verbose)
    result.timings = {"load": round(loaded, 4), **result.timings}
    out = out if out is not None else Path("out") / scenario.stem
    doc = result.to_dict()  # built once: written, then summarised
    write_result(result, out, doc)
    if with_report and result.roster:
        _write_report(result, out, None, True, solver)
    if as_json:
        click.echo(result_json(result, doc), nl=False)
    else:
        text = _summary(doc, result.roster, out)
        click.echo(text, err=result.status not in ("optimal", "feasible"))
    sys.exit(result.exit_code)


def _validate_text(problem: Problem) -> str:
    sc = problem.scenario
    frame = problem.pool.frame
    elig = frame.loc[problem.eligible.to_numpy()]
    lines = [
        f"{sc.name}: scenario and pool are valid.",
        f"  Pool {problem.pool.source}: {len(frame)} creators, {len(elig)} eligible; "
        f"{len(problem.overlap)} overlap pairs.",
    ]
    reasons = problem.reasons[problem.reasons != ""].value_counts().sort_index()
    for why, n in reasons.items():
        lines.append(f"  Not eligible: {n} ({why})")
    niches = sorted({n for t in frame["niches"] for n in t})
    lines.append("  Eligible by niche (eligible / in pool; scenario rule):")
    for label in niches:
        total = sum(label in t for t in frame["niches"])
        ok = sum(label in t for t in elig["niches"])
        rule = sc.niches.get(label)
        warn = ""
        if rule and rule.min_creators is not None and ok < rule.min_creators:
            warn = f"  <- needs {rule.min_creators}: infeasible"
        lines.append(
            f"    {label}: {ok} / {total}" + (f"; {rule.model_dump(exclude_none=True)}" if rule else "") + warn
        )
    lines.append("  Eligible by platform (eligible / in pool):")
    for label in sorted(set(frame["platform"])):
        ok = int((elig["platform"] == label).sum())
        total = int((frame["platform"] == label).sum())
        rule = sc.platforms.get(label)
        lines.append(f"    {label}: {ok} / {total}" + (f"; {rule.model_dump(exclude_none=True)}" if rule else ""))
    unit = UNITS[sc.value_metric]
    lines.append(f"  Value counted: {sc.value_metric} ({unit}); mode: {sc.mode}.")
    for note in problem.notes:
        lines.append(f"  Note: {note}")
    return "\n".join(lines)


@main.command(epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
def validate(scenario: Path) -> None:
    """Check SCENARIO and its pool and overlap files; show eligible creators per niche and platform."""
    click.echo(safe_terminal(_validate_text(load_problem(scenario))))


@main.command(epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("result_json", type=click.Path(dir_okay=False, path_type=Path))
def verify(scenario: Path, result_json: Path) -> None:
    """Re-check the roster in RESULT_JSON against every rule of SCENARIO, without the solver.

    Recomputes the spend and the objective from the pool and the forecast; exits 0 if every rule
    holds and the reported figures match, 1 otherwise.
    """
    problem = load_problem(scenario)
    try:
        doc = json.loads(result_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultFileError(f"{result_json}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultFileError(f"{result_json}: not a readable result.json ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("roster"), list):
        raise ResultFileError(f"{result_json}: no 'roster' list; is this a result.json from `roster optimize`?")
    if not doc["roster"]:
        click.echo(f"{result_json}: status {doc.get('status')!r} with an empty roster: nothing to verify.", err=True)
        sys.exit(1)
    roster: dict[str, int] = {}
    for pos, entry in enumerate(doc["roster"]):
        if not isinstance(entry, dict) or "creator_id" not in entry or "posts" not in entry:
            raise ResultFileError(f"{result_json}: roster entry {pos} needs creator_id and posts")
        cid = str(entry["creator_id"])
        if cid in roster:
            raise ResultFileError(f"{result_json}: creator {cid} appears twice in the roster")
        roster[cid] = entry["posts"]
    value = doc.get("value") if doc.get("mode", "maximise") == "maximise" else None
    check = verify_roster(problem, roster, reported_value=value, reported_cost=doc.get("total_cost"))
    if check.passed:
        click.echo(
            f"Verified: {len(roster)} creators pass all {len(check.checks)} rule groups of {problem.scenario.name}; "
            f"recomputed spend {_money(check.total_cost, problem.scenario.currency)}, "
            f"{problem.scenario.value_metric} {check.value:,.4f}."
        )
        return
    click.echo(f"NOT verified: {len(check.violations)} problem(s) with {result_json}:", err=True)
    for line in check.violations:
        click.echo(f"  - {safe_terminal(line)}", err=True)
    sys.exit(1)


def _parallel_options(command):
    """--scheduler and --workers, shared by every command that runs independent solves."""
    command = click.option("--workers", type=click.IntRange(min=1), default=None,
                           help="Local processes [default: one per core].")(command)  # fmt: skip
    return click.option("--scheduler", default=None, envvar="ROSTER_SCHEDULER", metavar="tcp://HOST:PORT",
                        help="Run the solves on this Dask cluster [env ROSTER_SCHEDULER; default: local processes].")(command)  # fmt: skip


def _progress_bar():
    """A rich progress bar on standard error (so --json output stays clean); silent when not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not console.is_terminal)  # fmt: skip


def _write_report(
    result: Result,
    out: Path,
    budgets: list[float] | None,
    explain: bool,
    solver: str,
    scheduler: str | None = None,
    workers: int | None = None,
) -> None:
    from optimizer.report import build_report, write_report

    with _progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "Budget frontier" if stage == "frontier" else "Value lost without each creator"
                tasks[stage] = bar.add_task(label, total=total)
            bar.update(tasks[stage], completed=done)

        rep = build_report(result, budgets=budgets, explain=explain, solver=solver, progress=tick, scheduler=scheduler,
                           workers=workers)  # fmt: skip
    files = write_report(rep, out)
    click.echo("Wrote " + ", ".join(str(f) for f in files))


@main.command(epilog=EXIT_CODES)
@click.argument("result_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Scenario file [default: the one recorded in result.json].",
)
@click.option(
    "--budgets", default=None, help="Frontier budgets, start:stop:step or a list [default: 25%-200% of the budget]."
)
@click.option("--no-explain", is_flag=True, help="Skip the value-lost-without-each-creator re-solves (faster).")
@_solver_option
@_parallel_options
def report(
    result_dir: Path,
    scenario: Path | None,
    budgets: str | None,
    no_explain: bool,
    solver: str,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Write report.html, allocation.xlsx and summary.md for the result in RESULT_DIR.

    The roster in result.json is re-verified against the scenario first; baselines, the budget frontier
    and per-creator explanations are computed by re-solving.
    """
    from optimizer.frontier import parse_budgets
    from optimizer.report import result_from_dir

    result = result_from_dir(result_dir, scenario)
    _write_report(
        result, result_dir, parse_budgets(budgets) if budgets else None, not no_explain, solver, scheduler, workers
    )


@main.command("frontier", epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--budgets", required=True, help="start:stop:step (inclusive), e.g. 10000:200000:10000, or a list 5000,10000."
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for frontier.csv, frontier.json and frontier.svg [default: out/<scenario name>].",
)
@_solver_option
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds per budget.")
@_parallel_options
def frontier_cmd(
    scenario: Path,
    budgets: str,
    out: Path | None,
    solver: str,
    time_limit: float | None,
    scheduler: str | None,
    workers: int | None,
) -> None:
    """Solve SCENARIO at each budget: optimal value, CPA, roster size and what the last $1,000 buys."""
    import pandas as pd

    from optimizer.charts import line_chart
    from optimizer.frontier import frontier, parse_budgets
    from optimizer.output import write_files

    todo = parse_budgets(budgets)
    problem = load_problem(scenario)
    with _progress_bar() as bar:
        task = bar.add_task("Budget frontier (solves)", total=None)
        points = frontier(problem, todo, solver=solver, time_limit=time_limit, scheduler=scheduler, workers=workers,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))  # fmt: skip
    rows = [p.to_dict() for p in points]
    frame = pd.DataFrame(rows)
    cur = problem.scenario.currency
    metric = problem.scenario.value_metric
    header = f"{'budget':>12} {'status':>10} {'expected ' + metric:>22} {'spend':>12} {'creators':>8} {'CPA':>10} {'last $1,000':>12}"
    click.echo(header)
    for r in rows:
        click.echo(f"{_money(r['budget'], cur):>12} {r['status']:>10} {_fmt(r['value']):>22} {_money(r['cost'], cur):>12} "
                   f"{r['creators']:>8} {_money(r['cpa'], cur):>10} {_fmt(r['marginal_value_per_1000']):>12}")  # fmt: skip
    out = out if out is not None else Path("out") / scenario.stem
    chart = line_chart([r["budget"] for r in rows], [r["value"] for r in rows], f"{problem.scenario.name}: budget frontier",
                       f"budget ({cur})", f"expected {metric}", marker=problem.scenario.budget)  # fmt: skip
    files = write_files(out, {"frontier.csv": frame.to_csv(index=False), "frontier.json": json.dumps(rows, indent=2) + "\n",
                              "frontier.svg": chart})  # fmt: skip
    click.echo("Wrote " + ", ".join(str(f) for f in files))


def _explain_full(shared: tuple, cid: str):
    from optimizer.explain import explain_creator

    problem, base, solver = shared
    return explain_creator(problem, base, cid, solver=solver)


def _batch_job(shared: tuple, scenario: str) -> dict[str, Any]:
    """Optimise one scenario of a batch and write its results (runs in a worker process or on Dask)."""
    out_root, solver, time_limit = shared
    path = Path(scenario)
    out = Path(out_root) / path.parent.name / path.stem
    try:
        result = optimize(load_problem(path), solver=solver, time_limit=time_limit)
    except RosterError as exc:
        return {"scenario": scenario, "status": "error", "exit_code": exc.exit_code, "message": str(exc), "out": None}
    doc = result.to_dict()
    write_result(result, out, doc)
    return {"scenario": scenario, "status": result.status, "exit_code": result.exit_code, "message": result.message,
            "value": doc["value"], "cost": doc["total_cost"], "creators": doc["roster_size"], "out": str(out)}  # fmt: skip


@main.command(epilog=EXIT_CODES)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Results go to OUT/<scenario folder>/<scenario name>/.",
)
@_solver_option
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, help="Seconds per scenario.")
@_parallel_options
def batch(scenarios: tuple[Path, ...], out: Path, solver: str, time_limit: float | None, scheduler: str | None,
          workers: int | None) -> None:  # fmt: skip
    """Optimise several SCENARIOS in parallel; each gets its own result.json and roster.csv.

    Exits with the worst exit code of the batch (2 bad input, 3 infeasible, 1 other), 0 when all solved.
    """
    with _progress_bar() as bar:
        task = bar.add_task("Scenarios", total=len(scenarios))
        rows = run_all(_batch_job, (str(out), solver, time_limit), [str(p) for p in scenarios], scheduler, workers,
                       lambda done: bar.update(task, completed=done))  # fmt: skip
    for r in rows:
        if r["out"]:
            click.echo(f"{r['scenario']}: {r['status']}, {r['creators']} creators, value {_fmt(r['value'])}, "
                       f"cost {_fmt(r['cost'])} -> {r['out']}")  # fmt: skip
        else:
            click.echo(safe_terminal(f"{r['scenario']}: {r['status']}: {r['message']}"), err=True)
    worst = max((r["exit_code"] for r in rows), key=lambda c: {0: 0, 3: 1, 1: 2, 2: 3}.get(c, 2))
    sys.exit(worst)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.2f}"


@main.command("explain", epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--creator", "creators", multiple=True, required=True, help="Creator id (repeat for several).")
@_solver_option
@_parallel_options
def explain_cmd(
    scenario: Path, creators: tuple[str, ...], solver: str, scheduler: str | None, workers: int | None
) -> None:
    """Why each --creator is (or is not) on the optimal roster of SCENARIO, found by re-solving.

    For a chosen creator: the value lost without them and who replaces them. For one not chosen: what
    forcing them in costs, and the price per post at which the optimum would pick them.
    """
    problem = load_problem(scenario)
    base = optimize(problem, solver=solver)
    if not base.roster:
        click.echo(f"{problem.scenario.name}: {base.status}: {base.message}", err=True)
        sys.exit(base.exit_code)
    with _progress_bar() as bar:
        task = bar.add_task("Re-solving", total=len(creators))
        answers = run_all(_explain_full, (problem, base, solver), list(creators), scheduler, workers,
                          lambda done: bar.update(task, completed=done))  # fmt: skip
    for e in answers:
        click.echo(safe_terminal(f"{e.creator_id} ({'chosen' if e.chosen else 'not chosen'}): {e.text}"))


@main.command(epilog=EXIT_CODES)
@click.option("--creators", type=click.IntRange(min=1), required=True, help="Number of creators.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for creators.csv (or .parquet) and overlap.csv.",
)
@click.option("--niches", default=",".join(DEFAULT_NICHES), show_default=True, help="Comma-separated niche labels.")
@click.option("--platforms", default="instagram,tiktok,youtube", show_default=True, help="Comma-separated platforms.")
@click.option("--platform-weights", default=None, help="Comma-separated shares per platform [default: 55/35/10].")
@click.option(
    "--tier-weights", default=None, help="Shares of nano,micro,mid,macro,mega [default: .30,.50,.13,.05,.02]."
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def generate(
    creators: int,
    seed: int,
    out: Path,
    niches: str,
    platforms: str,
    platform_weights: str | None,
    tier_weights: str | None,
    fmt: str,
) -> None:
    """Write a seeded synthetic pool and overlap file (distributions from DOMAIN.md) for demos and load tests."""
    plats = tuple(p.strip() for p in platforms.split(",") if p.strip())
    spec = PoolSpec(
        creators=creators,
        seed=seed,
        niches=tuple(n.strip() for n in niches.split(",") if n.strip()),
        platforms=plats,
        platform_weights=_floats(platform_weights, len(plats), "--platform-weights")
        if platform_weights
        else (PoolSpec.platform_weights if len(plats) == 3 else tuple([1.0] * len(plats))),
        tier_weights=_floats(tier_weights, 5, "--tier-weights") if tier_weights else PoolSpec.tier_weights,
    )
    pool, pairs = generate_pool(spec)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pool.to_parquet(out / "creators.parquet", index=False)
        pairs.to_parquet(out / "overlap.parquet", index=False)
    else:
        pool.to_csv(out / "creators.csv", index=False)
        pairs.to_csv(out / "overlap.csv", index=False)
    click.echo(f"Wrote {len(pool)} creators and {len(pairs)} overlap pairs to {out}")


def _floats(text: str, n: int, flag: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected {n} comma-separated numbers, got {text!r}", param_hint=flag) from None
    if len(values) != n or any(v < 0 for v in values) or sum(values) <= 0:
        raise click.BadParameter(f"expected {n} non-negative comma-separated numbers, got {text!r}", param_hint=flag)
    return values


if __name__ == "__main__":  # pragma: no cover
    main()
