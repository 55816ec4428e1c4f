"""Benchmark: seeded pools of 1k to 1M creators, `roster optimize` end to end vs the reference formulation.

    python benchmarks/run.py                       # 1k, 10k, 100k (about 3 minutes on 2 cores)
    python benchmarks/run.py --sizes 1000,10000,100000,1000000

Each case runs as its own process (time from process start to result.json; peak memory of that process,
from the kernel via wait4). The reference formulation (benchmarks/reference.py: per-term PuLP loops and
CBC) runs on the same files in the same session, and the speed ratio is reported. Prints a Markdown table
and writes it, with the machine and the commit, to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

if __package__ in (None, ""):  # run as `python benchmarks/<script>.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import commit, load, machine, run_measured, write_section
from optimizer.generate import PoolSpec, generate_pool

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def make_case(folder: Path, n: int, micro: bool, parquet: bool) -> Path:
    """A seeded pool with ~4 listed pairs per creator (mostly within a niche) and a scenario."""
    folder.mkdir(parents=True, exist_ok=True)
    pool_file = folder / ("creators.parquet" if parquet else "creators.csv")
    overlap_file = folder / ("overlap.parquet" if parquet else "overlap.csv")
    if not pool_file.exists():
        pool, pairs = generate_pool(PoolSpec(creators=n, seed=n))
        if parquet:
            pool.to_parquet(pool_file, index=False)
            pairs.to_parquet(overlap_file, index=False)
        else:
            pool.to_csv(pool_file, index=False)
            pairs.to_csv(overlap_file, index=False)
    scenario = {
        "name": f"benchmark {n:,} creators", "pool": pool_file.name, "overlap": overlap_file.name, "budget": 60000,
        "roster": {"min_creators": 10, "max_creators": 50, "max_posts": 1},
        "niches": {"sustainable-fashion": {"min_creators": 3}, "zero-waste": {"min_creators": 2, "max_spend_share": 0.4}},
        "overlap_policy": {"max_pairwise": 0.35, "discount": True},
    }  # fmt: skip
    if micro:
        scenario["eligibility"] = {"followers": {"min": 10000, "max": 100000}, "min_engagement_rate": 0.02}
    path = folder / ("micro.yaml" if micro else "all.yaml")
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def _pairs(pool: dict) -> int | None:
    """Listed overlap pairs, including those left unread with their creators by filters at the source."""
    if pool.get("overlap_pairs") is None:
        return None
    return pool["overlap_pairs"] + ((pool.get("filtered_at_source") or {}).get("overlap_pairs") or 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--work", default=None, help="folder for generated pools (reused between runs)")
    ap.add_argument("--no-reference", action="store_true", help="skip the reference formulation")
    ap.add_argument("--reference-max", type=int, default=100_000, help="largest pool to run the reference on")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    args = ap.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="roster-bench-"))
    py = sys.executable
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        for micro in (False, True):
            parquet = n >= 1_000_000
            scenario = make_case(work / str(n), n, micro, parquet)
            out = scenario.parent / f"out-{scenario.stem}"
            wall, peak, _, code = run_measured(
                [py, "-m", "optimizer", "optimize", str(scenario), "--out", str(out)], 3600
            )
            doc = json.loads((out / "result.json").read_text()) if code == 0 else {}
            t = doc.get("timings_seconds", {})
            row = {
                "creators": n, "filter": "micro tier" if micro else "none", "format": "parquet" if parquet else "csv",
                "eligible": doc.get("pool", {}).get("eligible"), "pairs": _pairs(doc.get("pool", {})),
                "load": t.get("load"), "build": t.get("build"), "reduce": t.get("reduce"), "solve": t.get("solve"),
                "verify": t.get("verify"), "total": wall, "peak_mb": peak, "objective": doc.get("objective_value"),
                "bound": doc.get("bound"), "gap": doc.get("gap"), "kept": (doc.get("reduction") or {}).get("kept"),
                "status": doc.get("status", f"exit {code}"),
            }  # fmt: skip
            if not args.no_reference and n <= args.reference_max:
                rwall, rpeak, rout, rcode = run_measured([py, str(HERE / "reference.py"), str(scenario)], 3600)
                ref = json.loads(rout.strip().splitlines()[-1]) if rcode == 0 else {}
                row.update(ref_total=rwall, ref_peak_mb=rpeak, ref_objective=ref.get("objective"),
                           ratio=rwall / wall if wall else None)  # fmt: skip
            rows.append(row)
            print(_line(row), flush=True)
    frontier_row = None
    if 10_000 in [int(s) for s in args.sizes.split(",")]:
        scenario = work / "10000" / "micro.yaml"
        wall, peak, _, code = run_measured([py, "-m", "optimizer", "frontier", str(scenario), "--budgets",
                                             "10000:200000:10000", "--out", str(work / "10000" / "frontier")], 3600)  # fmt: skip
        frontier_row = (wall, peak, code)
    text = _table(rows, frontier_row)
    print(text)
    write_section("scale", text, Path(args.out))


def _fmt(x, digits=2) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return "n/a"
    return f"{x:,.{digits}f}" if isinstance(x, float) else f"{x:,}" if isinstance(x, int) else str(x)


def _line(r) -> str:
    return f"{r['creators']:>9,} {r['filter']:>10} total {_fmt(r['total'])} s, peak {_fmt(r['peak_mb'], 0)} MB, objective {_fmt(r['objective'], 4)}"


def _table(rows, frontier_row) -> str:
    head = [f"## Pools of 1k to 1M creators against the reference formulation\n\nMachine: {machine()}  \nCommit: {commit()}  \n"
            f"Date: {time.strftime('%Y-%m-%d')}; load average at start {load()}\n",
            "End to end = from process start to result.json written (`python -m optimizer optimize`). Stage times are "
            "from result.json (`timings_seconds`). Reference = the same model built with per-term PuLP loops and "
            "solved by CBC (`benchmarks/reference.py`), run in the same session. Ratio = reference / ours.\n",
            "| creators | filter | input | eligible | pairs | load s | build s | reduce s | solve s | verify s | end to end s "
            "| peak MB | kept for MIP | objective | bound | gap | status | reference s | reference objective | ratio |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"]  # fmt: skip
    for r in rows:
        head.append(
            f"| {r['creators']:,} | {r['filter']} | {r['format']} | {_fmt(r['eligible'])} | {_fmt(r['pairs'])} | {_fmt(r['load'])} "
            f"| {_fmt(r['build'])} | {_fmt(r['reduce'])} | {_fmt(r['solve'])} | {_fmt(r['verify'])} | {_fmt(r['total'])} "
            f"| {_fmt(r['peak_mb'], 0)} | {_fmt(r['kept'])} | {_fmt(r['objective'], 4)} | {_fmt(r['bound'], 4)} "
            f"| {_fmt(r['gap'], 6)} | {r['status']} | {_fmt(r.get('ref_total'))} | {_fmt(r.get('ref_objective'), 4)} "
            f"| {_fmt(r.get('ratio'), 1)} |"
        )  # fmt: skip
    if frontier_row:
        head.append(f"\n20-budget frontier (10,000 to 200,000) on the 10k pool with the micro-tier filter: "
                    f"{_fmt(frontier_row[0])} s end to end, peak {_fmt(frontier_row[1], 0)} MB (exit {frontier_row[2]}).")  # fmt: skip
    return "\n".join(head) + "\n"


if __name__ == "__main__":
    main()
