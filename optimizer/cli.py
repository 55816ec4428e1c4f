"""The `roster` command: parses options, calls the library, prints, and maps errors to exit codes.

Exit codes: 0 solved (optimal, or feasible with a proven gap), 2 bad input or usage,
3 infeasible (the conflicting requirements are named), 1 anything else.

The library is imported inside each command, so `roster --help` starts without pandas or a solver.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from optimizer import __version__
from optimizer.defaults import DEFAULT_GAP, DEFAULT_NICHES, SOLVERS
from optimizer.errors import RosterError
from optimizer.text import safe_terminal

EXIT_CODES = """\b
Exit codes:
  0  solved: an optimal roster, or a feasible one with a proven gap
  1  anything else (no roster found within the time limit, verification failed)
  2  bad input or usage (the message names the file, row or key)
  3  infeasible (the message names the requirements that conflict)"""

_solver_option = click.option("--solver", type=click.Choice(SOLVERS), default="cbc", show_default=True,
                              help="CBC (bundled with PuLP) or HiGHS (through highspy).")  # fmt: skip
_time_limit_option = click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None,
                                  help="Seconds per solve; at the limit the best roster so far is reported with its proven gap.")  # fmt: skip


def _out_option(help_text: str, default: Path | None = None):
    return click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=default,
                        show_default=default is not None, help=help_text)  # fmt: skip


def _parallel_options(command):
    """--scheduler and --workers, shared by every command that runs independent solves."""
    command = click.option("--workers", type=click.IntRange(min=1), default=None,
                           help="Local processes [default: one per core].")(command)  # fmt: skip
    return click.option("--scheduler", default=None, envvar="ROSTER_SCHEDULER", metavar="tcp://HOST:PORT",
                        help="Run the solves on this Dask cluster [env ROSTER_SCHEDULER; default: local processes].")(command)  # fmt: skip


def _echo(text: str, err: bool = False) -> None:
    """Print text that may carry file content: control characters and escape sequences shown, never run."""
    click.echo(safe_terminal(text), err=err)


class _IdsOption(click.Option):
    """A repeatable option that also takes several values at once: ``--declined c-1 c-2`` (up to the next option)."""

    def add_to_parser(self, parser, ctx) -> None:  # type: ignore[no-untyped-def]
        super().add_to_parser(parser, ctx)
        for name in self.opts:
            option = getattr(parser, "_long_opt", {}).get(name) or getattr(parser, "_short_opt", {}).get(name)
            if option is None or not hasattr(option, "process"):
                continue  # another click: the option still works when repeated
            single = option.process

            def process(value, state, single=single) -> None:  # type: ignore[no-untyped-def]
                single(value, state)
                while state.rargs and not state.rargs[0].startswith("-"):
                    single(state.rargs.pop(0), state)

            option.process = process


def _fail(exc: RosterError) -> None:
    # messages quote file contents (labels, headers, ids): no escape sequence may reach the terminal
    click.echo(f"Error: {safe_terminal(exc)}", err=True)
    sys.exit(exc.exit_code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so every clean-up runs (solver stopped, staging removed)."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


class _Group(click.Group):
    """Turns library errors into one-paragraph messages and exit codes, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return super().invoke(ctx)
        except RosterError as exc:
            _fail(exc)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt as exc:
            why = "Stopped (SIGTERM)" if isinstance(exc, Terminated) else "Interrupted"
            _echo(f"{why}; the solver was stopped and no output folder was changed.", err=True)
            sys.exit(1)
        except Exception as exc:  # a bug: say so plainly, without a traceback
            _echo(
                f"Error: unexpected {type(exc).__name__}: {safe_terminal(exc)}. Please report this with your inputs.",
                err=True,
            )
            sys.exit(1)


@click.group(cls=_Group, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="roster")
def main() -> None:
    """Pick the micro-influencer roster that maximises expected conversions or EMV under a budget,
    and prove how close to optimal it is."""


def _progress_bar():
    """A rich progress bar on standard error (so --json output stays clean); silent when not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not console.is_terminal)  # fmt: skip


@main.command("optimize", epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@_out_option("Folder for roster.csv and result.json [default: out/<scenario name>].")
@_solver_option
@_time_limit_option
@click.option("--gap", type=click.FloatRange(min=0, max=1), default=DEFAULT_GAP, show_default=True,
              help="Relative optimality gap at which to stop (0 = prove optimality).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print result.json to standard output instead of the summary.")
@click.option("--verbose", is_flag=True, help="Show the solver's log.")
@click.option("--report", "with_report", is_flag=True, help="Also write report.html, allocation.xlsx and summary.md.")
@click.option("--alternatives", type=click.IntRange(min=0), default=0, show_default=True, metavar="K",
              help="Also find the next K best distinct rosters (a different set of creators), each verified.")  # fmt: skip
@click.option("--min-difference", type=click.IntRange(min=1), default=1, show_default=True, metavar="D",
              help="With --alternatives: each roster differs from every earlier one by at least D creators.")  # fmt: skip
def optimize_cmd(scenario: Path, out: Path | None, solver: str, time_limit: float | None, gap: float, as_json: bool,
                 verbose: bool, with_report: bool = False, alternatives: int = 0, min_difference: int = 1) -> None:  # fmt: skip
    """Find the best roster for SCENARIO (a YAML file) and write roster.csv and result.json."""
    import time

    from optimizer.output import RUN_FILES, check_output, result_files, write_files
    from optimizer.pipeline import SolveOptions, optimize
    from optimizer.problem import load_problem
    from optimizer.summaries import run_summary

    if min_difference > 1 and not alternatives:
        raise click.UsageError("--min-difference needs --alternatives K")
    began = time.perf_counter()
    problem = load_problem(scenario)
    loaded = time.perf_counter() - began
    out = out if out is not None else Path("out") / scenario.stem
    check_output(out, problem.sources)  # before solving: a bad --out is found now, not after the solve
    if alternatives:
        from optimizer.alternatives import optimize_with_alternatives

        options = SolveOptions(solver, time_limit, gap, verbose)
        result = optimize_with_alternatives(problem, alternatives, min_difference, options)
    else:
        result = optimize(problem, solver=solver, time_limit=time_limit, gap=gap, verbose=verbose)
    result.timings = {"load": round(loaded, 4), **result.timings}
    doc = result.to_doc()  # built once: written, then summarised
    files = result_files(result, doc)
    if with_report and result.roster:
        files.update(_report_files(result, None, True, solver))
    write_files(out, files, owned=RUN_FILES)  # files of an earlier run that this one did not write go too
    if as_json:
        click.echo(doc.to_json(), nl=False)  # JSON escapes control characters itself
    else:
        text = run_summary(doc, out, list(files))
        if doc.alternatives_search is not None:
            from optimizer.alternatives import alternatives_text

            head, _, wrote = text.rpartition("\nWrote ")  # the alternatives go before the list of files
            text = f"{head}\n{alternatives_text(doc)}\nWrote {wrote}" if head else f"{text}\n{alternatives_text(doc)}"
        _echo(text, err=result.status not in ("optimal", "feasible"))
    sys.exit(result.exit_code)


@main.command(epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
def validate(scenario: Path) -> None:
    """Check SCENARIO and its pool and overlap files; show eligible creators per niche and platform."""
    from optimizer.problem import load_problem
    from optimizer.summaries import validation_text

    _echo(validation_text(load_problem(scenario)))


@main.command(epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("result_json", type=click.Path(dir_okay=False, path_type=Path))
def verify(scenario: Path, result_json: Path) -> None:
    """Re-check the roster in RESULT_JSON against every rule of SCENARIO, without the solver.

    Recomputes the spend and the objective from the pool and the forecast; exits 0 if every rule
    holds and the reported figures match, 1 otherwise.
    """
    from optimizer.audit import audit_result
    from optimizer.formatting import money
    from optimizer.problem import load_problem
    from optimizer.resultdoc import read_result_data

    problem = load_problem(scenario)
    data = read_result_data(result_json)
    if not data.get("roster"):
        _echo(f"{result_json}: status {data.get('status')!r} with an empty roster: nothing to verify.", err=True)
        sys.exit(1)
    check = audit_result(problem, data)
    if check.passed:
        _echo(
            f"Verified: {len(data['roster'])} creators pass all {len(check.checks)} checks of {problem.scenario.name}; "
            f"recomputed spend {money(check.total_cost, problem.scenario.currency)}, "
            f"{problem.scenario.value_metric} {check.value:,.4f}; every figure the file claims matches."
        )
        return
    _echo(f"NOT verified: {len(check.violations)} problem(s) with {result_json}:", err=True)
    for line in check.violations:
        _echo(f"  - {safe_terminal(line)}", err=True)
    sys.exit(1)


def _report_files(result, budgets: list[float] | None, explain: bool, solver: str, scheduler: str | None = None,
                  workers: int | None = None) -> dict[str, str | bytes]:  # fmt: skip
    from optimizer.report import build_report, report_files

    with _progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def tick(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("Re-solves (budget frontier, value lost without each creator)", total=total)
            bar.update(tasks[stage], completed=done)

        rep = build_report(result, budgets=budgets, explain=explain, solver=solver, progress=tick, scheduler=scheduler,
                           workers=workers)  # fmt: skip
    return report_files(rep)


@main.command(epilog=EXIT_CODES)
@click.argument("result_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scenario file [default: the one recorded in result.json].")  # fmt: skip
@click.option("--budgets", default=None,
              help="Frontier budgets, start:stop:step or a list [default: 25%-200% of the budget].")  # fmt: skip
@click.option("--no-explain", is_flag=True, help="Skip the value-lost-without-each-creator re-solves (faster).")
@_solver_option
@_parallel_options
def report(result_dir: Path, scenario: Path | None, budgets: str | None, no_explain: bool, solver: str,
           scheduler: str | None, workers: int | None) -> None:  # fmt: skip
    """Write report.html, allocation.xlsx and summary.md for the result in RESULT_DIR.

    The roster in result.json is re-verified against the scenario first; baselines, the budget frontier
    and per-creator explanations are computed by re-solving.
    """
    from optimizer.frontier import parse_budgets
    from optimizer.output import REPORT_FILES, check_output, write_files
    from optimizer.report import result_from_dir

    result = result_from_dir(result_dir, scenario)
    check_output(result_dir, result.problem.sources, REPORT_FILES)
    files = _report_files(result, parse_budgets(budgets) if budgets else None, not no_explain, solver, scheduler,
                          workers)  # fmt: skip
    written = write_files(result_dir, files, owned=REPORT_FILES)
    _echo("Wrote " + ", ".join(str(f) for f in written))


def _prices(items: tuple[str, ...]) -> dict[str, float]:
    import math

    prices: dict[str, float] = {}
    for item in items:
        cid, sep, amount = item.partition("=")
        try:
            value = float(amount.replace(",", "").replace("$", "")) if sep else math.nan
        except ValueError:
            value = math.nan
        if not cid.strip() or not math.isfinite(value) or value < 0:
            raise click.BadParameter(f"expected ID=AMOUNT with an amount >= 0, got {item!r}", param_hint="--price")
        prices[cid.strip()] = value
    return prices


@main.command("replace", epilog=EXIT_CODES)
@click.argument("result_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--declined", multiple=True, cls=_IdsOption, metavar="ID [ID ...]",
              help="Creators of the roster who declined: they may not return.")  # fmt: skip
@click.option("--booked", multiple=True, cls=_IdsOption, metavar="ID [ID ...]",
              help="Creators of the roster already signed: they stay with the posts they were booked for.")  # fmt: skip
@click.option("--max-changes", type=click.IntRange(min=0), default=None, metavar="N",
              help="Best value dropping at most N of the other creators [default: the fewest possible].")  # fmt: skip
@click.option("--price", "prices", multiple=True, cls=_IdsOption, metavar="ID=AMOUNT [...]",
              help="Renegotiated price per post (recorded under 'prices' in the new folder's scenario.yaml).")  # fmt: skip
@_out_option("Folder for the new result.json, roster.csv and scenario.yaml (required).")
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scenario of RESULT_DIR [default: the one recorded in its result.json].")  # fmt: skip
@_solver_option
@_time_limit_option
def replace_cmd(result_dir: Path, declined: tuple[str, ...], booked: tuple[str, ...], max_changes: int | None,
                prices: tuple[str, ...], out: Path | None, scenario: Path | None, solver: str,
                time_limit: float | None) -> None:  # fmt: skip
    """A new roster for the result in RESULT_DIR after declines: fewest changes first, then the most value.

    A change is a creator of the roster, other than one who declined, who is dropped (those who join fill the
    places). Writes result.json (with a 'change' object), roster.csv and the replacement's scenario.yaml, which
    `roster verify` checks the new result against.
    """
    from optimizer.output import write_files
    from optimizer.pipeline import SolveOptions
    from optimizer.replace import Request, change_text, load_previous, replace_roster, replacement_files
    from optimizer.summaries import run_summary

    if out is None:
        raise click.UsageError("--out NEW_DIR is required (the earlier result is kept as it is)")
    if out.resolve() == result_dir.resolve():
        raise click.UsageError("--out must be another folder than RESULT_DIR (the earlier result is kept as it is)")
    request = Request(list(declined), list(booked), _prices(prices), max_changes)
    previous, doc, source = load_previous(result_dir, scenario)
    rep = replace_roster(previous, doc.posts, request, SolveOptions(solver, time_limit),
                         from_result=str(result_dir / "result.json"), scenario_path=out / "scenario.yaml")  # fmt: skip
    files = replacement_files(rep, source, out)
    write_files(out, files)
    new = rep.result.to_doc()
    ok = rep.result.status in ("optimal", "feasible")
    click.echo(run_summary(new) + "\n" + change_text(new) + "\nWrote " + ", ".join(str(out / f) for f in files),
               err=not ok)  # fmt: skip
    sys.exit(rep.result.exit_code)


@main.command("diff", epilog=EXIT_CODES)
@click.argument("old_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("new_dir", type=click.Path(file_okay=False, path_type=Path))
def diff_cmd(old_dir: Path, new_dir: Path) -> None:
    """Who left, who joined, posts and prices changed, value and spend, from the result in OLD_DIR to NEW_DIR."""
    from optimizer.replace import diff_text
    from optimizer.resultdoc import load_result_file

    old = load_result_file(old_dir / "result.json")
    new = load_result_file(new_dir / "result.json")
    click.echo(diff_text(old, new, str(old_dir), str(new_dir)))


@main.command("plan", epilog=EXIT_CODES)
@click.argument("portfolio", type=click.Path(dir_okay=False, path_type=Path))
@_out_option("Folder for portfolio.json and one result folder per campaign [default: out/<portfolio file name>].")
@click.option("--move", type=click.FloatRange(min=0), default=1000.0, show_default=True, metavar="AMOUNT",
              help="Re-solve with this much moved from each campaign to each other one (0: skip).")  # fmt: skip
@_solver_option
@_time_limit_option
def plan_cmd(portfolio: Path, out: Path | None, move: float, solver: str, time_limit: float | None) -> None:
    """Several campaigns on one budget: the jointly optimal rosters of the campaigns in PORTFOLIO (a YAML file).

    Writes OUT/portfolio.json and, per campaign, OUT/<campaign>/result.json, roster.csv and the scenario it
    answers (its own, with the portfolio's spend cap as budget), which `roster verify` checks.
    """
    from optimizer.output import write_files
    from optimizer.pipeline import SolveOptions
    from optimizer.portfolio import load_portfolio, plan, plan_files, plan_text, portfolio_doc

    inp = load_portfolio(portfolio)
    options = SolveOptions(solver, time_limit)
    result = plan(inp, options, move)
    out = out if out is not None else Path("out") / portfolio.stem
    files = plan_files(result, out, options)
    for folder, contents in files.items():  # campaign folders first, portfolio.json last
        write_files(folder, contents)
    written = [out / "portfolio.json", *(folder for folder in files if folder != out)]
    ok = result.status in ("optimal", "feasible")
    click.echo(plan_text(portfolio_doc(result, options), written), err=not ok)
    sys.exit(result.exit_code)


@main.command("simulate", epilog=EXIT_CODES)
@click.argument("result_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--draws", type=click.IntRange(min=1), default=10_000, show_default=True, help="Number of joint outcomes."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same output).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print a JSON object (draws, seed, metrics.<name>.{mean,p10,p50,p90})."
)
@click.option("--target-cpa", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Also give the probability that the CPA is at most this.")  # fmt: skip
@click.option("--scenario", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scenario file [default: the one recorded in result.json].")  # fmt: skip
def simulate_cmd(result_dir: Path, draws: int, seed: int, as_json: bool, target_cpa: float | None,
                 scenario: Path | None) -> None:  # fmt: skip
    """Monte Carlo of the roster in RESULT_DIR: mean and P10/P50/P90 of its outcome, and the chance of a target.

    The result is audited against its scenario first (a result that fails is refused); the draws use the
    scenario's uncertainty block and apply the overlap discount in every draw.
    """
    import json

    from optimizer.report import result_from_dir
    from optimizer.simulate import simulate, simulation_text

    result = result_from_dir(result_dir, scenario)
    sim = simulate(result.problem, result.roster, draws, seed, target_cpa)
    if as_json:
        click.echo(json.dumps(sim.to_dict(), indent=2, allow_nan=False))
    else:
        _echo(simulation_text(sim))


@main.command("frontier", epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--budgets", required=True,
              help="start:stop:step (inclusive), e.g. 10000:200000:10000, or a list 5000,10000.")  # fmt: skip
@_out_option("Folder for frontier.csv, frontier.json and frontier.svg [default: out/<scenario name>].")
@_solver_option
@_time_limit_option
@_parallel_options
def frontier_cmd(scenario: Path, budgets: str, out: Path | None, solver: str, time_limit: float | None,
                 scheduler: str | None, workers: int | None) -> None:  # fmt: skip
    """Solve SCENARIO at each budget: optimal value, CPA, roster size and what the last $1,000 buys."""
    from optimizer.frontier import frontier, frontier_files, frontier_table, parse_budgets
    from optimizer.output import FRONTIER_FILES, check_output, write_files
    from optimizer.problem import load_problem

    todo = parse_budgets(budgets)
    problem = load_problem(scenario)
    out = out if out is not None else Path("out") / scenario.stem
    check_output(out, problem.sources, FRONTIER_FILES)
    with _progress_bar() as bar:
        task = bar.add_task("Budget frontier (solves)", total=None)
        points = frontier(problem, todo, solver=solver, time_limit=time_limit, scheduler=scheduler, workers=workers,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))  # fmt: skip
    _echo(frontier_table(points, problem))
    written = write_files(out, frontier_files(points, problem), owned=FRONTIER_FILES)
    _echo("Wrote " + ", ".join(str(f) for f in written))


def _explain_job(shared: tuple, cid: str):
    from optimizer.explain import explain_creator

    problem, base, solver = shared
    return explain_creator(problem, base, cid, solver=solver)


@main.command(epilog=EXIT_CODES)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_out_option("Results go to OUT/<scenario folder>/<scenario name>/.", default=Path("out"))
@_solver_option
@_time_limit_option
@_parallel_options
def batch(scenarios: tuple[Path, ...], out: Path, solver: str, time_limit: float | None, scheduler: str | None,
          workers: int | None) -> None:  # fmt: skip
    """Optimise several SCENARIOS in parallel; each gets its own result.json and roster.csv.

    Exits with the worst exit code of the batch (2 bad input, 1 other, 3 infeasible), 0 when all solved.
    """
    from optimizer.batch import run_batch, worst_exit_code
    from optimizer.formatting import num

    with _progress_bar() as bar:
        task = bar.add_task("Scenarios", total=len(scenarios))
        rows = run_batch(list(scenarios), out, solver, time_limit, scheduler, workers,
                         lambda done: bar.update(task, completed=done))  # fmt: skip
    for r in rows:
        if r.out:
            _echo(f"{r.scenario}: {r.status}, {r.creators} creators, value {num(r.value)}, "
                                     f"cost {num(r.cost)} -> {r.out}")  # fmt: skip
        else:
            _echo((f"{r.scenario}: {r.status}: {r.message}"), err=True)
    sys.exit(worst_exit_code(rows))


@main.command("calibrate", epilog=EXIT_CODES)
@click.argument("history")
@click.option("--table", default=None, help="HISTORY is a database URL (or env:VAR): read this table.")
@click.option("--query", default=None, help="HISTORY is a database URL (or env:VAR): read this SELECT.")
@click.option("--pool", "pool_path", required=True,
              help="The creator pool (CSV, Parquet or XLSX, or a database URL with --pool-table or --pool-query); "
                   "every creator in it gets a row.")  # fmt: skip
@click.option("--pool-table", default=None, help="--pool is a database URL (or env:VAR): read this table.")
@click.option("--pool-query", default=None, help="--pool is a database URL (or env:VAR): read this SELECT.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Calibration CSV to write (name it in a scenario as `calibration: FILE`).")  # fmt: skip
@click.option("--column", "columns", multiple=True, metavar="FIELD=NAME",
              help="History column NAME holds the standard FIELD, e.g. --column post_id=shortcode (repeatable).")  # fmt: skip
def calibrate_cmd(history: str, table: str | None, query: str | None, pool_path: str, pool_table: str | None,
                  pool_query: str | None, out: Path, columns: tuple[str, ...]) -> None:  # fmt: skip
    """Fit engagement forecasts on the post HISTORY (one row per past post) for every creator in --pool.

    Writes one row per pool creator: posts seen, P10/P50/P90 engagements of one sponsored and one organic
    post, and the fitted parameters. Creators with few posts borrow strength from their tier, platform and
    niche; creators without history get their group's prior.

    HISTORY and --pool may be files or databases: a SQLAlchemy URL without a password (sqlite:///posts.db,
    postgresql://analyst@db.example/crm with PGPASSWORD set) or env:VAR (the URL in an environment variable),
    with --table or --query (--pool-table or --pool-query for the pool).
    """
    from optimizer.calibrate import calibrate, write_calibration
    from optimizer.errors import HistoryError, PoolError
    from optimizer.sources import database_source, looks_like_database, read_any_pool, read_history

    def source(text: str, tab: str | None, sql: str | None, kind: type[Exception]) -> Any:
        if looks_like_database(text) or tab is not None or sql is not None:
            return database_source(text, tab, sql, kind)
        return Path(text)

    mapping: dict[str, str] = {}
    for item in columns:
        field, sep, name = item.partition("=")
        if not sep or not field.strip() or not name.strip():
            raise click.BadParameter(f"expected FIELD=NAME, got {item!r}", param_hint="--column")
        mapping[field.strip()] = name.strip()
    pool = read_any_pool(source(pool_path, pool_table, pool_query, PoolError))
    posts = read_history(source(history, table, query, HistoryError), mapping)
    result = calibrate(posts, pool)
    write_calibration(result, out)
    frame = result.frame
    seen = int((frame["posts_seen"] > 0).sum())
    _echo(f"Calibrated {len(frame)} creators of {pool.source} on {len(posts.frame):,} posts of {posts.source}: "
               f"{seen} with post history, {len(frame) - seen} from their group's prior.")  # fmt: skip
    for note in result.notes:
        _echo(f"  Note: {note}")
    _echo(f"Wrote {out}")


@main.command("explain", epilog=EXIT_CODES)
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--creator", "creators", multiple=True, required=True, help="Creator id (repeat for several).")
@_solver_option
@_parallel_options
def explain_cmd(scenario: Path, creators: tuple[str, ...], solver: str, scheduler: str | None,
                workers: int | None) -> None:  # fmt: skip
    """Why each --creator is (or is not) on the optimal roster of SCENARIO, found by re-solving.

    For a chosen creator: the value lost without them and who replaces them. For one not chosen: what
    forcing them in costs, and the price per post at which the optimum would pick them.
    """
    from optimizer.parallel import run_all
    from optimizer.pipeline import optimize
    from optimizer.problem import load_problem

    problem = load_problem(scenario, creators)  # read them even where a database's filters would not
    base = optimize(problem, solver=solver)
    if not base.roster:
        _echo(f"{problem.scenario.name}: {base.status}: {base.message}", err=True)
        sys.exit(base.exit_code)
    with _progress_bar() as bar:
        task = bar.add_task("Re-solving", total=len(creators))
        answers = run_all(_explain_job, (problem, base, solver), list(creators), scheduler, workers,
                          lambda done: bar.update(task, completed=done))  # fmt: skip
    for e in answers:
        _echo(f"{e.creator_id} ({'chosen' if e.chosen else 'not chosen'}): {e.text}")


@main.command(epilog=EXIT_CODES)
@click.option("--creators", type=click.IntRange(min=1), required=True, help="Number of creators.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for creators.csv (or .parquet) and overlap.csv.")  # fmt: skip
@click.option("--niches", default=",".join(DEFAULT_NICHES), show_default=True, help="Comma-separated niche labels.")
@click.option("--platforms", default="instagram,tiktok,youtube", show_default=True, help="Comma-separated platforms.")
@click.option("--platform-weights", default=None, help="Comma-separated shares per platform [default: 55/35/10].")
@click.option("--tier-weights", default=None,
              help="Shares of nano,micro,mid,macro,mega [default: .30,.50,.13,.05,.02].")  # fmt: skip
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
def generate(creators: int, seed: int, out: Path, niches: str, platforms: str, platform_weights: str | None,
             tier_weights: str | None, fmt: str) -> None:  # fmt: skip
    """Write a seeded synthetic pool and overlap file (distributions from DOMAIN.md) for demos and load tests."""
    from optimizer.generate import PoolSpec, write_pool

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
    n_pool, n_pairs = write_pool(spec, out, fmt)
    _echo(f"Wrote {n_pool} creators and {n_pairs} overlap pairs to {out}")


def _floats(text: str, n: int, flag: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected {n} comma-separated numbers, got {text!r}", param_hint=flag) from None
    if len(values) != n or any(v < 0 for v in values) or sum(values) <= 0:
        raise click.BadParameter(f"expected {n} non-negative comma-separated numbers, got {text!r}", param_hint=flag)
    return values


@main.command("app", epilog=EXIT_CODES)
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True, help="Port to serve on."
)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; anything but this machine needs the token the command prints.")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="Do not open the page in a browser.")
@click.option("--token", envvar="ROSTER_APP_TOKEN", default=None,
              help="Token for a server reachable beyond this machine [env ROSTER_APP_TOKEN; default: a random one].")  # fmt: skip
@click.option("--max-upload-mb", type=click.FloatRange(min=0.1), default=100.0, show_default=True,
              help="Largest pool or overlap file the page accepts.")  # fmt: skip
@_solver_option
def app_cmd(scenario: Path | None, port: int, host: str, no_browser: bool, token: str | None, max_upload_mb: float,
            solver: str) -> None:  # fmt: skip
    """Start the planner's workspace: a local page to edit SCENARIO's rules and see the roster re-solved.

    Scenario, pool and overlap paths resolve inside the current folder (or files uploaded in the page);
    nothing outside it can be read. The page works offline and the pool never leaves this machine.
    """
    import os
    import threading
    import webbrowser

    try:
        import uvicorn

        from optimizer.app import LOCAL_HOSTS, create_app, new_token
    except ImportError as exc:
        from optimizer.errors import InputError

        raise InputError(f"`roster app` needs its extra: pip install 'creator-roster[app]' ({exc})") from None
    root = Path.cwd()
    query = ""
    if scenario is not None:
        real = Path(os.path.realpath(scenario))
        if root not in real.parents:
            from optimizer.errors import InputError

            raise InputError(
                f"{scenario}: the app serves the current folder {root}; start it from a folder that holds the scenario"
            )
        if not real.exists():
            from optimizer.errors import InputError

            raise InputError(f"{scenario}: scenario file not found")
        query = "?scenario=" + real.relative_to(root).as_posix()
    local = host in LOCAL_HOSTS
    if not local:
        token = token or new_token()
        _echo(f"Warning: serving on {host}, reachable beyond this machine; every request needs the token.", err=True)
    app = create_app(root, token=None if local else token, max_upload_mb=max_upload_mb, solver=solver)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/{query}"
    if not local:
        url += ("&" if query else "?") + f"token={token}"
    _echo(f"Roster workspace on {url} (Ctrl-C to stop)")
    if not no_browser:
        threading.Timer(1.0, lambda: webbrowser.open(url)).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")


if __name__ == "__main__":  # pragma: no cover
    main()
