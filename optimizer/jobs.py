"""Long work for the app, in background threads: solves, budget frontiers and reports, with progress and cancel.

Each job belongs to one session (a browser tab); a job of another session is not found. A solve is
cancelled inside the solver (HiGHS checks the flag between iterations); a frontier or a report between
its solves.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from optimizer.errors import InputError, RosterError
from optimizer.pipeline import SolveOptions
from optimizer.result import Result
from optimizer.workspace import Workspace

KEEP_JOBS = 64  # finished jobs kept for their downloads


class JobNotFound(InputError):
    """No such job in this session."""


class Cancelled(Exception):
    """The planner cancelled the job."""


@dataclass
class Job:
    """One piece of background work and what it produced."""

    id: str
    kind: str
    session: str
    started: float = field(default_factory=time.perf_counter)
    done_count: int = 0
    total: int = 1
    stage: str = "starting"
    result: Result | None = None
    output: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    error: RosterError | None = None
    cancelled: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    finished_event: threading.Event = field(default_factory=threading.Event)
    seconds: float | None = None

    @property
    def finished(self) -> bool:
        """True once the job ended (done, failed or cancelled)."""
        return self.finished_event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends."""
        return self.finished_event.wait(timeout)

    def cancel(self) -> None:
        """Ask the job to stop (at the solver's next check, or between solves)."""
        self.stop.set()

    def tick(self, done: int, total: int, stage: str | None = None) -> None:
        """Progress from the work; raises `Cancelled` when the planner asked to stop."""
        self.done_count, self.total = done, total
        if stage:
            self.stage = stage
        if self.stop.is_set():
            raise Cancelled

    def status(self) -> dict[str, Any]:
        """What the page shows while it waits."""
        state = ("cancelled" if self.cancelled else "failed" if self.error else "done") if self.finished else "running"
        elapsed = self.seconds if self.seconds is not None else time.perf_counter() - self.started
        return {"id": self.id, "kind": self.kind, "state": state, "stage": self.stage, "done": self.done_count,
                "total": self.total, "seconds": round(elapsed, 3), "files": sorted(self.files)}  # fmt: skip

    def document(self) -> dict[str, Any]:
        """The job's answer: result.json for a solve or a replacement (with its new scenario); else its output."""
        if self.kind in ("solve", "replace") and self.result is not None:
            out = self.output or {}
            extra = {"scenario_after": out["scenario"]} if "scenario" in out else {}
            return {**self.result.to_dict(), **extra, "ranges": out.get("ranges")}
        return self.output


class Jobs:
    """The running and recent jobs of one app."""

    def __init__(self, workspace: Workspace, options: SolveOptions) -> None:
        self.workspace = workspace
        self.options = options
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, kind: str, session: str, data: dict[str, Any]) -> Job:
        """Start a job of `kind` ("solve", "frontier" or "report") on `data` (its scenario and options)."""
        work = {"solve": self._solve, "frontier": self._frontier, "report": self._report,
                "replace": self._replace}.get(kind)  # fmt: skip
        if work is None:
            raise InputError(f"unknown job kind '{kind}'; use solve, frontier, report or replace")
        if not isinstance(data.get("scenario"), dict):
            raise InputError("give the scenario as a JSON object under 'scenario'")
        _count(data.get("alternatives", 0), "alternatives")  # checked now: a bad request is answered at once
        job = Job(uuid.uuid4().hex, kind, session)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                oldest = next(iter(self._jobs.values()))
                if not oldest.finished:
                    break
                self._jobs.popitem(last=False)
        threading.Thread(target=self._run, args=(job, work, data), name=f"job-{kind}", daemon=True).start()
        return job

    def get(self, job_id: str, session: str) -> Job:
        """A job of this session."""
        job = self._jobs.get(job_id)
        if job is None or job.session != session:
            raise JobNotFound(f"no job {job_id} in this session")
        return job

    def close(self) -> None:
        """Cancel everything still running."""
        for job in list(self._jobs.values()):
            job.cancel()

    def _run(self, job: Job, work, data: dict[str, Any]) -> None:
        try:
            work(job, data)
        except Cancelled:
            job.cancelled = True
        except RosterError as exc:
            job.error = exc
        except Exception as exc:  # a bug: the page shows it in words, the server keeps running
            job.error = RosterError(f"unexpected {type(exc).__name__}: {exc}")
        finally:
            if job.stop.is_set() and job.error is None:
                job.cancelled = True
            job.seconds = time.perf_counter() - job.started
            job.finished_event.set()

    # --- the kinds of work -----------------------------------------------------------------------

    def _options(self, job: Job, data: dict[str, Any]) -> SolveOptions:
        solver = str(data.get("solver") or self.options.solver)
        return SolveOptions(solver=solver, explain=True, cancel=job.stop, reduce=self.options.reduce)

    def _solve(self, job: Job, data: dict[str, Any]) -> None:
        job.stage = "solving"
        alternatives = _count(data.get("alternatives", 0), "alternatives")
        job.result = self.workspace.solve(data["scenario"], data.get("overrides"), job.session, self._options(job, data),
                                          alternatives)  # fmt: skip
        job.tick(1, 1, "done")
        self._result_files(job)

    def _replace(self, job: Job, data: dict[str, Any]) -> None:
        before = data.get("before")
        if not isinstance(before, dict) or not all(isinstance(v, int) and v > 0 for v in before.values()):
            raise InputError("give the earlier roster as 'before': {creator id: posts}")
        declined = [str(c) for c in data.get("declined") or []]
        booked = [str(c) for c in data.get("booked") or []]
        job.stage = "finding the replacement"
        job.result, scenario = self.workspace.replace(data["scenario"], {str(k): v for k, v in before.items()},
                                                      declined, booked, job.session, self._options(job, data))  # fmt: skip
        job.output = {"scenario": scenario}
        job.tick(1, 1, "done")
        self._result_files(job)

    def _result_files(self, job: Job) -> None:
        """result.json and roster.csv of a solved job, for downloading; the roster's simulated ranges."""
        if job.result is not None and job.result.roster:
            from optimizer.outlook import REPORT_DRAWS, REPORT_SEED
            from optimizer.simulate import simulate

            # the report's draws and seed, so the page shows the report's ranges (about 40 ms for 20 creators)
            try:
                sim = simulate(job.result.problem, job.result.roster, REPORT_DRAWS, REPORT_SEED).to_dict()
            except InputError:  # a roster too large to draw 10,000 times in memory: the figures stand without ranges
                sim = None
            job.output = {**(job.output or {}), "ranges": sim}
        if job.result is not None and job.result.status in ("optimal", "feasible"):
            from optimizer.output import result_files

            job.files = {k: v.encode() if isinstance(v, str) else v for k, v in result_files(job.result).items()}

    def _frontier(self, job: Job, data: dict[str, Any]) -> None:
        from optimizer.frontier import frontier, parse_budgets

        scenario = self.workspace.scenario(data["scenario"], data.get("overrides"))
        problem = self.workspace.problem(scenario, job.session)
        budgets = data.get("budgets")
        if isinstance(budgets, str):
            todo = parse_budgets(budgets)
        elif isinstance(budgets, list) and budgets:
            todo = sorted({float(b) for b in budgets})
        else:
            base = scenario.budget or 0.0
            todo = sorted({round(base * f, 2) for f in (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)} - {0.0})
        job.stage = "budget frontier"
        points = frontier(problem, todo, solver=self._options(job, data).solver, workers=1,
                          progress=lambda done, total: job.tick(done, total))  # fmt: skip
        job.output = {"points": [p.to_dict() for p in points]}

    def _report(self, job: Job, data: dict[str, Any]) -> None:
        from optimizer.report import build_report, report_files

        job.stage = "solving"
        result = self.workspace.solve(data["scenario"], data.get("overrides"), job.session, self._options(job, data))
        if not result.roster:
            raise InputError(f"there is no roster to report on: {result.message}")
        job.result = result
        job.stage = "re-solves for the report"
        rep = build_report(result, explain=bool(data.get("explain", True)), solver=self._options(job, data).solver,
                           workers=1, progress=lambda stage, done, total: job.tick(done, total))  # fmt: skip
        job.files = {k: v.encode() if isinstance(v, str) else v for k, v in report_files(rep).items()}
        job.output = {"files": sorted(job.files)}

    def download(self, job: Job, name: str) -> tuple[bytes, str]:
        """A file the job produced."""
        if name not in job.files:
            raise JobNotFound(f"job {job.id} has no file {name} (it has: {', '.join(sorted(job.files)) or 'none'})")
        media = {".json": "application/json", ".csv": "text/csv", ".html": "text/html", ".md": "text/markdown",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}  # fmt: skip
        return job.files[name], media.get(name[name.rfind(".") :], "application/octet-stream")


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
        raise InputError(f"'{name}' must be a whole number from 0 to 20 (got {value!r})")
    return value
