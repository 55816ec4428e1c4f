"""Time the app's re-solve after an edit: request to response on a 5,000-creator pool (target: p95 under 1 s).

    python benchmarks/app_latency.py [--creators 5000] [--edits 40]

Starts `roster app`'s server (uvicorn, in this process) on a seeded pool, sends the scenario once (cold:
the pool is read), then a series of edits as the page sends them (budget moves, a lock, an exclusion, a
niche rule) and times each POST /api/solve from request to response with an HTTP client. Writes its section
of benchmarks/results.md with the machine, commit and load.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/<script>.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import uvicorn

from benchmarks.common import commit, load, machine, write_section
from optimizer.app import create_app
from optimizer.generate import PoolSpec, generate_pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=5000)
    parser.add_argument("--edits", type=int, default=40)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="roster-app-bench-"))
    pool, pairs = generate_pool(PoolSpec(creators=args.creators, seed=args.creators))
    pool.to_csv(root / "creators.csv", index=False)
    pairs.to_csv(root / "overlap.csv", index=False)
    scenario = {"name": f"app benchmark {args.creators:,}", "pool": "creators.csv", "overlap": "overlap.csv",
                "budget": 30000, "roster": {"min_creators": 10, "max_creators": 40},
                "eligibility": {"followers": {"min": 10000, "max": 100000}, "min_engagement_rate": 0.02},
                "niches": {"zero-waste": {"min_creators": 2}, "beauty": {"max_spend_share": 0.4}},
                "overlap_policy": {"max_pairwise": 0.35, "discount": True}}  # fmt: skip
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(create_app(root), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    started_load = load()
    headers = {"X-Roster-Session": "benchmark-session-1"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:

        def solve(body: dict) -> tuple[float, dict]:
            began = time.perf_counter()
            r = client.post("/api/solve", json=body, headers=headers)
            took = time.perf_counter() - began
            if r.status_code != 200:
                raise SystemExit(f"solve failed: {r.status_code} {r.text[:300]}")
            return took, r.json()

        cold, first = solve({"scenario": scenario})
        roster = [e["creator_id"] for e in first["roster"]]
        timings = []
        for i in range(args.edits):
            edit: dict = {"budget": 30000 + 500 * ((i % 20) - 10)}
            if i % 5 == 1:
                edit["eligibility"] = {"include": [roster[i % len(roster)]]}
            if i % 5 == 2:
                edit["eligibility"] = {"exclude": [roster[(i + 3) % len(roster)]]}
            if i % 5 == 3:
                edit["niches"] = {"zero-waste": {"min_creators": 3}}
            took, _ = solve({"scenario": scenario, "overrides": edit})
            timings.append(took)
    server.should_exit = True
    ordered = sorted(timings)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    lines = [
        f"## The app: re-solve after an edit ({args.creators:,} creators, {first['pool']['eligible']:,} eligible)",
        "",
        f"Machine: {machine()}  ",
        f"Commit: {commit()}  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M')}; load average at start {started_load} "
        "(`python benchmarks/app_latency.py`).",
        "",
        "Request to response, `POST /api/solve` on a running server, HiGHS (the app's default solver). The first "
        "request reads the pool (cold); each edit after it re-solves the loaded pool.",
        "",
        "| requests | cold s | median s | p95 s | max s | target p95 s | verdict |",
        "|---:|---:|---:|---:|---:|---:|---|",
        f"| {len(timings)} | {cold:.2f} | {statistics.median(timings):.2f} | {p95:.2f} | {max(timings):.2f} | 1.0 | "
        f"{'met' if p95 <= 1.0 else '**missed**'} |",
    ]
    write_section("app", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
