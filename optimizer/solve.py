"""Hand a `Milp` to a solver and read the outcome: HiGHS through highspy directly, CBC through PuLP.

Both work from the model's one sparse matrix (`Milp.matrix`). Outcomes are data: optimal (proven),
feasible (a limit or a positive gap stopped the solver; the bound, where the solver proved one, says how
far from optimal it can be), infeasible, or no solution found. A bound is only ever the solver's own
proof: HiGHS's dual bound, or the bound CBC prints; when neither is available it is None, never the
objective. Solver output is captured per solve (HiGHS's log file, CBC's log) and never by redirecting
the process's standard streams, so solves can run in threads and in a server.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from optimizer.defaults import DEFAULT_GAP, SOLVERS
from optimizer.errors import SolverError
from optimizer.milp import Milp

# A run stopped by a positive gap setting is reported optimal only if its proven gap is this small.
PROVEN_GAP = 1e-9
TEMP_PREFIX = "roster-solve-"
STALE_SECONDS = 24 * 3600


class Status(StrEnum):
    """What the solver proved."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"


@dataclass
class SolveOutcome:
    """The solver's answer, as data.

    Attributes
    ----------
    status : Status
    values : numpy.ndarray or None
        Column values (None without a solution).
    objective : float or None
        Objective of the solution, recomputed from the values, in the model's own sense.
    bound : float or None
        Best bound the solver proved on the optimum (upper when maximising, lower when minimising);
        None when it proved none.
    gap : float or None
        ``|bound - objective| / max(|objective|, 1e-9)``; None without a bound.
    solver : str
    seconds : float
        Wall time of the solve call.
    log : str
        The solver's own output for this solve.
    """

    status: Status
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    seconds: float
    log: str = ""

    @property
    def has_solution(self) -> bool:
        """True when there is a roster to report (optimal or feasible)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


def _gap(bound: float | None, objective: float) -> float | None:
    return None if bound is None else abs(bound - objective) / max(abs(objective), 1e-9)


def solve_milp(
    milp: Milp,
    solver: str = "cbc",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    verbose: bool = False,
    drop: set[str] | None = None,
    feasibility_only: bool = False,
    start: dict[str, int] | np.ndarray | None = None,
    cancel: threading.Event | None = None,
) -> SolveOutcome:
    """Solve a model.

    Parameters
    ----------
    milp : Milp
    solver : {"cbc", "highs"}
    time_limit : float, optional
        Seconds; on reaching it the best roster found is returned with its proven bound.
    gap : float
        Relative gap at which the solver may stop (0 proves optimality).
    verbose : bool
        Copy the solver's log to standard error (it is always kept in ``SolveOutcome.log``).
    drop : set of str, optional
        Rule keys to relax (infeasibility analysis).
    feasibility_only : bool
        Only look for a feasible point (zero objective).
    start : dict or numpy.ndarray, optional
        A roster (creator id -> posts) or a column vector to start from, e.g. the optimum at a smaller
        budget. Other columns are completed by a small LP; an infeasible start is ignored.
    cancel : threading.Event, optional
        Set it from another thread to stop the solve (HiGHS); the outcome is then what was found so far.

    Returns
    -------
    SolveOutcome
    """
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver '{solver}'; choose one of {', '.join(SOLVERS)}")
    form = milp.matrix(drop or ())
    obj = np.zeros(milp.n_cols) if feasibility_only else milp.obj
    guess = None
    if start is not None and milp.n_cols:
        partial = milp.start_vector(start) if isinstance(start, dict) else np.asarray(start, dtype=float)
        guess = complete_start(milp, partial, form)
    began = time.perf_counter()
    if milp.n_cols == 0:
        outcome = _solve_empty(milp, form, solver)
    elif solver == "highs":
        outcome = _solve_highs(milp, form, obj, time_limit, gap, verbose, guess, cancel)
    else:
        outcome = _solve_cbc(milp, form, obj, time_limit, gap, verbose, guess)
    outcome.seconds = time.perf_counter() - began
    if verbose and outcome.log:
        sys.stderr.write(outcome.log)
    if feasibility_only and outcome.has_solution:
        outcome.objective, outcome.bound, outcome.gap = 0.0, 0.0, 0.0
    return outcome


def _solve_empty(milp: Milp, form, solver: str) -> SolveOutcome:
    """No columns at all (no eligible creator): feasible iff every row holds at zero."""
    ok = bool(np.all(form.row_lower <= 0) and np.all(form.row_upper >= 0))
    if not ok:
        return SolveOutcome(Status.INFEASIBLE, None, None, None, None, solver, 0.0)
    return SolveOutcome(Status.OPTIMAL, np.zeros(0), 0.0, 0.0, 0.0, solver, 0.0)


def complete_start(milp: Milp, partial: np.ndarray, form=None) -> np.ndarray | None:
    """A full, feasible column vector from a partial one (NaN = unknown), or None if the start is infeasible.

    Integer columns without a value are set to zero; every continuous column is found by a small LP with
    the integer columns fixed, so any extension's auxiliary columns are completed without knowing their
    meaning.
    """
    import highspy

    form = form if form is not None else milp.matrix()
    fixed = np.where(np.isnan(partial), 0.0, partial)
    lower = np.where(milp.is_int, fixed, milp.lb)
    upper = np.where(milp.is_int, fixed, milp.ub)
    h = _highs_instance(verbose=False)[0]
    h.passModel(_highs_lp(milp, form, milp.obj, lower, upper, integer=False))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(h.getSolution().col_value, dtype=float)


# --- HiGHS -------------------------------------------------------------------------------------


def _highs_instance(verbose: bool, log_file: str | None = None):
    """A HiGHS object that prints nothing unless asked; returns it and a cancel flag.

    The plain binding is used: the Python `highspy.Highs` class registers a callback when created,
    which makes HiGHS print its banner to the process's standard output before any option can be set.
    """
    from highspy._core import _Highs, cb

    h = _Highs()
    h.setOptionValue("output_flag", bool(verbose))
    if verbose and log_file:
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", log_file)
    h.setOptionValue("threads", 1)
    stop = threading.Event()

    def interrupt(_kind, _message, _data_out, data_in, _user) -> None:
        if stop.is_set() and data_in is not None:
            data_in.user_interrupt = True

    h.setCallback(interrupt, None)
    for kind in (cb.HighsCallbackType.kCallbackSimplexInterrupt, cb.HighsCallbackType.kCallbackIpmInterrupt,
                 cb.HighsCallbackType.kCallbackMipInterrupt):  # fmt: skip
        h.startCallback(kind)
    return h, stop


def _highs_lp(milp: Milp, form, obj: np.ndarray, lower: np.ndarray, upper: np.ndarray, integer: bool = True):
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = milp.n_cols
    lp.num_row_ = form.n_rows
    lp.sense_ = highspy.ObjSense.kMaximize if milp.maximise else highspy.ObjSense.kMinimize
    lp.col_cost_ = obj
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    lp.row_lower_ = form.row_lower
    lp.row_upper_ = form.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = form.start
    lp.a_matrix_.index_ = form.index
    lp.a_matrix_.value_ = form.value
    if integer and milp.is_int.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in milp.is_int.tolist()]  # fmt: skip
    return lp


def _solve_highs(milp, form, obj, time_limit, gap, verbose, guess, cancel) -> SolveOutcome:
    import highspy

    status_of = highspy.HighsModelStatus
    with _solver_dir() as tmp:
        log_path = str(tmp / "highs.log")
        h, stop = _highs_instance(verbose, log_path)
        h.setOptionValue("mip_rel_gap", float(gap))
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        h.passModel(_highs_lp(milp, form, obj, milp.lb.astype(float), milp.ub.astype(float)))
        if guess is not None:
            solution = highspy.HighsSolution()
            solution.col_value = guess
            h.setSolution(solution)
        _run_highs(h, stop, cancel)
        model_status = h.getModelStatus()
        if model_status == status_of.kUnboundedOrInfeasible:
            # presolve could not tell the two apart; without it, HiGHS does
            h.setOptionValue("presolve", "off")
            _run_highs(h, stop, cancel)
            model_status = h.getModelStatus()
        log = Path(log_path).read_text(errors="replace") if verbose and Path(log_path).exists() else ""
    info = h.getInfo()
    if model_status == status_of.kInfeasible:
        return SolveOutcome(Status.INFEASIBLE, None, None, None, None, "highs", 0.0, log)
    if model_status in (status_of.kUnbounded, status_of.kUnboundedOrInfeasible):
        raise SolverError("the model is unbounded; this is a bug in the model builder, please report it")
    if info.primal_solution_status != 2:  # 2 = feasible
        return SolveOutcome(Status.NO_SOLUTION, None, None, None, None, "highs", 0.0, log)
    values = _rounded(milp, h.getSolution().col_value)
    objective = float(obj @ values)
    has_int = bool(milp.is_int.any())
    raw = float(info.mip_dual_bound) if has_int else float(info.objective_function_value)
    bound = raw if np.isfinite(raw) else None
    proven = model_status == status_of.kOptimal
    if proven and bound is not None:
        # HiGHS's bound is in its presolved, tolerance-rounded terms: never on the wrong side of the roster
        bound = max(bound, objective) if milp.maximise else min(bound, objective)
    measured = _gap(bound, objective)
    optimal = proven and (gap == 0 or (measured is not None and measured <= PROVEN_GAP))
    return SolveOutcome(Status.OPTIMAL if optimal else Status.FEASIBLE, values, objective, bound, measured, "highs",
                        0.0, log)  # fmt: skip


def _run_highs(h, stop: threading.Event, cancel: threading.Event | None) -> None:
    """Run HiGHS in a thread so this one stays responsive: Ctrl-C, SIGTERM and `cancel` stop the solve."""
    worker = threading.Thread(target=h.run, name="highs", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
            if cancel is not None and cancel.is_set():
                stop.set()
    except BaseException:
        stop.set()
        worker.join()
        raise


def _rounded(milp: Milp, values) -> np.ndarray:
    out = np.asarray(values, dtype=float).copy()
    out[milp.is_int] = np.round(out[milp.is_int])
    return out


# --- CBC ---------------------------------------------------------------------------------------


def _pulp_names(names: list[str]) -> list[str]:
    # PuLP turns "-+[] ->/" into "_"; keep names readable and make any collision unique.
    table = str.maketrans({c: "_" for c in "-+[] ->/|:"})
    out = [name.translate(table) for name in names]
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        if name in seen:
            out[i] = f"{name}_{i}"
        seen[out[i]] = i
    return out


def to_pulp(milp: Milp, form=None, obj: np.ndarray | None = None):
    """The PuLP problem of a `Milp` (CBC reads it as MPS), one variable per column in column order.

    Returns
    -------
    problem : pulp.LpProblem
    variables : list of pulp.LpVariable
    rows : list of list of pulp.LpConstraint
        The constraint(s) of each matrix row (two for a ranged row: its lower and its upper side).
    """
    import pulp

    form = form if form is not None else milp.matrix()
    obj = milp.obj if obj is None else obj
    prob = pulp.LpProblem("roster", pulp.LpMaximize if milp.maximise else pulp.LpMinimize)
    inf = float("inf")
    variables = [
        prob.add_variable(name, lowBound=None if lo == -inf else lo, upBound=None if hi == inf else hi,
                          cat=pulp.LpBinary if is_int and lo == 0 and hi == 1 else pulp.LpInteger if is_int else pulp.LpContinuous)
        for name, lo, hi, is_int in zip(_pulp_names(milp.col_names), milp.lb.tolist(), milp.ub.tolist(), milp.is_int.tolist())
    ]  # fmt: skip
    _pulp_objective(prob, variables, obj)
    # rows from the column-wise matrix: group the non-zeros by row
    cols = np.repeat(np.arange(milp.n_cols), np.diff(form.start))
    order = np.argsort(form.index, kind="stable")
    rows, cols, vals = form.index[order], cols[order].tolist(), form.value[order].tolist()
    cuts = np.searchsorted(rows, np.arange(form.n_rows + 1)).tolist()
    seen: set[str] = set()
    out: list[list] = []
    for r, name in enumerate(_pulp_names(form.row_names)):
        while name in seen:
            name += "_"
        seen.add(name)
        expr = pulp.LpAffineExpression(
            [(variables[c], k) for c, k in zip(cols[cuts[r] : cuts[r + 1]], vals[cuts[r] : cuts[r + 1]])]
        )
        lo, hi = float(form.row_lower[r]), float(form.row_upper[r])
        if lo == hi:
            made = [pulp.LpConstraint(expr, pulp.LpConstraintEQ, name=name, rhs=lo)]
        elif lo == -inf:
            made = [pulp.LpConstraint(expr, pulp.LpConstraintLE, name=name, rhs=hi)]
        elif hi == inf:
            made = [pulp.LpConstraint(expr, pulp.LpConstraintGE, name=name, rhs=lo)]
        else:  # a ranged row: two constraints
            made = [pulp.LpConstraint(expr, pulp.LpConstraintGE, name=name, rhs=lo),
                    pulp.LpConstraint(expr, pulp.LpConstraintLE, name=name + "_hi", rhs=hi)]  # fmt: skip
        for constraint in made:
            prob.addConstraint(constraint)
        out.append(made)
    return prob, variables, out


def _pulp_objective(prob, variables: list, obj: np.ndarray) -> None:
    import pulp

    nz = np.flatnonzero(obj)
    prob.setObjective(pulp.LpAffineExpression([(variables[j], float(obj[j])) for j in nz.tolist()]))


# One PuLP problem kept per model structure: the frontier, the explanations and the app re-solve variants
# of one model (other bounds, another budget) many times, and building the PuLP objects costs more than
# CBC's own solve on campaign-sized models.
_PULP_CACHE: list[tuple] = []


def _row_kinds(form) -> bytes:
    """Which side of each row is bounded (a changed pattern needs other PuLP constraints)."""
    lower, upper = np.isfinite(form.row_lower), np.isfinite(form.row_upper)
    return (lower.astype(np.int8) + 2 * upper + 4 * (form.row_lower == form.row_upper)).astype(np.int8).tobytes()


def _pulp_model(milp: Milp, form, obj: np.ndarray):
    if not obj.any():
        # PuLP gives an empty objective a placeholder variable of its own; such a problem is not reused
        return to_pulp(milp, form, obj)[:2]
    for known, known_form, prob, variables, rows in _PULP_CACHE:
        same = (known.col_names is milp.col_names and known_form.row_names == form.row_names
                and np.array_equal(known_form.index, form.index) and np.array_equal(known_form.value, form.value)
                and np.array_equal(known.is_int, milp.is_int) and known.maximise == milp.maximise
                and _row_kinds(known_form) == _row_kinds(form))  # fmt: skip
        if same:
            inf = float("inf")
            for v, lo, hi in zip(variables, milp.lb.tolist(), milp.ub.tolist()):  # type: ignore[attr-defined]
                v.lowBound, v.upBound, v.varValue = (None if lo == -inf else lo), (None if hi == inf else hi), None
            for made, lo, hi in zip(rows, form.row_lower.tolist(), form.row_upper.tolist()):  # type: ignore[attr-defined]
                made[0].changeRHS(lo if lo != -inf else hi)
                if len(made) == 2:
                    made[1].changeRHS(hi)
            _pulp_objective(prob, variables, obj)  # type: ignore[arg-type]
            return prob, variables
    prob, variables, rows = to_pulp(milp, form, obj)
    _PULP_CACHE.insert(0, (milp, form, prob, variables, rows))
    del _PULP_CACHE[2:]
    return prob, variables


_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.MULTILINE)
_CBC_OBJECTIVE = re.compile(r"^Objective value:\s+(\S+)", re.MULTILINE)
_CBC_PROVEN = re.compile(r"^Result - Optimal solution found", re.MULTILINE)
# A model whose rows have no non-zero at all (every price and value 0) is solved before branch and bound:
# CBC then prints "Empty problem" and "Optimal - objective value X" instead of a result line.
_CBC_EMPTY = re.compile(r"^Empty problem - .*?^Optimal - objective value\s+(\S+)", re.MULTILINE | re.DOTALL)


def _cbc_bound(log: str, maximise: bool) -> float | None:
    """The bound CBC proved, from its log (None when it printed none).

    CBC prints "Lower bound:" (it minimises internally; with ``-max`` the numbers are already in the
    maximisation's sense) when it stopped before proving optimality, and "Result - Optimal solution
    found" when it proved it, in which case the objective is the bound.
    """
    found = _CBC_BOUND.findall(log)
    if found:
        try:
            return float(found[-1])
        except ValueError:
            return None
    if _CBC_PROVEN.search(log):
        objective = _CBC_OBJECTIVE.findall(log)
        if objective:
            try:
                return float(objective[-1])
            except ValueError:
                return None
    empty = _CBC_EMPTY.search(log)
    if empty:
        try:
            return float(empty.group(1))
        except ValueError:
            return None
    return None


def _solve_cbc(milp, form, obj, time_limit, gap, verbose, guess) -> SolveOutcome:
    import pulp

    prob, variables = _pulp_model(milp, form, obj)
    with warnings.catch_warnings():
        # PuLP 3.3 deprecates its bundled CBC in favour of PuLP 4's separate `cbcbox` package; we pin
        # PuLP 3.3.x precisely to use the bundled binary, so the notice is not for our users.
        warnings.simplefilter("ignore", DeprecationWarning)
        engine = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap, threads=1)
    if not engine.available():
        raise SolverError("CBC is not available: PuLP's bundled cbc binary is missing")
    with _solver_dir() as tmp:
        mps, sol, mst, log_path = (str(tmp / n) for n in ("model.mps", "model.sol", "start.mst", "cbc.log"))
        vs, var_names, row_names, _ = prob.writeMPS(mps, rename=1)
        args = [engine.path, mps] + (["-max"] if milp.maximise else [])
        if guess is not None:
            for var, value in zip(variables, guess.tolist()):
                var.setInitialValue(value)
            engine.writesol(mst, prob, vs, var_names, row_names)
            args += ["-mips", mst]
        if time_limit is not None:
            args += ["-sec", str(time_limit)]
        for option in engine.getOptions():  # e.g. "ratio 0.0", "threads 1", as PuLP passes them
            args += f"-{option}".split()
        args += ["-solve" if milp.is_int.any() else "-initialSolve", "-printingOptions", "all", "-solution", sol]
        with open(log_path, "w") as log_file:
            code = _run_child(args, log_file)
        log = Path(log_path).read_text(errors="replace")
        if code != 0 or not Path(sol).exists():
            raise SolverError(
                f"CBC failed to run (exit code {code}): {log.strip().splitlines()[-1] if log.strip() else 'no output'}"
            )
        status, values, *_rest, sol_status = engine.readsol_MPS(sol, prob, vs, var_names, row_names)
    if status == pulp.LpStatusInfeasible:
        return SolveOutcome(Status.INFEASIBLE, None, None, None, None, "cbc", 0.0, log)
    if status == pulp.LpStatusUnbounded:
        raise SolverError("the model is unbounded; this is a bug in the model builder, please report it")
    if sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return SolveOutcome(Status.NO_SOLUTION, None, None, None, None, "cbc", 0.0, log)
    names = [v.name for v in variables]
    solution = _rounded(milp, [values.get(name, 0.0) or 0.0 for name in names])
    objective = float(obj @ solution)
    bound = _cbc_bound(log, milp.maximise)
    if bound is not None:
        # CBC's printed figures are rounded: never a bound on the wrong side of the roster it returned
        bound = max(bound, objective) if milp.maximise else min(bound, objective)
    measured = _gap(bound, objective)
    optimal = sol_status == pulp.LpSolutionOptimal and measured is not None and (gap == 0 or measured <= PROVEN_GAP)
    return SolveOutcome(Status.OPTIMAL if optimal else Status.FEASIBLE, solution, objective, bound, measured, "cbc",
                        0.0, log)  # fmt: skip


# --- solver processes and files ----------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to kill the solver when this process dies, even by SIGKILL (no orphan at full CPU)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _run_child(args: list[str], log_file) -> int:
    """Run a solver binary; on any interruption (Ctrl-C, SIGTERM turned into an exception) stop it first."""
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    child = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             preexec_fn=preexec)  # fmt: skip
    try:
        return child.wait()
    except BaseException:
        child.kill()
        child.wait()
        raise


@contextlib.contextmanager
def _solver_dir() -> Iterator[Path]:
    """A private temporary folder for one solve's files, removed on every exit path."""
    _clean_stale()
    path = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_CLEANED = False


def _clean_stale() -> None:
    """Once per process: remove folders of ours over a day old whose process is gone (a crash left them)."""
    global _CLEANED
    if _CLEANED:
        return
    _CLEANED = True
    root = Path(tempfile.gettempdir())
    now = time.time()
    with contextlib.suppress(OSError):
        for path in root.glob(f"{TEMP_PREFIX}*"):
            try:
                pid = int(path.name[len(TEMP_PREFIX) :].split("-")[0])
                if now - path.stat().st_mtime < STALE_SECONDS or _alive(pid):
                    continue
            except (ValueError, OSError):
                continue
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
