"""Output folders and solver processes under failure: --out holds one run's complete files, never a mix.

Each case sets up a folder holding a previous run, then breaks the next run in one way (infeasible
re-run, interrupt while writing, disk full, a lost race, SIGTERM or SIGKILL during the solve) and checks
the folder's exact contents afterwards, and that no solver process or temporary folder is left.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import optimizer.output as output_module
from optimizer.cli import main
from tests.conftest import write_case


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _debris(folder: Path) -> list[str]:
    """Staging or retired folders a run left beside `folder`."""
    return [
        p.name
        for p in folder.parent.iterdir()
        if p.name.startswith(f".{folder.name}.") and not p.name.endswith(".lock")
    ]


@pytest.fixture
def previous(tmp_path: Path, runner) -> tuple[Path, Path, dict[str, bytes]]:
    """A scenario and an output folder holding its complete previous run (with a report)."""
    scenario = write_case(tmp_path / "in", {"budget": 700})
    out = tmp_path / "out"
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    (out / "notes-from-the-planner.txt").write_text("keep me")
    return scenario, out, _files(out)


def test_an_infeasible_rerun_leaves_no_old_roster_or_report(previous, runner) -> None:
    scenario, out, _ = previous
    data = yaml.safe_load(scenario.read_text())
    data["roster"] = {"min_creators": 8}
    data["budget"] = 100
    scenario.write_text(yaml.safe_dump(data))
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
    assert result.exit_code == 3
    assert sorted(_files(out)) == ["notes-from-the-planner.txt", "result.json"]
    assert json.loads((out / "result.json").read_text())["status"] == "infeasible"
    assert _debris(out) == []


def test_an_interrupt_while_writing_leaves_the_previous_run(previous, runner, monkeypatch) -> None:
    scenario, out, before = previous
    real_fsync, calls = os.fsync, {"n": 0}

    def interrupted(fd):
        calls["n"] += 1
        if calls["n"] == 3:  # the third file of the new run: result.json and roster.csv are already staged
            raise KeyboardInterrupt
        return real_fsync(fd)

    monkeypatch.setattr(output_module.os, "fsync", interrupted)
    data = yaml.safe_load(scenario.read_text())
    data["budget"] = 900
    scenario.write_text(yaml.safe_dump(data))
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out), "--report"])
    assert result.exit_code == 1 and "no output folder was changed" in result.stderr
    assert _files(out) == before
    assert _debris(out) == []


def test_a_full_disk_is_reported_as_such_and_changes_nothing(previous, runner, monkeypatch) -> None:
    scenario, out, before = previous

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output_module.os, "fsync", full)
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
    assert result.exit_code == 1
    assert f"could not write the results to {out}: No space left on device" in result.stderr
    assert "Please report" not in result.stderr
    assert _files(out) == before and _debris(out) == []


def test_a_pool_inside_out_is_never_overwritten(tmp_path: Path, runner) -> None:
    out = tmp_path / "out"
    scenario = write_case(out, {"budget": 700})
    (out / "creators.csv").rename(out / "roster.csv")
    data = yaml.safe_load(scenario.read_text())
    data["pool"] = "roster.csv"
    scenario.write_text(yaml.safe_dump(data))
    pool_before = (out / "roster.csv").read_bytes()
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
    assert result.exit_code == 2
    assert "would be overwritten by the result file roster.csv" in result.stderr
    assert (out / "roster.csv").read_bytes() == pool_before and not (out / "result.json").exists()


def test_other_inputs_inside_out_are_kept(tmp_path: Path, runner) -> None:
    out = tmp_path / "out"
    scenario = write_case(out, {"budget": 700})
    pool = (out / "creators.csv").read_bytes()
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "creators.csv").read_bytes() == pool and (out / "scenario.yaml").exists()


@pytest.mark.parametrize("case", ["a file", "under a file"])
def test_an_unusable_out_is_found_before_solving(tmp_path: Path, runner, case) -> None:
    scenario = write_case(tmp_path / "in", {"budget": 700})
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    out = blocker if case == "a file" else blocker / "sub"
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
    assert result.exit_code == 2
    assert str(out) in result.stderr and "unexpected" not in result.stderr  # click or check_output names it


def test_a_read_only_file_system_is_found_before_solving(tmp_path: Path, runner, monkeypatch) -> None:
    scenario = write_case(tmp_path / "in", {"budget": 700})
    monkeypatch.setattr(output_module, "_read_only", lambda path: True)
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "is not writable (permissions or a read-only file system)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_leftovers_of_a_killed_run_are_repaired(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # a run killed between its two renames: the old folder is retired and the new one not yet in place
    retired = tmp_path / ".out.old-99999"
    retired.mkdir()
    (retired / "result.json").write_text("old")
    (tmp_path / ".out.new-abc").mkdir()
    output_module._repair(out)
    assert (out / "result.json").read_text() == "old" and _debris(out) == []


def _subset_sum_case(folder: Path, n: int = 200) -> Path:
    """A scenario CBC cannot prove quickly (value = cost, a budget at half the total: subset sum)."""
    rng = np.random.default_rng(1)
    w = rng.integers(10_000, 100_000, n)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"creator_id": [f"k{i:04d}" for i in range(n)], "handle": "h", "platform": "x", "followers": 1000,
                  "engagement_rate": 0.01, "niche": "n", "cost": w, "expected_conversions": w}).to_csv(
        folder / "creators.csv", index=False)  # fmt: skip
    path = folder / "hard.yaml"
    path.write_text(yaml.safe_dump({"name": "hard", "pool": "creators.csv", "budget": float(w.sum() // 2) + 0.5}))
    return path


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def _wait_for_cbc(parent: int, timeout: float = 30.0) -> int:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for child in _children(parent):
            cmd = Path(f"/proc/{child}/cmdline").read_bytes() if Path(f"/proc/{child}/cmdline").exists() else b""
            if b"cbc" in cmd:
                return child
        time.sleep(0.05)
    raise AssertionError("CBC never started")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process checks read /proc (Linux)")
@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_solver_and_leaves_the_folder_as_it_was(tmp_path: Path, how) -> None:
    scenario = _subset_sum_case(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "result.json").write_text('{"previous": true}')
    proc = subprocess.Popen([sys.executable, "-m", "optimizer", "optimize", str(scenario), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    cbc = _wait_for_cbc(proc.pid)
    proc.send_signal(getattr(signal, how))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert ("Stopped (SIGTERM)" if how == "SIGTERM" else "Interrupted") in err and "Traceback" not in err
    assert _files(out) == {"result.json": b'{"previous": true}'}
    deadline = time.time() + 5
    while _alive(cbc) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(cbc), "CBC is still running"
    assert not list(Path(tempfile.gettempdir()).glob(f"roster-solve-{proc.pid}-*")), "solver files left behind"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's")
def test_killing_the_program_never_leaves_cbc_running(tmp_path: Path) -> None:
    scenario = _subset_sum_case(tmp_path / "in")
    proc = subprocess.Popen([sys.executable, "-m", "optimizer", "optimize", str(scenario), "--out", str(tmp_path / "o")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    cbc = _wait_for_cbc(proc.pid)
    proc.kill()
    proc.wait()
    deadline = time.time() + 5
    while _alive(cbc) and time.time() < deadline:
        time.sleep(0.05)
    assert not _alive(cbc), "CBC outlived the killed program"


def test_stale_solver_folders_of_dead_runs_are_cleaned(tmp_path: Path, monkeypatch) -> None:
    import optimizer.solve as solve_module

    monkeypatch.setattr(solve_module.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(solve_module, "_CLEANED", False)
    dead = tmp_path / f"{solve_module.TEMP_PREFIX}999999999-x"
    fresh = tmp_path / f"{solve_module.TEMP_PREFIX}999999998-y"
    mine = tmp_path / f"{solve_module.TEMP_PREFIX}{os.getpid()}-z"
    for folder in (dead, fresh, mine):
        folder.mkdir()
    two_days = time.time() - 2 * 24 * 3600
    os.utime(dead, (two_days, two_days))
    os.utime(mine, (two_days, two_days))
    solve_module._clean_stale()
    assert not dead.exists() and fresh.exists() and mine.exists()


def test_two_runs_into_one_folder_never_mix(tmp_path: Path) -> None:
    """Two processes write different rosters into one folder at once, several times: the folder always
    holds one run's result.json with that same run's roster.csv."""
    first = write_case(tmp_path / "a", {"budget": 500, "name": "run A"})
    second = write_case(tmp_path / "b", {"budget": 1500, "name": "run B"})
    out = tmp_path / "shared-out"
    for _ in range(4):
        procs = [subprocess.Popen([sys.executable, "-m", "optimizer", "optimize", str(s), "--out", str(out), "--report"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for s in (first, second)]  # fmt: skip
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        doc = json.loads((out / "result.json").read_text())
        roster = pd.read_csv(out / "roster.csv")
        assert list(roster["creator_id"]) == [e["creator_id"] for e in doc["roster"]]
        assert doc["scenario"] in (out / "summary.md").read_text()
        assert _debris(out) == []
