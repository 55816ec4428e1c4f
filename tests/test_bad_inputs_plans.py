"""The catalogue of bad inputs for `roster replace`, `roster plan` and `roster diff`: each gets one clear
paragraph naming what is wrong, exit code 2, no traceback, and no output files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from optimizer.cli import main
from tests.conftest import SCENARIOS, write_case

# The earlier result these cases start from: the base pool at $1,000 books c-01, c-02, c-03, c-04 and c-08.
ROSTER = ["c-01", "c-02", "c-03", "c-04", "c-08"]

# id, extra arguments after RESULT_DIR, fragments the message must contain
REPLACE_CASES = [
    ("declined-unknown", ["--declined", "c-99"], ["c-99: not a creator_id in", "creators.csv"]),
    ("declined-typo", ["--declined", "C-01"], ["C-01 (did you mean c-01?): not a creator_id"]),
    ("booked-unknown", ["--declined", "c-01", "--booked", "c-77"], ["c-77: not a creator_id in"]),
    ("price-unknown", ["--declined", "c-01", "--price", "c-66=10"], ["c-66: not a creator_id in"]),
    ("booked-and-declined", ["--declined", "c-01", "c-02", "--booked", "c-02"],
     ["c-02 cannot be both booked and declined"]),
    ("declined-not-on-roster", ["--declined", "c-05"],
     ["c-05 is declined but not on the roster of", "(5 creators: c-01, c-02, c-03, c-04, c-08)"]),
    ("booked-not-on-roster", ["--declined", "c-01", "--booked", "c-06"], ["c-06 is booked but not on the roster"]),
    ("price-for-a-decliner", ["--declined", "c-01", "--price", "c-01=50"],
     ["c-01 declined, so a price for them has no effect"]),
    ("price-not-a-number", ["--declined", "c-01", "--price", "c-02=cheap"],
     ["Invalid value for --price", "expected ID=AMOUNT with an amount >= 0, got 'c-02=cheap'"]),
    ("price-negative", ["--declined", "c-01", "--price", "c-02=-5"], ["got 'c-02=-5'"]),
    ("price-without-amount", ["--declined", "c-01", "--price", "c-02"], ["got 'c-02'"]),
    ("nothing-to-replace", ["--booked", "c-01"], ["Nothing to replace: give --declined ID"]),
    ("max-changes-negative", ["--declined", "c-01", "--max-changes", "-1"], ["Invalid value for '--max-changes'"]),
    ("booked-ineligible-at-new-price", ["--declined", "c-01", "--booked", "c-02", "--price", "c-02=600"],
     ["The replacement's scenario", "c-02", "not eligible: one post costs more than 50% of the budget"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("earlier")
    path = write_case(folder / "in", {"budget": 1000, "roster": {"max_creator_budget_share": 0.5}})
    result = CliRunner().invoke(main, ["optimize", str(path), "--out", str(folder / "old")])
    assert result.exit_code == 0, result.output
    assert sorted(e["creator_id"] for e in json.loads((folder / "old" / "result.json").read_text())["roster"]) == ROSTER
    return folder / "old"


def _clear_error(result, fragments: list[str], out: Path) -> None:
    assert result.exit_code == 2, result.output
    message = result.stderr
    assert message.startswith("Error: ") or message.startswith("Usage: "), message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in result.output
    if message.startswith("Error: "):
        assert "\n\n" not in message.strip(), "one paragraph"
    assert not out.exists(), "no files may be written on bad input"


@pytest.mark.parametrize(("args", "fragments"), [c[1:] for c in REPLACE_CASES], ids=[c[0] for c in REPLACE_CASES])
def test_bad_replacement_is_a_clear_error(earlier: Path, tmp_path: Path, runner, args, fragments) -> None:
    out = tmp_path / "new"
    result = runner.invoke(main, ["replace", str(earlier), *args, "--out", str(out)])
    _clear_error(result, fragments, out)


def test_replace_needs_a_result_with_a_roster_and_its_scenario(earlier: Path, tmp_path: Path, runner) -> None:
    out = tmp_path / "new"
    missing = runner.invoke(main, ["replace", str(tmp_path / "nowhere"), "--declined", "c-01", "--out", str(out)])
    _clear_error(missing, ["nowhere/result.json: not found"], out)

    moved = tmp_path / "moved"
    shutil.copytree(earlier, moved)
    doc = json.loads((moved / "result.json").read_text())
    doc["scenario_file"] = str(tmp_path / "gone.yaml")
    (moved / "result.json").write_text(json.dumps(doc))
    lost = runner.invoke(main, ["replace", str(moved), "--declined", "c-01", "--out", str(out)])
    _clear_error(lost, ["gone.yaml was not found; pass --scenario"], out)

    infeasible = tmp_path / "infeasible"
    path = write_case(tmp_path / "inf", {"budget": 100, "roster": {"min_creators": 5}})
    assert runner.invoke(main, ["optimize", str(path), "--out", str(infeasible)]).exit_code == 3
    empty = runner.invoke(main, ["replace", str(infeasible), "--declined", "c-01", "--out", str(out)])
    _clear_error(empty, ["status 'infeasible': there is no roster to replace creators in"], out)

    same = runner.invoke(main, ["replace", str(earlier), "--declined", "c-01", "--out", str(earlier)])
    assert same.exit_code == 2 and "--out must be another folder than RESULT_DIR" in same.output


# --- roster plan ----------------------------------------------------------------------------------------------


def _portfolio(folder: Path, **changes) -> Path:
    """A valid two-campaign portfolio on the base pool, with `changes` applied to the top-level keys."""
    write_case(folder, {"budget": 1000}, name="a.yaml")
    write_case(folder, {"budget": 1000, "niches": {"zero-waste": {"min_creators": 1}}}, name="b.yaml")
    data = {"name": "Two", "budget": 1500, "campaigns": {"a": {"scenario": "a.yaml"}, "b": {"scenario": "b.yaml"}},
            "exclusive": [["a", "b"]]}  # fmt: skip
    data.update(changes)
    path = folder / "portfolio.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


PLAN_CASES = [
    ("missing-scenario-file", {"campaigns": {"a": {"scenario": "a.yaml"}, "b": {"scenario": "nope.yaml"}}},
     ["portfolio.yaml: campaigns.b.scenario: scenario file", "nope.yaml not found (relative to the portfolio file)"]),
    ("exclusive-unknown-campaign", {"exclusive": [["a", "c"]]},
     ["portfolio.yaml: exclusive[0] names 'c', not a campaign of this portfolio; the campaigns are a, b"]),
    ("exclusive-typo", {"exclusive": [["a", "bb"]]}, ["exclusive[0] names 'bb'", "did you mean 'b'?"]),
    ("exclusive-one-campaign", {"exclusive": [["a", "a"]]}, ["exclusive[0] must name two or more different campaigns"]),
    ("unknown-key", {"max_post_per_creator": 2}, ["unknown key 'max_post_per_creator'; did you mean 'max_posts_per_creator'?"]),
    ("unknown-campaign-key", {"campaigns": {"a": {"scenario": "a.yaml", "max_spnd": 5}, "b": {"scenario": "b.yaml"}}},
     ["campaigns.a.max_spnd: unknown key 'max_spnd'; did you mean 'max_spend'?"]),
    ("no-budget", {"budget": None}, ["portfolio.yaml: budget:"]),
    ("no-campaigns", {"campaigns": {}}, ["portfolio.yaml: campaigns:"]),
    ("min-over-max", {"campaigns": {"a": {"scenario": "a.yaml", "min_spend": 900, "max_spend": 500},
                                    "b": {"scenario": "b.yaml"}}},
     ["campaigns.a: min_spend (900) is greater than max_spend (500)"]),
    ("floor-over-shared-budget", {"budget": 400, "campaigns": {"a": {"scenario": "a.yaml", "min_spend": 500},
                                                               "b": {"scenario": "b.yaml"}}},
     ["campaign 'a' must spend at least $500.00 but may spend at most $400.00"]),
    ("bad-campaign-name", {"campaigns": {"a/b": {"scenario": "a.yaml"}}, "exclusive": []},
     ["campaign name(s) 'a/b': use letters, digits"]),
    ("not-a-mapping", ["a", "b"], ["expected a mapping of keys (name, budget, campaigns, ...)"]),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "fragments"), [c[1:] for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES])
def test_bad_portfolio_is_a_clear_error(tmp_path: Path, runner, changes, fragments) -> None:
    if isinstance(changes, dict):
        path = _portfolio(tmp_path / "in", **{k: v for k, v in changes.items() if v is not None})
        if changes.get("budget", 0) is None:
            data = yaml.safe_load(path.read_text())
            del data["budget"]
            path.write_text(yaml.safe_dump(data))
    else:
        path = _portfolio(tmp_path / "in")
        path.write_text(yaml.safe_dump(changes))
    out = tmp_path / "out"
    _clear_error(runner.invoke(main, ["plan", str(path), "--out", str(out)]), fragments, out)


def test_bad_campaigns_are_named(tmp_path: Path, runner) -> None:
    out = tmp_path / "out"
    folder = tmp_path / "in"
    path = _portfolio(folder)
    write_case(folder, {"budget": 1000, "niches": {"vegan-foods": {"min_creators": 1}}}, name="b.yaml")
    _clear_error(runner.invoke(main, ["plan", str(path), "--out", str(out)]),
                 ["campaign 'b':", "niche 'vegan-foods' is not the niche of any creator", "did you mean 'vegan-food'?"],
                 out)  # fmt: skip
    write_case(folder, {"budget": 1000, "target": {"conversions": 5}}, name="b.yaml")
    _clear_error(runner.invoke(main, ["plan", str(path), "--out", str(out)]),
                 ["campaign 'b'", "finds the cheapest roster reaching a target"], out)  # fmt: skip
    write_case(folder, {"budget": 1000, "objective": "emv"}, name="b.yaml")
    _clear_error(runner.invoke(main, ["plan", str(path), "--out", str(out)]),
                 ["the campaigns maximise different things (a: conversions, b: emv)"], out)  # fmt: skip
    # the same id for two different people, in campaigns the exclusivity couples
    from tests.conftest import base_pool

    other = base_pool()
    other.loc[0, "handle"] = "@someone-else"
    write_case(folder / "other", {"budget": 1000}, pool=other, name="b.yaml")
    data = yaml.safe_load(path.read_text())
    data["campaigns"]["b"]["scenario"] = "other/b.yaml"
    path.write_text(yaml.safe_dump(data))
    _clear_error(runner.invoke(main, ["plan", str(path), "--out", str(out)]),
                 ["creator_id c-01 is @ana (instagram) in campaign 'a' but @someone-else (instagram) in campaign 'b'"],
                 out)  # fmt: skip
    missing = runner.invoke(main, ["plan", str(tmp_path / "none.yaml"), "--out", str(out)])
    _clear_error(missing, ["none.yaml: portfolio file not found"], out)


def test_diff_of_a_broken_result_is_a_clear_error(earlier: Path, tmp_path: Path, runner) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "result.json").write_text('{"status": "optimal"}')
    result = runner.invoke(main, ["diff", str(earlier), str(broken)])
    assert (
        result.exit_code == 2
        and "not a valid result.json" in result.stderr
        and "field 'roster' is missing" in result.stderr
    )


def test_a_valid_portfolio_of_the_catalogue_plans(tmp_path: Path, runner) -> None:
    """The base the cases above break is itself fine (so each case fails for its own reason)."""
    path = _portfolio(tmp_path / "in")
    result = runner.invoke(main, ["plan", str(path), "--out", str(tmp_path / "out"), "--move", "100"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "portfolio.json").exists() and (tmp_path / "out" / "a" / "result.json").exists()
    assert SCENARIOS.exists()
