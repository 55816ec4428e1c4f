"""Risk-aware rosters: the CVaR and robust models against brute force on small random campaigns, the
reduction stays a proof for them, the bundled risk scenario's roster beats the expected-value roster's P10 on
fresh draws, the audit recomputes every risk figure, and the scenario rules of the `risk:` block."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from optimizer import build_problem, load_problem, optimize, parse_scenario, pool_from_frame
from optimizer.audit import audit_result
from optimizer.cli import main
from optimizer.errors import ScenarioError
from optimizer.generate import PoolSpec, generate_pool
from optimizer.model import build_model
from optimizer.uncertainty import creator_params, sample
from optimizer.verify import lower_tail_mean, risk_objective, verify_roster
from tests.conftest import SCENARIOS
from tests.test_bruteforce import campaigns, problem_or_none
from tests.test_reduce import _tiny_core

BUNDLED_RISK = SCENARIOS / "instagram-history" / "risk.yaml"


@st.composite
def risk_campaigns(draw, method: str):
    """A random campaign of tests/test_bruteforce.py (maximise mode) with a risk block and a no-show chance."""
    sc, pool, overlap = draw(campaigns())
    sc.pop("target", None)
    combos = int(np.prod([m + 1 for m in pool["max_posts"]]))
    if combos > 150:  # keep the enumeration (and its risk evaluations) small
        pool["max_posts"] = 1
    risk = {"method": method, "draws": draw(st.sampled_from([17, 30, 50])), "seed": draw(st.integers(0, 99))}
    if method == "cvar":
        risk["alpha"] = draw(st.sampled_from([0.5, 0.75, 0.9]))
    else:
        risk["gamma"] = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]))
    sc["risk"] = risk
    sc["uncertainty"] = {"no_show": draw(st.sampled_from([0.0, 0.2]))}
    return sc, pool, overlap


def brute_force_risk(problem) -> tuple[float, dict[str, int]] | None:
    """Best (risk objective, roster) by enumerating every posts vector the independent checker accepts, each scored
    by the independent evaluator on the scenario's draws (drawn once, for every creator and post)."""
    r = problem.scenario.risk
    ids = list(problem.pool.frame.index)
    caps = [int(problem.max_posts[i]) for i in ids]
    draws = sample(creator_params(problem), dict(zip(ids, caps)), draws=r.draws, seed=r.seed, keep_posts=True)
    best = None
    for posts in itertools.product(*[range(c + 1) for c in caps]):
        roster = {cid: k for cid, k in zip(ids, posts) if k > 0}
        if not verify_roster(problem, roster).passed:
            continue
        score = risk_objective(problem, roster, draws)
        if best is None or score > best[0] + 1e-9:
            best = (score, roster)
    return best


def _compare_with_brute_force(method: str, examples: int) -> dict[str, int]:
    counts: dict[str, int] = {}

    @settings(max_examples=examples, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(risk_campaigns(method), st.sampled_from(["cbc", "highs"]))
    def check(case, solver) -> None:
        sc, pool, overlap = case
        problem = problem_or_none(sc, pool, overlap)
        if problem is None:
            counts["skipped"] = counts.get("skipped", 0) + 1
            return
        expected = brute_force_risk(problem)
        result = optimize(problem, solver=solver, explain=False)
        kind = "infeasible" if expected is None else "feasible"
        counts[kind] = counts.get(kind, 0) + 1
        event(kind)
        if expected is None:
            assert result.status == "infeasible"
            return
        assert result.status == "optimal", result.message
        got = result.verification.risk_value
        assert got == pytest.approx(expected[0], rel=1e-6, abs=1e-6), (result.roster, expected)
        # result.json states the risk objective, and the solver's bound is a bound on it
        doc = result.to_dict()
        assert doc["objective_value"] == pytest.approx(got)
        assert doc["bound"] >= got - 1e-6 * max(1.0, abs(got))

    check()
    return counts


@pytest.mark.parametrize("method", ["cvar", "robust"])
def test_risk_models_match_brute_force(method: str) -> None:
    counts = _compare_with_brute_force(method, 130)
    compared = counts.get("feasible", 0) + counts.get("infeasible", 0)
    assert compared >= 100, counts
    assert counts.get("feasible", 0) >= 80, counts


def test_lower_tail_mean_by_hand() -> None:
    values = np.array([4.0, 10.0, 1.0, 7.0, 2.0])
    assert lower_tail_mean(values, 0.4) == pytest.approx(1.5)  # worst two: 1, 2
    assert lower_tail_mean(values, 0.5) == pytest.approx((1 + 2 + 0.5 * 4) / 2.5)
    assert lower_tail_mean(values, 1.0) == pytest.approx(values.mean())


def test_robust_value_by_hand(tmp_path: Path) -> None:
    """The robust evaluator against its definition for one roster: sampled means, minus the two largest
    shortfalls to P10 (gamma 1.5: the largest, and half the next)."""
    pool, pairs = generate_pool(PoolSpec(creators=40, seed=3))
    sc = parse_scenario({"name": "r", "pool": "p", "budget": 5000, "objective": "reach",
                         "risk": {"method": "robust", "gamma": 1.5, "draws": 400, "seed": 2}})  # fmt: skip
    problem = build_problem(sc, pool_from_frame(pool), pairs)
    roster = {cid: 1 for cid in list(problem.pool.frame.index[problem.eligible.to_numpy()])[:5]}
    draws = sample(creator_params(problem), roster, draws=400, seed=2)
    totals = draws.reach
    shortfall = sorted((totals.mean(axis=0) - np.quantile(totals, 0.1, axis=0)).tolist(), reverse=True)
    want = totals.mean(axis=0).sum() - shortfall[0] - 0.5 * shortfall[1]
    assert risk_objective(problem, roster) == pytest.approx(want, rel=1e-12)


@st.composite
def medium_risk(draw):
    seed = draw(st.integers(0, 10_000))
    pool, pairs = generate_pool(PoolSpec(creators=draw(st.integers(60, 140)), seed=seed, niches=("a", "b", "c")))
    method = draw(st.sampled_from(["cvar", "robust"]))
    risk = {"method": method, "draws": 30, "seed": seed % 97}
    risk.update({"alpha": 0.8} if method == "cvar" else {"gamma": draw(st.sampled_from([1.0, 2.0]))})
    sc = {"name": "medium", "pool": "(memory)", "overlap": "(memory)", "budget": draw(st.integers(300, 3000)),
          "objective": draw(st.sampled_from(["conversions", "reach"])),
          "roster": {"max_creators": draw(st.integers(2, 5))}, "niches": {"a": {"min_creators": 1}},
          "overlap_policy": {"max_pairwise": 0.35, "discount": draw(st.booleans())}, "risk": risk}  # fmt: skip
    return sc, pool, pairs


def test_reduction_keeps_the_risk_optimum() -> None:
    """With a tiny core, pricing and fixing do the work on CVaR and robust models; the optimum is unchanged."""
    work: dict[str, int] = {}

    @settings(max_examples=16, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(medium_risk())
    def check(case) -> None:
        sc, pool, pairs = case
        problem = build_problem(parse_scenario(sc), pool_from_frame(pool, "gen"), pairs)
        with _tiny_core():
            reduced = optimize(problem, solver="highs", reduce=True, explain=False)
        plain = optimize(problem, solver="highs", reduce=False, explain=False)
        assert reduced.status == plain.status
        if plain.roster:
            assert reduced.verification.risk_value == pytest.approx(plain.verification.risk_value, rel=1e-6, abs=1e-6)
        r = reduced.reduction
        method = sc["risk"]["method"]
        work["runs"] = work.get("runs", 0) + 1
        work[method] = work.get(method, 0) + 1
        if r is not None and r.kept < r.creators:
            work[f"fixed {method}"] = work.get(f"fixed {method}", 0) + 1

    check()
    assert work.get("runs", 0) >= 12 and work.get("cvar", 0) >= 4 and work.get("robust", 0) >= 4, work
    # the proof did work on both models (a reduction that gives up keeps the optimum trivially)
    assert work.get("fixed cvar", 0) >= 2 and work.get("fixed robust", 0) >= 2, work


def test_the_risk_models_use_the_extension_points() -> None:
    problem = load_problem(BUNDLED_RISK)
    milp = build_model(problem)
    assert set(milp.objective) == {"robust_value", "robust_budget", "robust_duals"}
    assert "value" in milp.expressions  # the expected value is still what the verifier recomputes
    assert (milp.kind == "global").sum() == 1 and (milp.kind == "owned").sum() > 0
    cvar = problem.with_scenario(problem.scenario.model_copy(update={"risk": problem.scenario.risk.model_copy(
        update={"method": "cvar", "gamma": 2.0, "draws": 40})}))  # fmt: skip
    milp = build_model(cvar)
    assert set(milp.objective) == {"cvar_level", "cvar_shortfall"}
    assert (milp.kind == "global").sum() == 41  # the level and one shortfall per draw
    (block,) = milp.blocks_of("cvar_shortfall")
    assert block.n_rows == 40


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    from optimizer.cli import main

    out = tmp_path_factory.mktemp("risk")
    result = CliRunner().invoke(main, ["optimize", str(BUNDLED_RISK), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Risk objective" in result.output and "the expected-value roster mean" in result.output
    return out


def test_bundled_risk_roster_has_the_higher_out_of_sample_p10(bundled: Path) -> None:
    doc = json.loads((bundled / "result.json").read_text())
    risk = doc["risk"]
    assert risk["method"] == "robust" and risk["evaluation"] == {"draws": 10_000, "seed": 8}
    mine, theirs = risk["risk_aware"], risk["expected_value_roster"]
    assert mine["p10"] > theirs["p10"], (mine, theirs)
    assert mine["mean"] <= theirs["mean"] + 1e-9  # the price of robustness: a lower mean for a higher P10
    assert theirs["roster"] != {e["creator_id"]: e["posts"] for e in doc["roster"]}
    # in sample, each roster is best at its own objective
    assert mine["risk_objective"] >= theirs["risk_objective"] and theirs["expected_value"] >= mine["expected_value"]
    assert doc["objective_value"] == pytest.approx(mine["risk_objective"])
    assert "robust value" in doc["objective_unit"]


def test_audit_recomputes_every_risk_figure(bundled: Path) -> None:
    problem = load_problem(BUNDLED_RISK)
    data = json.loads((bundled / "result.json").read_text())
    assert audit_result(problem, data).passed
    for path, change in (
        (("objective_value",), 1.0),
        (("risk", "risk_aware", "p10"), 1.0),
        (("risk", "expected_value_roster", "mean"), -1.0),
        (("risk", "expected_value_roster", "risk_objective"), 1.0),
        (("risk", "price_of_robustness", "p10_gained"), 1.0),
    ):
        tampered = json.loads(json.dumps(data))
        holder = tampered
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] += change
        check = audit_result(problem, tampered)
        assert not check.passed and any(".".join(path) in v for v in check.violations), path
    swapped = json.loads(json.dumps(data))
    swapped["risk"]["expected_value_roster"]["roster"] = {"no-such-creator": 1}
    assert not audit_result(problem, swapped).passed


def test_risk_block_rules() -> None:
    base = {"name": "r", "pool": "p", "budget": 10}
    with pytest.raises(ScenarioError, match="gamma does not apply to method cvar"):
        parse_scenario({**base, "risk": {"method": "cvar", "gamma": 3}})
    with pytest.raises(ScenarioError, match="alpha does not apply to method robust"):
        parse_scenario({**base, "risk": {"method": "robust", "alpha": 0.5}})
    with pytest.raises(ScenarioError, match="cannot be combined with target"):
        parse_scenario({**base, "target": {"conversions": 5}, "risk": {"method": "cvar"}})
    with pytest.raises(ScenarioError, match="not be out of sample"):
        parse_scenario({**base, "risk": {"method": "cvar", "seed": 3, "evaluation_seed": 3}})
    sc = parse_scenario({**base, "risk": {"method": "cvar", "alpha": 0.8}})
    assert parse_scenario(sc.model_dump(exclude_none=True)) == sc  # survives a dump and reload


def test_next_best_rosters_and_portfolios_refuse_a_risk_block(tmp_path: Path, runner) -> None:
    """Both rank and audit rosters by expected value, which is not what a risk model maximises: a clear
    refusal (exit 2, nothing written) instead of a result.json that fails its own audit."""
    out = tmp_path / "alt"
    alt = runner.invoke(main, ["optimize", str(BUNDLED_RISK), "--alternatives", "2", "--out", str(out)])
    assert alt.exit_code == 2 and "risk: block" in alt.output and "Traceback" not in alt.output, alt.output
    assert not (out / "result.json").exists()
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"name": "p", "budget": 5000, "campaigns": {
        "a": {"scenario": str(BUNDLED_RISK)}, "b": {"scenario": str(SCENARIOS / "instagram-history" / "scenario.yaml")}}}))  # fmt: skip
    res = runner.invoke(main, ["plan", str(plan), "--out", str(tmp_path / "plan-out")])
    assert res.exit_code == 2 and "has a risk: block" in res.output, res.output
    assert not (tmp_path / "plan-out").exists()
