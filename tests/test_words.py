"""Every output states rules and figures in words: no Python data structures, reprs or None in any of them."""

from __future__ import annotations

import re
from pathlib import Path

from optimizer.cli import main
from tests.conftest import SCENARIOS, write_case

# what leaks when code prints data instead of words
REPR = re.compile(r"\{'\w+'|\['|np\.\w+\(|array\(|<\w+[\w.]* object at|\bNone\b|\bTrue\b|\bFalse\b|dict_keys|\bnan\b")


def _scan(name: str, text: str) -> None:
    found = REPR.search(text)
    assert not found, f"{name}: {found.group(0)!r} in ...{text[max(0, found.start() - 80) : found.end() + 80]}..."


def _visible(html: str) -> str:
    """The text a reader sees: no tags, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_no_python_repr_in_any_output(tmp_path: Path, runner) -> None:
    eco = SCENARIOS / "eco-fashion" / "scenario.yaml"
    target = SCENARIOS / "skincare" / "target.yaml"
    outputs: dict[str, str] = {}
    for name, args in {
        "validate": ["validate", str(eco)],
        "optimize": ["optimize", str(eco), "--out", str(tmp_path / "eco")],
        "optimize target": ["optimize", str(target), "--out", str(tmp_path / "target")],
        "verify": ["verify", str(eco), str(tmp_path / "eco" / "result.json")],
        "frontier": ["frontier", str(eco), "--budgets", "8000,9000", "--out", str(tmp_path / "fr"), "--workers", "1"],
        "explain": ["explain", str(eco), "--creator", "c-0068", "--creator", "c-0007", "--workers", "1"],
        "report": ["report", str(tmp_path / "target"), "--budgets", "5000", "--workers", "1"],
    }.items():
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (name, result.output)
        outputs[name] = result.output
    infeasible = write_case(tmp_path / "inf", {"budget": 500, "niches": {"zero-waste": {"min_creators": 2},
                                                                         "sustainable-fashion": {"min_creators": 2}}})  # fmt: skip
    result = runner.invoke(main, ["optimize", str(infeasible), "--out", str(tmp_path / "inf-out")])
    assert result.exit_code == 3
    outputs["infeasible"] = result.output
    bad = write_case(tmp_path / "bad", {"budget": 500, "niches": {"zero-wast": {"min_creators": 1}}})
    result = runner.invoke(main, ["optimize", str(bad), "--out", str(tmp_path / "bad-out")])
    assert result.exit_code == 2
    outputs["bad input"] = result.output
    outputs["summary.md"] = (tmp_path / "target" / "summary.md").read_text()
    outputs["report.html"] = _visible((tmp_path / "target" / "report.html").read_text())
    for name, text in outputs.items():
        _scan(name, text)
