"""Tampered results: `roster verify` names every figure that does not match, and `roster report` refuses.

Each case edits one thing in a genuine result.json (a figure, a field, the proof, the mode) and must be
rejected with the field named; the untampered file passes both commands.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from optimizer.cli import main
from tests.conftest import SCENARIOS

SCENARIO = SCENARIOS / "crossfit" / "scenario.yaml"  # overlap discount, posts > 1, an average order value (ROI)


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    from click.testing import CliRunner

    folder = tmp_path_factory.mktemp("genuine")
    result = CliRunner().invoke(main, ["optimize", str(SCENARIO), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def _first(d: dict) -> dict:
    return d["roster"][0]


def _two_posts(d: dict) -> dict:
    return next(e for e in d["roster"] if e["posts"] > 1)


TAMPER: list[tuple[str, Callable[[dict], None], str]] = [
    ("objective x1.5", lambda d: d.update(objective_value=d["objective_value"] * 1.5), "objective_value"),
    ("entry cost 1.0", lambda d: _first(d).update(cost=1.0), "roster[{first}].cost"),
    ("entry value 999", lambda d: _first(d).update(value=999.0), "roster[{first}].value"),
    ("entry conversions", lambda d: _first(d).update(expected_conversions=0.5), "roster[{first}].expected_conversions"),
    ("entry posts 1.5", lambda d: _two_posts(d).update(posts=1.5), "posts; expected a whole number"),
    ("optimal with gap 0.5", lambda d: d.update(gap=0.5), "gap: claims 0.5"),
    ("optimal far from bound", lambda d: d.update(bound=d["objective_value"] * 2, gap=1.0), "claims optimal with a gap"),
    ("bound below roster", lambda d: d.update(bound=d["objective_value"] * 0.5, gap=0.5), "bound: claims"),
    ("value NaN", lambda d: d.update(value=math.nan), "value"),
    ("total cost NaN", lambda d: d.update(total_cost=math.nan), "total_cost"),
    ("mode flipped", lambda d: d.update(mode="min_cost"), "mode"),
    ("value missing", lambda d: d.pop("value"), "field 'value' is missing"),
    ("total cost missing", lambda d: d.pop("total_cost"), "field 'total_cost' is missing"),
    ("cpa edited", lambda d: d.update(cpa=d["cpa"] / 2), "cpa"),
    ("roi null", lambda d: d.update(roi=None), "roi: missing or null"),
    ("emv total edited", lambda d: d["totals_before_overlap_discount"].update(emv=1.0),
     "totals_before_overlap_discount.emv"),
    ("niche cost edited", lambda d: d["by_niche"][0].update(cost=d["by_niche"][0]["cost"] + 50), "by_niche["),
    ("platform share edited", lambda d: d["by_platform"][0].update(spend_share=0.99), "by_platform["),
    ("roster size", lambda d: d.update(roster_size=d["roster_size"] + 1), "roster_size"),
    ("scenario renamed", lambda d: d.update(scenario="Another campaign"), "scenario: claims"),
    ("budget edited", lambda d: d.update(budget=1e9), "budget: claims"),
    ("verification failed", lambda d: d["verification"].update(passed=False), "verification"),
    ("infeasible with a roster", lambda d: d.update(status="infeasible"), "status"),
    ("unknown creator", lambda d: _first(d).update(creator_id="c-nobody"), "c-nobody is not in the pool"),
    ("discount edited", lambda d: d.update(overlap_discount=(d["overlap_discount"] or 0) + 10), "overlap_discount"),
]  # fmt: skip


def _tampered(genuine: Path, tmp_path: Path, edit: Callable[[dict], None]) -> tuple[Path, dict]:
    folder = tmp_path / "tampered"
    shutil.copytree(genuine, folder)
    doc = json.loads((genuine / "result.json").read_text())
    edit(doc)
    (folder / "result.json").write_text(json.dumps(doc))  # NaN is written as the literal NaN, as a careless tool would
    return folder, doc


def test_the_genuine_result_passes_verify_and_report(genuine: Path, runner) -> None:
    ok = runner.invoke(main, ["verify", str(SCENARIO), str(genuine / "result.json")])
    assert ok.exit_code == 0 and "every figure the file claims matches" in ok.stdout, ok.output


@pytest.mark.parametrize(("case", "edit", "named"), TAMPER, ids=[c for c, _, _ in TAMPER])
def test_a_tampered_result_is_rejected_naming_the_field(
    genuine: Path, tmp_path: Path, runner, case, edit, named
) -> None:
    first = json.loads((genuine / "result.json").read_text())["roster"][0]["creator_id"]
    named = named.format(first=first)
    folder, _ = _tampered(genuine, tmp_path, edit)
    result = runner.invoke(main, ["verify", str(SCENARIO), str(folder / "result.json")])
    assert result.exit_code == 1, (case, result.output)
    assert "NOT verified" in result.stderr and named in result.stderr, (case, result.stderr)
    refused = runner.invoke(main, ["report", str(folder), "--no-explain", "--budgets", "40000"])
    assert refused.exit_code == 1, (case, refused.output)
    assert "fails verification, so no report was written" in refused.stderr and named in refused.stderr
    assert not (folder / "report.html").exists()


def test_the_catalogue_is_long_enough() -> None:
    assert len(TAMPER) >= 15
