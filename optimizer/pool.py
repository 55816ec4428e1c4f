"""Creator pools and overlap files: read, parse messy platform exports, and validate, keyed by creator id.

Every problem is reported with the file, the spreadsheet row (header = row 1), the column and the value.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import OverlapError, PoolError
from optimizer.scenario import POOL_FIELDS, normalise_label

REQUIRED = ("creator_id", "handle", "platform", "followers", "engagement_rate", "niche", "cost")
EXPECTED = ("expected_conversions", "expected_emv", "expected_engagements", "expected_reach")
_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}
_MAX_LISTED = 5


@dataclass
class Pool:
    """A validated creator pool.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per creator, indexed by ``creator_id`` and sorted by it (never by file position).
        Standard columns are typed; ``niches`` holds a tuple of labels; ``row`` the spreadsheet row;
        columns the tool does not know are kept as text and carried into the outputs.
    source : str
        The file it came from, for messages.
    present : set of str
        Optional standard columns the file has (``authenticity``, ``expected_emv``, ...).
    extra_columns : list of str
        Unknown columns carried through.
    notes : list of str
        Defaults applied while reading, said out loud.
    """

    frame: pd.DataFrame
    source: str
    present: set[str] = field(default_factory=set)
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ids(self) -> pd.Index:
        """Creator ids, sorted."""
        return self.frame.index


# --- reading -----------------------------------------------------------------------------------


def _read_text_table(path: Path, kind: type[Exception], notes: list[str]) -> pd.DataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
        notes.append(f"{path.name} is not UTF-8; it was read as Windows-1252 (Latin-1).")
    header = next(csv.reader(io.StringIO(text)), None)
    if not header:
        raise kind(f"{path}: the file is empty (no header row)")
    seen: dict[str, int] = {}
    for pos, name in enumerate(header, start=1):
        if name in seen:
            raise kind(
                f"{path}: column '{name}' appears twice (columns {seen[name]} and {pos}); rename one, or map "
                f"the one to use under `columns:` in the scenario (pandas calls the second '{name}.1')"
            )
        seen[name] = pos
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise kind(f"{path}: not a readable CSV file ({exc})") from None


def read_table(path: Path, kind: type[Exception], notes: list[str]) -> pd.DataFrame:
    """Read a CSV, Parquet or XLSX file into a frame of text cells (numbers are parsed later, per column)."""
    if not path.exists():
        raise kind(f"{path}: file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            frame = _read_text_table(path, kind, notes)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            raise kind(f"{path}: unknown file type '{suffix}'; use .csv, .parquet or .xlsx")
    except ImportError as exc:
        extra = "parquet" if suffix in (".parquet", ".pq") else "excel"
        raise kind(
            f"{path}: reading {suffix} files needs an extra: pip install 'creator-roster[{extra}]' ({exc})"
        ) from None
    except kind:
        raise
    except Exception as exc:  # a corrupt binary file: report it in the user's words
        raise kind(f"{path}: cannot read the file ({type(exc).__name__}: {exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


# --- parsing cells ---------------------------------------------------------------------------


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def _fail(
    kind: type[Exception],
    source: str,
    frame: pd.DataFrame,
    bad: np.ndarray,
    column: str,
    values: pd.Series,
    expected: str,
) -> None:
    """Raise one paragraph naming the first bad row and how many others share the problem."""
    positions = np.flatnonzero(bad)
    first = positions[0]
    row = int(frame["row"].iloc[first])
    ident = frame["creator_id"].iloc[first] if "creator_id" in frame else ""
    who = f" (creator {ident})" if ident else ""
    msg = f"{source}, row {row}{who}, column '{column}': value {values.iloc[first]!r} {expected}"
    if len(positions) > 1:
        rows = ", ".join(str(int(frame["row"].iloc[p])) for p in positions[1 : _MAX_LISTED + 1])
        more = "" if len(positions) <= _MAX_LISTED + 1 else ", ..."
        msg += f". {len(positions) - 1} more row(s) have the same problem (rows {rows}{more})"
    raise kind(msg)


def _to_float(text: pd.Series) -> pd.Series:
    """Numbers from text as float64, NaN where unreadable (pandas may pick a nullable integer type otherwise)."""
    number = pd.to_numeric(text, errors="coerce")
    return pd.Series(number.to_numpy(dtype=float, na_value=np.nan), index=text.index)


def parse_count(text: pd.Series) -> pd.Series:
    """Parse counts written as ``12400``, ``12,400``, ``12.4K``, ``1.2M`` or ``3B``; NaN where unreadable.

    Examples
    --------
    >>> parse_count(pd.Series(["12400", "12,400", "12.4K", "1.2M", "x"])).tolist()[:4]
    [12400.0, 12400.0, 12400.0, 1200000.0]
    """
    plain = _to_float(text) if pd.api.types.is_numeric_dtype(text) else _to_float(_as_text(text))
    if not plain.isna().any():
        return plain  # the common case: plain numbers, no regex needed
    s = _as_text(text).str.replace(",", "", regex=False).str.replace(" ", "", regex=False).str.upper()
    parts = s.str.extract(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:E[+-]?\d+)?)([KMB]?)$")
    number = _to_float(parts[0])
    scale = parts[1].map(_SUFFIX).to_numpy(dtype=float, na_value=np.nan)
    return number * scale


def _numeric(series: pd.Series) -> pd.Series | None:
    """The column as float64 if it is already numeric (Parquet, XLSX, in-memory frames), else None."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index)
    return None


def parse_rate(text: pd.Series) -> pd.Series:
    """Parse rates written as ``0.045`` or ``4.5%``; NaN where unreadable.

    Examples
    --------
    >>> parse_rate(pd.Series(["0.045", "4.5%", " 4.5 % "])).round(6).tolist()
    [0.045, 0.045, 0.045]
    """
    numeric = _numeric(text)
    if numeric is not None:
        return numeric
    s = _as_text(text).str.replace(" ", "", regex=False)
    pct = s.str.endswith("%")
    number = _to_float(s.str.rstrip("%"))
    return number.where(~pct.to_numpy(dtype=bool), number / 100.0)


def _parse_number(text: pd.Series) -> pd.Series:
    numeric = _numeric(text)
    if numeric is not None:
        return numeric
    s = _as_text(text).str.replace(",", "", regex=False).str.lstrip("$€£")
    return _to_float(s)


# --- the pool ---------------------------------------------------------------------------------


def _map_columns(frame: pd.DataFrame, mapping: dict[str, str], source: str) -> pd.DataFrame:
    """Rename the scenario's mapped columns to standard names; complain about anything ambiguous."""
    columns = list(frame.columns)
    rename: dict[str, str] = {}
    for standard, given in mapping.items():
        if given not in columns:
            hint = difflib.get_close_matches(given, columns, n=1)
            tip = f"; did you mean '{hint[0]}'?" if hint else f"; the file has: {', '.join(columns)}"
            raise PoolError(
                f"{source}: the scenario maps '{standard}' to column '{given}', which is not in the file{tip}"
            )
        if standard in columns and standard != given:
            raise PoolError(
                f"{source}: the file already has a column '{standard}' and the scenario maps '{standard}' to '{given}'; "
                "remove one so it is clear which to use"
            )
        rename[given] = standard
    return frame.rename(columns=rename)


def pool_from_frame(
    raw: pd.DataFrame, source: str = "pool", mapping: dict[str, str] | None = None, notes: list[str] | None = None
) -> Pool:
    """Validate a creator pool given as a frame (cells may be text or numbers).

    Parameters
    ----------
    raw : pandas.DataFrame
        One row per creator with the standard columns (or columns mapped onto them).
    source : str
        Name used in messages.
    mapping : dict, optional
        Standard field -> column name in ``raw``.
    notes : list of str, optional
        Notes gathered while reading, extended here.

    Returns
    -------
    Pool

    Raises
    ------
    PoolError
        On a missing column, duplicate id, or a value that cannot be read or is out of range.
    """
    notes = list(notes or [])
    frame = _map_columns(raw.copy(), mapping or {}, source)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, list(frame.columns), n=1, cutoff=0.5)
            if close:
                hints.append(f"'{close[0]}' for '{name}'")
        tip = f" Map them under `columns:` in the scenario (perhaps {', '.join(hints)})." if hints else ""
        raise PoolError(
            f"{source}: missing required column(s) {', '.join(missing)}; the file has: "
            f"{', '.join(map(str, frame.columns)) or '(none)'}.{tip}"
        )
    if len(frame) == 0:
        raise PoolError(f"{source}: the pool has no creators (header only)")
    frame["row"] = np.arange(2, len(frame) + 2)

    out = pd.DataFrame({"row": frame["row"].to_numpy()})
    ids = _as_text(frame["creator_id"])
    out["creator_id"] = ids.to_numpy()
    blank = (ids == "").to_numpy()
    if blank.any():
        _fail(PoolError, source, out, blank, "creator_id", ids, "is empty; every creator needs an id")
    dupes = ids.duplicated(keep=False).to_numpy()
    if dupes.any():
        first_id = ids[dupes].iloc[0]
        rows = out.loc[(ids == first_id).to_numpy(), "row"].tolist()
        n_ids = ids[dupes].nunique()
        raise PoolError(
            f"{source}, column 'creator_id': id {first_id!r} appears on rows {', '.join(map(str, rows))}; "
            f"ids must be unique ({n_ids} id(s) are repeated)"
        )

    out["handle"] = _as_text(frame["handle"]).to_numpy()
    platform_text = _as_text(frame["platform"])
    platform = platform_text.map({v: normalise_label(v) for v in platform_text.unique()})
    bad = (platform == "").to_numpy()
    if bad.any():
        _fail(
            PoolError,
            source,
            out,
            bad,
            "platform",
            frame["platform"],
            "is empty; expected a platform such as instagram",
        )
    out["platform"] = platform.to_numpy()

    followers = parse_count(frame["followers"])
    bad = (followers.isna() | (followers < 0)).to_numpy()
    if bad.any():
        _fail(
            PoolError,
            source,
            out,
            bad,
            "followers",
            frame["followers"],
            "is not a follower count; expected e.g. 12400, 12,400, 12.4K or 1.2M",
        )
    out["followers"] = followers.round().to_numpy()

    out["engagement_rate"] = _rate(frame, out, source, "engagement_rate", 0.0, 1.0).to_numpy()

    # a plain list keeps each cell a tuple (numpy would turn equal-length tuples into a 2-D array)
    cells = _as_text(frame["niche"])
    distinct = {
        cell: tuple(sorted({normalise_label(p) for p in cell.split(";") if p.strip()})) for cell in cells.unique()
    }
    out["niches"] = [distinct[cell] for cell in cells]

    cost = _parse_number(frame["cost"])
    bad = (cost.isna() | ~np.isfinite(cost) | (cost < 0)).to_numpy()
    if bad.any():
        _fail(
            PoolError,
            source,
            out,
            bad,
            "cost",
            frame["cost"],
            "is not a price; expected a number >= 0 (the price of one post)",
        )
    out["cost"] = cost.to_numpy()

    present: set[str] = set()
    for name, lo, hi in (("authenticity", 0.0, 1.0), ("conversion_rate", 0.0, 1.0)):
        if name in frame.columns:
            present.add(name)
            out[name] = _rate(frame, out, source, name, lo, hi, optional=True).to_numpy()

    def optional_number(name: str, ok: Callable[[pd.Series], pd.Series], expected: str) -> tuple[pd.Series, np.ndarray]:
        """An optional numeric column: blanks allowed, anything else must pass `ok` (numbers as given, or as text)."""
        present.add(name)
        value = _parse_number(frame[name])
        numeric = _numeric(frame[name])
        blank = numeric.isna().to_numpy() if numeric is not None else (_as_text(frame[name]) == "").to_numpy()
        bad = ~blank & ~(ok(value).to_numpy() & value.notna().to_numpy())
        if bad.any():
            _fail(PoolError, source, out, bad, name, frame[name], expected)
        return value, blank

    if "sentiment" in frame.columns:
        value, _ = optional_number(
            "sentiment", lambda v: v.between(-1, 1), "is not a sentiment; expected a number from -1 to 1"
        )
        out["sentiment"] = value.to_numpy()
    if "max_posts" in frame.columns:
        value, blank = optional_number("max_posts", lambda v: (v >= 1) & (v == v.round()),
                                       "is not a post count; expected a whole number >= 1")  # fmt: skip
        out["max_posts"] = value.fillna(1).astype(int).to_numpy()
        if blank.any():
            notes.append(f"{int(blank.sum())} creator(s) have no max_posts; they offer 1 post.")
    else:
        out["max_posts"] = 1
    if "country" in frame.columns:
        present.add("country")
        out["country"] = _as_text(frame["country"]).map(normalise_label).to_numpy()
    for name in EXPECTED:
        if name in frame.columns:
            value, _ = optional_number(
                name, lambda v: (v >= 0) & np.isfinite(v), "is not a forecast; expected a number >= 0 or blank"
            )
            out[name] = value.to_numpy()

    known = set(REQUIRED) | set(POOL_FIELDS) | {"row"}
    extra = [c for c in frame.columns if c not in known]
    for name in extra:
        out[name] = _as_text(frame[name]).to_numpy()
    out = out.set_index("creator_id", drop=False).sort_index(kind="stable")
    out.index.name = None
    return Pool(frame=out, source=source, present=present, extra_columns=extra, notes=notes)


def _rate(
    frame: pd.DataFrame, out: pd.DataFrame, source: str, name: str, lo: float, hi: float, optional: bool = False
) -> pd.Series:
    numeric = _numeric(frame[name])
    if numeric is not None:
        value, blank = numeric, numeric.isna().to_numpy()
    else:
        text = _as_text(frame[name])
        value = parse_rate(text)
        blank = (text == "").to_numpy()
    bad = (value.isna() | (value < lo) | (value > hi)).to_numpy()
    if optional:
        bad = bad & ~blank
    if bad.any():
        first = np.flatnonzero(bad)[0]
        over = value.iloc[first] > hi
        expected = (
            f"is above {hi:g} ({hi:.0%}); rates are shares (0.045) or percentages (4.5%)"
            if over
            else f"is not a rate; expected a share from {lo:g} to {hi:g} (e.g. 0.045) or a percentage (4.5%)"
        )
        _fail(PoolError, source, out, bad, name, frame[name], expected)
    return value


def load_pool(path: str | Path, mapping: dict[str, str] | None = None) -> Pool:
    """Read and validate a creator pool file (CSV, Parquet or XLSX).

    Parameters
    ----------
    path : str or Path
        The pool file.
    mapping : dict, optional
        Standard field -> column name in the file (the scenario's ``columns`` block).

    Returns
    -------
    Pool
    """
    path = Path(path)
    notes: list[str] = []
    raw = read_table(path, PoolError, notes)
    return pool_from_frame(raw, str(path), mapping, notes)


# --- overlap ---------------------------------------------------------------------------------


def overlap_from_frame(raw: pd.DataFrame, pool_ids: pd.Index, source: str = "overlap") -> pd.DataFrame:
    """Validate an overlap table against the pool.

    Parameters
    ----------
    raw : pandas.DataFrame
        Columns ``creator_a``, ``creator_b``, ``overlap`` (0-1, share of the smaller audience,
        so symmetric: one row per pair).
    pool_ids : pandas.Index
        Ids of every creator in the pool.
    source : str
        Name used in messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b`` (``a < b``), ``overlap``, ``row``, and ``ia``, ``ib`` (positions of a and b in
        `pool_ids`), sorted by ``(a, b)``.

    Raises
    ------
    OverlapError
        On a missing column, unknown creator, value outside [0, 1], self-pair or repeated pair.
    """
    missing = [c for c in ("creator_a", "creator_b", "overlap") if c not in raw.columns]
    if missing:
        raise OverlapError(
            f"{source}: missing column(s) {', '.join(missing)}; expected creator_a, creator_b, overlap "
            f"(the file has: {', '.join(map(str, raw.columns)) or '(none)'})"
        )
    rows = np.arange(2, len(raw) + 2)
    a = _as_text(raw["creator_a"]).to_numpy(dtype=object)
    b = _as_text(raw["creator_b"]).to_numpy(dtype=object)
    ctx = pd.DataFrame({"row": rows})
    value = parse_rate(raw["overlap"])
    bad = (value.isna() | (value < 0) | (value > 1)).to_numpy()
    if bad.any():
        _fail(
            OverlapError,
            source,
            ctx,
            bad,
            "overlap",
            raw["overlap"],
            "is outside [0, 1]; overlap is the share of the smaller audience that follows both",
        )
    # work on integer positions in the (sorted) pool index: fast, and position order is id order
    code_a = pool_ids.get_indexer(a)
    code_b = pool_ids.get_indexer(b)
    for col, codes, ids in (("creator_a", code_a, a), ("creator_b", code_b, b)):
        bad = codes < 0
        if bad.any():
            _fail(OverlapError, source, ctx, bad, col, pd.Series(ids), "is not a creator_id in the pool")
    bad = code_a == code_b
    if bad.any():
        _fail(
            OverlapError,
            source,
            ctx,
            bad,
            "creator_b",
            pd.Series(b),
            "is the same creator as creator_a; a creator cannot overlap with itself",
        )
    lo = np.minimum(code_a, code_b)
    hi = np.maximum(code_a, code_b)
    key = lo.astype(np.int64) * len(pool_ids) + hi
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if dup.any():
        first = np.flatnonzero(dup)[0]
        same = rows[key == key[first]].tolist()
        raise OverlapError(
            f"{source}: the pair {pool_ids[lo[first]]} / {pool_ids[hi[first]]} is listed on rows "
            f"{', '.join(map(str, same))}; list each pair once (overlap is the share of the smaller audience, "
            "so it is the same both ways)"
        )
    order = np.argsort(key, kind="stable")
    ids = pool_ids.to_numpy()
    pairs = pd.DataFrame({"a": ids[lo[order]], "b": ids[hi[order]], "overlap": value.to_numpy()[order], "row": rows[order],
                          "ia": lo[order], "ib": hi[order]})  # fmt: skip
    return pairs


def load_overlap(path: str | Path, pool_ids: pd.Index) -> pd.DataFrame:
    """Read and validate an overlap file (CSV, Parquet or XLSX); see `overlap_from_frame`."""
    path = Path(path)
    raw = read_table(path, OverlapError, [])
    return overlap_from_frame(raw, pool_ids, str(path))
