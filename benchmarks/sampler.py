"""Time the outcome sampler: 100,000 joint draws of a 50-creator roster (target: well under 2 s on 2 cores).

    python benchmarks/sampler.py [--draws 100000] [--creators 50] [--repeat 3]

Loads the bundled eco-fashion scenario, books the first N eligible creators (2 posts for every third one, so
post decay is exercised) and prints the best wall time of a few repeats and the peak size of the draws.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from optimizer.problem import load_problem
from optimizer.uncertainty import creator_params, sample

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "eco-fashion" / "scenario.yaml"


def main() -> None:
    """Run the timing and print one line per repeat."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--creators", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    problem = load_problem(SCENARIO)
    params = creator_params(problem)
    ids = list(problem.eligible[problem.eligible].index[: args.creators])
    roster = {cid: 2 if k % 3 == 0 else 1 for k, cid in enumerate(ids)}
    times = []
    for r in range(args.repeat):
        began = time.perf_counter()
        draws = sample(params, roster, draws=args.draws, seed=r)
        times.append(time.perf_counter() - began)
        print(f"repeat {r + 1}: {times[-1]:.3f} s for {args.draws:,} draws x {len(roster)} creators")
    size = sum(getattr(draws, m).nbytes for m in ("posted", "engagements", "conversions", "emv", "reach",
                                                   "conversion_rate", "spend"))  # fmt: skip
    print(f"best {min(times):.3f} s; draws hold {size / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
