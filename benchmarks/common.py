"""What every benchmark script shares: the machine, the commit, timing a process, and results.md sections.

Each script owns one section of benchmarks/results.md (between ``<!-- name:begin -->`` and
``<!-- name:end -->``) and rewrites only that one, so the file keeps every script's latest run.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results.md"


def machine() -> str:
    """CPU, cores, memory, Python and OS of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        mem = float("nan")
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def commit() -> str:
    """The measured commit (with "+uncommitted" when the tracked files differ from it)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout  # fmt: skip
        return sha.strip() + ("+uncommitted" if dirty.strip() else "")
    except OSError:
        return "unknown"


def load() -> str:
    """The 1-minute load average when the run started (other work on the machine skews timings)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def run_measured(cmd: list[str], timeout: float) -> tuple[float, float, str, int]:
    """Wall seconds, peak RSS in MB (from the kernel via wait4), stdout and exit code of one process."""
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out_file, tempfile.TemporaryFile("w+") as err_file:
        proc = subprocess.Popen(cmd, stdout=out_file, stderr=err_file, text=True)
        deadline = began + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                return float("nan"), float("nan"), "", -1
            time.sleep(0.005)
        wall = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        err_file.seek(0)
        if code != 0:
            sys.stderr.write(err_file.read()[-2000:])
        return wall, usage.ru_maxrss / 1024, out_file.read(), code


def write_section(name: str, text: str, path: Path = RESULTS) -> None:
    """Replace (or append) one script's section of results.md."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    current = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        current = current.rstrip() + "\n\n" + block
    path.write_text(current)
