"""Hand a `Milp` to a solver through PuLP (CBC bundled, or HiGHS through highspy) and read the outcome.

Outcomes are data: optimal, feasible (a limit was reached; the gap is proven), infeasible, or no
solution found. The bound comes from the solver itself (HiGHS's dual bound, CBC's log).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pulp

from optimizer.errors import SolverError
from optimizer.model import Milp

SOLVERS: tuple[str, ...] = ("cbc", "highs")
# Relative gap at which the solver may stop. Zero means "prove optimality": at HiGHS's own default
# (1e-4) some published knapsack optima come back slightly sub-optimal (../shared/data/README.md).
# The solvers still stop at an absolute gap of 1e-6 (HiGHS's mip_abs_gap default; CBC's is smaller).
DEFAULT_GAP = 0.0


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
        Objective of the solution, in the model's own sense.
    bound : float or None
        Best proven bound on the optimum (upper when maximising, lower when minimising).
    gap : float or None
        ``|bound - objective| / max(|objective|, 1e-9)``.
    solver : str
    seconds : float
        Wall time of the solve call.
    """

    status: Status
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    seconds: float

    @property
    def has_solution(self) -> bool:
        """True when there is a roster to report (optimal or feasible)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)


@contextlib.contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
    """Silence a solver that prints from C code (HiGHS prints a banner even with output off)."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


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


def to_pulp(
    milp: Milp, drop: set[str] | None = None, feasibility_only: bool = False
) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Build the PuLP problem of a `Milp`, leaving out the rule blocks whose keys are in `drop`.

    Parameters
    ----------
    milp : Milp
    drop : set of str, optional
        Rule keys to relax (used by infeasibility analysis).
    feasibility_only : bool
        Use a zero objective (any feasible point will do).

    Returns
    -------
    problem : pulp.LpProblem
    variables : list of pulp.LpVariable
        One per model column, in column order.
    """
    drop = drop or set()
    prob = pulp.LpProblem("roster", pulp.LpMaximize if milp.maximise else pulp.LpMinimize)
    names = _pulp_names(milp.col_names)
    variables = [
        prob.add_variable(name, lowBound=0, upBound=float(ub), cat=pulp.LpBinary if is_int else pulp.LpContinuous)
        for name, ub, is_int in zip(names, milp.ub.tolist(), milp.is_int.tolist())
    ]
    if feasibility_only or not len(variables):
        prob.setObjective(pulp.LpAffineExpression(constant=0))
    else:
        nz = np.flatnonzero(milp.obj)
        prob.setObjective(pulp.LpAffineExpression([(variables[j], float(milp.obj[j])) for j in nz.tolist()]))
    sense = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE}
    row_names: set[str] = set()
    for block in milp.blocks:
        if block.key in drop:
            continue
        order = np.argsort(block.rows, kind="stable")
        rows, cols, coefs = block.rows[order], block.cols[order].tolist(), block.coefs[order].tolist()
        cuts = np.searchsorted(rows, np.arange(len(block.rhs) + 1)).tolist()
        for r, name in enumerate(_pulp_names(block.row_names)):
            while name in row_names:
                name += "_"
            row_names.add(name)
            lo, hi = cuts[r], cuts[r + 1]
            expr = pulp.LpAffineExpression([(variables[c], k) for c, k in zip(cols[lo:hi], coefs[lo:hi])])
            prob.addConstraint(pulp.LpConstraint(expr, sense[block.sense], name=name, rhs=float(block.rhs[r])))
    return prob, variables


def _cbc_bound(log: str, objective: float | None) -> float | None:
    found = re.findall(r"^(?:Upper|Lower) bound:\s+(\S+)", log, flags=re.MULTILINE)
    if found:
        try:
            return float(found[-1])
        except ValueError:
            return None
    return objective


def solve_milp(
    milp: Milp,
    solver: str = "cbc",
    time_limit: float | None = None,
    gap: float = DEFAULT_GAP,
    verbose: bool = False,
    drop: set[str] | None = None,
    feasibility_only: bool = False,
    start: dict[str, int] | None = None,
) -> SolveOutcome:
    """Solve a model.

    Parameters
    ----------
    milp : Milp
    solver : {"cbc", "highs"}
    time_limit : float, optional
        Seconds; on reaching it the best roster found is returned with its proven gap.
    gap : float
        Relative gap at which the solver may stop (0 proves optimality).
    verbose : bool
        Show the solver's own log.
    drop : set of str, optional
        Rule keys to relax.
    feasibility_only : bool
        Only look for a feasible point.
    start : dict, optional
        A roster (creator id -> posts) to warm-start from, e.g. the optimum at a smaller budget. Used by
        CBC; HiGHS through PuLP takes no start, so it is ignored there.

    Returns
    -------
    SolveOutcome
    """
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver '{solver}'; choose one of {', '.join(SOLVERS)}")
    prob, variables = to_pulp(milp, drop, feasibility_only)
    warm = start is not None and solver == "cbc"
    if warm:
        posts = np.array([start.get(str(c), 0) for c in milp.creator_ids], dtype=np.int64)  # type: ignore[union-attr]
        booked = milp.col_creator >= 0
        guess = np.zeros(milp.n_cols)
        guess[booked] = (milp.col_post[booked] <= posts[milp.col_creator[booked]]).astype(float)
        for block in milp.blocks:
            if block.key == "overlap_discount":  # shared[a|b] = max(0, x_a + x_b - 1) makes the start feasible
                ones = block.coefs > 0
                pair_sum = np.bincount(block.rows[~ones], weights=guess[block.cols[~ones]], minlength=len(block.rhs))
                guess[block.cols[ones]] = np.maximum(0.0, pair_sum[block.rows[ones]] - 1.0)
        for var, value in zip(variables, guess.tolist()):
            var.setInitialValue(value)
    began = time.perf_counter()
    log = ""
    if solver == "cbc":
        with tempfile.TemporaryDirectory(prefix="roster-cbc-") as tmp:
            log_path = Path(tmp) / "cbc.log"
            with warnings.catch_warnings():
                # PuLP 3.3 deprecates its bundled CBC in favour of PuLP 4's separate `cbcbox` package; we pin
                # PuLP 3.3.x precisely to use the bundled binary, so the notice is not for our users.
                warnings.simplefilter("ignore", DeprecationWarning)
                engine = pulp.PULP_CBC_CMD(
                    msg=False, timeLimit=time_limit, gapRel=gap, threads=1, logPath=str(log_path)
                )
            try:
                prob.solve(engine)
            except pulp.PulpSolverError as exc:
                raise SolverError(f"CBC failed to run: {exc}") from None
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if verbose:
            sys.stderr.write(log)
    else:
        engine = pulp.HiGHS(msg=verbose, timeLimit=time_limit, gapRel=gap, threads=1)
        if not engine.available():
            raise SolverError("HiGHS is not available: install highspy (pip install highspy)")
        with _quiet(not verbose):
            try:
                prob.solve(engine)
            except pulp.PulpSolverError as exc:
                raise SolverError(f"HiGHS failed to run: {exc}") from None
    seconds = time.perf_counter() - began

    if prob.status == pulp.LpStatusInfeasible:
        return SolveOutcome(Status.INFEASIBLE, None, None, None, None, solver, seconds)
    if prob.status == pulp.LpStatusUnbounded:
        raise SolverError("the model is unbounded; this is a bug in the model builder, please report it")
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return SolveOutcome(Status.NO_SOLUTION, None, None, None, None, solver, seconds)
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables], dtype=float)
    values[milp.is_int] = np.round(values[milp.is_int])
    objective = 0.0 if feasibility_only else float(milp.obj @ values)
    optimal = prob.sol_status == pulp.LpSolutionOptimal
    if feasibility_only:
        bound = objective
    elif solver == "cbc":
        bound = objective if optimal else _cbc_bound(log, objective)
    else:
        info = prob.solverModel.getInfo()
        dual = float(info.mip_dual_bound) if milp.is_int.any() else float(info.objective_function_value)
        # PuLP hands HiGHS a maximisation as a minimisation of the negated objective
        bound = -dual if milp.maximise else dual
        if not np.isfinite(bound):
            bound = None
        if optimal and bound is not None:
            # HiGHS's bound is in its presolved, tolerance-rounded terms: never report a bound on the
            # wrong side of the roster it returned
            bound = max(bound, objective) if milp.maximise else min(bound, objective)
    gap_value = None if bound is None else abs(bound - objective) / max(abs(objective), 1e-9)
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    return SolveOutcome(status, values, objective, bound, gap_value, solver, seconds)
