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


def _fail(exc: RosterError) -> None:
    # messages quote file contents (labels, headers, ids): no escape sequence may reach the terminal
    click.echo(f"Error: {safe_terminal(exc)}", err=True)
    sys.exit(exc.exit_code)


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
            _echo("Interrupted; nothing was written.", err=True)
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
def optimize_cmd(scenario: Path, out: Path | None, solver: str, time_limit: float | None, gap: float, as_json: bool,
                 verbose: bool, with_report: bool = False) -> None:  # fmt: skip
    """Find the best roster for SCENARIO (a YAML file) and write roster.csv and result.json."""
    import time

    from optimizer.output import result_files, write_files
    from optimizer.pipeline import optimize
    from optimizer.problem import load_problem
    from optimizer.summaries import run_summary

    began = time.perf_counter()
    problem = load_problem(scenario)
    loaded = time.perf_counter() - began
    result = optimize(problem, solver=solver, time_limit=time_limit, gap=gap, verbose=verbose)
    result.timings = {"load": round(loaded, 4), **result.timings}
    out = out if out is not None else Path("out") / scenario.stem
    doc = result.to_doc()  # built once: written, then summarised
    files = result_files(result, doc)
    if with_report and result.roster:
        files.update(_report_files(result, None, True, solver))
    write_files(out, files)
    if as_json:
        click.echo(doc.to_json(), nl=False)  # JSON escapes control characters itself
    else:
        _echo((run_summary(doc, out, list(files))), err=result.status not in ("optimal", "feasible"))
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
                label = "Budget frontier" if stage == "frontier" else "Value lost without each creator"
                tasks[stage] = bar.add_task(label, total=total)
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
    from optimizer.output import write_files
    from optimizer.report import result_from_dir

    result = result_from_dir(result_dir, scenario)
    files = _report_files(result, parse_budgets(budgets) if budgets else None, not no_explain, solver, scheduler,
                          workers)  # fmt: skip
    written = write_files(result_dir, files)
    _echo("Wrote " + ", ".join(str(f) for f in written))


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
    from optimizer.output import write_files
    from optimizer.problem import load_problem

    todo = parse_budgets(budgets)
    problem = load_problem(scenario)
    with _progress_bar() as bar:
        task = bar.add_task("Budget frontier (solves)", total=None)
        points = frontier(problem, todo, solver=solver, time_limit=time_limit, scheduler=scheduler, workers=workers,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))  # fmt: skip
    _echo(frontier_table(points, problem))
    out = out if out is not None else Path("out") / scenario.stem
    written = write_files(out, frontier_files(points, problem))
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
@click.argument("history", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pool", "pool_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The creator pool (CSV, Parquet or XLSX); every creator in it gets a row.")  # fmt: skip
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Calibration CSV to write (name it in a scenario as `calibration: FILE`).")  # fmt: skip
@click.option("--column", "columns", multiple=True, metavar="FIELD=NAME",
              help="History column NAME holds the standard FIELD, e.g. --column post_id=shortcode (repeatable).")  # fmt: skip
def calibrate_cmd(history: Path, pool_path: Path, out: Path, columns: tuple[str, ...]) -> None:
    """Fit engagement forecasts on the post HISTORY (one row per past post) for every creator in --pool.

    Writes one row per pool creator: posts seen, P10/P50/P90 engagements of one sponsored and one organic
    post, and the fitted parameters. Creators with few posts borrow strength from their tier, platform and
    niche; creators without history get their group's prior.
    """
    from optimizer.calibrate import calibrate, write_calibration
    from optimizer.history import load_history
    from optimizer.pool import load_pool

    mapping: dict[str, str] = {}
    for item in columns:
        field, sep, name = item.partition("=")
        if not sep or not field.strip() or not name.strip():
            raise click.BadParameter(f"expected FIELD=NAME, got {item!r}", param_hint="--column")
        mapping[field.strip()] = name.strip()
    pool = load_pool(pool_path)
    posts = load_history(history, mapping)
    result = calibrate(posts, pool)
    write_calibration(result, out)
    frame = result.frame
    seen = int((frame["posts_seen"] > 0).sum())
    _echo(f"Calibrated {len(frame)} creators of {pool_path} on {len(posts.frame):,} posts of {history}: "
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

    problem = load_problem(scenario)
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


if __name__ == "__main__":  # pragma: no cover
    main()
