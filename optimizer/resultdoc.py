"""result.json as one typed document: the writer (`Result.to_doc`) and every reader (verify, report, the app)
use these models, so a field means the same thing everywhere.

Reading is strict about what a figure may be: NaN and infinity are rejected, every figure the tool
wrote must be there, and an unknown value of a closed field (``status``, ``mode``) is an error. Roster
entries keep the pool's extra columns (``extra="allow"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from optimizer.errors import ResultFileError

StatusText = Literal["optimal", "feasible", "infeasible", "error"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class RosterEntry(_Doc):
    """One chosen creator: posts booked, what they cost and what they are expected to bring (all posts)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    creator_id: str
    handle: str
    platform: str
    niche: str
    tier: str
    followers: int
    engagement_rate: float
    posts: int
    cost_per_post: float
    cost: float
    value: float
    expected_conversions: float
    expected_emv: float
    expected_engagements: float
    expected_reach: float


class GroupRow(_Doc):
    """Spend and value of one niche or platform of the roster (the label comes first, see below)."""

    creators: int
    posts: int
    cost: float
    budget_share: float | None = Field(description="cost / budget (share of the budget)")
    spend_share: float | None = Field(None, description="cost / total spend: what the share rules constrain")
    value: float
    conversions: float
    emv: float
    engagements: float
    reach: float


def _labelled(name: str, label: str) -> type[GroupRow]:
    # the label field first, as a reader scans a row ("niche": "zero-waste", "creators": 3, ...)
    fields: dict[str, Any] = {label: (str, ...)}
    fields.update({k: (f.annotation, f) for k, f in GroupRow.model_fields.items()})
    return create_model(name, __base__=_Doc, __doc__=f"Spend and value of one {label} of the roster.", **fields)


NicheRow = _labelled("NicheRow", "niche")
PlatformRow = _labelled("PlatformRow", "platform")


class AudienceRow(_Doc):
    """The roster's audience mix against one audience rule (shares of expected reach, before overlap)."""

    segment: str
    rule: Literal["min_share", "max_share"]
    limit: float
    achieved: float | None = Field(description="segment_reach / reach; null when the roster reaches no one")
    segment_reach: float = Field(description="expected people reached in the segment, every post, post decay applied")
    reach: float = Field(description="expected people reached by the roster, every post, post decay applied")
    text: str


class LimitRow(_Doc):
    """A numeric pool column's total or average over the roster against one limits rule."""

    column: str
    rule: Literal["min_sum", "max_sum", "min_average", "max_average"]
    per: Literal["creator", "post"]
    limit: float
    achieved: float | None = Field(description="the total, or the average (null on an empty roster)")
    text: str


class BindingRule(_Doc):
    """A rule that holds with equality in the roster."""

    rule: str
    text: str


class SolverInfo(_Doc):
    """Which solver ran, what it proved, and with which settings."""

    name: str | None
    status: str | None
    seconds: float | None
    time_limit: float | None
    gap_setting: float | None


class VerificationInfo(_Doc):
    """The independent checker's verdict."""

    passed: bool
    checks: list[str]
    violations: list[str]


class Infeasibility(_Doc):
    """Why no roster exists."""

    rules: list[str]
    explanation: str


class SourceFilterInfo(_Doc):
    """Rows of a database or Parquet pool left unread: the eligibility rules, applied there, rule them out.

    ``creators`` + the pool's ``creators`` is the number of rows in the source; ``overlap_pairs`` + the pool's
    ``overlap_pairs`` the number of listed pairs (see `optimizer.sources`).
    """

    creators: int
    overlap_pairs: int
    rules: list[str]


class PoolInfo(_Doc):
    """The pool the roster was chosen from (``creators``, ``ineligible_by_reason``: the creators read)."""

    file: str
    creators: int
    eligible: int
    ineligible_by_reason: dict[str, int]
    overlap_pairs: int
    filtered_at_source: SourceFilterInfo | None = None


class TargetInfo(_Doc):
    """The target of a min-cost scenario."""

    metric: str
    value: float


class Totals(_Doc):
    """Expected totals over the roster's posts, before the overlap discount."""

    conversions: float
    emv: float
    engagements: float
    reach: float


class Alternative(_Doc):
    """A next-best roster (`optimizer.alternatives`): distinct from the optimum and every earlier one by creator set."""

    rank: int
    status: Literal["optimal", "feasible"]
    objective_value: float
    bound: float | None
    gap: float | None
    value: float
    total_cost: float
    roster_size: int
    total_posts: int
    differs: dict[Literal["in", "out"], list[str]] = Field(description="creators in and out against the optimum")
    roster: list[RosterEntry]
    verification: VerificationInfo


class AlternativesSearch(_Doc):
    """How the alternatives were searched for."""

    requested: int
    found: int
    min_difference: int
    distinct_by: Literal["creators"]
    solves: int
    rounds: int = Field(description="searches: more than one when the reduction had to keep more creators")
    creators: int
    considered: int = Field(description="creators the last search could book (after the reduction)")
    seconds: float
    notes: list[str]


class Booking(_Doc):
    """A creator and the posts booked."""

    creator_id: str
    posts: int


class PriceChange(_Doc):
    """A renegotiated price per post."""

    creator_id: str
    before: float
    after: float


class PostsChange(_Doc):
    """A creator who stays with a different number of posts."""

    creator_id: str
    before: int
    after: int


class Change(_Doc):
    """What `roster replace` changed against the earlier result (`optimizer.replace`)."""

    from_result: str
    before: list[Booking] = Field(description="the earlier roster")
    declined: list[str]
    booked: list[str]
    prices: list[PriceChange]
    max_changes: int | None
    fewest_changes: int | None = Field(description="the first solve's minimum (null with max_changes)")
    changes: int = Field(description="creators of the earlier roster who leave without having declined")
    leave: list[str]
    join: list[str]
    posts_changed: list[PostsChange]
    value_before: float
    value_after: float | None
    spend_before: float
    spend_after: float | None


class PortfolioPart(_Doc):
    """The portfolio a campaign's result belongs to (`optimizer.portfolio`): the joint proof is there."""

    name: str
    file: str
    campaign: str
    status: StatusText
    objective_value: float | None
    bound: float | None
    gap: float | None
    budget: float
    total_cost: float


class ReturnFlag(_Doc):
    """A return figure outside its published range (`optimizer.returns`)."""

    figure: str
    value: float
    low: float
    high: float
    unit: str
    position: Literal["above", "below"]
    level: Literal["warning", "note"]
    source: str
    message: str


class OutcomeStats(_Doc):
    """A roster's objective metric on the fresh (out-of-sample) draws, and its figures on the model's draws."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    mean: float
    p10: float
    p50: float | None = None
    p90: float | None = None
    cvar: float | None = Field(None, description="mean of the worst (1 - alpha) share of the fresh draws (cvar)")
    risk_objective: float | None = Field(None, description="the risk objective on the model's sampled draws")
    expected_value: float | None = Field(None, description="the point forecast after the overlap discount")


class ExpectedValueRoster(OutcomeStats):
    """The roster the same scenario gives without its risk block, measured on the same fresh draws."""

    roster: dict[str, int]
    status: str | None = None


class RiskInfo(_Doc):
    """A risk-aware result: its method and the comparison with the expected-value roster (`optimizer.risk`)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    method: Literal["cvar", "robust"]
    alpha: float | None = None
    gamma: float | None = None
    metric: str | None = None
    draws: int | None = None
    seed: int | None = None
    evaluation: dict[str, int] | None = None
    risk_aware: OutcomeStats
    expected_value_roster: ExpectedValueRoster | None
    price_of_robustness: dict[str, float] | None = None
    notes: list[str] = Field(default_factory=list)


class ResultDoc(_Doc):
    """The result.json document (README, "result.json", lists what each field means)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    tool: str
    version: str
    scenario: str
    scenario_file: str | None
    status: StatusText
    message: str
    mode: Literal["maximise", "min_cost"]
    objective: str
    objective_unit: str
    objective_value: float | None
    bound: float | None
    gap: float | None
    budget: float | None
    min_spend: float | None
    currency: str
    total_cost: float
    budget_used_share: float | None
    roster_size: int
    total_posts: int
    value_metric: str
    value: float | None
    value_before_overlap_discount: float | None
    overlap_discount: float | None
    totals_before_overlap_discount: Totals
    cpa: float | None
    emv_per_dollar: float | None
    roi: float | None
    target: TargetInfo | None
    roster: list[RosterEntry]
    binding_rules: list[BindingRule]
    budget_note: str | None
    by_niche: list[NicheRow]  # type: ignore[valid-type]
    by_platform: list[PlatformRow]  # type: ignore[valid-type]
    audience: list[AudienceRow] = Field(default_factory=list)
    limits: list[LimitRow] = Field(default_factory=list)
    solver: SolverInfo
    reduction: dict[str, Any] | None
    timings_seconds: dict[str, float]
    verification: VerificationInfo | None
    infeasibility: Infeasibility | None
    pool: PoolInfo
    assumptions: dict[str, Any]
    notes: list[str]
    units: dict[str, str]
    # optional sections (absent from files written before they existed)
    alternatives: list[Alternative] | None = None
    alternatives_search: AlternativesSearch | None = None
    change: Change | None = None
    portfolio: PortfolioPart | None = None
    # optional fields (files written before they existed still load)
    return_flags: list[ReturnFlag] = Field(
        default_factory=list, description="return figures outside their published range (optimizer.returns)"
    )
    risk: RiskInfo | None = Field(None, description="risk-aware vs expected-value roster on fresh draws")

    @property
    def posts(self) -> dict[str, int]:
        """The roster as creator id -> posts."""
        return {e.creator_id: e.posts for e in self.roster}

    def to_json(self) -> str:
        """The file's text (UTF-8, indented, no NaN)."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def schema_problems(exc: ValidationError) -> list[str]:
    """One phrase per field a validation error names."""
    out = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "missing":
            out.append(f"field '{where}' is missing")
        elif err["type"] == "finite_number":
            out.append(f"field '{where}' is not a finite number (got {err.get('input')!r})")
        else:
            out.append(f"field '{where}': {err['msg']} (got {err.get('input')!r})")
    return out


def parse_result(data: Any, source: str = "result.json") -> ResultDoc:
    """Validate a parsed result.json.

    Raises
    ------
    ResultFileError
        Naming every field that is missing, not a finite number, or of the wrong kind.
    """
    if not isinstance(data, dict):
        raise ResultFileError(f"{source}: expected a JSON object (a result.json from `roster optimize`)")
    try:
        return ResultDoc.model_validate(data)
    except ValidationError as exc:
        problems = schema_problems(exc)
        raise ResultFileError(f"{source}: not a valid result.json: " + "; ".join(problems)) from None


def read_result_data(path: str | Path) -> dict[str, Any]:
    """The parsed JSON object of a result file, unvalidated (`optimizer.audit` names what is wrong in it).

    Raises
    ------
    ResultFileError
        If the file is missing, unreadable, not JSON or not an object (bad input: exit 2).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultFileError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path}: not a readable result.json ({exc})") from None
    try:
        data = json.loads(text)  # NaN and Infinity literals are read, so the audit can name the field
    except ValueError as exc:
        raise ResultFileError(f"{path}: not a readable result.json ({exc})") from None
    if not isinstance(data, dict):
        raise ResultFileError(f"{path}: expected a JSON object (a result.json from `roster optimize`)")
    return data


def scenario_of(data: dict[str, Any], path: Path, given: Path | None = None) -> Path:
    """The scenario file a result answers: `given` (``--scenario``), else the one result.json records.

    A recorded relative path (result files written before paths were recorded absolute) is looked for from
    the working folder, then from each folder above the result's, so ``roster report out/x`` works from
    anywhere inside the project that ran it.

    Raises
    ------
    ResultFileError
        If no scenario file is found, naming where it was looked for and the ``--scenario`` option.
    """
    if given is not None:
        return given
    recorded = data.get("scenario_file")
    if not isinstance(recorded, str) or not recorded:
        raise ResultFileError(f"{path}: records no scenario_file; pass --scenario")
    named = Path(recorded)
    candidates = [named] if named.is_absolute() else [named, *(d / named for d in path.resolve().parent.parents)]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    where = "" if named.is_absolute() else " (looked for from here and from every folder above the result)"
    raise ResultFileError(f"{path}: its scenario file {recorded} was not found{where}; pass --scenario")


def load_result_file(path: str | Path) -> ResultDoc:
    """Read and validate a result.json file (any missing, NaN or mistyped field is an error naming it)."""
    return parse_result(read_result_data(path), str(path))
