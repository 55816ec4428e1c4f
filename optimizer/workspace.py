"""A planner's workspace: scenarios and pools under one folder, loaded once, re-solved on every edit.

The library behind `roster app` (and usable without it). A scenario arrives as a mapping (as in YAML),
its file paths relative to the workspace folder or to the session's uploads; anything outside them is
refused. Pools and overlap files are read once and kept in memory (keyed by path, size and modification
time), so an edit costs a model build and a solve, not a file read.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import yaml

from optimizer.errors import InputError
from optimizer.pipeline import SolveOptions, merge, optimize
from optimizer.pool import Pool, load_overlap, load_pool
from optimizer.problem import Problem, problem_from_scenario
from optimizer.result import Result
from optimizer.scenario import Scenario, load_scenario, parse_scenario

UPLOADS = "uploads"  # how uploaded files are named in scenarios: uploads/<file name>
MAX_UPLOAD_MB = 100
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_PATH_KEYS = ("pool", "overlap", "calibration")


class PathError(InputError):
    """A path in a scenario points outside the workspace folder and the uploads."""


class Workspace:
    """One folder of scenarios and pools, with per-session uploads and a cache of loaded files.

    Parameters
    ----------
    root : Path
        The folder the app was started on: every path in a scenario is relative to it.
    max_upload_mb : float
        Largest accepted upload.
    """

    def __init__(self, root: Path, max_upload_mb: float = MAX_UPLOAD_MB) -> None:
        self.root = Path(os.path.realpath(root))
        self.max_upload_bytes = int(max_upload_mb * 1024 * 1024)
        self.uploads = Path(tempfile.mkdtemp(prefix="roster-app-uploads-"))
        self._cache: OrderedDict[tuple, tuple[Pool, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Remove the uploads."""
        shutil.rmtree(self.uploads, ignore_errors=True)

    # --- paths ---------------------------------------------------------------------------------

    def _session_dir(self, session: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", session or ""):
            raise PathError("the session id is missing or malformed")
        return self.uploads / session

    def resolve(self, relative: str, session: str = "") -> Path:
        """The file a scenario path names: inside the workspace folder, or `uploads/NAME` of this session.

        Raises
        ------
        PathError
            For an absolute path, a `..` step, or a symlink that leads outside.
        """
        text = str(relative).replace("\\", "/")
        parts = [p for p in text.split("/") if p not in ("", ".")]
        if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in parts or not parts:
            raise PathError(f"'{relative}': paths must stay inside the workspace folder (no absolute paths, no '..')")
        if parts[0] == UPLOADS and session:
            base = self._session_dir(session)
            candidate = base.joinpath(*parts[1:])
        else:
            base = self.root
            candidate = base.joinpath(*parts)
        real = Path(os.path.realpath(candidate))
        if real != base and base not in real.parents:
            raise PathError(f"'{relative}' leads outside the workspace folder (through a link); refused")
        return real

    def relative(self, path: Path, session: str = "") -> str:
        """How a file is named in scenarios sent to and from the page."""
        real = Path(os.path.realpath(path))
        if session and self._session_dir(session) in real.parents:
            return f"{UPLOADS}/{real.relative_to(self._session_dir(session)).as_posix()}"
        return real.relative_to(self.root).as_posix()

    # --- scenarios -------------------------------------------------------------------------------

    def scenario_files(self, limit: int = 200) -> list[str]:
        """YAML scenario files under the workspace folder (two levels deep), relative to it."""
        found = sorted({*self.root.glob("*.yaml"), *self.root.glob("*/*.yaml"), *self.root.glob("*/*/*.yaml")})
        return [p.relative_to(self.root).as_posix() for p in found if not p.name.startswith(".")][:limit]

    def open(self, relative: str) -> dict[str, Any]:
        """A scenario file as a mapping whose file paths are relative to the workspace folder."""
        path = self.resolve(relative)
        scenario = load_scenario(path)
        data = scenario_data(scenario)
        for key in _PATH_KEYS:
            if data.get(key):
                data[key] = self.relative(path.parent / data[key])
        return data

    def scenario(self, data: dict[str, Any], overrides: dict[str, Any] | None = None) -> Scenario:
        """Validate a scenario mapping (with overrides merged in); messages name the keys."""
        merged = merge(data, overrides or {}) if overrides else data
        return parse_scenario(merged, "scenario")

    # --- solving -------------------------------------------------------------------------------

    def problem(self, scenario: Scenario, session: str = "") -> Problem:
        """The scenario with its files, read from the cache when they have not changed."""
        for key in ("pool", "overlap"):
            if getattr(scenario, key) is not None and not isinstance(getattr(scenario, key), str):
                raise PathError(f"'{key}': the app reads files in its folder (or uploaded ones); a pool in a "
                                "database works with `roster optimize`")  # fmt: skip
        absolute = {key: str(self.resolve(getattr(scenario, key), session)) for key in _PATH_KEYS
                    if getattr(scenario, key)}  # fmt: skip
        located = scenario.model_copy(update=absolute)
        return problem_from_scenario(located, self.root / "scenario (from the app)", self._read)

    def _read(self, pool_path: Path, scenario: Scenario):
        overlap_path = Path(scenario.overlap) if scenario.overlap else None
        key = (
            _stamp(pool_path), _stamp(overlap_path) if overlap_path else None,
            tuple(sorted(scenario.columns.items())), scenario.format.model_dump_json(),
        )  # fmt: skip
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        pool = load_pool(pool_path, scenario.columns, scenario.format)
        overlap = load_overlap(overlap_path, pool.ids, scenario.format) if overlap_path else None
        with self._lock:
            self._cache[key] = (pool, overlap)
            while len(self._cache) > 8:  # a few pools at a time: each can be large
                self._cache.popitem(last=False)
        return pool, overlap

    def solve(self, data: dict[str, Any], overrides: dict[str, Any] | None = None, session: str = "",
              options: SolveOptions | None = None, alternatives: int = 0) -> Result:  # fmt: skip
        """Validate, load (from the cache) and optimise; the result is verified as every result is.

        With ``alternatives`` > 0 the next-best distinct rosters come too (`optimizer.alternatives`).
        """
        scenario = self.scenario(data, overrides)
        options = options or SolveOptions(solver="highs")
        if alternatives > 0:
            from optimizer.alternatives import optimize_with_alternatives

            return optimize_with_alternatives(self.problem(scenario, session), alternatives, options=options)
        return optimize(self.problem(scenario, session), options=options)

    def replace(self, data: dict[str, Any], before: dict[str, int], declined: list[str], booked: list[str],
                session: str = "", options: SolveOptions | None = None) -> tuple[Result, dict[str, Any]]:  # fmt: skip
        """A replacement roster after declines (`optimizer.replace`): fewest changes first, then the most value.

        Returns the new result and the new scenario (declines excluded, bookings included) as a mapping with
        workspace-relative paths, for the page to carry on from.
        """
        from optimizer.replace import Request, replace_roster

        problem = self.problem(self.scenario(data), session)
        rep = replace_roster(problem, before, Request(declined, booked), options or SolveOptions(solver="highs"))
        scenario = scenario_data(rep.problem.scenario)
        for key in _PATH_KEYS:
            if scenario.get(key):
                scenario[key] = self.relative(Path(scenario[key]), session)
        return rep.result, scenario

    # --- files in and out ------------------------------------------------------------------------

    def upload(self, session: str, filename: str, content: bytes) -> str:
        """Keep an uploaded pool or overlap file for this session; returns its scenario path (uploads/NAME)."""
        if len(content) > self.max_upload_bytes:
            raise InputError(f"{filename}: {len(content) / 1024 / 1024:,.1f} MB is more than the upload limit of "
                             f"{self.max_upload_bytes / 1024 / 1024:,.0f} MB")  # fmt: skip
        name = _SAFE_NAME.sub("_", Path(filename).name).strip("._") or "upload"
        if not name.lower().endswith((".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")):
            raise InputError(f"{filename}: upload a pool or overlap file (.csv, .tsv, .xlsx or .parquet)")
        folder = self._session_dir(session)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
        return f"{UPLOADS}/{name}"

    def yaml(self, data: dict[str, Any], session: str = "") -> str:
        """The scenario as a YAML file that `roster optimize` reads as it is (file paths made absolute)."""
        scenario = self.scenario(data)
        out = scenario_data(scenario)
        for key in _PATH_KEYS:
            if out.get(key):
                out[key] = str(self.resolve(out[key], session))
        header = ("# Scenario saved from `roster app`. File paths are absolute, so `roster optimize` finds the\n"
                  "# pool wherever this file is saved; uploaded files last only while the app runs.\n")  # fmt: skip
        return header + yaml.safe_dump(out, sort_keys=False, allow_unicode=True)


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """A scenario as the mapping its YAML file would hold (only what differs from the defaults)."""
    return scenario.model_dump(mode="json", exclude_defaults=True)


def _stamp(path: Path | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    stat = Path(path).stat()
    return str(path), stat.st_size, stat.st_mtime_ns
