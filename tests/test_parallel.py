"""Parallel sweeps equal serial ones: local processes, and a real Dask LocalCluster."""

from __future__ import annotations

import json

import pytest

from optimizer import load_problem, optimize
from optimizer.cli import main
from optimizer.frontier import frontier
from optimizer.model import build_model
from optimizer.parallel import run_all
from optimizer.report import _explain_job
from tests.conftest import SCENARIOS

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed (extra 'dask')")
SCENARIO = SCENARIOS / "crossfit" / "scenario.yaml"
BUDGETS = [30000.0, 35000.0, 40000.0, 60000.0]


def _square(shared: int, item: int) -> int:
    return shared * item * item


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c.scheduler_address


def test_run_all_keeps_input_order(cluster) -> None:
    items = list(range(12))
    expected = [3 * i * i for i in items]
    assert run_all(_square, 3, items, workers=1) == expected
    assert run_all(_square, 3, items, workers=2) == expected
    assert run_all(_square, 3, items, scheduler=cluster) == expected


def test_frontier_on_dask_equals_serial(cluster) -> None:
    problem = load_problem(SCENARIO)
    serial = frontier(problem, BUDGETS, workers=1)
    local = frontier(problem, BUDGETS, workers=2)
    dask = frontier(problem, BUDGETS, scheduler=cluster)
    assert [p.to_dict() for p in serial] == [p.to_dict() for p in local] == [p.to_dict() for p in dask]
    assert any(p.marginal_value_per_1000 for p in serial)


def test_explanations_on_dask_equal_serial(cluster) -> None:
    problem = load_problem(SCENARIO)
    base = optimize(problem)
    ids = sorted(base.roster)[:4]
    shared = (problem, base, "cbc", build_model(problem))
    serial = run_all(_explain_job, shared, ids, workers=1)
    dask = run_all(_explain_job, shared, ids, scheduler=cluster)
    assert [e.to_dict() for e in serial] == [e.to_dict() for e in dask]


def test_frontier_cli_with_scheduler(cluster, tmp_path, runner) -> None:
    result = runner.invoke(main, ["frontier", str(SCENARIO), "--budgets", "30000,40000", "--scheduler", cluster,
                                  "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "frontier.json").exists()


def test_unreachable_scheduler_is_a_clear_error(runner, tmp_path) -> None:
    result = runner.invoke(main, ["frontier", str(SCENARIO), "--budgets", "30000", "--scheduler", "tcp://127.0.0.1:9",
                                  "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr


def test_batch_of_scenarios_locally_and_on_dask(cluster, tmp_path, runner) -> None:
    scenarios = [str(SCENARIOS / "crossfit" / "scenario.yaml"), str(SCENARIOS / "skincare" / "target.yaml")]
    local = runner.invoke(main, ["batch", *scenarios, "--out", str(tmp_path / "local"), "--workers", "2"])
    dask = runner.invoke(main, ["batch", *scenarios, "--out", str(tmp_path / "dask"), "--scheduler", cluster])
    assert local.exit_code == dask.exit_code == 0, (local.output, dask.output)
    for name in ("crossfit/scenario", "skincare/target"):
        a = json.loads((tmp_path / "local" / name / "result.json").read_text())
        b = json.loads((tmp_path / "dask" / name / "result.json").read_text())
        assert a["roster"] == b["roster"] and a["objective_value"] == b["objective_value"]


def test_batch_reports_the_worst_exit_code(tmp_path, runner) -> None:
    from tests.conftest import write_case

    bad = write_case(tmp_path / "bad", {"budjet": 1})
    infeasible = write_case(tmp_path / "inf", {"budget": 10, "roster": {"min_creators": 8}})
    result = runner.invoke(main, ["batch", str(infeasible), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 3
    result = runner.invoke(main, ["batch", str(infeasible), str(bad), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert result.exit_code == 2 and "unknown key 'budjet'" in result.stderr
