"""The largest values and files the tool accepts, in one place.

Each limit is far above any real campaign and far below where the arithmetic, the solver or the
machine's memory break down, so a value beyond it is a typo, a unit mix-up or a hostile file, never a
real input. docs/decisions.md (items 20-) says why each number was chosen.
"""

from __future__ import annotations

MAX_FOLLOWERS: float = 10_000_000_000
"""Followers of one creator: 10 billion, more than the people on Earth."""

MAX_COST_PER_POST: float = 1e9
"""Price of one post, in any currency (a $1M post in a currency worth 1/1000 of a dollar fits)."""

MAX_BUDGET: float = 1e12
"""Budget and minimum spend, in the scenario's currency."""

MAX_TARGET: float = 1e15
"""A min-cost target, in any metric (conversions, EMV, engagements, reach)."""

MAX_EXPECTED: float = 1e12
"""A pool's expected_conversions / _emv / _engagements / _reach for one creator's first post."""

MAX_UNIT_VALUE: float = 1e9
"""Money assumptions: cpm, impression_value, engagement_value and average_order_value."""

MAX_POSTS: int = 1_000
"""Posts one creator may offer (pool max_posts) or be booked for (roster.max_posts). The model has one
binary per creator and post, so this bounds its size by the input."""

DEFAULT_MAX_FILE_MB: float = 2048.0
"""Largest pool or overlap file read, in MiB; a scenario raises it with format.max_file_mb."""

MAX_SCENARIO_BYTES: int = 2 * 1024 * 1024
"""Largest scenario file (2 MiB): a hand-written campaign with long id lists is a few KB."""

MAX_YAML_NODES: int = 100_000
"""Values a scenario may hold once its YAML aliases (*name) are expanded; refuses "billion laughs"."""
