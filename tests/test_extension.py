"""The model core's extension points: a toy rule with its own auxiliary columns, added in one place each.

The toy rule: "a creator with more than TOY_FOLLOWERS followers needs a sponsor slot, and there are only
TOY_SLOTS of them". It adds one auxiliary column per creator (a new column kind, owned by that creator),
a local row linking it to the creator's first post, a global row capping the slots, and a small objective
penalty per slot used. Registered through `register_column_kind` and `register_rule` only, it must be
built into the model, survive the reduction, be named by the infeasibility diagnosis, and be checked by
the verifier through its own independent check.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimizer import build_problem, optimize, parse_scenario, pool_from_frame, verify_roster
from optimizer.generate import PoolSpec, generate_pool
from optimizer.milp import COLUMN_KINDS, Block, ColumnKindSpec, register_column_kind
from optimizer.model import build_model
from optimizer.rules import RuleSpec, register_rule, unregister_rule

TOY_KIND = "toy_slot"
TOY_RULE = "toy_slots"
TOY_FOLLOWERS = 30_000
PENALTY = 1e-3


def _big(problem, ids) -> np.ndarray:
    return problem.pool.frame.loc[ids, "followers"].to_numpy() > TOY_FOLLOWERS


def _toy_rule(slots: int) -> RuleSpec:
    def build(ctx):
        big = np.flatnonzero(_big(ctx.problem, ctx.ids))
        cols = ctx.milp.add_columns([f"slot[{ctx.ids[i]}]" for i in big], TOY_KIND, lb=0.0, ub=1.0,
                                    owner=ctx.owners[big])  # fmt: skip
        ctx.milp.add_objective("toy_penalty", cols, -PENALTY * np.ones(len(big)))  # in the objective, not the value
        r = np.arange(len(big))
        # slot >= x (local: one creator's columns)
        yield Block("toy_link", "", 0.0, [f"toy_link[{ctx.ids[i]}]" for i in big], np.concatenate([r, r]),
                    np.concatenate([ctx.first[big], cols]), np.concatenate([np.ones(len(big)), -np.ones(len(big))]),
                    "<=", np.zeros(len(big)))  # fmt: skip
        yield Block.single(TOY_RULE, "", slots, cols, np.ones(len(big)), "<=", slots)

    def check(problem, roster):
        used = [c for c in roster if float(problem.pool.frame.at[c, "followers"]) > TOY_FOLLOWERS]
        return [f"{len(used)} creators need a sponsor slot, more than {slots}"] if len(used) > slots else []

    return RuleSpec(TOY_RULE, lambda b, cur: f"at most {b.limit:.0f} sponsor slots", build,
                    lambda b, f: f"only {int(b.limit)} sponsor slots exist", check=check)  # fmt: skip


@pytest.fixture
def toy():
    """Register the toy column kind and rule for one test, then remove them."""

    def install(slots: int) -> None:
        register_column_kind(ColumnKindSpec(TOY_KIND, 1, "a sponsor slot of one creator"))
        register_rule(RuleSpec("toy_link", lambda b, cur: "a slot per big creator", local=True, relaxable=False))
        register_rule(_toy_rule(slots))

    yield install
    unregister_rule(TOY_RULE)
    unregister_rule("toy_link")
    COLUMN_KINDS.pop(TOY_KIND, None)


def _pool(n: int, seed: int):
    pool, pairs = generate_pool(PoolSpec(creators=n, seed=seed, niches=("a", "b")))
    pool["max_posts"] = 1
    return pool, pairs


def _problem(pool, pairs, **extra):
    sc = {"name": "toy", "pool": "p", "overlap": "o", "budget": 3000,
          "overlap_policy": {"discount": True}, **extra}  # fmt: skip
    return build_problem(parse_scenario(sc), pool_from_frame(pool, "toy pool"), pairs)


def test_the_toy_rule_is_built_solved_and_matches_brute_force(toy) -> None:
    toy(1)
    pool, pairs = _pool(11, 1)
    problem = _problem(pool, pairs, eligibility={"followers": {"min": 10_000, "max": 200_000}})
    milp = build_model(problem)
    assert (milp.kind == TOY_KIND).sum() == _big(problem, milp.creator_ids).sum() > 1
    assert [b.key for b in milp.blocks_of(TOY_RULE)] == [TOY_RULE]
    result = optimize(problem, explain=False)
    assert result.status == "optimal"
    # brute force over every roster, with the toy rule's own check and its penalty
    ids = list(problem.eligible.index[problem.eligible])
    best = None
    for picks in itertools.product((0, 1), repeat=len(ids)):
        roster = {c: 1 for c, p in zip(ids, picks) if p}
        check = verify_roster(problem, roster)
        if check.passed:
            score = check.value - PENALTY * _big(problem, list(roster)).sum()
            best = score if best is None else max(best, score)
    assert result.outcome.objective == pytest.approx(best, abs=1e-7)
    assert _big(problem, list(result.roster)).sum() <= 1


def test_verification_runs_the_rules_own_check(toy) -> None:
    toy(0)
    pool, pairs = _pool(11, 4)
    problem = _problem(pool, pairs)
    big = [c for c in problem.eligible.index if float(problem.pool.frame.at[c, "followers"]) > TOY_FOLLOWERS]
    check = verify_roster(problem, {big[0]: 1})
    assert not check.passed
    assert "1 creators need a sponsor slot, more than 0" in check.violations
    assert any("toy_slots" in c for c in check.checks)


def test_diagnosis_names_the_toy_rule_in_its_own_words(toy) -> None:
    toy(0)
    pool, pairs = _pool(11, 4)
    big = pool.loc[pool["followers"] > TOY_FOLLOWERS, "creator_id"].iloc[0]
    problem = _problem(pool, pairs, budget=10**7, eligibility={"include": [big]})
    result = optimize(problem)
    assert result.status == "infeasible"
    assert sorted(result.conflict.rules) == sorted([TOY_RULE, f"include[{big}]"])
    assert "only 0 sponsor slots exist" in result.message


def test_the_reduction_handles_the_toy_columns(toy) -> None:
    import optimizer.reduce as reduce_module

    toy(2)
    compared = fixed = 0
    for seed in range(6):
        pool, pairs = _pool(400, seed)
        problem = _problem(pool, pairs, budget=4000, roster={"max_creators": 12})
        saved = reduce_module.CORE_SIZE
        reduce_module.CORE_SIZE = 3  # a tiny core: pricing and fixing must do the work
        try:
            reduced = optimize(problem, reduce=True, explain=False)
        finally:
            reduce_module.CORE_SIZE = saved
        plain = optimize(problem, reduce=False, explain=False)
        assert reduced.status == plain.status == "optimal"
        assert reduced.outcome.objective == pytest.approx(plain.outcome.objective, rel=1e-9, abs=1e-9)
        assert _big(problem, list(reduced.roster)).sum() <= 2
        compared += 1
        fixed += reduced.reduction.kept < reduced.reduction.creators
    assert compared == 6 and fixed >= 3, (compared, fixed)
