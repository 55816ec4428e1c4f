"""Shared fixtures: small pools written to temporary folders, and a CLI runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from tests.postgres import pg_schema, pg_url  # noqa: F401 (fixtures: a PostgreSQL server for database tests)

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
SHARED_DATA = REPO.parent / "shared" / "data"

BASE_POOL = [
    # creator_id, handle, platform, followers, engagement_rate, niche, cost, authenticity
    ("c-01", "@ana", "instagram", "12,400", "4.5%", "zero-waste", "120", "0.91"),
    ("c-02", "@ben", "instagram", "25K", "0.031", "sustainable-fashion", "300", "0.88"),
    ("c-03", "@cy", "tiktok", "48.2K", "6%", "sustainable-fashion;zero-waste", "150", "0.95"),
    ("c-04", "@dee", "tiktok", "80000", "0.05", "vegan-food", "200", "0.80"),
    ("c-05", "@eli", "instagram", "95,000", "2.2%", "sustainable-fashion", "650", "0.70"),
    ("c-06", "@fay", "youtube", "60K", "0.02", "zero-waste", "900", "0.93"),
    ("c-07", "@gus", "instagram", "1.2M", "0.9%", "vegan-food", "9000", "0.85"),
    ("c-08", "@hal", "tiktok", "33K", "7.5%", "vegan-food", "90", "0.78"),
]
POOL_COLUMNS = ["creator_id", "handle", "platform", "followers", "engagement_rate", "niche", "cost", "authenticity"]


def base_pool() -> pd.DataFrame:
    """The small pool above, as text cells (as a CSV export would give them)."""
    return pd.DataFrame(BASE_POOL, columns=POOL_COLUMNS)


def write_case(
    folder: Path,
    scenario: dict[str, Any] | None = None,
    pool: pd.DataFrame | str | None = None,
    overlap: pd.DataFrame | str | None = None,
    name: str = "scenario.yaml",
) -> Path:
    """Write a scenario with its pool (and overlap) into `folder`; return the scenario path."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": "Test campaign", "pool": "creators.csv", "budget": 1000}
    data.update(scenario or {})
    if isinstance(pool, str):
        (folder / "creators.csv").write_text(pool, encoding="utf-8")
    else:
        (base_pool() if pool is None else pool).to_csv(folder / "creators.csv", index=False)
    if overlap is not None:
        data.setdefault("overlap", "overlap.csv")
        if isinstance(overlap, str):
            (folder / "overlap.csv").write_text(overlap, encoding="utf-8")
        else:
            overlap.to_csv(folder / "overlap.csv", index=False)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
