"""Reader for OR-Library's multidimensional knapsack instances (../shared/data/mknap) and their roster mapping.

A creator per item: ``expected_conversions`` = profit, one pool column per resource constraint
(``r1`` ... ``rm``) with a ``limits: {ri: {max_sum: b_i}}`` rule each. The scenario schema requires a
budget (or a target), so every cost is 0 and the budget is 1: the budget row is ``0 <= 1`` and cannot bind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer import build_problem, parse_scenario, pool_from_frame
from optimizer.problem import Problem

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mknap"


@dataclass
class Instance:
    name: str
    profits: list[float]
    weights: list[list[float]]  # one row per constraint
    capacities: list[float]
    optimum: float


def read(path: Path) -> list[Instance]:
    """Every instance of one OR-Library file (format in file-format.txt; numbers are whitespace-separated)."""
    numbers = [float(x) for x in path.read_text().split()]
    count, pos = int(numbers[0]), 1
    out = []
    for k in range(count):
        n, m, optimum = int(numbers[pos]), int(numbers[pos + 1]), numbers[pos + 2]
        pos += 3
        profits = numbers[pos : pos + n]
        pos += n
        weights = [numbers[pos + i * n : pos + (i + 1) * n] for i in range(m)]
        pos += m * n
        capacities = numbers[pos : pos + m]
        pos += m
        out.append(Instance(f"{path.stem}-{k + 1:02d}", profits, weights, capacities, optimum))
    if pos != len(numbers):
        raise ValueError(f"{path}: {len(numbers) - pos} numbers left after {count} instances")
    return out


def as_problem(inst: Instance) -> Problem:
    n = len(inst.profits)
    frame = pd.DataFrame(
        {
            "creator_id": [f"item-{i:03d}" for i in range(n)],
            "handle": "",
            "platform": "any",
            "followers": 0,
            "engagement_rate": 0,
            "niche": "",
            "cost": 0,
            "expected_conversions": inst.profits,
            **{f"r{i + 1}": row for i, row in enumerate(inst.weights)},
        }
    )
    limits = {f"r{i + 1}": {"max_sum": cap} for i, cap in enumerate(inst.capacities)}
    # the schema requires a budget: with every cost 0, a budget of 1 cannot bind
    scenario = parse_scenario({"name": inst.name, "pool": "(in memory)", "budget": 1, "limits": limits})
    return build_problem(scenario, pool_from_frame(frame, inst.name))
