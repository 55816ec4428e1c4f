"""The `roster` command: exit codes, exact messages, the result.json contract, verify, atomic writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from optimizer import __version__
from optimizer.cli import main
from tests.conftest import SCENARIOS, base_pool, write_case

RESULT_KEYS = {
    "status", "objective", "objective_value", "bound", "gap", "budget", "total_cost", "roster",
    "by_niche", "by_platform", "solver", "version",
}  # fmt: skip


def test_every_command_has_help(runner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = list(main.commands)
    assert {"optimize", "validate", "verify", "generate"} <= set(commands)
    for name in commands:
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0
        assert main.commands[name].help, f"{name} has no help text"
        assert "Exit codes:" in sub.output and "3  infeasible" in sub.output


def test_version(runner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_usage_error_exits_2(runner) -> None:
    assert runner.invoke(main, ["optimize"]).exit_code == 2
    assert runner.invoke(main, ["optimize", "x.yaml", "--solver", "gurobi"]).exit_code == 2
    assert runner.invoke(main, ["optimize", "x.yaml", "--gap", "-1"]).exit_code == 2


def test_optimize_writes_roster_and_result(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in", {"budget": 500, "niches": {"zero-waste": {"min_creators": 1}}})
    out = tmp_path / "out"
    result = runner.invoke(main, ["optimize", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Test campaign: optimal (Optimal roster of ")
    assert "Verification: passed" in result.stdout
    assert "Note: " not in result.stdout  # the pool has authenticity: no default applied
    doc = json.loads((out / "result.json").read_text())
    assert set(doc) >= RESULT_KEYS
    assert doc["status"] == "optimal" and doc["version"] == __version__
    assert doc["objective"] == "conversions" and doc["budget"] == 500
    assert doc["total_cost"] <= 500
    assert doc["bound"] == pytest.approx(doc["objective_value"]) and doc["gap"] == pytest.approx(0, abs=1e-9)
    assert doc["verification"]["passed"] is True
    for entry in doc["roster"]:
        assert {"creator_id", "posts", "cost", "value"} <= set(entry)
    roster = pd.read_csv(out / "roster.csv")
    assert list(roster["creator_id"]) == [e["creator_id"] for e in doc["roster"]]
    assert roster["cost"].sum() == pytest.approx(doc["total_cost"])
    assert sum(e["value"] for e in doc["roster"]) == pytest.approx(doc["objective_value"])


def test_json_flag_prints_result(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in", {"budget": 500})
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o"), "--json", "--solver", "highs"])
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["solver"]["name"] == "highs" and doc["status"] == "optimal"


def test_default_output_folder(tmp_path: Path, runner, monkeypatch) -> None:
    path = write_case(tmp_path / "in", {"budget": 500}, name="spring.yaml")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["optimize", str(path)]).exit_code == 0
    assert (tmp_path / "out" / "spring" / "result.json").exists()


def test_missing_authenticity_is_said(tmp_path: Path, runner) -> None:
    path = write_case(
        tmp_path / "in",
        {"budget": 500, "eligibility": {"min_authenticity": 0.9}},
        pool=base_pool().drop(columns=["authenticity"]),
    )
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert "Note: The pool has no authenticity column: every creator counts as fully authentic (1.0)." in result.stdout
    assert "min_authenticity 90% was not applied" in result.stdout
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    assert any("no authenticity column" in n for n in doc["notes"])


def test_infeasible_budget_vs_roster_size(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in", {"budget": 600, "roster": {"min_creators": 7}})
    out = tmp_path / "out"
    result = runner.invoke(main, ["optimize", str(path), "--out", str(out)])
    assert result.exit_code == 3
    # the 7 cheapest creators: 90+120+150+200+300+650+900
    assert (
        "These requirements cannot all hold together: 7 creators cost at least $2,410 (the 7 cheapest eligible) "
        "but the budget is $600. Relax any one of them to get a roster."
    ) in result.stderr
    doc = json.loads((out / "result.json").read_text())
    assert doc["status"] == "infeasible" and doc["roster"] == []
    assert sorted(doc["infeasibility"]["rules"]) == ["budget", "roster_min"]
    assert not (out / "roster.csv").exists()


def test_infeasible_niche_names_eligible_count(tmp_path: Path, runner) -> None:
    path = write_case(
        tmp_path / "in",
        {
            "budget": 100000,
            "niches": {"vegan-food": {"min_creators": 3}},
            "eligibility": {"followers": {"max": 100000}},
        },
    )
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert (
        "This requirement cannot be met: niche 'vegan-food' needs 3 creators but only 2 are eligible (3 in the pool)."
    ) in result.stderr


def test_infeasible_conflict_between_niche_and_platform(tmp_path: Path, runner) -> None:
    # every vegan-food creator is on tiktok or instagram; forbid tiktok and require 3 vegan-food creators
    path = write_case(
        tmp_path / "in",
        {"budget": 100000, "niches": {"vegan-food": {"min_creators": 3}}, "platforms": {"tiktok": {"max_creators": 0}}},
    )
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "niche 'vegan-food' needs at least 3 creators" in result.stderr
    assert "platform 'tiktok' may have at most 0 creators" in result.stderr
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    assert sorted(doc["infeasibility"]["rules"]) == ["niche_min[vegan-food]", "platform_max[tiktok]"]


def test_verify_accepts_optimizer_output_and_rejects_tampering(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in", {"budget": 700, "roster": {"max_creators": 3}})
    out = tmp_path / "out"
    assert runner.invoke(main, ["optimize", str(path), "--out", str(out)]).exit_code == 0
    ok = runner.invoke(main, ["verify", str(path), str(out / "result.json")])
    assert ok.exit_code == 0 and ok.stdout.startswith("Verified: ")

    doc = json.loads((out / "result.json").read_text())
    doc["roster"].append({"creator_id": "c-07", "posts": 1, "cost": 9000, "value": 1})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = runner.invoke(main, ["verify", str(path), str(bad)])
    assert result.exit_code == 1
    assert "NOT verified" in result.stderr
    assert "exceeds the budget 700.00" in result.stderr
    assert "more than max_creators 3" in result.stderr


def test_verify_rejects_a_wrong_value_claim(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in", {"budget": 700})
    out = tmp_path / "out"
    runner.invoke(main, ["optimize", str(path), "--out", str(out)])
    doc = json.loads((out / "result.json").read_text())
    doc["value"] *= 1.1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = runner.invoke(main, ["verify", str(path), str(bad)])
    assert result.exit_code == 1 and "differs from the recomputed" in result.stderr


def test_verify_bad_result_file(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in")
    (tmp_path / "x.json").write_text("{not json")
    result = runner.invoke(main, ["verify", str(path), str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "not a readable result.json" in result.stderr


def test_validate_counts_eligible_per_niche_and_platform(tmp_path: Path, runner) -> None:
    path = write_case(
        tmp_path / "in",
        {"eligibility": {"followers": {"min": 20000, "max": 100000}}, "niches": {"zero-waste": {"min_creators": 3}}},
    )
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    out = result.stdout
    assert "8 creators, 6 eligible" in out
    assert "Not eligible: 1 (fewer than 20,000 followers)" in out
    assert "Not eligible: 1 (more than 100,000 followers)" in out
    assert "    zero-waste: 2 / 3; at least 3 creators  <- needs 3: infeasible" in out
    assert "{" not in out and "'" not in out.replace("scenario's", ""), "rules are stated in words, not as data"
    assert "    tiktok: 3 / 3" in out


def test_same_input_same_roster_whatever_the_row_order(tmp_path: Path, runner) -> None:
    scenario = {"budget": 800, "roster": {"max_creators": 4}}
    shuffled = base_pool().sample(frac=1.0, random_state=3)
    docs = []
    for name, pool in (("a", base_pool()), ("b", shuffled)):
        path = write_case(tmp_path / name, scenario, pool)
        runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / f"out-{name}")])
        docs.append(json.loads((tmp_path / f"out-{name}" / "result.json").read_text()))
    assert [e["creator_id"] for e in docs[0]["roster"]] == [e["creator_id"] for e in docs[1]["roster"]]
    assert docs[0]["objective_value"] == docs[1]["objective_value"]


def test_bundled_scenarios_optimise_and_verify(tmp_path: Path, runner) -> None:
    for scenario in sorted(SCENARIOS.glob("*/*.yaml")):
        out = tmp_path / scenario.parent.name / scenario.stem
        result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
        assert result.exit_code == 0, (scenario, result.output)
        check = runner.invoke(main, ["verify", str(scenario), str(out / "result.json")])
        assert check.exit_code == 0, check.output


def test_generate_is_seeded(tmp_path: Path, runner) -> None:
    for name in ("a", "b"):
        result = runner.invoke(main, ["generate", "--creators", "200", "--seed", "9", "--out", str(tmp_path / name)])
        assert result.exit_code == 0 and "Wrote 200 creators" in result.stdout
    assert (tmp_path / "a" / "creators.csv").read_bytes() == (tmp_path / "b" / "creators.csv").read_bytes()
    assert (tmp_path / "a" / "overlap.csv").read_bytes() == (tmp_path / "b" / "overlap.csv").read_bytes()


def test_time_limited_run_reports_a_proven_gap() -> None:
    """Through optimize(): a time limit keeps a sound bound and a verified roster (the limit itself is forced below)."""
    import numpy as np

    from optimizer import build_problem, optimize, parse_scenario, pool_from_frame

    rng = np.random.default_rng(7)
    n = 300
    weights = rng.integers(10_000, 10_100, n)
    frame = pd.DataFrame({"creator_id": [f"k{i:03d}" for i in range(n)], "handle": "", "platform": "x", "followers": 0,
                          "engagement_rate": 0, "niche": [f"n{i % 7}" for i in range(n)], "cost": weights,
                          "expected_conversions": weights + rng.integers(0, 5, n)})  # fmt: skip
    sc = parse_scenario({"name": "hard", "pool": "p", "budget": float(weights.sum() // 2 + 7),
                         "niches": {f"n{k}": {"max_creators": 22} for k in range(7)}})  # fmt: skip
    problem = build_problem(sc, pool_from_frame(frame))
    for solver in ("cbc", "highs"):
        result = optimize(problem, solver=solver, time_limit=0.5)
        d = result.to_dict()
        assert result.status in ("optimal", "feasible")
        assert d["bound"] >= d["objective_value"] - 1e-6, d
        assert d["gap"] == pytest.approx((d["bound"] - d["objective_value"]) / d["objective_value"], abs=1e-9)
        assert result.verification.passed
        if result.status == "feasible":
            assert "proven within" in result.message


def test_cbc_bound_is_read_from_its_log_and_never_invented() -> None:
    from optimizer.solve import _cbc_bound

    log = "Result - Stopped on time limit\n\nObjective value:                201813.00000000\nUpper bound:                    201843.228\nGap:   -0.00\n"
    assert _cbc_bound(log, True) == 201843.228
    # a proof of optimality makes the objective the bound
    assert _cbc_bound("Result - Optimal solution found\n\nObjective value:  5.00000000\n", True) == 5.0
    # no bound line and no proof: no bound, rather than the objective passed off as one
    assert _cbc_bound("Result - Stopped on time limit\n\nObjective value:  5.00000000\n", True) is None
    assert _cbc_bound("", False) is None


def test_solver_time_limit_gives_feasible_with_a_sound_bound() -> None:
    """Near-equal weights and 30 overlapping capacity rows: CBC and HiGHS stop at a 0.3 s limit."""
    import numpy as np

    from optimizer.milp import Block, ColumnKind, Milp
    from optimizer.solve import Status, solve_milp

    rng = np.random.default_rng(3)
    n = 400
    w = rng.integers(1000, 1011, n).astype(float)
    v = w + rng.integers(0, 6, n)
    ids = np.array([f"k{i}" for i in range(n)], dtype=object)
    milp = Milp(maximise=True, creator_ids=ids)
    owners = milp.add_owners(np.arange(n))
    x = milp.add_columns([f"x{i}" for i in range(n)], ColumnKind.POST, integer=True, owner=owners, post=1)
    milp.add_objective("value", x, v)
    milp.add_block(Block.single("budget", "", 0, x, w, "<=", w.sum() // 2 + 7))
    for j in range(30):
        idx = rng.choice(n, 50, replace=False)
        milp.add_block(Block.single("cap", str(j), 0, x[idx], w[idx], "<=", 25 * 1005 + 3.0))
    stopped = 0
    for solver in ("cbc", "highs"):
        out = solve_milp(milp, solver=solver, time_limit=0.3)
        assert out.status in (Status.OPTIMAL, Status.FEASIBLE)
        assert out.bound >= out.objective - 1e-6
        if out.status == Status.FEASIBLE:
            stopped += 1
            assert out.gap > 0
            assert out.gap == pytest.approx((out.bound - out.objective) / out.objective)
    assert stopped >= 1, "the instance should be hard enough for at least one solver to hit the limit"


def test_infeasible_two_niches_gives_the_joint_fact_and_smallest_changes(tmp_path: Path, runner) -> None:
    # each niche minimum fits the budget alone (zero-waste $270, sustainable-fashion $450), both need $570
    path = write_case(tmp_path / "in", {"budget": 500, "niches": {"zero-waste": {"min_creators": 2},
                                                                  "sustainable-fashion": {"min_creators": 2}}})  # fmt: skip
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    err = " ".join(result.stderr.split())
    assert (
        "Meeting niche 'zero-waste': at least 2 creators and niche 'sustainable-fashion': at least 2 creators, "
        "a roster needs at least $570 of spend, more than the budget of $500."
    ) in err
    assert (
        "Smallest change to one rule (the others as they are) that gives a roster: raise the budget to $570.00; "
        "or lower the minimum of niche 'zero-waste' to 1 creator; or lower the minimum of niche "
        "'sustainable-fashion' to 1 creator."
    ) in err
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    assert sorted(doc["infeasibility"]["rules"]) == [
        "budget",
        "niche_min[sustainable-fashion]",
        "niche_min[zero-waste]",
    ]


def test_infeasible_share_rule_is_a_share_of_spend_with_its_nearest_feasible_share(tmp_path: Path, runner) -> None:
    path = write_case(tmp_path / "in", {"budget": 3000, "roster": {"min_creators": 3},
                                        "niches": {"vegan-food": {"min_spend_share": 0.9}},
                                        "platforms": {"tiktok": {"max_creators": 1}}})  # fmt: skip
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    err = " ".join(result.stderr.split())
    assert "niche 'vegan-food' must get at least 90% of the roster's spend" in err
    assert "of the budget" not in err.replace("the budget is", "").replace("the budget of", "")
    assert "lower niche 'vegan-food' to at least 32% of the spend" in err
    # the quoted share is the boundary: a roster exists at 32% and none at 33%
    for share, code in ((0.32, 0), (0.33, 3)):
        again = write_case(tmp_path / f"s{share}", {"budget": 3000, "roster": {"min_creators": 3},
                                                    "niches": {"vegan-food": {"min_spend_share": share}},
                                                    "platforms": {"tiktok": {"max_creators": 1}}})  # fmt: skip
        assert runner.invoke(main, ["optimize", str(again), "--out", str(tmp_path / f"o{share}")]).exit_code == code


def test_report_replace_and_simulate_find_the_scenario_from_any_folder(tmp_path: Path, runner, monkeypatch) -> None:
    """result.json records the scenario's absolute path; an older result with a relative path is found from any
    folder above the result; otherwise the message names the file and --scenario (exit 2)."""
    import json

    from tests.conftest import REPO

    out = tmp_path / "runs" / "eco"
    monkeypatch.chdir(REPO)
    ok = runner.invoke(main, ["optimize", "scenarios/eco-fashion/scenario.yaml", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    doc = json.loads((out / "result.json").read_text())
    assert doc["scenario_file"] == str(REPO / "scenarios" / "eco-fashion" / "scenario.yaml")
    monkeypatch.chdir(tmp_path)  # elsewhere
    sim = runner.invoke(main, ["simulate", str(out), "--draws", "500"])
    assert sim.exit_code == 0, sim.output
    first = sorted(e["creator_id"] for e in doc["roster"])[0]
    rep = runner.invoke(main, ["replace", str(out), "--declined", first, "--out", str(tmp_path / "after")])
    assert rep.exit_code == 0, rep.output
    # an older result.json with the path as typed, inside the project that ran it: found from folders above
    project = tmp_path / "project"
    shutil.copytree(REPO / "scenarios" / "eco-fashion", project / "scenarios" / "eco-fashion")
    inside = project / "out" / "old"
    inside.mkdir(parents=True)
    (inside / "result.json").write_text(json.dumps({**doc, "scenario_file": "scenarios/eco-fashion/scenario.yaml"}))
    assert runner.invoke(main, ["simulate", str(inside), "--draws", "500"]).exit_code == 0
    # and outside it, a clear message
    lost = tmp_path / "lost"
    lost.mkdir()
    (lost / "result.json").write_text((inside / "result.json").read_text())
    miss = runner.invoke(main, ["simulate", str(lost), "--draws", "500"])
    assert miss.exit_code == 2 and "scenario file scenarios/eco-fashion/scenario.yaml was not found" in miss.output
    assert "--scenario" in miss.output and "Traceback" not in miss.output
