"""The optimiser against brute-force enumeration on random small campaigns (Hypothesis).

Every rule family is drawn at random: budget, min spend, roster size, niche and platform counts and
spend shares, per-creator budget cap, eligibility filters, include/exclude, overlap conflicts and the
overlap discount, several posts with decay, and the min-cost target mode. The brute force enumerates
every posts vector and keeps the best one the independent checker accepts.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optimizer import build_problem, optimize, parse_scenario, pool_from_frame, verify_roster
from optimizer.errors import InputError

NICHES = ["a", "b", "c"]
PLATFORMS = ["instagram", "tiktok"]


@st.composite
def campaigns(draw, min_cost: bool | None = None):
    """A random small campaign; ``min_cost=True`` always gives it a target (None: one campaign in five)."""

    def sometimes() -> bool:
        return draw(st.integers(0, 2)) == 0

    n = draw(st.integers(1, 7))
    rows = []
    for i in range(n):
        rows.append(
            {
                "creator_id": f"k{i}",
                "handle": f"@h{i}",
                "platform": draw(st.sampled_from(PLATFORMS)),
                "followers": draw(st.integers(5_000, 200_000)),
                "engagement_rate": draw(st.integers(5, 100)) / 1000,
                "niche": ";".join(draw(st.lists(st.sampled_from(NICHES), min_size=0, max_size=2, unique=True))),
                "cost": draw(st.integers(0, 60)),
                "authenticity": draw(st.integers(50, 100)) / 100,
                "max_posts": draw(st.sampled_from([1, 1, 2, 3])),
                "expected_conversions": draw(st.one_of(st.just(""), st.integers(0, 100).map(str))),
            }
        )
    pool = pd.DataFrame(rows)
    # keep the enumeration small
    combos = 1
    for m in pool["max_posts"]:
        combos *= m + 1
    if combos > 400:
        pool["max_posts"] = 1
    ids = list(pool["creator_id"])
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids), st.integers(0, 100)), max_size=6))
    seen, overlap = set(), []
    for a, b, o in pairs:
        key = tuple(sorted((a, b)))
        if a != b and key not in seen:
            seen.add(key)
            overlap.append({"creator_a": a, "creator_b": b, "overlap": o / 100})

    sc: dict = {"name": "random", "pool": "(memory)", "budget": draw(st.integers(1, 250))}
    if sometimes():
        sc["min_spend"] = draw(st.integers(0, sc["budget"] // 2))
    roster = {}
    if sometimes():
        roster["min_creators"] = draw(st.integers(0, 3))
    if sometimes():
        roster["max_creators"] = draw(st.integers(max(1, roster.get("min_creators", 1)), 5))
    if sometimes():
        roster["max_creator_budget_share"] = draw(st.sampled_from([0.3, 0.5, 0.8]))
    if sometimes():
        roster["max_posts"] = draw(st.integers(1, 3))
    sc["roster"] = roster
    sc["objective"] = draw(st.sampled_from(["conversions", "emv", "engagements", "reach"]))
    niches = {}
    present = sorted({n for cell in pool["niche"] for n in cell.split(";") if n})
    for label in draw(st.lists(st.sampled_from(present), max_size=2, unique=True)) if present else []:
        rule = {}
        if sometimes():
            rule["min_creators"] = draw(st.integers(0, 1))
        if sometimes():
            rule["max_creators"] = draw(st.integers(max(rule.get("min_creators", 0), 0), 3))
        if sometimes():
            rule["min_budget_share"] = draw(st.sampled_from([0.1, 0.3]))
        if sometimes():
            rule["max_budget_share"] = draw(st.sampled_from([0.5, 0.8]))
        niches[label] = rule
    sc["niches"] = niches
    if sometimes():
        sc["platforms"] = {
            draw(st.sampled_from(sorted(set(pool["platform"])))): {
                "max_creators": draw(st.integers(0, 3)),
                "max_budget_share": draw(st.sampled_from([0.4, 0.9])),
            }
        }
    elig: dict = {}
    if sometimes():
        elig["followers"] = {"min": 10_000, "max": draw(st.sampled_from([100_000, 150_000]))}
    if sometimes():
        elig["min_authenticity"] = 0.7
    if sometimes():
        elig["min_engagement_rate"] = 0.02
    if sometimes():
        elig["include"] = [draw(st.sampled_from(ids))]
    if sometimes():
        rest = [i for i in ids if i not in elig.get("include", [])]
        if rest:
            elig["exclude"] = [draw(st.sampled_from(rest))]
    sc["eligibility"] = elig
    if overlap:
        sc["overlap"] = "(memory)"
        sc["overlap_policy"] = {"discount": draw(st.booleans())}
        if sometimes():
            sc["overlap_policy"]["max_pairwise"] = draw(st.sampled_from([0.2, 0.5]))
    sc["assumptions"] = {"post_decay": draw(st.sampled_from([0.0, 0.5, 0.8, 1.0]))}
    if min_cost or (min_cost is None and draw(st.integers(0, 4)) == 0):
        # a target some rosters reach and others miss: a few conversions (a creator's first post forecasts
        # about 0.3-10 of them under the default funnel), up to 150 of the larger metrics
        top = 10 if sc["objective"] == "conversions" else 150
        sc["target"] = {sc["objective"]: draw(st.integers(1, top))}
    return sc, pool, pd.DataFrame(overlap, columns=["creator_a", "creator_b", "overlap"])


def brute_force(problem) -> tuple[float, dict[str, int]] | None:
    """Best (value, roster), or best (cost, roster) in min-cost mode, by enumerating every posts vector."""
    frame = problem.pool.frame
    ids = list(frame.index)
    caps = [int(problem.max_posts[i]) for i in ids]
    best = None
    minimise = problem.scenario.mode == "min_cost"
    for posts in itertools.product(*[range(c + 1) for c in caps]):
        roster = {cid: k for cid, k in zip(ids, posts) if k > 0}
        check = verify_roster(problem, roster)
        if not check.passed:
            continue
        score = check.total_cost if minimise else check.value
        if best is None or (score < best[0] - 1e-9 if minimise else score > best[0] + 1e-9):
            best = (score, roster)
    return best


def _problem(sc, pool, overlap):
    scenario = parse_scenario(sc)
    return build_problem(scenario, pool_from_frame(pool, "random pool"), overlap if len(overlap) else None)


def problem_or_none(sc, pool, overlap):
    """The drawn campaign's problem. A must-include creator drawn ineligible is a clear input error (tested
    elsewhere), so that rule is dropped; None when the campaign still cannot be built."""
    try:
        return _problem(sc, pool, overlap)
    except InputError:
        sc = {**sc, "eligibility": {k: v for k, v in sc["eligibility"].items() if k != "include"}}
        try:
            return _problem(sc, pool, overlap)
        except InputError:
            return None


COUNTS: dict[str, int] = {}


def _count(kind: str) -> None:
    COUNTS[kind] = COUNTS.get(kind, 0) + 1
    event(kind)


def _compare(case, solver) -> None:
    """Optimiser against enumeration on one drawn campaign, counted by outcome."""
    sc, pool, overlap = case
    problem = problem_or_none(sc, pool, overlap)
    if problem is None:
        _count("skipped")
        return
    expected = brute_force(problem)
    result = optimize(problem, solver=solver, explain=False)
    if expected is None:
        _count("infeasible")
        assert result.status == "infeasible", result.to_dict()
        return
    _count(f"feasible {problem.scenario.mode}")
    assert result.status == "optimal"
    assert result.verification.passed
    if problem.scenario.mode == "min_cost":
        assert result.verification.total_cost == pytest.approx(expected[0], rel=1e-7, abs=1e-6)
    else:
        assert result.verification.value == pytest.approx(expected[0], rel=1e-7, abs=1e-6), (result.roster, expected)


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns(), st.sampled_from(["cbc", "highs"]))
def _check_against_brute_force(case, solver) -> None:
    _compare(case, solver)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns(min_cost=True), st.sampled_from(["cbc", "highs"]))
def _check_min_cost_against_brute_force(case, solver) -> None:
    _compare(case, solver)


def test_matches_brute_force() -> None:
    COUNTS.clear()
    _check_against_brute_force()
    compared = sum(n for k, n in COUNTS.items() if k != "skipped")
    feasible = sum(n for k, n in COUNTS.items() if k.startswith("feasible"))
    # the acceptance bar: at least 200 instances compared, most of them with a roster to compare
    assert compared >= 200, COUNTS
    assert feasible >= 150, COUNTS
    # min-cost mode comes up in one draw in five here; the test below compares it on purpose
    assert COUNTS.get("feasible min_cost", 0) >= 5, COUNTS


def test_min_cost_mode_matches_brute_force() -> None:
    """Every draw has a target: the cheapest roster reaching it against enumeration, in both solvers."""
    COUNTS.clear()
    _check_min_cost_against_brute_force()
    # measured: 150 compared, 63 with a roster (many drawn campaigns break some other rule)
    assert COUNTS.get("feasible min_cost", 0) >= 25, COUNTS
    assert COUNTS.get("infeasible", 0) >= 5, COUNTS  # targets out of reach are compared too
