"""Audience and limits rules against brute-force enumeration on random small campaigns (Hypothesis).

The campaigns of tests/test_bruteforce.py (every other rule family) get audience share columns (written as
shares or percentages) and numeric columns of the planner's own, with blanks under ``blank: zero`` or
``blank: exclude``, and random ``audience`` and ``limits`` rules: minimum and maximum shares, sums and
averages, per creator and per post. The brute force keeps the best posts vector the independent checker
(`optimizer.verify`, its own re-implementation of these rules) accepts.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from optimizer import optimize, verify_roster
from tests.test_bruteforce import campaigns, problem_or_none

SHARES = ["aud_a", "aud_b"]
NUMBERS = ["fee", "hours", "score"]
# what verify.py says when only an audience rule, or only a limits rule, is broken
AUDIENCE_WORDS = ("audience '", "the roster reaches no one", *(f"no '{c}' value" for c in SHARES))
LIMIT_WORDS = ("' total over", "' average over", "no average to meet", *(f"no '{c}' value" for c in NUMBERS))


@st.composite
def column_campaigns(draw):
    sc, pool, overlap = draw(campaigns())
    pool = pool.copy()
    n = len(pool)
    if draw(st.booleans()):
        # several posts with a strong decay, so a share of reach depends on how many posts each creator gets
        posts = [draw(st.sampled_from([1, 2, 3])) for _ in range(n)]
        if int(np.prod([k + 1 for k in posts])) <= 400:
            pool["max_posts"] = posts
            sc = {**sc, "roster": {k: v for k, v in sc["roster"].items() if k != "max_posts"},
                  "assumptions": {"post_decay": draw(st.sampled_from([0.0, 0.3, 0.5]))}}  # fmt: skip
    blanks: dict[str, str] = {}

    def cells(values: list[float], column: str, percent: bool = False) -> list[str]:
        policy = draw(st.sampled_from(["error", "error", "zero", "exclude"]))
        out = [f"{v * 100:g}%" if percent and draw(st.booleans()) else f"{v:g}" for v in values]
        if policy != "error" and n > 1:
            for i in draw(st.lists(st.integers(0, n - 1), max_size=2, unique=True)):
                out[i] = ""
            blanks[column] = policy
        return out

    for column in SHARES:
        pool[column] = cells([draw(st.integers(0, 100)) / 100 for _ in range(n)], column, percent=True)
    pool["fee"] = cells([float(draw(st.integers(0, 40))) for _ in range(n)], "fee")
    pool["hours"] = cells([float(draw(st.integers(0, 6))) for _ in range(n)], "hours")
    scores = [draw(st.integers(-10, 10)) / 10 for _ in range(n)]
    pool["score"] = cells(scores, "score")

    audience = {}
    for column in SHARES:
        if draw(st.integers(0, 2)) > 0:
            continue
        rule = {}
        # thresholds near a roster's typical share, so the rule often decides who is chosen
        low = draw(st.sampled_from([None, 0.3, 0.45, 0.6]))
        high = draw(st.sampled_from([None, 0.4, 0.55, 0.7]))
        if low is None and high is None:
            low = 0.45
        if low is not None:
            rule["min_share"] = low
        if high is not None and (low is None or high >= low):
            rule["max_share"] = high
        audience[column] = rule
    limits = {}
    if draw(st.booleans()):
        stat = draw(st.sampled_from(["max_sum", "max_sum", "min_sum"]))
        limits["fee"] = {stat: draw(st.integers(0, 80 if stat == "max_sum" else 30))}
    if draw(st.booleans()):
        limits["hours"] = {"max_sum": draw(st.integers(2, 12)), "per": "post"}
    if draw(st.booleans()):
        stat = draw(st.sampled_from(["min_average", "max_average"]))
        limits["score"] = {
            # the average of some creators' scores: rosters sitting exactly on the limit exist and are allowed
            stat: float(np.mean(draw(st.lists(st.sampled_from(scores), min_size=1, max_size=3)))),
            "per": draw(st.sampled_from(["creator", "post"])),
        }
    if not audience and not limits:
        audience["aud_a"] = {"max_share": 0.8}
    for section in (audience, limits):
        for column, rule in section.items():
            rule["blank"] = blanks.get(column, "error")
    return {**sc, "audience": audience, "limits": limits}, pool, overlap


def brute_force(problem) -> dict[str, float | None]:
    """Best score the checker accepts ("all"), and the best when audience or limits violations are ignored."""
    frame = problem.pool.frame
    ids = list(frame.index)
    caps = [int(problem.max_posts[i]) for i in ids]
    minimise = problem.scenario.mode == "min_cost"
    best: dict[str, float | None] = {"all": None, "no audience": None, "no limits": None}

    def better(score: float, than: float | None) -> bool:
        return than is None or (score < than - 1e-9 if minimise else score > than + 1e-9)

    for posts in itertools.product(*[range(c + 1) for c in caps]):
        roster = {cid: k for cid, k in zip(ids, posts) if k > 0}
        check = verify_roster(problem, roster)
        if not check.complete:
            continue
        score = check.total_cost if minimise else check.value
        for key, words in (("all", ()), ("no audience", AUDIENCE_WORDS), ("no limits", LIMIT_WORDS)):
            if all(any(w in v for w in words) for v in check.violations) and better(score, best[key]):
                best[key] = score
    return best


COUNTS: dict[str, int] = {}


def _count(kind: str) -> None:
    COUNTS[kind] = COUNTS.get(kind, 0) + 1
    event(kind)


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(column_campaigns(), st.sampled_from(["cbc", "highs"]))
def _check_against_brute_force(case, solver) -> None:
    sc, pool, overlap = case
    problem = problem_or_none(sc, pool, overlap)
    if problem is None:
        _count("skipped")
        return
    # a draw where no creator with reach is eligible says nothing about these rules (a unit test covers it)
    assume((problem.eligible & (problem.metrics["reach"] > 0)).sum() >= 2)
    found = brute_force(problem)
    best = found["all"]
    result = optimize(problem, solver=solver, explain=False)
    if best is None:
        _count("infeasible")
        assert result.status == "infeasible", result.to_dict()
        return
    _count(f"feasible {problem.scenario.mode}")
    for rules in ("audience", "limits"):
        if found[f"no {rules}"] != best:
            _count(f"{rules} rules change the optimum")
    assert result.status == "optimal"
    assert result.verification.passed
    got = result.verification.total_cost if problem.scenario.mode == "min_cost" else result.verification.value
    assert got == pytest.approx(best, rel=1e-7, abs=1e-6), (result.roster, best)
    # result.json's rows agree with the checker's own figures
    doc = result.to_dict()
    assert len(doc["audience"]) == sum((r.min_share is not None) + (r.max_share is not None)
                                       for r in problem.scenario.audience.values())  # fmt: skip
    assert len(doc["limits"]) == sum(
        sum(getattr(r, s) is not None for s in ("min_sum", "max_sum", "min_average", "max_average"))
        for r in problem.scenario.limits.values()
    )


def test_matches_brute_force() -> None:
    COUNTS.clear()
    _check_against_brute_force()
    compared = sum(n for k, n in COUNTS.items() if k.startswith(("feasible", "infeasible")))
    feasible = sum(n for k, n in COUNTS.items() if k.startswith("feasible"))
    # the acceptance bar: nearly every draw compared, enough with a roster in both modes, enough infeasible
    # with creators to choose from, and many where each family of new rules moved the optimum. Measured: 500
    # compared, 171 feasible (20 min-cost), 329 infeasible, 29 and 50 moved. The draws are derandomised, but a
    # change to the generators (tests/test_bruteforce.py) or to this test's source draws another set, and a CI
    # run once drew 11 audience cases and 7 min-cost ones where a run alone drew 29 and 20 (cause not found):
    # the bars leave room for that, and tests/test_column_rules.py makes every rule bind on purpose
    assert compared >= 400, COUNTS
    assert feasible >= 100, COUNTS
    assert COUNTS.get("feasible min_cost", 0) >= 4, COUNTS
    assert COUNTS.get("infeasible", 0) >= 50, COUNTS
    assert COUNTS.get("audience rules change the optimum", 0) >= 8, COUNTS
    assert COUNTS.get("limits rules change the optimum", 0) >= 15, COUNTS
