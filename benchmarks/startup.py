"""Time what a planner waits for: `roster --help`, `validate`, `report`, and a 10k pool end to end.

    python benchmarks/startup.py [--repeat 5]

Each command runs as its own process, several times; the table gives the median and the fastest run, and,
as a baseline measured in the same session, a bare Python start and `import pandas` (which every command
but `--help` needs). Writes its section of benchmarks/results.md with the machine, commit and load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as `python benchmarks/<script>.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import REPO, commit, load, machine, run_measured, write_section
from optimizer.generate import PoolSpec, generate_pool

ECO = REPO / "scenarios" / "eco-fashion" / "scenario.yaml"
CROSSFIT = REPO / "scenarios" / "crossfit" / "scenario.yaml"
# the targets the issues set (seconds, end to end, 2 cores)
TARGETS = {"roster --help": 0.3, "roster validate (eco-fashion, 1,500 creators)": 1.0,
           "roster optimize (10k creators, micro tier)": 2.0, "roster report (eco-fashion)": 4.0,
           "roster report (crossfit)": 4.0}  # fmt: skip


def _ten_thousand(folder: Path) -> Path:
    """The benchmark's seeded 10k pool (benchmarks/run.py's case) with the micro-tier filter."""
    folder.mkdir(parents=True, exist_ok=True)
    pool, pairs = generate_pool(PoolSpec(creators=10_000, seed=10_000))
    pool.to_csv(folder / "creators.csv", index=False)
    pairs.to_csv(folder / "overlap.csv", index=False)
    scenario = {"name": "benchmark 10,000 creators", "pool": "creators.csv", "overlap": "overlap.csv", "budget": 60000,
                "roster": {"min_creators": 10, "max_creators": 50, "max_posts": 1},
                "niches": {"sustainable-fashion": {"min_creators": 3}, "zero-waste": {"min_creators": 2, "max_spend_share": 0.4}},
                "overlap_policy": {"max_pairwise": 0.35, "discount": True},
                "eligibility": {"followers": {"min": 10000, "max": 100000}, "min_engagement_rate": 0.02}}  # fmt: skip
    path = folder / "micro.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    py = sys.executable
    work = Path(tempfile.mkdtemp(prefix="roster-startup-"))
    eco_out = work / "eco"
    assert run_measured([py, "-m", "optimizer", "optimize", str(ECO), "--out", str(eco_out)], 600)[3] == 0
    crossfit_out = work / "crossfit"
    assert run_measured([py, "-m", "optimizer", "optimize", str(CROSSFIT), "--out", str(crossfit_out)], 600)[3] == 0
    cases = {
        "python -c pass (baseline)": [py, "-c", "pass"],
        "python -c 'import pandas' (baseline)": [py, "-c", "import pandas"],
        "roster --help": [py, "-m", "optimizer", "--help"],
        "roster validate (eco-fashion, 1,500 creators)": [py, "-m", "optimizer", "validate", str(ECO)],
        "roster optimize (10k creators, micro tier)": [py, "-m", "optimizer", "optimize", str(_ten_thousand(work / "10k")),
                                                       "--out", str(work / "10k-out")],
        "roster report (eco-fashion)": [py, "-m", "optimizer", "report", str(eco_out)],
        "roster report (crossfit)": [py, "-m", "optimizer", "report", str(crossfit_out)],
    }  # fmt: skip
    started = load()
    rows = []
    for name, cmd in cases.items():
        walls = []
        for _ in range(args.repeat):
            wall, _peak, _out, code = run_measured(cmd, 600)
            if code != 0:
                raise SystemExit(f"{name}: exit {code}")
            walls.append(wall)
        target = TARGETS.get(name)
        best = min(walls)
        verdict = "" if target is None else ("met" if statistics.median(walls) <= target else "**missed**")
        rows.append((name, statistics.median(walls), best, target, verdict))
        print(f"{name:50} median {statistics.median(walls):.2f} s  best {best:.2f} s", flush=True)
    lines = [
        "## Start-up, validate, report and a 10k pool end to end",
        "",
        f"Machine: {machine()}  ",
        f"Commit: {commit()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M')}; load average at start {started}; {args.repeat} runs each, "
        "each its own process (`python benchmarks/startup.py`).",
        "",
        "| command | median s | fastest s | target s | median vs target |",
        "|---|---:|---:|---:|---|",
    ]
    for name, median, best, target, verdict in rows:
        lines.append(
            f"| {name} | {median:.2f} | {best:.2f} | {'' if target is None else f'{target:.1f}'} | {verdict} |"
        )
    write_section("startup", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
