"""Time `roster simulate`'s work: 100,000 draws of a 50-creator roster (target: under 2 s), with the overlap discount.

    python benchmarks/simulate.py [--draws 100000] [--creators 50] [--repeat 5] [--write]

Loads the bundled eco-fashion scenario, books its 50 eligible creators with the most listed overlap pairs
among themselves (2 posts for every third one, so post decay and the per-draw discount are exercised), and
times `optimizer.simulate.simulate` in-process: sampling, the discount in every draw, and the percentiles of
every figure (Python start-up and loading the pool are not included: they are the same for every command).
Prints one line per repeat; ``--write`` also writes the table, with the machine and the commit, to its
section of benchmarks/results.md. This is a benchmark, not a timed test: a loaded machine gives slower figures.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/<script>.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import commit, load, machine, write_section
from optimizer.problem import load_problem
from optimizer.simulate import simulate

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent / "scenarios" / "eco-fashion" / "scenario.yaml"


def roster_of(problem, size: int) -> dict[str, int]:
    """The eligible creators with the most listed pairs (so the discount has work), every third booked twice."""
    eligible = problem.eligible[problem.eligible].index
    pairs = problem.overlap[problem.overlap["a"].isin(eligible) & problem.overlap["b"].isin(eligible)]
    counts = pairs["a"].value_counts().add(pairs["b"].value_counts(), fill_value=0)
    ids = sorted(counts.sort_values(ascending=False, kind="stable").index[:size])
    ids += [c for c in eligible if c not in ids][: size - len(ids)]
    return {cid: 2 if k % 3 == 0 else 1 for k, cid in enumerate(sorted(ids))}


def main() -> None:
    """Run the timing; print, and with --write record, the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--creators", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write the table into benchmarks/results.md")
    args = parser.parse_args()
    started = load()  # the cores may be shared: a loaded machine gives slower figures
    problem = load_problem(SCENARIO)
    roster = roster_of(problem, args.creators)
    within = problem.overlap["a"].isin(roster) & problem.overlap["b"].isin(roster)
    times = []
    for r in range(args.repeat):
        began = time.perf_counter()
        sim = simulate(problem, roster, draws=args.draws, seed=r)
        times.append(time.perf_counter() - began)
        print(f"repeat {r + 1}: {times[-1]:.3f} s for {args.draws:,} draws x {len(roster)} creators "
              f"({int(within.sum())} listed pairs); mean conversions {sim.metrics['conversions']['mean']:,.1f}")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ordered = sorted(times)
    line = (f"| {args.draws:,} | {len(roster)} | {int(within.sum())} | {ordered[0]:.3f} | {ordered[len(ordered) // 2]:.3f} | "
            f"{ordered[-1]:.3f} | {peak:,.0f} |")  # fmt: skip
    print(
        f"best {ordered[0]:.3f} s, median {ordered[len(ordered) // 2]:.3f} s, worst {ordered[-1]:.3f} s; peak {peak:,.0f} MB"
    )
    if args.write:
        text = (f"## Simulation: 100,000 draws of a 50-creator roster\n\nMachine: {machine()}  \nCommit: {commit()}  \n"
                f"Date: {time.strftime('%Y-%m-%d %H:%M')}; load average at start {started}.\n\n"
                "`python benchmarks/simulate.py --write`: `optimizer.simulate.simulate` in-process (sampling, the overlap "
                "discount in every draw, percentiles of every figure) on the bundled eco-fashion pool; "
                f"{args.repeat} repeats, seeds 0-{args.repeat - 1}. Target: 100,000 draws of 50 creators in under 2 s.\n\n"
                "| draws | creators | listed pairs among them | best s | median s | worst s | peak MB (process) |\n"
                "|---:|---:|---:|---:|---:|---:|---:|\n" + line + "\n")  # fmt: skip
        write_section("simulate", text)
        print("wrote its section of benchmarks/results.md")


if __name__ == "__main__":
    main()
