"""The scenario file: every setting the planner can give, defined once with its default and bounds.

Loaded from YAML and validated strictly (unknown keys are rejected with a did-you-mean); errors name
the file and the key path. `docs/scenario.md` is generated from these models.
"""

from __future__ import annotations

import codecs
import difflib
import math
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from optimizer.errors import ScenarioError
from optimizer.files import read_limited
from optimizer.limits import (
    DEFAULT_MAX_FILE_MB,
    MAX_BUDGET,
    MAX_POSTS,
    MAX_SCENARIO_BYTES,
    MAX_TARGET,
    MAX_UNIT_VALUE,
    MAX_YAML_NODES,
)
from optimizer.text import find_control
from optimizer.text import normalise_label as normalise_label  # re-exported: labels compare the same everywhere
from optimizer.tiers import TIERS

Objective = Literal["conversions", "emv", "engagements", "reach"]
OBJECTIVES: tuple[str, ...] = ("conversions", "emv", "engagements", "reach")


class _Strict(BaseModel):
    # allow_inf_nan=False: `.inf`, `.nan` and 1e400 are typos or attacks, never a budget or an assumption
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)


class Range(_Strict):
    """An inclusive numeric range; either end may be left open."""

    min: float | None = Field(None, ge=0, description="Lowest allowed value (inclusive).")
    max: float | None = Field(None, ge=0, description="Highest allowed value (inclusive).")

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self


class RosterRules(_Strict):
    """Rules on the roster as a whole."""

    min_creators: int | None = Field(None, ge=0, description="Fewest creators on the roster.")
    max_creators: int | None = Field(None, ge=1, description="Most creators on the roster.")
    max_creator_budget_share: float | None = Field(
        None, gt=0, le=1, description="Cap on any one creator's spend, as a share of the budget."
    )
    max_posts: int | None = Field(
        None,
        ge=1,
        le=MAX_POSTS,
        description="Cap on posts bought from any one creator (the pool's max_posts column "
        "gives each creator's own cap; without that column every creator offers 1 post).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> RosterRules:
        lo, hi = self.min_creators, self.max_creators
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_creators ({lo}) is greater than max_creators ({hi})")
        return self


class Eligibility(_Strict):
    """Which creators may be chosen at all. Each rule applies only when stated."""

    followers: Range | None = Field(None, description="Allowed follower counts.")
    min_engagement_rate: float | None = Field(None, ge=0, le=1, description="Lowest engagement rate (0-1).")
    max_engagement_rate: float | None = Field(
        None, ge=0, le=1, description="Highest engagement rate (0-1); very high rates can signal bought engagement."
    )
    min_authenticity: float | None = Field(
        None, ge=0, le=1, description="Lowest share of real followers (0-1). Needs an authenticity column."
    )
    min_sentiment: float | None = Field(
        None, ge=-1, le=1, description="Lowest audience sentiment (-1 to 1). Needs a sentiment column."
    )
    platforms: list[str] | None = Field(None, description="Only creators on these platforms.")
    countries: list[str] | None = Field(None, description="Only creators in these countries. Needs a country column.")
    include: list[str] = Field(default_factory=list, description="Creator ids that must be on the roster.")
    exclude: list[str] = Field(default_factory=list, description="Creator ids that must not be on the roster.")

    @field_validator("platforms", "countries")
    @classmethod
    def _labels(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [normalise_label(v) for v in value]

    @model_validator(mode="after")
    def _consistent(self) -> Eligibility:
        both = sorted(set(self.include) & set(self.exclude))
        if both:
            raise ValueError(f"creator(s) {', '.join(both)} are both in include and in exclude")
        for key in ("include", "exclude"):
            ids = getattr(self, key)
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{key} lists {', '.join(dupes)} more than once")
        lo, hi = self.min_engagement_rate, self.max_engagement_rate
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_engagement_rate ({lo:g}) is greater than max_engagement_rate ({hi:g})")
        return self


class GroupRule(_Strict):
    """Rules on one niche or one platform: creator counts and shares of the roster's total spend."""

    min_creators: int | None = Field(None, ge=0, description="Fewest creators from this group.")
    max_creators: int | None = Field(None, ge=0, description="Most creators from this group.")
    # Shares of *spend*, not of the budget (docs/decisions.md #1); the first release called them
    # min/max_budget_share, and files written for it still load.
    min_spend_share: float | None = Field(
        None,
        ge=0,
        le=1,
        validation_alias=AliasChoices("min_spend_share", "min_budget_share"),
        description="Least spend on this group, as a share of the roster's total spend "
        "(old name min_budget_share still accepted).",
    )
    max_spend_share: float | None = Field(
        None,
        ge=0,
        le=1,
        validation_alias=AliasChoices("max_spend_share", "max_budget_share"),
        description="Most spend on this group, as a share of the roster's total spend "
        "(old name max_budget_share still accepted).",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_name(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for new, old in (("min_spend_share", "min_budget_share"), ("max_spend_share", "max_budget_share")):
                if new in data and old in data:
                    raise ValueError(f"give {new} or its old name {old}, not both")
        return data

    @model_validator(mode="after")
    def _ordered(self) -> GroupRule:
        if self.min_creators is not None and self.max_creators is not None and self.min_creators > self.max_creators:
            raise ValueError(f"min_creators ({self.min_creators}) is greater than max_creators ({self.max_creators})")
        lo, hi = self.min_spend_share, self.max_spend_share
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"min_spend_share ({lo:g}) is greater than max_spend_share ({hi:g})")
        return self


class OverlapPolicy(_Strict):
    """How shared audiences are handled. Needs an `overlap` file."""

    max_pairwise: float | None = Field(
        None, ge=0, le=1, description="Two creators sharing more than this never both appear."
    )
    discount: bool = Field(
        False, description="Count a shared audience once: subtract overlap x min(value_a, value_b) per chosen pair."
    )


class EmvAssumptions(_Strict):
    """How earned media value is computed (always say which form)."""

    method: Literal["cpm", "per_action"] = Field(
        "cpm",
        description="cpm: reach x cpm / 1000; per_action: reach x impression_value + engagements x engagement_value.",
    )
    cpm: float = Field(
        6.50, ge=0, le=MAX_UNIT_VALUE, description="Value of 1,000 impressions (Upfluence default $6.50)."
    )
    impression_value: float = Field(
        0.003, ge=0, le=MAX_UNIT_VALUE, description="Value of one impression (Aspire default $0.003)."
    )
    engagement_value: float = Field(
        0.15, ge=0, le=MAX_UNIT_VALUE, description="Value of one engagement (Aspire like value $0.15)."
    )


def _default_click_rates() -> dict[str, float]:
    # Clicks per person reached, by follower tier (docs/forecast.md, "The conversion funnel"). Fanpage Karma
    # (96k profiles): 2.2% under 1k followers, 1.3% at 10k-100k, 0.8% above 500k; nano (1k-10k) and mid
    # (100k-500k) are not published and are interpolated on log followers between those brackets, rounded.
    return {"nano": 0.017, "micro": 0.013, "mid": 0.010, "macro": 0.008, "mega": 0.008}


def _default_purchase_rates() -> dict[str, float]:
    # Purchases per click (site visit) from influencer traffic, by tier: Digital Applied's aggregation (2026),
    # 2.18% on average; "mid" is not published and is the midpoint of micro and macro.
    return {"nano": 0.0241, "micro": 0.0218, "mid": 0.018, "macro": 0.0142, "mega": 0.0091}


def _default_engagement_sigma() -> dict[str, float]:
    # Measured (docs/forecast.md, "Uncertainty"): spread of log(actual / followers x stated rate) for later posts in
    # the shared Instagram history, from the P10-P90 range; macro and mega rest on fewer than 100 posts each.
    return {"nano": 0.73, "micro": 0.71, "mid": 0.72, "macro": 0.87, "mega": 0.65}


class UncertaintyAssumptions(_Strict):
    """Spreads used when sampling outcomes (`optimizer.uncertainty`); the point forecast does not use them."""

    no_show: float = Field(
        0.2,
        ge=0,
        lt=1,
        description="Chance that a confirmed creator does not post at all (Later Influence: 80% "
        "post). The point forecast counts it only through delivery_rate; set delivery_rate to 1 - no_show to match.",
    )
    engagement_sigma: float | dict[str, float] = Field(
        default_factory=_default_engagement_sigma,
        description="Lognormal spread of one post's engagements around the forecast, for creators without a "
        "calibration: one number or one per tier.",
    )
    conversion_concentration: float = Field(
        100.0,
        gt=0,
        description="Beta prior strength of a creator's conversion rate around the stated rate "
        "(at 100, a 2.2% rate has its P10-P90 at 0.29x-1.89x: 0.6%-4.2%, near the published 0.5-3% range).",
    )

    @field_validator("engagement_sigma")
    @classmethod
    def _sigmas(cls, value: float | dict[str, float]) -> float | dict[str, float]:
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(TIERS))
            missing = [t for t in TIERS if t not in value]
            if unknown or missing:
                raise ValueError(f"give one number or all five tiers ({', '.join(TIERS)})")
        values = value.values() if isinstance(value, dict) else [value]
        if any(not 0 <= v <= 5 for v in values):
            raise ValueError("engagement spreads are log-scale standard deviations between 0 and 5")
        return value


class Assumptions(_Strict):
    """Forecast parameters. Each is a documented default the scenario can override."""

    reach_rate: float = Field(
        0.20, gt=0, le=1, description="Share of (real) followers who see one post; common estimates are 10-30%."
    )
    click_rate: float | dict[str, float] = Field(
        default_factory=_default_click_rates,
        description="Clicks (visits to the shop) per person reached: one number, or one per tier (nano, micro, mid, "
        "macro, mega). Default: Fanpage Karma's click rates by follower size (nano and mid interpolated).",
    )
    purchase_rate: float | dict[str, float] = Field(
        default_factory=_default_purchase_rates,
        description="Purchases per click (site visit): one number, or one per tier. Default: Digital Applied, "
        "2.18% on average (nano 2.41%, micro 2.18%, macro 1.42%, mega 0.91%; mid interpolated).",
    )
    conversion_rate: float | dict[str, float] | None = Field(
        None,
        description="Purchases per engagement (its meaning since the first release): when given, conversions = "
        "engagements x conversion_rate for every creator instead of reach x click_rate x purchase_rate. A pool "
        "conversion_rate column is per engagement too and overrides either per creator.",
    )
    post_decay: float = Field(
        0.6, ge=0, le=1, description="Each extra post by the same creator is worth this share of the previous one."
    )
    delivery_rate: float = Field(
        1.0, gt=0, le=1, description="Share of booked posts expected to go live (Later assumes 0.8)."
    )
    emv: EmvAssumptions = Field(default_factory=EmvAssumptions, description="Earned media value settings.")
    average_order_value: float | None = Field(
        None, gt=0, le=MAX_UNIT_VALUE, description="Revenue per conversion, for ROI and ROAS."
    )

    @field_validator("conversion_rate", "click_rate", "purchase_rate")
    @classmethod
    def _rates(cls, value: float | dict[str, float] | None) -> float | dict[str, float] | None:
        if value is None:
            return value
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(TIERS))
            if unknown:
                raise ValueError(f"unknown tier(s) {', '.join(unknown)}; tiers are {', '.join(TIERS)}")
            missing = [t for t in TIERS if t not in value]
            if missing:
                raise ValueError(f"missing tier(s) {', '.join(missing)}: give all five or one number")
            rates = value.values()
        else:
            rates = [value]
        if any(not 0 <= r <= 1 for r in rates):
            raise ValueError("rates must be between 0 and 1")
        return value

    @model_validator(mode="after")
    def _one_funnel(self) -> Assumptions:
        # a per-engagement rate and the reach -> click -> purchase rates are two answers to one question: giving
        # both would leave one silently unused. Compared with the defaults, not with what was typed, so that a
        # scenario survives a dump and reload (the dump writes the default rates out)
        defaults = {"click_rate": _default_click_rates(), "purchase_rate": _default_purchase_rates()}
        chain = [k for k, v in defaults.items() if getattr(self, k) != v]
        if self.conversion_rate is not None and chain:
            raise ValueError(
                f"give conversion_rate (purchases per engagement) or {' and '.join(chain)} (the reach -> click -> "
                "purchase funnel), not both"
            )
        return self


class RiskSettings(_Strict):
    """Choose the roster for a bad outcome, not only for the average (`optimizer.risk`).

    ``cvar`` maximises the mean of the worst (1 - alpha) share of `draws` sampled outcomes of the objective
    (Rockafellar-Uryasev); ``robust`` maximises the objective when at most `gamma` creators fall to their P10 at
    once (Bertsimas-Sim). Both are solved to proven optimality for the sampled problem; result.json's `risk`
    compares the roster with the expected-value roster on fresh draws.
    """

    method: Literal["cvar", "robust"] = Field(
        ..., description="cvar: best mean of the worst outcomes; robust: best value when gamma creators disappoint."
    )
    alpha: float = Field(
        0.9,
        gt=0,
        lt=1,
        description="cvar: maximise the mean of the worst (1 - alpha) share of the draws (0.9: worst 10%).",
    )
    gamma: float = Field(
        2.0,
        ge=0,
        le=MAX_POSTS,
        description="robust: at most this many creators fall to their P10 at once (a fraction lets one fall part way).",
    )
    draws: int = Field(
        200,
        ge=10,
        le=5000,
        description="Sampled outcomes the model is built on (cvar: one row each; robust: each creator's mean and P10).",
    )
    seed: int = Field(0, ge=0, description="Seed of the sampled outcomes (same seed, same roster).")
    evaluation_draws: int = Field(
        10_000,
        ge=100,
        le=1_000_000,
        description="Fresh outcomes on which the risk-aware and expected-value rosters are compared.",
    )
    evaluation_seed: int | None = Field(
        None, ge=0, description="Seed of the fresh outcomes (default: seed + 1, so they are out of sample)."
    )

    @model_validator(mode="after")
    def _own_keys(self) -> RiskSettings:
        # compared with the default, not with what was typed, so that a dumped and reloaded scenario still loads
        other = {"cvar": "gamma", "robust": "alpha"}[self.method]
        if getattr(self, other) != type(self).model_fields[other].default:
            raise ValueError(f"{other} does not apply to method {self.method} (alpha is for cvar, gamma for robust)")
        if self.evaluation_seed is not None and self.evaluation_seed == self.seed:
            raise ValueError("evaluation_seed equals seed: the comparison would not be out of sample")
        return self

    @property
    def fresh_seed(self) -> int:
        """Seed of the out-of-sample draws."""
        return self.seed + 1 if self.evaluation_seed is None else self.evaluation_seed


class Target(_Strict):
    """Reach at least this much expected value at the lowest cost (give exactly one)."""

    conversions: float | None = Field(None, gt=0, le=MAX_TARGET, description="Expected purchases to reach.")
    emv: float | None = Field(
        None, gt=0, le=MAX_TARGET, description="Earned media value to reach, in the scenario currency."
    )
    engagements: float | None = Field(None, gt=0, le=MAX_TARGET, description="Expected engagements to reach.")
    reach: float | None = Field(None, gt=0, le=MAX_TARGET, description="Expected people reached.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Target:
        given = [k for k in OBJECTIVES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(OBJECTIVES)} (got {len(given)})")
        return self

    @property
    def metric(self) -> str:
        """The metric the target is stated in."""
        return next(k for k in OBJECTIVES if getattr(self, k) is not None)

    @property
    def value(self) -> float:
        """The amount to reach."""
        return float(getattr(self, self.metric))


class Baselines(_Strict):
    """Alternatives to compare the optimum with, besides the automatic ones."""

    celebrity: str | None = Field(
        None,
        description="Creator id of the celebrity deal to compare with (default: the best affordable 500k+ creator).",
    )
    hand_picked: dict[str, list[str]] = Field(
        default_factory=dict, description="Named hand-picked lists of creator ids, e.g. {agency_shortlist: [c-1, c-2]}."
    )


class FileFormat(_Strict):
    """How the pool and overlap files are written. Each key is detected when not given (docs/decisions.md)."""

    delimiter: Literal[",", ";", "\t"] | None = Field(
        None,
        description="Column delimiter of CSV/TXT files (default: tab for .tsv, else the most frequent of comma, "
        "semicolon and tab in the header line).",
    )
    decimal: Literal[".", ","] | None = Field(
        None,
        description="Decimal mark of number cells (default: ',' in semicolon-separated files, '.' otherwise).",
    )
    thousands: Literal[",", ".", " ", "'", ""] | None = Field(
        None,
        description="Thousands separator, only between groups of three digits (default: '.' with a decimal comma, "
        "',' otherwise; spaces are always accepted). Needs `decimal`.",
    )
    encoding: str | None = Field(
        None,
        description="Text encoding, e.g. latin-1 (default: a byte-order mark, else UTF-8, else Windows-1252 with a note).",
    )
    sheet: str | None = Field(
        None, description="Sheet of an XLSX pool to read; required when the workbook has several sheets."
    )
    max_file_mb: float = Field(
        DEFAULT_MAX_FILE_MB, gt=0, le=1_048_576, description="Largest pool or overlap file read, in MiB."
    )

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(
                    f"unknown encoding '{value}'; use a name such as utf-8, utf-16, latin-1 or cp1252"
                ) from None
        return value

    @model_validator(mode="after")
    def _marks(self) -> FileFormat:
        if self.thousands is not None and self.decimal is None:
            raise ValueError('thousands needs decimal too, e.g. {decimal: ",", thousands: "."}')
        if self.thousands is not None and self.thousands == self.decimal:
            raise ValueError(f"decimal and thousands are both '{self.decimal}'")
        return self


# A URL with a password in it, anywhere in a text: the password is replaced before the text is shown.
_URL_SECRET = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*):([^\s@'\"]*)@")
_LOOKS_LIKE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def mask_url_secrets(text: str) -> str:
    """`text` with the password of every URL in it replaced by ``***``.

    Examples
    --------
    >>> mask_url_secrets("cannot reach postgresql://ann:s3cret@db.example/crm")
    'cannot reach postgresql://ann:***@db.example/crm'
    """
    return _URL_SECRET.sub(r"\1:***@", text)


def check_database_url(text: str) -> None:
    """Refuse a database URL that is malformed or holds a password (scenario files are shared and committed).

    Raises
    ------
    ValueError
        With the URL's password masked, saying where credentials go instead.
    """
    from sqlalchemy.engine import make_url  # imported only when a scenario names a database
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ValueError(
            "url is not a database URL; expected e.g. sqlite:///creators.db or postgresql://analyst@db.example/crm"
        ) from None
    if url.password is not None:
        raise ValueError(
            f"the URL {url.render_as_string(hide_password=True)} holds a password; a scenario file is shared and "
            "committed, so remove it: PostgreSQL reads it from the PGPASSWORD environment variable or a ~/.pgpass "
            "file, or put the whole URL in an environment variable and name it with url_env"
        )


class DatabaseSource(_Strict):
    """A table or query in a SQL database, read instead of a file (`pool:`, `overlap:`).

    Give `url` or `url_env`, and `table` or `query`. The scenario's eligibility filters are applied in the
    database where they map to columns (`pushdown`), so only creators that can qualify are read.
    """

    url: str | None = Field(
        None,
        description="SQLAlchemy URL without a password: sqlite:///creators.db (a path relative to the scenario "
        "file) or postgresql://analyst@db.example/crm (password from PGPASSWORD or ~/.pgpass).",
    )
    url_env: str | None = Field(
        None, description="Name of an environment variable holding the whole URL (which may hold a password)."
    )
    table: str | None = Field(None, description="Table to read (schema.table for another schema).")
    query: str | None = Field(
        None, description="A SELECT of your own, instead of a table; the eligibility filters are applied around it."
    )
    pushdown: bool = Field(
        True,
        description="Apply the eligibility filters in the database, so that only creators who can qualify are "
        "read (false: read every row).",
    )
    chunk_rows: int = Field(50_000, ge=1, le=10_000_000, description="Rows fetched at a time.")

    @field_validator("table", "query", "url", "url_env")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        if value is not None:
            if not value.strip():
                raise ValueError("is empty")
            bad = find_control(value)
            if bad is not None:
                raise ValueError(f"contains the control character {bad!r}; use plain text")
        return value

    @model_validator(mode="after")
    def _one_of_each(self) -> DatabaseSource:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give the database as url or as url_env (an environment variable holding the URL), once")
        if (self.table is None) == (self.query is None):
            raise ValueError("give a table or a query (a SELECT), one of the two")
        if self.url_env is not None and not _ENV_NAME.match(self.url_env):
            raise ValueError("url_env is the name of an environment variable, such as ROSTER_DB_URL")
        if self.url is not None:
            check_database_url(self.url)
        return self


def _source_kind(value: Any) -> str:
    return "database" if isinstance(value, dict | DatabaseSource) else "file"


# A pool or overlap source: a file path, or a mapping naming a database table or query. The tag keeps a
# bad mapping's errors to the database form (an untagged union would also complain that it is not a string).
Source = Annotated[
    Annotated[str, Tag("file")] | Annotated[DatabaseSource, Tag("database")], Discriminator(_source_kind)
]
_SOURCE_TAGS = ("file", "database")


BlankPolicy = Literal["error", "zero", "exclude"]
_BLANK_HELP = (
    "What a blank cell in the column means: error (the default: every creator needs a value), zero (count it "
    "as 0) or exclude (such creators may not be chosen)."
)


class AudienceRule(_Strict):
    """One audience segment (a pool column of shares, 0-1 or 0-100%): its share of the roster's expected reach."""

    min_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Least share of the roster's expected reach (every booked post, with post decay, before the "
        "overlap discount) in this segment (0-1).",
    )
    max_share: float | None = Field(
        None, ge=0, le=1, description="Most share of the roster's expected reach in this segment (0-1)."
    )
    blank: BlankPolicy = Field("error", description=_BLANK_HELP)

    @model_validator(mode="after")
    def _stated(self) -> AudienceRule:
        if self.min_share is None and self.max_share is None:
            raise ValueError("give min_share, max_share or both")
        if self.min_share is not None and self.max_share is not None and self.min_share > self.max_share:
            raise ValueError(f"min_share ({self.min_share:g}) is greater than max_share ({self.max_share:g})")
        return self


LIMIT_STATS: tuple[str, ...] = ("min_sum", "max_sum", "min_average", "max_average")


class LimitRule(_Strict):
    """Caps and floors on a numeric pool column (usage fee, production hours): its total or its average."""

    min_sum: float | None = Field(None, description="Least total of the column.")
    max_sum: float | None = Field(None, description="Most total of the column.")
    min_average: float | None = Field(None, description="Least average of the column.")
    max_average: float | None = Field(None, description="Most average of the column.")
    per: Literal["creator", "post"] = Field(
        "creator",
        description="creator: each chosen creator counts once (a fee per creator); post: each booked post counts "
        "(hours per post), with no post decay.",
    )
    blank: BlankPolicy = Field("error", description=_BLANK_HELP)

    @model_validator(mode="after")
    def _stated(self) -> LimitRule:
        if all(getattr(self, k) is None for k in LIMIT_STATS):
            raise ValueError(f"give at least one of {', '.join(LIMIT_STATS)}")
        for low, high in (("min_sum", "max_sum"), ("min_average", "max_average")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo:g}) is greater than {high} ({hi:g})")
        return self


POOL_FIELDS: tuple[str, ...] = (
    "creator_id", "handle", "platform", "followers", "engagement_rate", "niche", "cost",
    "authenticity", "sentiment", "conversion_rate", "max_posts", "country",
    "expected_conversions", "expected_emv", "expected_engagements", "expected_reach",
)  # fmt: skip


class Scenario(_Strict):
    """One campaign: where the pool is, the budget, the objective and every rule."""

    name: str = Field(..., min_length=1, description="Campaign name, shown in every output.")
    pool: Source = Field(
        ...,
        description="Creator pool file (CSV, TSV, Parquet or XLSX), relative to the scenario file, or a database "
        "table or query: {url: sqlite:///creators.db, table: creators}.",
    )
    overlap: Source | None = Field(
        None,
        description="Overlap file (or database table or query): creator_a, creator_b, overlap (0-1, share of the "
        "smaller audience).",
    )
    calibration: str | None = Field(
        None,
        description="Calibration file from `roster calibrate` (relative to the scenario file): engagements "
        "forecast from post history instead of followers x engagement_rate.",
    )
    budget: float | None = Field(
        None, gt=0, le=MAX_BUDGET, description="Most that may be spent. Required unless a target is given."
    )
    min_spend: float | None = Field(None, ge=0, le=MAX_BUDGET, description="Least that must be spent.")
    currency: str = Field(
        "USD",
        min_length=1,
        max_length=16,
        description="Currency of budget and pool costs: a code or symbol (letters, currency signs, spaces, '.').",
    )
    objective: Objective = Field("conversions", description="What to maximise: conversions, emv, engagements or reach.")
    target: Target | None = Field(
        None, description="Instead of maximising: the cheapest roster reaching this much (e.g. {conversions: 4000})."
    )
    roster: RosterRules = Field(default_factory=RosterRules, description="Roster size and per-creator caps.")
    eligibility: Eligibility = Field(default_factory=Eligibility, description="Which creators may be chosen.")
    niches: dict[str, GroupRule] = Field(default_factory=dict, description="Rules per niche.")
    platforms: dict[str, GroupRule] = Field(default_factory=dict, description="Rules per platform.")
    overlap_policy: OverlapPolicy = Field(default_factory=OverlapPolicy, description="Shared-audience rules.")
    assumptions: Assumptions = Field(default_factory=Assumptions, description="Forecast parameters.")
    uncertainty: UncertaintyAssumptions = Field(
        default_factory=UncertaintyAssumptions,
        description="Spreads and no-show chance for sampling outcomes (`optimizer.uncertainty`); the point "
        "forecast and the optimum do not use them.",
    )
    risk: RiskSettings | None = Field(
        None, description="Risk-aware roster: maximise the CVaR of the objective, or its Bertsimas-Sim robust value."
    )
    baselines: Baselines | None = Field(None, description="Alternatives for the report to compare with.")
    prices: dict[str, float] = Field(
        default_factory=dict,
        description="Negotiated price of one post for named creators (creator_id -> amount in the scenario "
        "currency); replaces the pool's cost for them. `roster replace` records renegotiated prices here.",
    )
    audience: dict[str, AudienceRule] = Field(
        default_factory=dict,
        description="Audience composition rules, one per segment column of the pool, e.g. "
        "{audience_us: {min_share: 0.6}, audience_13_17: {max_share: 0.2}}.",
    )
    limits: dict[str, LimitRule] = Field(
        default_factory=dict,
        description="Caps and floors on numeric pool columns, e.g. {usage_fee: {max_sum: 5000}, "
        "production_hours: {max_sum: 120, per: post}, brand_safety: {min_average: 0.8}}.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Pool column names to use for the standard fields or for the columns that audience and "
        "limits rules name, e.g. {followers: Followers, niche: Category, audience_us: 'Audience US %'}.",
    )
    format: FileFormat = Field(
        default_factory=FileFormat,
        description="How the pool and overlap files are written (delimiter, decimal mark, encoding, sheet, size limit).",
    )

    @field_validator("name", "pool", "overlap")
    @classmethod
    def _plain_text(cls, value: str | DatabaseSource | None) -> str | DatabaseSource | None:
        if not isinstance(value, str):
            return value
        bad = find_control(value) or next((c for c in value if c in "\t\r\n"), None)
        if bad is not None:
            raise ValueError(f"contains the control character {bad!r}; use plain text")
        if _LOOKS_LIKE_URL.match(value):
            # a URL given as a path would be looked for as a file, and the message would show its password
            raise ValueError(
                "looks like a database URL; write it as a mapping: {url: ..., table: NAME} (or query: SELECT ...)"
            )
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        # the currency is printed next to every amount in every output (and in XLSX number formats): a code
        # or a symbol, nothing that could be markup
        if not all(c.isalpha() or unicodedata.category(c) == "Sc" or c in " ." for c in value):
            raise ValueError(
                "expected a currency code or symbol such as USD, EUR, € or R$ (letters, currency signs, spaces, '.')"
            )
        return value

    @field_validator("niches", "platforms")
    @classmethod
    def _labels(cls, value: dict[str, GroupRule]) -> dict[str, GroupRule]:
        out: dict[str, GroupRule] = {}
        for key, rule in value.items():
            label = normalise_label(key)
            if label in out:
                raise ValueError(f"'{key}' is listed twice (labels ignore case and spacing)")
            out[label] = rule
        return out

    @field_validator("prices")
    @classmethod
    def _prices(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [f"{cid}: {amount!r}" for cid, amount in value.items() if not math.isfinite(amount) or amount < 0]
        if bad:
            raise ValueError(f"a price must be a number >= 0 ({'; '.join(bad)})")
        return value

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        # audience and limits are validated first (declared first), so the columns their rules name may be mapped
        named = [*info.data.get("audience", {}), *info.data.get("limits", {})]
        for key in value:
            if key not in POOL_FIELDS and key not in named:
                hint = difflib.get_close_matches(key, [*POOL_FIELDS, *named], n=1)
                tip = f"; did you mean '{hint[0]}'?" if hint else f"; standard fields are {', '.join(POOL_FIELDS)}"
                raise ValueError(f"'{key}' is neither a pool field nor a column an audience or limits rule names{tip}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.budget is None and self.target is None:
            raise ValueError("give a budget (or a target, for the cheapest roster reaching it)")
        if self.budget is not None and self.min_spend is not None and self.min_spend > self.budget:
            raise ValueError(f"min_spend ({self.min_spend:g}) is greater than the budget ({self.budget:g})")
        if self.roster.max_creator_budget_share is not None and self.budget is None:
            raise ValueError("roster.max_creator_budget_share needs a budget")
        if self.risk is not None and self.target is not None:
            raise ValueError("risk: chooses the best roster for a bad outcome under the budget; it cannot be combined "
                             "with target: (the cheapest roster reaching an expected value)")  # fmt: skip
        if self.overlap is None and (self.overlap_policy.max_pairwise is not None or self.overlap_policy.discount):
            raise ValueError("overlap_policy needs an overlap file (key 'overlap')")
        return self

    @property
    def mode(self) -> str:
        """'maximise' the objective under the budget, or 'min_cost' to reach the target."""
        return "min_cost" if self.target is not None else "maximise"

    @property
    def value_metric(self) -> str:
        """The metric whose value the model counts (the target's metric in min-cost mode)."""
        return self.target.metric if self.target is not None else self.objective


# --- loading -----------------------------------------------------------------------------------


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """Walk a model class along an error location to the model that holds the last key."""
    current: Any = model
    skip_key = False  # after a dict field (niches, platforms) the next part is a label, not a field
    for part in loc[:-1]:
        if skip_key or isinstance(part, int):
            skip_key = False
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        skip_key = getattr(field.annotation, "__origin__", None) is dict
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """The BaseModel inside `X | None` or `dict[str, X]`, else the annotation itself."""
    args = getattr(annotation, "__args__", ()) or ()
    for arg in args:
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _format_errors(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # a source is a tagged union (file or database): the tag is not a key the planner wrote
        loc = tuple(p for i, p in enumerate(loc) if not (p in _SOURCE_TAGS and i and loc[i - 1] in ("pool", "overlap")))
        path = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            holder = _model_at(Scenario, loc)
            known = list(holder.model_fields) if holder else []
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
            msg = f"unknown key '{loc[-1]}'" + (f"; did you mean '{hint[0]}'?" if hint else "")
            if known and not hint:
                msg += f" (allowed here: {', '.join(known)})"
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if "input" in err and not isinstance(err["input"], dict | list):
                msg += f" (got {err['input']!r})"
        lines.append(mask_url_secrets(f"{source}: {path}: {msg}"))
    return "\n".join(lines)


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Validate a scenario given as a mapping.

    Parameters
    ----------
    data : Any
        The parsed YAML (a mapping).
    source : str
        Name used in error messages (usually the file path).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        If a key is unknown, missing or out of bounds; the message names the key path.

    Examples
    --------
    >>> parse_scenario({"name": "demo", "pool": "creators.csv", "budget": 5000}).objective
    'conversions'
    """
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: expected a mapping of keys (name, pool, budget, ...), got {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_errors(exc, source)) from None


class _DuplicateKey(Exception):
    """A key given twice in one YAML mapping (PyYAML would silently keep the last)."""


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader, refusing duplicate keys (YAML 1.2 says keys are unique; PyYAML keeps the last,
    so a second `budget:` or `niches:` block would silently replace the first)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` then overriding a merged key is legitimate YAML
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: PyYAML's own error follows
            line = key_node.start_mark.line + 1
            if first is not None:
                raise _DuplicateKey(
                    f"key '{key}' appears twice in the same mapping (lines {first} and {line}); YAML keeps only "
                    "the last, so one would be silently lost: remove or merge one"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node, limit: int) -> int | None:
    """Values in the document once every alias is expanded (capped at ``limit + 1``); None when an alias
    refers to a node that contains it (the document would be infinite)."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            open_nodes.discard(id(node))
            size[id(node)] = min(limit + 1, 1 + sum(size[id(c)] for c in children))
            continue
        if id(node) in size:
            continue
        open_nodes.add(id(node))
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                return None
            if id(child) not in size:
                stack.append((child, False))
    return size[id(root)]


def _parse_yaml(text: str, path: Path) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # aliases share nodes, so a small file can stand for an enormous document ("billion laughs");
        # measure it before anything (PyYAML's constructor, pydantic) walks it as a tree
        expanded = _expanded_size(node, MAX_YAML_NODES)
        if expanded is None:
            raise ScenarioError(
                f"{path}: an alias (*name) refers to the value that contains it, so the YAML never ends"
            )
        if expanded > MAX_YAML_NODES:
            raise ScenarioError(
                f"{path}: the YAML expands to more than {MAX_YAML_NODES:,} values through its aliases (*name); "
                "a scenario needs far fewer, so it is refused (write the values out, or use fewer aliases)"
            )
        return loader.construct_document(node)
    except _DuplicateKey as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    finally:
        loader.dispose()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a YAML scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario file.

    Returns
    -------
    Scenario
        The validated scenario (paths inside it stay relative; see `resolve_path`).

    Raises
    ------
    ScenarioError
        If the file is missing, not a regular file, too large, is not YAML (or repeats a key, or expands
        beyond `optimizer.limits.MAX_YAML_NODES` values through aliases), or breaks the schema.
    """
    path = Path(path)
    raw = read_limited(path, ScenarioError, MAX_SCENARIO_BYTES, "scenario file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: cannot read scenario file ({exc})") from None
    try:
        data = _parse_yaml(text, path)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_scenario(data, str(path))


def resolve_path(scenario_path: str | Path | None, relative: str) -> Path:
    """A path from the scenario, taken relative to the scenario file's folder."""
    p = Path(relative)
    if p.is_absolute() or scenario_path is None:
        return p
    return Path(scenario_path).parent / p
