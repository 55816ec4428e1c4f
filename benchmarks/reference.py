"""The reference formulation: the same model written the straightforward way (per-term Python loops,
one PuLP variable and constraint at a time, CBC). The benchmark times it against `roster optimize`.

    python benchmarks/reference.py SCENARIO   # prints a JSON line: objective and seconds

Only the single-post model the benchmark scenarios use (roster.max_posts: 1) is written here.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import pulp

from optimizer import load_problem


def main(path: str) -> None:
    began = time.perf_counter()
    problem = load_problem(path)  # same inputs and forecast as the tool: only the model building differs
    loaded = time.perf_counter()
    sc = problem.scenario
    frame = problem.pool.frame
    values = problem.values
    prob = pulp.LpProblem("reference", pulp.LpMaximize)
    x = {}
    for cid in frame.index:
        if problem.eligible[cid]:
            x[cid] = pulp.LpVariable(f"x_{cid}", cat=pulp.LpBinary)
    objective = pulp.lpSum([values[c] * x[c] for c in x])
    prob += pulp.lpSum([frame.at[c, "cost"] * x[c] for c in x]) <= sc.budget
    if sc.roster.min_creators is not None:
        prob += pulp.lpSum([x[c] for c in x]) >= sc.roster.min_creators
    if sc.roster.max_creators is not None:
        prob += pulp.lpSum([x[c] for c in x]) <= sc.roster.max_creators
    for label, rule in sc.niches.items():
        members = [c for c in x if label in frame.at[c, "niches"]]
        if rule.min_creators is not None:
            prob += pulp.lpSum([x[c] for c in members]) >= rule.min_creators
        if rule.max_spend_share is not None:
            spend = pulp.lpSum([frame.at[c, "cost"] * x[c] for c in x])
            prob += pulp.lpSum([frame.at[c, "cost"] * x[c] for c in members]) <= rule.max_spend_share * spend
    policy = sc.overlap_policy
    penalties = []
    for row in problem.overlap.itertuples(index=False):
        a, b, o = row.a, row.b, row.overlap
        if a not in x or b not in x:
            continue
        if policy.max_pairwise is not None and o > policy.max_pairwise:
            prob += x[a] + x[b] <= 1
        elif policy.discount and o > 0:
            z = pulp.LpVariable(f"z_{a}_{b}", lowBound=0)
            prob += z >= x[a] + x[b] - 1
            penalties.append(o * min(values[a], values[b]) * z)
    prob += objective - pulp.lpSum(penalties)
    built = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0, threads=1))
    solved = time.perf_counter()
    print(json.dumps({"status": pulp.LpStatus[prob.status], "objective": pulp.value(prob.objective),
                      "load": loaded - began, "build": built - loaded, "solve": solved - built}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
