"""Docs and code agree: the generated scenario reference, the README's commands, and lint."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from optimizer.schema_docs import render
from tests.conftest import REPO


def test_scenario_reference_is_current() -> None:
    committed = (REPO / "docs" / "scenario.md").read_text()
    assert committed == render(), "run: python -m optimizer.schema_docs > docs/scenario.md"


def test_readme_opens_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S)
    assert "roster optimize scenarios/" in blocks[0]
    assert "pytest" in blocks[1]
    assert "roster app scenarios/" in blocks[2] and '".[app]"' in blocks[2]
    for scenario in re.findall(r"scenarios/[\w\-/]+\.yaml", text):
        assert (REPO / scenario).exists(), scenario


def test_every_scenario_key_is_in_the_reference() -> None:
    text = (REPO / "docs" / "scenario.md").read_text()
    for key in (
        "max_creator_budget_share",
        "min_spend_share",
        "min_budget_share",
        "post_decay",
        "delivery_rate",
        "max_pairwise",
        "min_share",
        "max_share",
        "min_sum",
        "max_average",
    ):
        assert f"`{key}`" in text


@pytest.mark.skipif(
    importlib.util.find_spec("ruff") is None, reason="ruff is not installed (it is in the 'test' extra)"
)
def test_ruff_clean() -> None:
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", str(REPO)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    fmt = subprocess.run([*ruff, "format", "--check", str(REPO)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout
