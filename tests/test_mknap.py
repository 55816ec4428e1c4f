"""OR-Library's multidimensional knapsack instances (mknapcb1: 30 x 100 items, 5 constraints) solved to their
published optima through `limits` rules, by both solvers, at the default gap.

A creator per item (expected conversions = profit), one pool column per constraint with ``max_sum`` = its
capacity; costs are 0 and the budget 1, because the schema requires a budget (see tests/mknap.py). A
representative subset (one instance per tightness ratio, 0.25, 0.5 and 0.75) always runs; the full 30 per
solver are marked slow.
"""

from __future__ import annotations

import pytest

from optimizer import optimize
from tests.conftest import SHARED_DATA
from tests.mknap import as_problem, read

FILE = SHARED_DATA / "mknap" / "mknapcb1.txt"
pytestmark = pytest.mark.skipif(not FILE.is_file(), reason=f"published mknap optima not found at {FILE}")
INSTANCES = read(FILE) if FILE.is_file() else []
# mknapcb1 lists 10 instances per tightness ratio (0.25, 0.5, 0.75): the first of each always runs
SUBSET = [0, 10, 20]


def test_the_file_is_read_whole() -> None:
    assert len(INSTANCES) == 30
    assert all(len(i.profits) == 100 and len(i.weights) == 5 and len(i.capacities) == 5 for i in INSTANCES)
    assert all(i.optimum > 0 for i in INSTANCES)


def _solve(k: int, solver: str) -> None:
    inst = INSTANCES[k]
    problem = as_problem(inst)
    result = optimize(problem, solver=solver)
    assert result.status == "optimal"
    assert result.verification.passed
    assert result.verification.value == pytest.approx(inst.optimum, abs=1e-6), (inst.name, inst.optimum)
    # the roster keeps every capacity, counted here from the instance itself
    chosen = [int(cid.removeprefix("item-")) for cid in result.roster]
    for row, cap in zip(inst.weights, inst.capacities):
        assert sum(row[j] for j in chosen) <= cap
    assert sum(inst.profits[j] for j in chosen) == inst.optimum
    assert [r["achieved"] for r in result.to_dict()["limits"]] == [sum(row[j] for j in chosen) for row in inst.weights]


@pytest.mark.parametrize("solver", ["cbc", "highs"])
@pytest.mark.parametrize("k", SUBSET, ids=lambda k: f"mknapcb1-{k + 1:02d}")
def test_reaches_published_optimum(k: int, solver: str) -> None:
    _solve(k, solver)


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["cbc", "highs"])
@pytest.mark.parametrize("k", [k for k in range(30) if k not in SUBSET], ids=lambda k: f"mknapcb1-{k + 1:02d}")
def test_reaches_published_optimum_all(k: int, solver: str) -> None:
    _solve(k, solver)
