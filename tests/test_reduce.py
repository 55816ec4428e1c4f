"""The reduction never changes the optimum: reduced and unreduced models against each other.

Small random campaigns (every rule family, both modes) with the reduction forced on, where the brute
force is cheap; and medium generated pools where the reduction actually removes most creators.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer.reduce as reduce_module
from optimizer import build_problem, optimize, parse_scenario, pool_from_frame
from optimizer.errors import InputError
from optimizer.generate import PoolSpec, audience_columns, generate_pool
from optimizer.model import build_model
from optimizer.reduce import _owner_prices, reduce_model
from optimizer.solve import solve_milp
from tests.test_bruteforce import _problem, campaigns


class _tiny_core:
    """A core of 2 creators per ranking, so pricing and fixing do the work (the default core covers small pools)."""

    def __enter__(self):
        self.saved = reduce_module.CORE_SIZE
        reduce_module.CORE_SIZE = 2

    def __exit__(self, *exc):
        reduce_module.CORE_SIZE = self.saved


def _count(work: dict[str, int], result) -> None:
    r = result.reduction
    work["runs"] = work.get("runs", 0) + 1
    if r is not None:
        work["priced"] = work.get("priced", 0) + (r.rounds > 1)
        work["fixed"] = work.get("fixed", 0) + (r.kept < r.creators)


def _same(a, b) -> None:
    assert a.status == b.status
    if a.roster:
        va, vb = a.verification, b.verification
        assert va.value == pytest.approx(vb.value, rel=1e-7, abs=1e-6)
        assert (
            va.total_cost == pytest.approx(vb.total_cost, rel=1e-7, abs=1e-6) or a.problem.scenario.mode == "maximise"
        )


def test_reduction_keeps_the_optimum_on_random_campaigns() -> None:
    work: dict[str, int] = {}

    @settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(campaigns())
    def check(case) -> None:
        sc, pool, overlap = case
        try:
            problem = _problem(sc, pool, overlap)
        except InputError:
            return
        with _tiny_core():
            reduced = optimize(problem, reduce=True, explain=False)
        _count(work, reduced)
        _same(reduced, optimize(problem, reduce=False, explain=False))

    check()
    # the comparisons must have exercised the proof: pricing rounds and fixing both happened, often
    assert work.get("runs", 0) >= 100 and work.get("priced", 0) >= 5 and work.get("fixed", 0) >= 5, work


@st.composite
def medium(draw):
    seed = draw(st.integers(0, 10_000))
    n = draw(st.integers(150, 600))
    pool, pairs = generate_pool(PoolSpec(creators=n, seed=seed, niches=("a", "b", "c", "d")))
    sc = {
        "name": "medium", "pool": "(memory)", "overlap": "(memory)", "budget": draw(st.integers(500, 20_000)),
        "objective": draw(st.sampled_from(["conversions", "emv", "reach"])),
        "roster": {"max_creators": draw(st.integers(3, 25)), "min_creators": draw(st.integers(0, 3))},
        "niches": {"a": {"min_creators": draw(st.integers(0, 2))}, "b": {"max_budget_share": draw(st.sampled_from([0.2, 0.5]))}},
        "overlap_policy": {"max_pairwise": draw(st.sampled_from([0.2, 0.35])), "discount": draw(st.booleans())},
        "assumptions": {"post_decay": draw(st.sampled_from([0.3, 0.6, 0.9]))},
    }  # fmt: skip
    if draw(st.booleans()):
        sc["eligibility"] = {"followers": {"min": 10_000, "max": 100_000}}
    if draw(st.integers(0, 3)) == 0:
        sc["min_spend"] = sc["budget"] // 3
    return sc, pool, pairs


def test_reduction_keeps_the_optimum_on_generated_pools() -> None:
    work: dict[str, int] = {}

    @settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(medium(), st.sampled_from(["cbc", "highs"]))
    def check(case, solver) -> None:
        sc, pool, pairs = case
        problem = build_problem(parse_scenario(sc), pool_from_frame(pool, "gen"), pairs)
        with _tiny_core():
            reduced = optimize(problem, solver=solver, reduce=True, explain=False)
        _count(work, reduced)
        plain = optimize(problem, solver=solver, reduce=False, explain=False)
        _same(reduced, plain)

    check()
    assert work.get("runs", 0) >= 20 and work.get("priced", 0) >= 5 and work.get("fixed", 0) >= 10, work


def test_reduction_removes_most_of_a_large_pool() -> None:
    pool, pairs = generate_pool(PoolSpec(creators=4000, seed=5))
    sc = parse_scenario({"name": "big", "pool": "(memory)", "overlap": "(memory)", "budget": 20_000,
                         "roster": {"max_creators": 20}, "overlap_policy": {"max_pairwise": 0.35, "discount": True}})  # fmt: skip
    problem = build_problem(sc, pool_from_frame(pool, "gen"), pairs)
    reduced = optimize(problem, reduce=True)
    assert reduced.reduction.kept < 0.25 * reduced.reduction.creators
    assert reduced.reduction.lp_bound >= reduced.verification.value - 1e-6
    _same(reduced, optimize(problem, reduce=False))


def test_bundle_cost_is_the_least_prefix_sum() -> None:
    pool = pd.DataFrame({"creator_id": ["a", "b"], "handle": "", "platform": "x", "followers": 1, "engagement_rate": 0,
                         "niche": "", "cost": 1, "max_posts": [3, 1], "expected_conversions": [1, 1]})  # fmt: skip
    problem = build_problem(parse_scenario({"name": "t", "pool": "p", "budget": 10}), pool_from_frame(pool))
    milp = build_model(problem)
    d = np.array([2.0, -3.0, 0.5, -1.0])  # a: posts 1..3, b: post 1
    assert _owner_prices(milp, d).tolist() == [-1.0, -1.0]


def test_submodel_keeps_only_rows_inside() -> None:
    pool, pairs = generate_pool(PoolSpec(creators=60, seed=2))
    sc = parse_scenario({"name": "s", "pool": "p", "overlap": "o", "budget": 5000,
                         "overlap_policy": {"max_pairwise": 0.3, "discount": True}})  # fmt: skip
    milp = build_model(build_problem(sc, pool_from_frame(pool), pairs))
    keep = np.zeros(len(milp.creator_ids), dtype=bool)
    keep[::2] = True
    sub, _ = milp.restrict(keep)
    assert set(sub.creator_ids[sub.owner_creator]) == set(milp.creator_ids[keep])
    for b in sub.blocks:
        assert b.cols.max(initial=-1) < sub.n_cols


def test_fixing_never_removes_a_creator_of_the_optimum() -> None:
    """Reduced-cost fixing against the optimum's own value keeps every creator an optimal roster uses,
    while removing most of the pool (so the test would catch an unsound fixing rule)."""
    pool, pairs = generate_pool(PoolSpec(creators=1500, seed=11))
    sc = parse_scenario({"name": "s", "pool": "p", "overlap": "o", "budget": 6000, "roster": {"max_creators": 15},
                         "overlap_policy": {"max_pairwise": 0.3, "discount": True}})  # fmt: skip
    problem = build_problem(sc, pool_from_frame(pool), pairs)
    milp = build_model(problem)
    optimum = optimize(problem, reduce=False, explain=False)
    keep, info = reduce_model(milp, lambda m: solve_milp(m), core_size=5)
    assert info.kept < 0.5 * info.creators, info.to_dict()
    position = {c: i for i, c in enumerate(milp.creator_ids)}
    assert all(keep[position[c]] for c in optimum.roster), "a creator of the optimum was fixed out"
    # a threshold above the LP bound keeps only the core; a lower threshold (second-best rosters) keeps more
    assert (info.keep_at(info.lp_bound + 1.0) == info.core).all()
    assert info.keep_at(0.9 * optimum.verification.value).sum() > keep.sum()


def test_every_creator_fixed_out_is_truly_worse_than_the_threshold() -> None:
    """The proof, checked creator by creator: forcing in any creator the reduction fixed out (at a threshold
    below the optimum, as second-best rosters use it) gives a roster worth less than that threshold."""
    pool, pairs = generate_pool(PoolSpec(creators=400, seed=21))
    sc = {"name": "s", "pool": "p", "overlap": "o", "budget": 4000, "roster": {"max_creators": 10},
          "overlap_policy": {"max_pairwise": 0.3, "discount": True}}  # fmt: skip
    problem = build_problem(parse_scenario(sc), pool_from_frame(pool), pairs)
    milp = build_model(problem)
    optimum = optimize(problem, reduce=False, explain=False).verification.value
    _, info = reduce_model(milp, lambda m: solve_milp(m), core_size=3)
    threshold = 0.97 * optimum
    removed = np.flatnonzero(~info.keep_at(threshold))
    # the hardest cases: the fixed-out creators whose bound came closest to the threshold
    closest = removed[np.argsort(info.bound_with[removed])[:25]]
    assert len(closest) == 25
    for owner in closest:
        cid = str(milp.creator_ids[milp.owner_creator[owner]])
        forced = problem.with_scenario(problem.scenario.model_copy(update={
            "eligibility": problem.scenario.eligibility.model_copy(update={"include": [cid]})}))  # fmt: skip
        best_with = optimize(forced, reduce=False, explain=False)
        assert not best_with.roster or best_with.verification.value < threshold + 1e-6, cid


@st.composite
def audience_pools(draw):
    """Generated pools with audience shares and a usage fee, under audience and limits rules (all global rows)."""
    seed = draw(st.integers(0, 10_000))
    pool, pairs = generate_pool(PoolSpec(creators=draw(st.integers(200, 500)), seed=seed, niches=("a", "b", "c")))
    pool = audience_columns(pool, seed)
    sc = {
        "name": "audience", "pool": "(memory)", "overlap": "(memory)", "budget": draw(st.integers(1_000, 15_000)),
        "roster": {"max_creators": draw(st.integers(4, 20))},
        "audience": {"audience_us": {"min_share": draw(st.sampled_from([0.2, 0.4, 0.6]))},
                     "audience_13_17": {"max_share": draw(st.sampled_from([0.05, 0.1]))}},
        "limits": {"usage_fee": {"max_sum": draw(st.integers(100, 2_000))},
                   "authenticity": {"min_average": draw(st.sampled_from([0.8, 0.85])),
                                    "per": draw(st.sampled_from(["creator", "post"]))}},
        "overlap_policy": {"discount": draw(st.booleans())},
    }  # fmt: skip
    return sc, pool, pairs


def test_reduction_keeps_the_optimum_under_audience_and_limits_rules() -> None:
    """Reduced and plain solves agree on generated pools under audience and limits rules, and the reduction
    did real work in most examples (counted here, in the same test, so it does not depend on test order)."""
    work = {"compared": 0, "fixed": 0}

    @settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(audience_pools(), st.sampled_from(["cbc", "highs"]))
    def check(case, solver) -> None:
        sc, pool, pairs = case
        problem = build_problem(parse_scenario(sc), pool_from_frame(pool, "gen"), pairs)
        with _tiny_core():
            reduced = optimize(problem, solver=solver, reduce=True, explain=False)
        plain = optimize(problem, solver=solver, reduce=False, explain=False)
        _same(reduced, plain)
        r = reduced.reduction
        work["compared"] += bool(plain.roster)
        work["fixed"] += r is not None and r.kept < r.creators

    check()
    assert work["compared"] >= 8, work
    assert work["fixed"] >= 6, work
