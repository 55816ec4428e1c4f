"""A campaign ready to model: scenario, pool, overlaps, eligibility and forecast, cross-checked.

Everything that can be wrong with the inputs is found here, in the planner's words, before a single
constraint is built.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.column_rules import read_rule_columns
from optimizer.errors import CalibrationError, PoolError, ScenarioError
from optimizer.forecast import forecast
from optimizer.pool import Pool, overlap_from_frame
from optimizer.scenario import Scenario, load_scenario, resolve_path
from optimizer.sources import read_overlap, read_pool
from optimizer.text import id_skeleton


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
        The first rule each ineligible creator fails, in words ("" for eligible ones).
    failed : pandas.DataFrame
        Every eligibility rule each creator fails (creator x rule, bool); ``rule_texts`` has their words.
    metrics : pandas.DataFrame
        Forecast per creator and first post (see `optimizer.forecast`).
    max_posts : pandas.Series
        Posts each creator may be booked for (see `post_caps`).
    notes : list of str
        Defaults and assumptions the output must state.
    scenario_path : Path or None
    calibration : pandas.DataFrame or None
        Calibration rows by creator_id when the scenario names a calibration file (see `optimizer.calibrate`).
    listed : Pool or None
        The pool as read, before the scenario's ``prices`` replaced some costs (None when it has none).
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
    failed: pd.DataFrame = field(default_factory=pd.DataFrame)
    rule_texts: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    sources: list[Path] = field(default_factory=list)  # the files it was read from (never overwritten by a run)
    listed: Pool | None = None
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
        # the pool is unchanged, so its validated overlap pairs (with their positions) carry over; prices are
        # applied to the pool as read, so a scenario with other (or no) prices does not inherit these
        problem = build_problem(scenario, self.listed or self.pool, self.overlap, self.scenario_path, self.calibration)
        problem.sources = self.sources
        return problem


def _with_prices(scenario: Scenario, pool: Pool, source: str) -> Pool:
    """The pool with the scenario's negotiated ``prices`` in place of the listed costs."""
    if not scenario.prices:
        return pool
    unknown = [cid for cid in scenario.prices if cid not in pool.frame.index]
    if unknown:
        raise ScenarioError(f"{source}: prices names {', '.join(unknown)}, not a creator_id in {pool.source}")
    frame = pool.frame.copy()
    frame.loc[list(scenario.prices), "cost"] = [float(v) for v in scenario.prices.values()]
    return replace(pool, frame=frame)


# The follower rules: a celebrity deal is by definition outside them (optimizer.baselines), and only them.
FOLLOWER_RULES = ("followers_min", "followers_max")


def _eligibility(scenario: Scenario, pool: Pool, source: str) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Which eligibility rules each creator fails: a creator x rule table, every failure kept.

    Returns
    -------
    failed : pandas.DataFrame
        Bool per creator (rows) and rule (columns, e.g. ``followers_min``, ``authenticity``), in the order the
        rules are checked; only the rules the scenario states are columns.
    texts : pandas.Series
        The words for each rule column ("fewer than 10,000 followers").
    notes : list of str
    """
    df = pool.frame
    rules = scenario.eligibility
    failed: dict[str, np.ndarray] = {}
    texts: dict[str, str] = {}
    notes: list[str] = []

    def rule(key: str, mask: np.ndarray, why: str) -> None:
        failed[key] = np.asarray(mask, dtype=bool)
        texts[key] = why

    if rules.exclude:
        rule("exclude", df.index.isin(rules.exclude), "excluded by the scenario")
    if rules.platforms is not None:
        rule(
            "platform",
            ~df["platform"].isin(rules.platforms).to_numpy(),
            f"platform not in {', '.join(rules.platforms)}",
        )
    if rules.followers is not None:
        f = df["followers"].to_numpy()
        if rules.followers.min is not None:
            rule("followers_min", f < rules.followers.min, f"fewer than {rules.followers.min:,.0f} followers")
        if rules.followers.max is not None:
            rule("followers_max", f > rules.followers.max, f"more than {rules.followers.max:,.0f} followers")
    er = df["engagement_rate"].to_numpy()
    if rules.min_engagement_rate is not None:
        rule("engagement_min", er < rules.min_engagement_rate, f"engagement rate below {rules.min_engagement_rate:.2%}")
    if rules.max_engagement_rate is not None:
        rule("engagement_max", er > rules.max_engagement_rate, f"engagement rate above {rules.max_engagement_rate:.2%}")
    if rules.min_authenticity is not None:
        if "authenticity" in pool.present:
            auth = df["authenticity"].to_numpy(dtype=float)
            # a blank authenticity counts as 1.0, as in the forecast (and the note says so)
            rule("authenticity", np.nan_to_num(auth, nan=1.0) < rules.min_authenticity,
                 f"authenticity below {rules.min_authenticity:.0%}")  # fmt: skip
        else:
            notes.append(
                f"min_authenticity {rules.min_authenticity:.0%} was not applied: the pool has no authenticity column, "
                "so every creator counts as authentic."
            )
    if rules.min_sentiment is not None:
        if "sentiment" not in pool.present:
            raise ScenarioError(f"{source}: eligibility.min_sentiment is set but {pool.source} has no sentiment column")
        s = df["sentiment"].to_numpy(dtype=float)
        rule("sentiment_blank", np.isnan(s), "no sentiment value")
        rule("sentiment", s < rules.min_sentiment, f"sentiment below {rules.min_sentiment:g}")
    if rules.countries is not None:
        if "country" not in pool.present:
            raise ScenarioError(f"{source}: eligibility.countries is set but {pool.source} has no country column")
        rule("country", ~df["country"].isin(rules.countries).to_numpy(), f"country not in {', '.join(rules.countries)}")
    share = scenario.roster.max_creator_budget_share
    if share is not None and scenario.budget is not None:
        rule("creator_budget_share", df["cost"].to_numpy() > share * scenario.budget,
             f"one post costs more than {share:.0%} of the budget")  # fmt: skip
    table = pd.DataFrame(failed, index=df.index) if failed else pd.DataFrame(index=df.index)
    return table, pd.Series(texts, dtype=object), notes


def first_reasons(failed: pd.DataFrame, texts: pd.Series) -> pd.Series:
    """The first failed rule of each creator, in words ("" for eligible ones)."""
    reasons = pd.Series("", index=failed.index, dtype=object)
    for key in reversed(list(failed.columns)):  # earlier rules overwrite later ones
        reasons[failed[key].to_numpy()] = texts[key]
    return reasons


def post_caps(scenario: Scenario, frame: pd.DataFrame) -> pd.Series:
    """Posts each creator may be booked for: the one place the post cap is worked out.

    The pool's ``max_posts`` (1 without the column), capped by ``roster.max_posts``, by what
    ``roster.max_creator_budget_share`` of the budget buys (that share caps one creator's spend), and by what
    the whole budget buys (never below one post, so every eligible creator keeps a column and a rule that
    needs them can say why it fails). The model makes one column per post, so this also bounds its size.
    """
    caps = frame["max_posts"].to_numpy(dtype=np.int64)
    if scenario.roster.max_posts is not None:
        caps = np.minimum(caps, scenario.roster.max_posts)
    cost = frame["cost"].to_numpy(dtype=float)
    priced = cost > 0
    share = scenario.roster.max_creator_budget_share
    if scenario.budget is not None:
        limit = scenario.budget if share is None else share * scenario.budget
        affordable = np.floor(limit / np.where(priced, cost, 1.0) + 1e-9)
        caps = np.where(priced, np.minimum(caps, np.maximum(affordable, 1)), caps).astype(np.int64)
    return pd.Series(caps, index=frame.index)


def _lookalike(unknown: list[str], ids: pd.Index) -> str:
    """A hint when an unknown id differs from a pool id only by case, spaces, dashes or invisible characters."""
    wanted = {id_skeleton(i): i for i in unknown}
    for cid in ids:
        hit = wanted.get(id_skeleton(cid))
        if hit is not None:
            return f" (did you mean {cid!r}? ids compare exactly, so {hit!r} is a different id)"
    return ""


def _unread(unknown: list[str], pool: Pool) -> str:
    """A hint when an id may exist but was left unread: the pool was read with filters for another scenario."""
    read_filter = pool.source_filter
    if read_filter is None or all(i in read_filter.named for i in unknown):
        return ""  # every named id was asked for when reading, so an unknown one is not in the source at all
    return (
        " (the pool was read with the eligibility rules applied at the source, and this id was not named then: "
        "load the scenario again to read it)"
    )


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
    listed = pool if scenario.prices else None
    pool = _with_prices(scenario, pool, source)
    df = pool.frame
    read_filter = pool.source_filter
    if read_filter is not None:
        relaxed = read_filter.relaxed_by(scenario)
        if relaxed:
            raise ScenarioError(
                f"{source}: the pool was read from {pool.source} with the eligibility rules applied there "
                f"({'; '.join(read_filter.rules)}), and this scenario relaxes {', '.join(relaxed)}, so creators it "
                "allows were never read; load the scenario again (optimizer.load_problem) instead of changing "
                "the loaded one"
            )
    # labels of creators left unread (not eligible) still exist: a rule may name them, as with a full read
    all_niches = {n for tup in df["niches"] for n in tup} | (read_filter.niches if read_filter else set())
    _check_labels("niche", list(scenario.niches), all_niches, source, pool.source)
    platforms = set(df["platform"]) | (read_filter.platforms if read_filter else set())
    _check_labels("platform", list(scenario.platforms), platforms, source, pool.source)
    if scenario.eligibility.platforms:
        _check_labels("platform", scenario.eligibility.platforms, platforms, source, pool.source)
    for key in ("include", "exclude"):
        ids = getattr(scenario.eligibility, key)
        unknown = [i for i in ids if i not in df.index]
        if unknown:
            raise ScenarioError(
                f"{source}: eligibility.{key} names {', '.join(unknown)}, not a creator_id in {pool.source}"
                + _lookalike(unknown, df.index)
                + _unread(unknown, pool)
            )

    if scenario.baselines is not None:
        named = [scenario.baselines.celebrity] if scenario.baselines.celebrity else []
        for ids in scenario.baselines.hand_picked.values():
            named += ids
        unknown = sorted({i for i in named if i not in df.index})
        if unknown:
            raise ScenarioError(
                f"{source}: baselines name {', '.join(unknown)}, not a creator_id in {pool.source}"
                + _unread(unknown, pool)
            )
    failed, texts, notes = _eligibility(scenario, pool, source)
    columns = read_rule_columns(scenario, pool, source)
    for column, blank in columns.excluded.items():
        # `blank: exclude`: a creator without a value cannot be shown to meet the rule
        failed[f"blank_{column}"] = blank.reindex(failed.index).fillna(False).to_numpy(dtype=bool)
        texts[f"blank_{column}"] = f"no {column} value"
    notes += columns.notes
    eligible = pd.Series(~failed.to_numpy().any(axis=1) if failed.shape[1] else True, index=df.index)
    reasons = first_reasons(failed, texts)
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
        failed=failed,
        rule_texts=texts,
        listed=listed,
        rule_values=columns.values,
    )


def load_problem(path: str | Path, creators: Iterable[str] = ()) -> Problem:
    """Load a scenario file with the pool and overlap files (or database tables) it names.

    Parameters
    ----------
    path : str or Path
        The YAML scenario.
    creators : iterable of str, optional
        Creator ids the caller will ask about (`roster explain`): read even when the eligibility rules,
        applied at a database or Parquet source, would leave them unread (`optimizer.sources`).

    Returns
    -------
    Problem
    """
    path = Path(path)
    return problem_from_scenario(load_scenario(path), path, creators=creators)


def problem_from_scenario(
    scenario: Scenario,
    path: Path,
    read: Callable[[Path, Scenario], tuple[Pool, pd.DataFrame | None]] | None = None,
    creators: Iterable[str] = (),
) -> Problem:
    """A validated scenario with its files, resolved relative to `path` (the scenario file, real or notional).

    Parameters
    ----------
    scenario : Scenario
    path : Path
        Where the scenario lives: its files are relative to its folder, and messages name it.
    read : callable, optional
        ``read(pool_path, scenario) -> (pool, overlap)``: reads a pool file and its overlap file (the app
        passes one that keeps them in memory between edits). Default: read them now, from files or databases
        (`optimizer.sources`).
    creators : iterable of str, optional
        Creator ids to read even when filters applied at a database or Parquet source would leave them out.
    """
    if read is not None and isinstance(scenario.pool, str):
        for key in ("pool", "overlap"):
            named = getattr(scenario, key)
            if isinstance(named, str) and not resolve_path(path, named).exists():
                raise PoolError(f"{key} file {named} not found")
        pool, overlap = read(resolve_path(path, scenario.pool), scenario)
    else:
        pool = read_pool(scenario, path, creators)
        overlap = read_overlap(scenario, path, pool) if scenario.overlap is not None else None
    calibration = None
    if scenario.calibration is not None:
        from optimizer.calibrate import load_calibration  # scipy is imported only when a scenario calibrates

        cal_path = resolve_path(path, scenario.calibration)
        if not cal_path.exists():
            raise CalibrationError(
                f"{path}: calibration file {cal_path} not found (key 'calibration' is relative to the scenario file)"
            )
        calibration, cal_notes = load_calibration(cal_path, pool.ids)
        pool = replace(pool, notes=[*pool.notes, *cal_notes])  # a copy: the pool may be shared between solves
    problem = build_problem(scenario, pool, overlap, path, calibration)
    named = [scenario.pool, scenario.overlap, scenario.calibration]
    problem.sources = [path, *(resolve_path(path, p) for p in named if isinstance(p, str))]  # files, not databases
    return problem
