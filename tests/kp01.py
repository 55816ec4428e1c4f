"""Readers for the 0-1 knapsack instances in ../shared/data/kp01 and their mapping onto a roster.

A creator per item: cost = weight, expected value = profit, budget = capacity, no other rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer import build_problem, parse_scenario, pool_from_frame
from optimizer.problem import Problem

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "kp01"


@dataclass
class Instance:
    name: str
    capacity: float
    profits: list[float]
    weights: list[float]
    optimum: float


def pisinger(path: Path) -> Iterator[Instance]:
    """Instances of one Pisinger CSV file (keyed on the `n` line: one name line is misspelt)."""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("n "):
            i += 1
            continue
        name = lines[i - 1].strip()
        n = int(lines[i].split()[1])
        cap = float(lines[i + 1].split()[1])
        z = float(lines[i + 2].split()[1])
        items = [row.split(",") for row in lines[i + 4 : i + 4 + n]]
        yield Instance(name, cap, [float(r[1]) for r in items], [float(r[2]) for r in items], z)
        i += 4 + n


def plain(path: Path, optimum_path: Path) -> Instance:
    """An instances_01_KP file: `n capacity`, then `profit weight` lines (large files end with a 0/1 line)."""
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    n, cap = lines[0].split()[:2]
    items = [ln.split() for ln in lines[1 : 1 + int(n)]]
    return Instance(
        path.name,
        float(cap),
        [float(r[0]) for r in items],
        [float(r[1]) for r in items],
        float(optimum_path.read_text().split()[0]),
    )


def all_instances() -> list[Instance]:
    out: list[Instance] = []
    for f in sorted((DATA / "pisinger").glob("*.csv")):
        out += list(pisinger(f))
    for sub in ("low-dimensional", "large_scale"):
        for f in sorted((DATA / "instances_01_KP" / sub).iterdir()):
            out.append(plain(f, DATA / "instances_01_KP" / f"{sub}-optimum" / f.name))
    return out


def as_problem(inst: Instance) -> Problem:
    n = len(inst.profits)
    frame = pd.DataFrame(
        {
            "creator_id": [f"item-{i:05d}" for i in range(n)],
            "handle": "",
            "platform": "any",
            "followers": 0,
            "engagement_rate": 0,
            "niche": "",
            "cost": inst.weights,
            "expected_conversions": inst.profits,
        }
    )
    scenario = parse_scenario({"name": inst.name, "pool": "(in memory)", "budget": inst.capacity})
    return build_problem(scenario, pool_from_frame(frame, inst.name))
