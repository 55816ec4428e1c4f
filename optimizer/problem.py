"""A campaign ready to model: scenario, pool, overlaps, eligibility and forecast, cross-checked.

Everything that can be wrong with the inputs is found here, in the planner's words, before a single
constraint is built.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.column_rules import read_rule_columns
from optimizer.errors import CalibrationError, PoolError, ScenarioError
from optimizer.forecast import forecast
from optimizer.pool import Pool, load_overlap, load_pool, overlap_from_frame
from optimizer.scenario import Scenario, load_scenario, resolve_path


@dataclass
class Problem:
    """Validated inputs of one campaign.

    Attributes
    ----------
    scenario : Scenario
    pool : Pool
    overlap : pandas.DataFrame
        Validated pairs ``a``, ``b``, ``overlap`` over the whole pool (empty without a file).
    eligible : pandas.Series
        Bool per creator id: may be chosen.
    reasons : pandas.Series
        Why each ineligible creator is out ("" for eligible ones).
    metrics : pandas.DataFrame
        Forecast per creator and first post (see `optimizer.forecast`).
    max_posts : pandas.Series
        Posts each creator may be booked for (see `post_caps`).
    notes : list of str
        Defaults and assumptions the output must state.
    scenario_path : Path or None
    calibration : pandas.DataFrame or None
        Calibration rows by creator_id when the scenario names a calibration file (see `optimizer.calibrate`).
    rule_values : dict
        The numeric pool columns that audience and limits rules name, NaN where blank
        (see `optimizer.column_rules.read_rule_columns`).
    """

    scenario: Scenario
    pool: Pool
    overlap: pd.DataFrame
    eligible: pd.Series
    reasons: pd.Series
    metrics: pd.DataFrame
    max_posts: pd.Series
    notes: list[str] = field(default_factory=list)
    scenario_path: Path | None = None
    calibration: pd.DataFrame | None = None
    rule_values: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def values(self) -> pd.Series:
        """Value of each creator's first post under the scenario's metric."""
        return self.metrics[self.scenario.value_metric]

    @property
    def source(self) -> str:
        """The scenario file's name for messages."""
        return str(self.scenario_path) if self.scenario_path else "scenario"

    def with_scenario(self, scenario: Scenario) -> Problem:
        """The same pool and overlaps under another scenario (budget sweeps, what-ifs)."""
        # the pool is unchanged, so its validated overlap pairs (with their positions) carry over
        return build_problem(scenario, self.pool, self.overlap, self.scenario_path, self.calibration)


def _eligibility(scenario: Scenario, pool: Pool, source: str) -> tuple[pd.Series, pd.Series, list[str]]:
    df = pool.frame
    rules = scenario.eligibility
    reasons = pd.Series("", index=df.index, dtype=object)
    notes: list[str] = []

    def mark(mask: np.ndarray, why: str) -> None:
        todo = mask & (reasons.to_numpy() == "")
        reasons[todo] = why

    if rules.exclude:
        mark(df.index.isin(rules.exclude), "excluded by the scenario")
    if rules.platforms is not None:
        mark(~df["platform"].isin(rules.platforms).to_numpy(), f"platform not in {', '.join(rules.platforms)}")
    if rules.followers is not None:
        f = df["followers"].to_numpy()
        if rules.followers.min is not None:
            mark(f < rules.followers.min, f"fewer than {rules.followers.min:,.0f} followers")
        if rules.followers.max is not None:
            mark(f > rules.followers.max, f"more than {rules.followers.max:,.0f} followers")
    er = df["engagement_rate"].to_numpy()
    if rules.min_engagement_rate is not None:
        mark(er < rules.min_engagement_rate, f"engagement rate below {rules.min_engagement_rate:.2%}")
    if rules.max_engagement_rate is not None:
        mark(er > rules.max_engagement_rate, f"engagement rate above {rules.max_engagement_rate:.2%}")
    if rules.min_authenticity is not None:
        if "authenticity" in pool.present:
            auth = df["authenticity"].to_numpy(dtype=float)
            # a blank authenticity counts as 1.0, as in the forecast (and the note says so)
            mark(
                np.nan_to_num(auth, nan=1.0) < rules.min_authenticity,
                f"authenticity below {rules.min_authenticity:.0%}",
            )
        else:
            notes.append(
                f"min_authenticity {rules.min_authenticity:.0%} was not applied: the pool has no authenticity column, "
                "so every creator counts as authentic."
            )
    if rules.min_sentiment is not None:
        if "sentiment" not in pool.present:
            raise ScenarioError(f"{source}: eligibility.min_sentiment is set but {pool.source} has no sentiment column")
        s = df["sentiment"].to_numpy(dtype=float)
        mark(np.isnan(s), "no sentiment value")
        mark(s < rules.min_sentiment, f"sentiment below {rules.min_sentiment:g}")
    if rules.countries is not None:
        if "country" not in pool.present:
            raise ScenarioError(f"{source}: eligibility.countries is set but {pool.source} has no country column")
        mark(~df["country"].isin(rules.countries).to_numpy(), f"country not in {', '.join(rules.countries)}")
    share = scenario.roster.max_creator_budget_share
    if share is not None and scenario.budget is not None:
        mark(df["cost"].to_numpy() > share * scenario.budget, f"one post costs more than {share:.0%} of the budget")
    eligible = reasons == ""
    return eligible, reasons, notes


def post_caps(scenario: Scenario, frame: pd.DataFrame) -> pd.Series:
    """Posts each creator may be booked for: the one place the post cap is worked out.

    The pool's ``max_posts`` (1 without the column), capped by ``roster.max_posts`` and by what
    ``roster.max_creator_budget_share`` of the budget buys (that share caps one creator's spend, so it is a
    cap on their posts).
    """
    caps = frame["max_posts"].astype(np.int64)
    if scenario.roster.max_posts is not None:
        caps = caps.clip(upper=scenario.roster.max_posts)
    share = scenario.roster.max_creator_budget_share
    if share is not None and scenario.budget is not None:
        cost = frame["cost"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            affordable = np.floor(share * scenario.budget / np.where(cost > 0, cost, 1.0) + 1e-9)
        caps = caps.clip(upper=pd.Series(np.where(cost > 0, affordable, caps), index=frame.index).astype(np.int64))
    return caps


def _check_labels(kind: str, wanted: list[str], have: set[str], source: str, pool_source: str) -> None:
    for label in wanted:
        if label not in have:
            hint = difflib.get_close_matches(label, sorted(have), n=1)
            tip = f"; did you mean '{hint[0]}'?" if hint else f"; the pool has: {', '.join(sorted(have)[:20])}"
            raise ScenarioError(f"{source}: {kind} '{label}' is not the {kind} of any creator in {pool_source}{tip}")


def build_problem(
    scenario: Scenario,
    pool: Pool,
    overlap: pd.DataFrame | None = None,
    scenario_path: Path | None = None,
    calibration: pd.DataFrame | None = None,
) -> Problem:
    """Cross-check a scenario with its pool and overlaps; compute eligibility and the forecast.

    Parameters
    ----------
    scenario : Scenario
    pool : Pool
    overlap : pandas.DataFrame, optional
        Raw overlap rows (creator_a, creator_b, overlap) or already validated pairs (a, b, overlap).
    scenario_path : Path, optional
        For messages and relative paths.
    calibration : pandas.DataFrame, optional
        Calibration rows by creator_id (`optimizer.calibrate.load_calibration`).

    Returns
    -------
    Problem

    Raises
    ------
    ScenarioError, PoolError, OverlapError
        When the scenario names niches, platforms or creators the pool does not have, or an
        included creator is not eligible.
    """
    source = str(scenario_path) if scenario_path else "scenario"
    df = pool.frame
    all_niches = {n for tup in df["niches"] for n in tup}
    _check_labels("niche", list(scenario.niches), all_niches, source, pool.source)
    platforms = set(df["platform"])
    _check_labels("platform", list(scenario.platforms), platforms, source, pool.source)
    if scenario.eligibility.platforms:
        _check_labels("platform", scenario.eligibility.platforms, platforms, source, pool.source)
    for key in ("include", "exclude"):
        ids = getattr(scenario.eligibility, key)
        unknown = [i for i in ids if i not in df.index]
        if unknown:
            raise ScenarioError(
                f"{source}: eligibility.{key} names {', '.join(unknown)}, not a creator_id in {pool.source}"
            )

    if scenario.baselines is not None:
        named = [scenario.baselines.celebrity] if scenario.baselines.celebrity else []
        for ids in scenario.baselines.hand_picked.values():
            named += ids
        unknown = sorted({i for i in named if i not in df.index})
        if unknown:
            raise ScenarioError(f"{source}: baselines name {', '.join(unknown)}, not a creator_id in {pool.source}")
    eligible, reasons, notes = _eligibility(scenario, pool, source)
    columns = read_rule_columns(scenario, pool, source)
    for column, blank in columns.excluded.items():
        # `blank: exclude`: a creator without a value cannot be shown to meet the rule
        todo = blank.to_numpy(dtype=bool) & (reasons.to_numpy() == "")
        reasons[todo] = f"no {column} value"
    eligible = reasons == ""
    notes += columns.notes
    for cid in scenario.eligibility.include:
        if not eligible[cid]:
            raise ScenarioError(
                f"{source}: eligibility.include lists {cid} (row {int(df.at[cid, 'row'])} of {pool.source}), "
                f"but that creator is not eligible: {reasons[cid]}"
            )
    if overlap is None:
        pairs = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object), "overlap": pd.Series(dtype=float),
                              "ia": pd.Series(dtype=np.int64), "ib": pd.Series(dtype=np.int64)})  # fmt: skip
    elif {"a", "b", "overlap"} <= set(overlap.columns):
        pairs = overlap
        if not {"ia", "ib"} <= set(pairs.columns):
            pairs = pairs.assign(ia=df.index.get_indexer(pairs["a"]), ib=df.index.get_indexer(pairs["b"]))
    else:
        pairs = overlap_from_frame(overlap, df.index, "overlap")
    metrics, forecast_notes = forecast(pool, scenario.assumptions, calibration)
    return Problem(
        scenario=scenario,
        pool=pool,
        overlap=pairs,
        eligible=eligible,
        reasons=reasons,
        metrics=metrics,
        max_posts=post_caps(scenario, df),
        notes=[*pool.notes, *forecast_notes, *notes],
        scenario_path=scenario_path,
        calibration=calibration,
        rule_values=columns.values,
    )


def load_problem(path: str | Path) -> Problem:
    """Load a scenario file with the pool and overlap files it names.

    Parameters
    ----------
    path : str or Path
        The YAML scenario.

    Returns
    -------
    Problem
    """
    path = Path(path)
    scenario = load_scenario(path)
    pool_path = resolve_path(path, scenario.pool)
    if not pool_path.exists():
        raise PoolError(f"{path}: pool file {pool_path} not found (key 'pool' is relative to the scenario file)")
    pool = load_pool(pool_path, scenario.columns)
    overlap = None
    if scenario.overlap is not None:
        overlap = load_overlap(resolve_path(path, scenario.overlap), pool.ids)
    calibration = None
    if scenario.calibration is not None:
        from optimizer.calibrate import load_calibration  # scipy is imported only when a scenario calibrates

        cal_path = resolve_path(path, scenario.calibration)
        if not cal_path.exists():
            raise CalibrationError(
                f"{path}: calibration file {cal_path} not found (key 'calibration' is relative to the scenario file)"
            )
        calibration, cal_notes = load_calibration(cal_path, pool.ids)
        pool.notes.extend(cal_notes)
    return build_problem(scenario, pool, overlap, path, calibration)
