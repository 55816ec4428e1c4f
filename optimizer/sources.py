"""Pools, overlaps and post histories in SQL databases; database and Parquet pools read with the filters applied.

A scenario names a database instead of a file with a mapping (SQLAlchemy Core URLs; SQLite and PostgreSQL
are tested)::

    pool: {url: "sqlite:///creators.db", table: creators}          # a path relative to the scenario file
    pool: {url: "postgresql://analyst@db.example/crm", query: "SELECT * FROM creators WHERE active"}
    pool: {url_env: ROSTER_DB_URL, table: crm.creators}            # the whole URL in an environment variable

**Same validation as files.** Rows are fetched in chunks (streamed: a server-side cursor on PostgreSQL)
into a frame of the same shape as a file's, so every cell goes through the same parsers (``12.4K``, ``4.5%``,
numbers stored as numbers taken as they are) and the same one-paragraph errors (`optimizer.pool`). A
database's rows are numbered from 1 in creator_id order ("table creators, row 3"); a pair table's in
(creator_a, creator_b) order; a history's in (creator_id, posted_at) order. Parquet rows keep their file
numbers (2 to n + 1 under the header), as before.

**Filters at the source (pushdown).** For a database or Parquet pool, the scenario's eligibility rules that
map to columns (followers, engagement rate, authenticity, sentiment, platforms, countries) are applied where
the rows are stored: SQLAlchemy expressions with bound parameters in the ``WHERE`` (a ``query:`` is wrapped
as a subquery), pyarrow ``filters=`` for Parquet. Only rows that cannot be eligible are left unread, so the
roster, its value and every rule check are the same as with pushdown off:

- a row is left out only when its value is a number, within the range a valid cell may take, and fails the
  rule with a margin (1 follower; 1e-9 for rates): text cells (``"12.4K"``), blanks, NaN and out-of-range
  values are read and judged (or reported) in Python, as in a file;
- labels compare after normalisation (case, spacing, Unicode): the distinct raw values of the platform and
  country columns are read first, normalised in Python, and the raw values that match are pushed as an
  ``IN`` list; blank platforms are read (they are errors);
- creators the scenario names (include, exclude, the celebrity, hand-picked lists, and those `roster explain`
  asks about) are always read; so are creators of 500,000+ followers when a follower rule is pushed and no
  celebrity is named, since the report's celebrity alternative ignores the follower filter;
- every id is read (one column) and checked for blanks, repeats and look-alikes as in a file, and the
  overlap pairs are checked against every id before pairs naming an unread creator are dropped (they play
  no part, as pairs with an ineligible creator never do); every niche and platform label is read, so a
  niche or platform rule naming a label that only unread creators have is still valid;
- exclusions are not pushed (the excluded creators are read to check that they exist), nor the
  per-creator budget share (it moves with the budget in a frontier).

What changes: rows left unread are not validated (a bad cell there is not reported), and the pool counts
(`Pool.source_filter`, result.json ``pool.filtered_at_source``, ``roster validate``) say how many rows were
left unread and by which rules, instead of counting them among the ineligible. A scenario whose rules are
looser than those pushed cannot be applied to the loaded pool (`Problem.with_scenario` refuses it).

**Credentials** come from the environment, never the scenario (a URL holding a password is refused there):
PostgreSQL's ``PGPASSWORD`` or ``~/.pgpass``, or the whole URL in the variable named by ``url_env``. Every
message shows the URL with its password masked. SQLite files are opened read-only and PostgreSQL sessions
are read-only: nothing is written to the database.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd

from optimizer.errors import HistoryError, OverlapError, PoolError
from optimizer.files import MIB, check_header, check_regular_file
from optimizer.limits import MAX_FOLLOWERS
from optimizer.numbers import as_text, file_number_format, parse_numbers
from optimizer.pool import (
    REQUIRED,
    Pool,
    check_id_column,
    load_pool,
    overlap_from_frame,
    pairs_frame,
    pool_from_frame,
    read_table_with_format,
)
from optimizer.scenario import DatabaseSource, Eligibility, FileFormat, Scenario, mask_url_secrets, resolve_path
from optimizer.text import normalise_label
from optimizer.tiers import CELEBRITY_FLOOR

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection
    from sqlalchemy.sql import ColumnElement, FromClause

    from optimizer.history import History

# A rate within this of a rule's threshold is read and judged in Python (a database's exact decimals and a
# float can round differently); a follower count within 1 of it likewise (Python rounds counts first).
RATE_MARGIN = 1e-9
COUNT_MARGIN = 1.0
# More distinct platform, niche or country values than this and the labels are not worth listing: read
# every row instead (the census of labels would be as large as the pool).
MAX_DISTINCT_LABELS = 100_000
# More named creators than this and the IN list gets unwieldy for a database: read every row instead.
MAX_NAMED = 20_000
_QUERY_SHOWN = 120  # characters of a query shown in a message


# --- what was pushed down ------------------------------------------------------------------------------


@dataclass
class SourceFilter:
    """The eligibility rules applied while reading a pool, and what they left unread.

    Attributes
    ----------
    rules : list of str
        Each rule applied at the source, in words ("followers 10,000 to 100,000").
    keys : list of str
        The same rules as eligibility keys (``followers_min``, ``platform``, ...).
    eligibility : Eligibility
        The scenario's eligibility block they came from (a later scenario must be at least as strict).
    celebrities_read : bool
        Whether creators of `optimizer.tiers.CELEBRITY_FLOOR`+ followers were read despite a follower rule.
    named : frozenset of str
        Ids read whatever the filters (include, exclude, baselines, explained creators).
    total : int
        Rows in the source.
    read : int
        Rows read (creators in the pool).
    platforms, niches : frozenset of str
        Every platform and niche label in the source, read or not (for the scenario's label checks).
    all_ids : pandas.Series or None
        Every id in the source, as text, in row order: kept until the overlap pairs are checked.
    overlap_dropped : int
        Overlap pairs left out because they name a creator that was not read.
    """

    rules: list[str]
    keys: list[str]
    eligibility: Eligibility
    celebrities_read: bool
    named: frozenset[str]
    total: int
    read: int
    platforms: frozenset[str]
    niches: frozenset[str]
    all_ids: pd.Series | None = field(default=None, repr=False)
    overlap_dropped: int = 0

    @property
    def unread(self) -> int:
        """Rows left unread because no creator in them could be eligible."""
        return self.total - self.read

    def relaxed_by(self, scenario: Scenario) -> list[str]:
        """The pushed rules that `scenario` relaxes (creators it allows may not have been read)."""
        old, new = self.eligibility, scenario.eligibility
        out: list[str] = []
        of, nf = old.followers, new.followers
        if "followers_min" in self.keys and (nf is None or nf.min is None or nf.min < of.min):  # type: ignore[union-attr,operator]
            out.append("followers.min")
        if "followers_max" in self.keys and (nf is None or nf.max is None or nf.max > of.max):  # type: ignore[union-attr,operator]
            out.append("followers.max")
        for key, name, looser in (
            ("engagement_min", "min_engagement_rate", lambda a, b: b is None or b < a),
            ("engagement_max", "max_engagement_rate", lambda a, b: b is None or b > a),
            ("authenticity", "min_authenticity", lambda a, b: b is None or b < a),
            ("sentiment", "min_sentiment", lambda a, b: b is None or b < a),
        ):
            if key in self.keys and looser(getattr(old, name), getattr(new, name)):
                out.append(name)
        for key, name in (("platform", "platforms"), ("country", "countries")):
            wanted = getattr(new, name)
            if key in self.keys and (wanted is None or not set(wanted) <= set(getattr(old, name))):
                out.append(name)
        named = scenario.baselines.celebrity if scenario.baselines else None
        if not self.celebrities_read and {"followers_min", "followers_max"} & set(self.keys) and not named:
            out.append("baselines.celebrity (the celebrity alternative needs the creators above the follower rule)")
        return out

    def words(self) -> str:
        """One sentence for the notes and `roster validate`."""
        return (
            f"{self.read:,} of {self.total:,} creators were read; the other {self.unread:,} were left in the source "
            f"because they cannot be eligible ({'; '.join(self.rules)}). Their cells were not checked"
        )


# --- sources: files and databases ---------------------------------------------------------------------


class _Database:
    """One database source: its URL (resolved, password kept out of every text), an engine, and errors.

    Parameters
    ----------
    spec : DatabaseSource
    scenario_path : Path or None
        SQLite paths are relative to the scenario file's folder.
    kind : type
        The exception to raise (PoolError, OverlapError or HistoryError).
    """

    def __init__(self, spec: DatabaseSource, scenario_path: Path | None, kind: type[Exception]) -> None:
        self.spec = spec
        self.kind = kind
        self.where = f"{scenario_path}: " if scenario_path else ""
        url = self._url(scenario_path)
        self.secret = url.password
        shown = self.written.render_as_string(hide_password=True)  # as the planner wrote it, password masked
        if url.get_backend_name() == "sqlite":
            shown = "sqlite:///" + self.sqlite_path  # the file as the planner knows it, not the read-only URI
        self.url = url
        what = f"table {spec.table}" if spec.table else "query result"
        self.label = f"{shown}, {what}"
        self._engine: Any = None

    # ... the URL

    def _url(self, scenario_path: Path | None) -> URL:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        spec = self.spec
        if spec.url_env is not None:
            text = os.environ.get(spec.url_env, "").strip()
            if not text:
                raise self.kind(
                    f"{self.where}url_env names the environment variable {spec.url_env}, which is not set (or is "
                    "empty); set it to the database URL, e.g. postgresql://analyst:PASSWORD@db.example/crm"
                )
            origin = f"the environment variable {spec.url_env}"
        else:
            text = spec.url or ""
            origin = "url"
        try:
            url = make_url(text)
        except (ArgumentError, ValueError):
            # the text is not shown: an unparsable URL may still hold a password
            raise self.kind(
                f"{self.where}{origin} does not hold a database URL; expected e.g. sqlite:///creators.db or "
                "postgresql://analyst@db.example/crm"
            ) from None
        self.written = url
        backend = url.get_backend_name()
        if backend == "sqlite":
            database = url.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                raise self.kind(
                    f"{self.where}{origin} names no SQLite file (an in-memory database holds no table); "
                    "give one as sqlite:///creators.db (relative to the scenario file) or sqlite:////abs/path.db"
                )
            path = Path(database)
            if not path.is_absolute() and scenario_path is not None:
                path = Path(scenario_path).parent / path
            # before connecting: SQLite would create a missing file (and a FIFO would block)
            check_regular_file(path, self.kind, sys.maxsize, "SQLite database file")
            self.sqlite_path = str(path)
            # read-only: nothing the tool does, nor a planner's query, can write to the file
            url = url.set(database=f"{path.resolve().as_uri()}?mode=ro", query={**url.query, "uri": "true"})
        elif url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")  # SQLAlchemy's default driver is psycopg2
        return url

    # ... errors

    def reason(self, exc: BaseException) -> str:
        """The driver's own words for a failure, on one line, without any password."""
        orig = getattr(exc, "orig", None) or exc
        text = " ".join(str(orig).split()) or type(orig).__name__
        if self.secret:
            text = text.replace(self.secret, "***")
        text = mask_url_secrets(text)
        return text if len(text) <= 600 else text[:600] + "..."

    def fail(self, what: str, exc: BaseException | None = None) -> NoReturn:
        """Raise one paragraph naming the source (masked URL, table or query)."""
        detail = f" ({self.reason(exc)})" if exc is not None else ""
        query = ""
        if self.spec.query is not None and exc is not None:
            shown = " ".join(self.spec.query.split())
            query = f"; the query was: {shown[:_QUERY_SHOWN]}{'...' if len(shown) > _QUERY_SHOWN else ''}"
        raise self.kind(f"{self.where}{self.label}: {what}{detail}{query}")

    @property
    def engine(self) -> Any:
        """The SQLAlchemy engine (no connection pool: one connection per read, closed after it)."""
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.exc import NoSuchModuleError
            from sqlalchemy.pool import NullPool

            args: dict[str, Any] = {}
            if self.url.get_backend_name() == "postgresql":
                # a dead host fails in seconds, not minutes; the session cannot write
                args = {"connect_timeout": 10, "options": "-c default_transaction_read_only=on"}
            try:
                self._engine = create_engine(self.url, poolclass=NullPool, connect_args=args)
            except (NoSuchModuleError, ImportError) as exc:
                extra = " (pip install 'creator-roster[postgres]')" if "postgres" in self.url.drivername else ""
                self.fail(f"this kind of database cannot be read here: its driver is not installed{extra}", exc)
        return self._engine

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection; a failure to connect or to run a statement becomes one paragraph (`fail`)."""
        from sqlalchemy.exc import SQLAlchemyError

        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            self.fail("cannot connect to the database", exc)
        except ImportError as exc:
            self.fail("the database driver is not installed (pip install 'creator-roster[postgres]')", exc)
        try:
            with conn:
                yield conn
        except SQLAlchemyError as exc:
            self.fail(self._statement_failed(), exc)

    def _statement_failed(self) -> str:
        if self.spec.query is not None:
            return "the query failed"
        return "reading the table failed"

    # ... what is in it

    def columns(self, conn: Connection) -> tuple[FromClause, list[str], set[str]]:
        """The table or the wrapped query, its column names, and which columns hold numbers.

        For SQLite every column is treated as a candidate (a column's declared type does not bind its
        values): each pushed test checks ``typeof`` per row instead.
        """
        from sqlalchemy import Integer, MetaData, Numeric, Table, column, inspect, literal_column, select, text
        from sqlalchemy.exc import NoSuchTableError

        sqlite = self.url.get_backend_name() == "sqlite"
        if self.spec.table is not None:
            schema, _, name = self.spec.table.rpartition(".")
            try:
                table = Table(name, MetaData(), schema=schema or None, autoload_with=conn)
            except NoSuchTableError:
                try:
                    have = inspect(conn).get_table_names(schema=schema or None)
                except Exception:  # listing is only a hint
                    have = []
                tip = f"; the tables are: {', '.join(sorted(have)[:30])}" if have else "; the database has no tables"
                raise self.kind(f"{self.where}{self.label}: there is no table {self.spec.table!r}{tip}") from None
            names = [c.name for c in table.columns]
            numeric = set(names) if sqlite else {c.name for c in table.columns if isinstance(c.type, Integer | Numeric)}
            return table, names, numeric
        body = self.query_text()
        probe = conn.execute(select(literal_column("*")).select_from(text(body).columns().subquery("src")).limit(0))
        names = list(probe.keys())
        number = getattr(conn.dialect.dbapi, "NUMBER", None)
        description = probe.cursor.description or [] if probe.cursor is not None else []
        probe.close()
        numeric = set(names) if sqlite else {d[0] for d in description if number is not None and d[1] == number}
        src = text(body).columns(*[column(n) for n in names]).subquery("src")
        return src, names, numeric

    def query_text(self) -> str:
        """The planner's query, ready to wrap: no trailing ';', and its colons kept literal (no bind params)."""
        body = (self.spec.query or "").strip().rstrip(";").strip()
        # SQLAlchemy's text() reads ':word' as a bound parameter; the planner's SQL has none of ours
        return re.sub(r"(?<![:\w\\]):(?=\w)", r"\\:", body)

    def frames(self, conn: Connection, statement: Any) -> Iterator[pd.DataFrame]:
        """The statement's rows in chunks of ``chunk_rows`` (a server-side cursor where the driver has one)."""
        chunk = self.spec.chunk_rows
        streamed = conn.execution_options(stream_results=True, max_row_buffer=chunk)
        yield from pd.read_sql(statement, streamed, chunksize=chunk, coerce_float=True)

    def read(self, conn: Connection, statement: Any, names: list[str]) -> pd.DataFrame:
        """Every row of the statement, as one frame with `names` as columns."""
        parts = list(self.frames(conn, statement))
        if not parts:
            return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return frame


# --- column names ------------------------------------------------------------------------------------------


def _match_columns(names: list[str], mapping: dict[str, str], fields: Iterable[str]) -> dict[str, str] | None:
    """Source column of each standard field, as the pool reader would map it; None when anything is unclear
    (a mapped column that is missing, two candidates): then every row is read and the reader says what is wrong."""
    import unicodedata

    def key(name: str) -> str:
        return unicodedata.normalize("NFC", str(name).strip())

    by_key: dict[str, str] = {}
    for name in names:
        if key(name) in by_key:
            return None
        by_key[key(name)] = name
    out: dict[str, str] = {}
    for standard in fields:
        given = mapping.get(standard, standard)
        if standard in mapping and key(standard) in by_key and key(standard) != key(given):
            return None  # the file has the standard name and a mapping to another column: the reader refuses it
        if key(given) in by_key:
            out[standard] = by_key[key(given)]
    return out


# --- the pushdown plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cut:
    """Leave a row unread when `column` holds a number in [lo, hi] (a valid value) with gt < value < lt."""

    key: str
    column: str
    lo: float
    hi: float
    gt: float | None
    lt: float | None


@dataclass(frozen=True)
class _Keep:
    """Read a row only when `column` holds one of `values` (raw values that normalise to a wanted label)."""

    key: str
    column: str
    values: tuple[Any, ...]
    keep_null: bool


@dataclass
class _Plan:
    cuts: list[_Cut]
    keeps: list[_Keep]
    rules: list[str]
    id_column: str
    named: list[str]
    celebrities: bool

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.cuts] + [k.key for k in self.keeps]


def _named_ids(scenario: Scenario, creators: Iterable[str]) -> list[str]:
    rules = scenario.eligibility
    named = [*rules.include, *rules.exclude, *creators]
    if scenario.baselines is not None:
        if scenario.baselines.celebrity:
            named.append(scenario.baselines.celebrity)
        for ids in scenario.baselines.hand_picked.values():
            named += ids
    return sorted(set(named))


def _cuts(scenario: Scenario, cols: dict[str, str]) -> tuple[list[_Cut], list[str], bool]:
    """The numeric rules as cuts, their words, and whether creators above the follower rule are read."""
    rules = scenario.eligibility
    cuts: list[_Cut] = []
    words: list[str] = []
    named_celebrity = scenario.baselines is not None and scenario.baselines.celebrity is not None
    celebrities = False
    f = rules.followers
    if f is not None and "followers" in cols:
        # the report's celebrity alternative ignores the follower rule, so its candidates (CELEBRITY_FLOOR+)
        # are read too, unless the scenario names the celebrity (then only that creator is a candidate)
        celebrities = not named_celebrity
        ceiling = CELEBRITY_FLOOR - COUNT_MARGIN if celebrities else math.inf  # never cut at or above this
        column = cols["followers"]
        if f.min is not None and min(f.min - COUNT_MARGIN, ceiling) > 0:
            cuts.append(_Cut("followers_min", column, 0, MAX_FOLLOWERS, None, min(f.min - COUNT_MARGIN, ceiling)))
        if f.max is not None and f.max + COUNT_MARGIN < ceiling:
            cuts.append(_Cut("followers_max", column, 0, MAX_FOLLOWERS, f.max + COUNT_MARGIN,
                             None if math.isinf(ceiling) else ceiling))  # fmt: skip
        if any(c.column == column for c in cuts):
            lo = f"{f.min:,.0f}" if f.min is not None else "0"
            hi = f"{f.max:,.0f}" if f.max is not None else "any number"
            also = f" (creators with {CELEBRITY_FLOOR:,}+ were read too, for the celebrity alternative)"
            words.append(f"followers {lo} to {hi}{also if celebrities else ''}")
        else:
            celebrities = False
    if "engagement_rate" in cols:
        if rules.min_engagement_rate is not None:
            cuts.append(
                _Cut("engagement_min", cols["engagement_rate"], 0, 1, None, rules.min_engagement_rate - RATE_MARGIN)
            )
            words.append(f"engagement rate at least {rules.min_engagement_rate:.2%}")
        if rules.max_engagement_rate is not None:
            cuts.append(
                _Cut("engagement_max", cols["engagement_rate"], 0, 1, rules.max_engagement_rate + RATE_MARGIN, None)
            )
            words.append(f"engagement rate at most {rules.max_engagement_rate:.2%}")
    if rules.min_authenticity is not None and "authenticity" in cols:
        cuts.append(_Cut("authenticity", cols["authenticity"], 0, 1, None, rules.min_authenticity - RATE_MARGIN))
        words.append(f"authenticity at least {rules.min_authenticity:.0%}")
    if rules.min_sentiment is not None and "sentiment" in cols:
        cuts.append(_Cut("sentiment", cols["sentiment"], -1, 1, None, rules.min_sentiment - RATE_MARGIN))
        words.append(f"sentiment at least {rules.min_sentiment:g}")
    return cuts, words, celebrities  # fmt: skip


def _label_keeps(
    scenario: Scenario, cols: dict[str, str], census: dict[str, list[Any]]
) -> tuple[list[_Keep], list[str]]:
    """The platform and country rules as lists of the raw values that normalise to a wanted label."""
    rules = scenario.eligibility
    keeps: list[_Keep] = []
    words: list[str] = []
    for key, name, wanted, required in (
        ("platform", "platform", rules.platforms, True),
        ("country", "country", rules.countries, False),
    ):
        if wanted is None or name not in cols or name not in census:
            continue
        raw = census[name]
        labels = as_text(pd.Series(raw, dtype=object)).map(normalise_label).tolist()
        want = set(wanted)
        # a blank platform is an error, so it is read (and reported); a blank country is just not wanted
        values = tuple(v for v, label in zip(raw, labels) if label in want or (required and label == ""))
        keeps.append(_Keep(key, cols[name], values, keep_null=required or "" in want))
        words.append(f"{name} in {', '.join(wanted)}")
    return keeps, words


def _niche_labels(cells: list[Any]) -> frozenset[str]:
    text = as_text(pd.Series(cells, dtype=object))
    return frozenset(label for cell in text for p in cell.split(";") if (label := normalise_label(p)))


# --- reading a pool ------------------------------------------------------------------------------------


def read_pool(scenario: Scenario, scenario_path: Path | None, creators: Iterable[str] = ()) -> Pool:
    """Read and validate the scenario's pool, from a file or a database, with the filters applied where they can be.

    Parameters
    ----------
    scenario : Scenario
    scenario_path : Path or None
        Paths (and SQLite files) are relative to the scenario file.
    creators : iterable of str
        Creator ids the caller will ask about (`roster explain`): read even when the filters would leave them.

    Returns
    -------
    Pool
        With ``source_filter`` set when rows were left unread.
    """
    spec = scenario.pool
    if isinstance(spec, DatabaseSource):
        return _read_database_pool(spec, scenario, scenario_path, list(creators))
    path = resolve_path(scenario_path, spec)
    if not path.exists():
        raise PoolError(f"{scenario_path}: pool file {path} not found (key 'pool' is relative to the scenario file)")
    if path.suffix.lower() in (".parquet", ".pq"):
        pool = _read_parquet_pool(path, scenario, list(creators))
        if pool is not None:
            return pool
    return load_pool(path, scenario.columns, scenario.format)


def _plan(
    scenario: Scenario, names: list[str], numeric: set[str], census: dict[str, list[Any]], creators: list[str]
) -> _Plan | None:
    cols = _match_columns(names, scenario.columns, ("creator_id", *REQUIRED, "authenticity", "sentiment", "country"))
    if cols is None:
        return None
    cuts, words, celebrities = _cuts(scenario, {k: v for k, v in cols.items() if v in numeric})
    keeps, label_words = _label_keeps(scenario, cols, census)
    if not cuts and not keeps:
        return None
    return _Plan(cuts, keeps, words + label_words, cols["creator_id"], _named_ids(scenario, creators), celebrities)


def _can_push(scenario: Scenario, names: list[str], creators: list[str]) -> dict[str, str] | None:
    """The columns a pushdown needs, or None when every row must be read (no rule to push, a required
    column missing, too many named creators): the reader's own checks then run on every row."""
    rules = scenario.eligibility
    if not (
        rules.followers is not None
        or rules.min_engagement_rate is not None
        or rules.max_engagement_rate is not None
        or rules.min_authenticity is not None
        or rules.min_sentiment is not None
        or rules.platforms is not None
        or rules.countries is not None
    ):
        return None
    cols = _match_columns(names, scenario.columns, (*REQUIRED, "authenticity", "sentiment", "country"))
    if cols is None or any(f not in cols for f in REQUIRED):
        return None
    if len(_named_ids(scenario, creators)) > MAX_NAMED:
        return None
    return cols


def _census_columns(scenario: Scenario, cols: dict[str, str]) -> dict[str, str]:
    wanted = {"platform": cols["platform"], "niche": cols["niche"]}
    if scenario.eligibility.countries is not None and "country" in cols:
        wanted["country"] = cols["country"]
    return wanted


def _finish(
    raw: pd.DataFrame,
    rows: np.ndarray,
    source: str,
    scenario: Scenario,
    plan: _Plan,
    all_ids: pd.Series,
    census: dict[str, list[Any]],
    notes: list[str],
    number_format: Any,
) -> Pool:
    pool = pool_from_frame(raw, source, scenario.columns, notes, number_format, rows=rows)
    platforms = frozenset(as_text(pd.Series(census["platform"], dtype=object)).map(normalise_label))
    pool.source_filter = SourceFilter(
        rules=plan.rules,
        keys=plan.keys,
        eligibility=scenario.eligibility,
        celebrities_read=plan.celebrities,
        named=frozenset(plan.named),
        total=len(all_ids),
        read=len(pool.frame),
        platforms=platforms - {""},
        niches=_niche_labels(census["niche"]),
        all_ids=all_ids,
    )
    pool.notes.append(f"{source}: {pool.source_filter.words()}.")
    return pool


def _positions(ids: pd.Series, all_ids: pd.Series) -> np.ndarray:
    """Position of each id in `all_ids` (-1 when absent), without building Python objects when pyarrow is there."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(pa.array(ids.astype("string"), type=pa.large_string()),
                            value_set=pa.array(all_ids.astype("string"), type=pa.large_string()))  # fmt: skip
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    except ImportError:  # pragma: no cover - pyarrow ships with the parquet and test extras
        return pd.Index(all_ids).get_indexer(ids).astype(np.int64)


def _check_all_ids(all_ids: pd.Series, rows: np.ndarray, source: str) -> None:
    """Blank, repeated and look-alike ids among every row, read or not: the errors a full read gives."""
    out = pd.DataFrame({"row": rows, "creator_id": all_ids.to_numpy()})
    check_id_column(all_ids, out, source)


# ... databases


def _read_database_pool(
    spec: DatabaseSource, scenario: Scenario, scenario_path: Path | None, creators: list[str]
) -> Pool:
    db = _Database(spec, scenario_path, PoolError)
    notes: list[str] = []
    number_format = file_number_format(scenario.format.decimal, scenario.format.thousands, None)
    from sqlalchemy import func, select

    with db.connect() as conn:
        src, names, numeric = db.columns(conn)
        check_header(names, db.label, PoolError)
        id_cols = _match_columns(names, scenario.columns, ("creator_id",)) or {}
        id_col = id_cols.get("creator_id")
        cols = _can_push(scenario, names, creators) if spec.pushdown else None
        order = [src.c[id_col]] if id_col is not None else []
        if cols is not None and id_col is not None:
            total = int(conn.execute(select(func.count()).select_from(src)).scalar_one())
            if total > 0:
                census = _db_census(db, conn, src, _census_columns(scenario, cols))
                plan = None if census is None else _plan(scenario, names, numeric, census, creators)
                if plan is not None and census is not None:
                    all_ids = _db_ids(db, conn, select(src.c[id_col]).order_by(*order))
                    _check_all_ids(all_ids, np.arange(1, len(all_ids) + 1), db.label)
                    keep = _sql_keep(plan, src, conn.dialect.name == "sqlite")
                    raw = db.read(conn, select(src).where(keep).order_by(*order), names)
                    if len(raw):  # else nobody can be eligible: read every row, for the messages of a full read
                        rows = _positions(as_text(raw[id_col]), all_ids) + 1
                        return _finish(raw, rows, db.label, scenario, plan, all_ids, census, notes, number_format)
        raw = db.read(conn, select(src).order_by(*order), names)
    return pool_from_frame(raw, db.label, scenario.columns, notes, number_format, rows=np.arange(1, len(raw) + 1))


def _db_census(
    db: _Database, conn: Connection, src: FromClause, columns: dict[str, str]
) -> dict[str, list[Any]] | None:
    """The distinct raw values of each label column; None when one has too many to be worth listing."""
    from sqlalchemy import select

    out: dict[str, list[Any]] = {}
    for name, column in columns.items():
        result = conn.execute(select(src.c[column]).distinct().limit(MAX_DISTINCT_LABELS + 1))
        values = [row[0] for row in result]
        if len(values) > MAX_DISTINCT_LABELS:
            return None
        out[name] = values
    return out


def _db_ids(db: _Database, conn: Connection, statement: Any) -> pd.Series:
    """Every id, as text, in row order (streamed; one column)."""
    parts = [as_text(chunk.iloc[:, 0]).astype("string") for chunk in db.frames(conn, statement)]
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="string")


def _sql_keep(plan: _Plan, src: FromClause, sqlite: bool) -> ColumnElement[bool]:
    """The WHERE clause: named creators, or rows that no cut removes and every label list admits.

    Every value is a bound parameter; column names come from the database's own column list.
    """
    from sqlalchemy import String, and_, cast, func, not_, or_, true

    def cut(c: _Cut) -> ColumnElement[bool]:
        col = src.c[c.column]
        parts = [col.is_not(None)]
        if sqlite:  # SQLite stores what it is given: only cells held as numbers are compared
            parts.append(func.typeof(col).in_(["integer", "real"]))
        parts += [col >= float(c.lo), col <= float(c.hi)]
        if c.gt is not None:
            parts.append(col > float(c.gt))
        if c.lt is not None:
            parts.append(col < float(c.lt))
        return and_(*parts)

    def keep(k: _Keep) -> ColumnElement[bool]:
        col = src.c[k.column]
        member = col.in_(list(k.values)) if k.values else None
        options = [x for x in (member, col.is_(None) if k.keep_null else None) if x is not None]
        return or_(*options) if options else not_(true())

    clause = and_(not_(or_(*[cut(c) for c in plan.cuts])) if plan.cuts else true(), *[keep(k) for k in plan.keeps])
    if plan.named:
        named = func.trim(cast(src.c[plan.id_column], String)).in_(plan.named)
        clause = or_(named, clause)
    return clause


# ... Parquet


def _read_parquet_pool(path: Path, scenario: Scenario, creators: list[str]) -> Pool | None:
    """A Parquet pool read with pyarrow ``filters=``; None when nothing can be pushed (the file reader then
    reads it whole, with its own checks and messages)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        return None
    fmt = scenario.format
    check_regular_file(path, PoolError, int(fmt.max_file_mb * MIB))
    try:
        schema = pq.read_schema(path)
    except Exception:  # a corrupt file: the whole-file reader says so in its own words
        return None
    names = [str(n) for n in schema.names]
    cols = _can_push(scenario, names, creators)
    if cols is None:
        return None
    check_header(names, path, PoolError)
    numeric = {
        n
        for n in names
        if pa.types.is_integer(schema.field(n).type)
        or pa.types.is_floating(schema.field(n).type)
        or pa.types.is_decimal(schema.field(n).type)
    }
    source = str(path)
    try:
        wanted = _census_columns(scenario, cols)
        table = pq.read_table(path, columns=sorted(set(wanted.values())))
        census = {name: pc.unique(table.column(col)).to_pylist() for name, col in wanted.items()}
        del table
        pa.default_memory_pool().release_unused()  # pyarrow keeps freed memory unless told (see pool.py)
        if any(len(v) > MAX_DISTINCT_LABELS for v in census.values()):
            return None
        plan = _plan(scenario, names, numeric, census, creators)
        if plan is None:
            return None
        id_col = plan.id_column
        all_ids = as_text(pq.read_table(path, columns=[id_col]).column(0).to_pandas()).astype("string")
        if len(all_ids) == 0:
            return None
        _check_all_ids(all_ids, np.arange(2, len(all_ids) + 2), source)
        # batch by batch: a file written as one row group would otherwise be decoded whole before filtering
        parquet = pq.ParquetFile(path)
        keep = _arrow_keep(plan)
        parts = [pa.Table.from_batches([batch]).filter(keep) for batch in parquet.iter_batches(batch_size=65_536)]
        if not parts or sum(p.num_rows for p in parts) == 0:
            return None  # nobody can be eligible: read it whole, so the messages are those of a full read
        table = pa.concat_tables(parts).replace_schema_metadata(parquet.schema_arrow.metadata)
        del parts
        raw = table.to_pandas()
        del table
        pa.default_memory_pool().release_unused()
    except PoolError:
        raise
    except Exception as exc:
        raise PoolError(f"{path}: cannot read the file ({type(exc).__name__}: {exc})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    rows = _positions(as_text(raw[id_col.strip()]), all_ids) + 2
    number_format = file_number_format(fmt.decimal, fmt.thousands, None)
    return _finish(raw, rows, source, scenario, plan, all_ids, census, [], number_format)


def _arrow_keep(plan: _Plan) -> Any:
    """The same test as `_sql_keep`, as a pyarrow expression (never null: a null would drop the row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def cut(c: _Cut) -> Any:
        # compared as float64, as Python compares them (an int64 column against a float would not cast)
        col = pc.field(c.column).cast(pa.float64(), safe=False)
        expr = col.is_valid() & (col >= c.lo) & (col <= c.hi)
        if c.gt is not None:
            expr = expr & (col > c.gt)
        if c.lt is not None:
            expr = expr & (col < c.lt)
        return expr

    expr = pc.scalar(True)
    for c in plan.cuts:
        expr = expr & ~cut(c)
    for k in plan.keeps:
        col = pc.field(k.column)
        member = col.isin(list(k.values)) if k.values else pc.scalar(False)
        expr = expr & ((member | col.is_null()) if k.keep_null else member)
    if plan.named:
        ids = pc.utf8_trim_whitespace(pc.field(plan.id_column).cast(pa.large_string()))
        expr = ids.isin(plan.named) | expr
    return expr


# --- overlap pairs --------------------------------------------------------------------------------------


def read_overlap(scenario: Scenario, scenario_path: Path | None, pool: Pool) -> pd.DataFrame:
    """Read and validate the scenario's overlap pairs (file or database) against its pool.

    When the pool was read with filters, the pairs are checked against every id of the pool's source (an
    unknown id is an error exactly as with a full read); pairs naming a creator left unread are then dropped
    and counted (`SourceFilter.overlap_dropped`), since such a creator cannot be chosen.

    Returns
    -------
    pandas.DataFrame
        As `optimizer.pool.overlap_from_frame`.
    """
    spec = scenario.overlap
    assert spec is not None
    if isinstance(spec, DatabaseSource):
        db = _Database(spec, scenario_path, OverlapError)
        source = db.label
        number_format = file_number_format(scenario.format.decimal, scenario.format.thousands, None)
        from sqlalchemy import select

        with db.connect() as conn:
            src, names, _ = db.columns(conn)
            check_header(names, db.label, OverlapError)
            order = [src.c[n] for n in ("creator_a", "creator_b") if n in names]
            raw = db.read(conn, select(src).order_by(*order), names)
        rows = np.arange(1, len(raw) + 1)
    else:
        path = resolve_path(scenario_path, spec)
        raw, number_format = read_table_with_format(path, OverlapError, [], scenario.format, sheet_option=False)
        source, rows = str(path), np.arange(2, len(raw) + 2)
    flt = pool.source_filter
    if flt is None or flt.all_ids is None:
        return overlap_from_frame(raw, pool.ids, source, number_format, rows)
    pairs = _restrict_overlap(raw, pool, flt, flt.all_ids, source, number_format, rows)
    flt.all_ids = None  # no longer needed; the pool travels to worker processes without it
    if flt.overlap_dropped:
        pool.notes.append(
            f"{source}: {flt.overlap_dropped:,} pair(s) name a creator left unread in the pool's source (not eligible); "
            "they were checked and play no part."
        )
    return pairs


def _restrict_overlap(
    raw: pd.DataFrame,
    pool: Pool,
    flt: SourceFilter,
    all_ids: pd.Series,
    source: str,
    number_format: Any,
    rows: np.ndarray,
) -> pd.DataFrame:
    overlap_from_frame(raw.iloc[:0], pool.ids, source, number_format)  # a missing column: the usual message
    ia = _positions(as_text(raw["creator_a"]), all_ids)
    ib = _positions(as_text(raw["creator_b"]), all_ids)
    value, _ = parse_numbers(raw["overlap"], number_format, "rate")
    lo, hi = np.minimum(ia, ib), np.maximum(ia, ib)
    broken = (value.isna() | (value < 0) | (value > 1)).to_numpy() | (ia < 0) | (ib < 0) | (ia == ib)
    key = lo * len(all_ids) + hi
    # a pair listed twice: sorting finds it in a fraction of a hash table's memory (millions of pairs)
    repeated = len(key) > 0 and bool(np.unique(key).size < key.size)
    if broken.any() or repeated:
        # the full check against every id raises the message a full read gives (row, column, value)
        overlap_from_frame(raw, pd.Index(all_ids.to_numpy(dtype=object)), source, number_format, rows)
    # the pairs are valid: keep those whose two creators were read, by their positions in the pool
    to_pool = np.full(len(all_ids), -1, dtype=np.int64)
    to_pool[_positions(pd.Series(pool.ids.to_numpy(dtype=object)), all_ids)] = np.arange(len(pool.ids))
    code_a, code_b = to_pool[ia], to_pool[ib]
    keep = (code_a >= 0) & (code_b >= 0)
    flt.overlap_dropped = int((~keep).sum())
    code_a, code_b = code_a[keep], code_b[keep]
    values = value.to_numpy()[keep]
    return pairs_frame(np.minimum(code_a, code_b), np.maximum(code_a, code_b), values, rows[keep], pool.ids)


# --- other readers: a pool without a scenario, a post history ------------------------------------------


def read_any_pool(
    source: str | Path | DatabaseSource, mapping: dict[str, str] | None = None, fmt: FileFormat | None = None
) -> Pool:
    """Every row of a pool file or database table/query, validated (no scenario, so nothing is pushed)."""
    if not isinstance(source, DatabaseSource):
        return load_pool(source, mapping, fmt)
    from sqlalchemy import select

    db = _Database(source, None, PoolError)
    fmt = fmt or FileFormat()
    with db.connect() as conn:
        src, names, _ = db.columns(conn)
        check_header(names, db.label, PoolError)
        id_col = (_match_columns(names, mapping or {}, ("creator_id",)) or {}).get("creator_id")
        raw = db.read(conn, select(src).order_by(*([src.c[id_col]] if id_col else [])), names)
    number_format = file_number_format(fmt.decimal, fmt.thousands, None)
    return pool_from_frame(raw, db.label, mapping, [], number_format, rows=np.arange(1, len(raw) + 1))


def read_history(
    source: str | Path | DatabaseSource, mapping: dict[str, str] | None = None, now: pd.Timestamp | None = None
) -> History:
    """A post history from a file or a database table/query (rows numbered in creator_id, posted_at order)."""
    from optimizer.history import history_from_frame, load_history

    if not isinstance(source, DatabaseSource):
        return load_history(source, mapping, now)
    from sqlalchemy import select

    db = _Database(source, None, HistoryError)
    with db.connect() as conn:
        src, names, _ = db.columns(conn)
        check_header(names, db.label, HistoryError)
        cols = _match_columns(names, mapping or {}, ("creator_id", "posted_at")) or {}
        order = [src.c[cols[f]] for f in ("creator_id", "posted_at") if f in cols]
        raw = db.read(conn, select(src).order_by(*order), names)
    return history_from_frame(raw, db.label, mapping, now, [], rows=np.arange(1, len(raw) + 1))


def database_source(text: str, table: str | None, query: str | None, kind: type[Exception]) -> DatabaseSource:
    """A database source from the command line: a URL (or ``env:VAR``) and a table or query.

    Raises
    ------
    kind
        When the URL is malformed or holds a password, or neither or both of table and query are given.
    """
    from pydantic import ValidationError

    data: dict[str, Any] = {"table": table, "query": query}
    if text.startswith("env:"):
        data["url_env"] = text[4:]
    else:
        data["url"] = text
    try:
        return DatabaseSource.model_validate(data)
    except ValidationError as exc:
        msgs = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise kind(mask_url_secrets(f"{mask_url_secrets(text)}: {msgs}")) from None


def looks_like_database(text: str) -> bool:
    """Whether a command-line source is a database URL (``scheme://...``) or ``env:VAR`` rather than a path."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text)) or text.startswith("env:")
