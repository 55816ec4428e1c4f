"""Creator pools and overlap files: read, parse messy platform exports, and validate, keyed by creator id.

Every problem is reported with the file, the spreadsheet row (header = row 1), the column and the value.
Nothing is altered silently: numbers follow one stated decimal rule (`optimizer.numbers`), labels are
compared after Unicode normalisation, and anything cleaned on the way in is said in the notes.
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.errors import OverlapError, PoolError
from optimizer.files import MIB, check_header, check_regular_file, decode_text, detect_delimiter, read_limited
from optimizer.limits import MAX_COST_PER_POST, MAX_EXPECTED, MAX_FOLLOWERS, MAX_POSTS
from optimizer.numbers import DEFAULT, NumberFormat, as_text, file_number_format, parse_numbers
from optimizer.scenario import POOL_FIELDS, FileFormat, normalise_label
from optimizer.text import CELL_CONTROL_PATTERN, find_control, id_skeleton

if TYPE_CHECKING:
    from optimizer.sources import SourceFilter

REQUIRED = ("creator_id", "handle", "platform", "followers", "engagement_rate", "niche", "cost")
EXPECTED = ("expected_conversions", "expected_emv", "expected_engagements", "expected_reach")
# Names the pool frame or the roster table use for fields the tool computes: a pool column with one of
# these names is carried under RESERVED_PREFIX + name instead of replacing the computed field.
RESERVED = ("row", "niches", "tier", "posts", "cost_per_post", "value", "value_lost_without", "replaced_by")
RESERVED_PREFIX = "pool_"
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
    source_filter : SourceFilter or None
        When the eligibility filters were applied while reading (a database or Parquet source): which, and
        how many rows were left unread (`optimizer.sources`). None when every row was read.
    number_format : NumberFormat
        How the file writes numbers; columns read later (audience and limits rules) use the same rule.
    """

    frame: pd.DataFrame
    source: str
    present: set[str] = field(default_factory=set)
    extra_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    source_filter: SourceFilter | None = None
    number_format: NumberFormat = DEFAULT

    @property
    def ids(self) -> pd.Index:
        """Creator ids, sorted."""
        return self.frame.index


# --- reading -----------------------------------------------------------------------------------


def _read_text_table(text: str, path: Path, kind: type[Exception], delimiter: str) -> pd.DataFrame:
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), None)
    if not header:
        raise kind(f"{path}: the file is empty (no header row)")
    check_header(header, path, kind)
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise kind(f"{path}: not a readable CSV file ({exc})") from None


def _read_xlsx(
    path: Path, kind: type[Exception], sheet: str | None, sheet_option: bool, typed_numbers: bool = False
) -> pd.DataFrame:
    with pd.ExcelFile(path, engine="openpyxl") as book:
        names = [str(n) for n in book.sheet_names]
        if sheet is not None:
            if sheet not in names:
                hint = difflib.get_close_matches(sheet, names, n=1)
                tip = f"did you mean '{hint[0]}'? " if hint else ""
                raise kind(f"{path}: there is no sheet '{sheet}' (format.sheet in the scenario); {tip}the sheets are: "
                           f"{', '.join(names)}")  # fmt: skip
        elif len(names) > 1:
            what = (
                "name the one holding the pool with format: {sheet: NAME} in the scenario"
                if sheet_option
                else "keep the overlap pairs in a workbook with one sheet, or in a CSV file"
            )
            raise kind(f"{path}: the workbook has {len(names)} sheets ({', '.join(names)}), so it is unclear which to "
                       f"read; {what}")  # fmt: skip
        else:
            sheet = names[0]
        head = pd.read_excel(book, sheet_name=sheet, header=None, nrows=1, dtype=str, keep_default_na=False)
        check_header([str(v) for v in (head.iloc[0].tolist() if len(head) else [])], path, kind)
        frame = pd.read_excel(book, sheet_name=sheet, dtype=str, keep_default_na=False)
        if typed_numbers:
            # with a decimal comma, a number cell read as text ('1234.5') would break the rule it never
            # followed: keep the cells Excel holds as numbers as numbers (text cells follow the rule)
            typed = pd.read_excel(book, sheet_name=sheet, dtype=object, keep_default_na=False)
            for j in range(frame.shape[1]):
                cells = typed.iloc[:, j]
                held = cells.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool)).to_numpy(dtype=bool)
                if held.any():
                    column = frame.iloc[:, j].astype(object)
                    column[held] = cells[held].to_numpy()
                    frame[frame.columns[j]] = column
        return frame


def read_table_with_format(
    path: Path, kind: type[Exception], notes: list[str], fmt: FileFormat | None = None, sheet_option: bool = True
) -> tuple[pd.DataFrame, NumberFormat]:
    """Read a CSV/TSV/TXT, Parquet or XLSX file into a frame of text cells, with the rule for its numbers.

    Parameters
    ----------
    path : Path
    kind : type
        The exception to raise (PoolError or OverlapError).
    notes : list of str
        Extended with anything the reader decided (an encoding fallback, a decimal comma).
    fmt : FileFormat, optional
        The scenario's ``format`` block (delimiter, decimal mark, encoding, sheet, size limit).
    sheet_option : bool
        Whether ``fmt.sheet`` applies to this file (the pool; not the overlap file).

    Returns
    -------
    frame : pandas.DataFrame
        Cells as text (numbers are parsed later, per column); column names trimmed.
    number_format : NumberFormat
        How the file's number cells are written.
    """
    fmt = fmt or FileFormat()
    if not path.exists():
        raise kind(f"{path}: file not found")
    limit = int(fmt.max_file_mb * MIB)
    suffix = path.suffix.lower()
    delimiter = None
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            text = decode_text(read_limited(path, kind, limit), path, kind, notes, fmt.encoding)
            delimiter = detect_delimiter(text, path, kind, fmt.delimiter)
            frame = _read_text_table(text, path, kind, delimiter)
        elif suffix in (".parquet", ".pq"):
            check_regular_file(path, kind, limit)
            frame = pd.read_parquet(path)
            check_header([str(c) for c in frame.columns], path, kind)
        elif suffix in (".xlsx", ".xlsm"):
            check_regular_file(path, kind, limit)
            frame = _read_xlsx(path, kind, fmt.sheet if sheet_option else None, sheet_option, fmt.decimal == ",")
        else:
            raise kind(f"{path}: unknown file type '{suffix}'; use .csv, .tsv, .parquet or .xlsx")
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
    number_format = file_number_format(fmt.decimal, fmt.thousands, delimiter)
    if delimiter == ";" and fmt.decimal is None:
        notes.append(
            f"{path.name} is semicolon-separated, so its numbers were read with a decimal comma and '.' or spaces "
            'between thousands (1.234,50 = 1234.5); set format: {decimal: ".", thousands: ","} if that is wrong.'
        )
    return frame, number_format


def read_table(path: Path, kind: type[Exception], notes: list[str], fmt: FileFormat | None = None) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or XLSX file into a frame of text cells (see `read_table_with_format`)."""
    return read_table_with_format(path, kind, notes, fmt)[0]


# --- parsing cells ---------------------------------------------------------------------------


def _as_text(series: pd.Series) -> pd.Series:
    return as_text(series)


def _fail(
    kind: type[Exception],
    source: str,
    frame: pd.DataFrame,
    bad: np.ndarray,
    column: str,
    values: pd.Series,
    expected: str,
    reasons: pd.Series | None = None,
) -> None:
    """Raise one paragraph naming the first bad row and how many others share the problem.

    `reasons`, when given, replaces `expected` for a row that has one (why a number breaks the decimal rule).
    """
    positions = np.flatnonzero(bad)
    first = positions[0]
    row = int(frame["row"].iloc[first])
    ident = frame["creator_id"].iloc[first] if "creator_id" in frame else ""
    who = f" (creator {ident})" if ident else ""
    why = reasons.iloc[first] if reasons is not None else None
    why = why if isinstance(why, str) else None  # a column of numbers has no decimal-rule reasons (NaN, not None)
    value = values.iloc[first]
    value = value.item() if isinstance(value, np.generic) else value  # -5, not np.int64(-5) (numbers from a database)
    msg = f"{source}, row {row}{who}, column '{column}': value {value!r} {why or expected}"
    if len(positions) > 1:
        rows = ", ".join(str(int(frame["row"].iloc[p])) for p in positions[1 : _MAX_LISTED + 1])
        more = "" if len(positions) <= _MAX_LISTED + 1 else ", ..."
        msg += f". {len(positions) - 1} more row(s) have the same problem (rows {rows}{more})"
    raise kind(msg)


def parse_count(text: pd.Series, fmt: NumberFormat = DEFAULT) -> pd.Series:
    """Parse counts written as ``12400``, ``12,400``, ``12.4K``, ``1.2M`` or ``3B``; NaN where unreadable.

    See `optimizer.numbers` for the decimal rule (`fmt`); a cell that breaks it is NaN here.

    Examples
    --------
    >>> parse_count(pd.Series(["12400", "12,400", "12.4K", "1.2M", "x"])).tolist()[:4]
    [12400.0, 12400.0, 12400.0, 1200000.0]
    """
    return parse_numbers(text, fmt, "count")[0]


def parse_rate(text: pd.Series, fmt: NumberFormat = DEFAULT) -> pd.Series:
    """Parse rates written as ``0.045`` or ``4.5%``; NaN where unreadable.

    Examples
    --------
    >>> parse_rate(pd.Series(["0.045", "4.5%", " 4.5 % "])).round(6).tolist()
    [0.045, 0.045, 0.045]
    """
    return parse_numbers(text, fmt, "rate")[0]


def _numeric(series: pd.Series) -> pd.Series | None:
    """The column as float64 if it is already numeric (Parquet, XLSX, in-memory frames), else None."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index)
    return None


# --- the pool ---------------------------------------------------------------------------------


def _map_columns(frame: pd.DataFrame, mapping: dict[str, str], source: str) -> pd.DataFrame:
    """Rename the scenario's mapped columns to standard names; complain about anything ambiguous."""
    columns = list(frame.columns)
    rename: dict[str, str] = {}
    nfc = {unicodedata.normalize("NFC", c): c for c in columns}
    for standard, given in mapping.items():
        # the scenario and the export may spell an accented name differently (composed or decomposed)
        given = nfc.get(unicodedata.normalize("NFC", given), given)
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


def _rename_reserved(frame: pd.DataFrame, source: str, notes: list[str]) -> pd.DataFrame:
    """Carry pool columns named like a computed field (``niches``, ``row``, ``tier``...) under another name."""
    clash = [c for c in frame.columns if c in RESERVED]
    if not clash:
        return frame
    rename = {}
    for name in clash:
        new = RESERVED_PREFIX + name
        if new in frame.columns:
            raise PoolError(
                f"{source}: column '{name}' is a name the tool uses for a field it computes, and '{new}' (where it "
                "would be carried instead) is taken too; rename one of them"
            )
        rename[name] = new
    notes.append(
        f"{source}: column(s) {', '.join(repr(c) for c in clash)} have names the tool uses for fields it computes; "
        f"they are carried as {', '.join(repr(rename[c]) for c in clash)}."
    )
    return frame.rename(columns=rename)


def check_id_column(ids: pd.Series, out: pd.DataFrame, source: str) -> None:
    """Every creator has an id, no id is repeated, and no two ids look the same or hold control characters.

    Parameters
    ----------
    ids : pandas.Series
        The ids as text (`optimizer.numbers.as_text`), in row order.
    out : pandas.DataFrame
        ``row`` (the row number of each id, for messages) and ``creator_id``.
    source : str
        Name used in messages.

    Raises
    ------
    PoolError
        Naming the first bad row (or both rows of a repeated or look-alike id).
    """
    if _ids_look_distinct(ids):
        return  # the common case, decided without a Python object per id (a million ids: ~250 MB less)
    blank = (ids == "").to_numpy()
    if blank.any():
        _fail(PoolError, source, out, blank, "creator_id", ids, "is empty; every creator needs an id")
    dupes = ids.duplicated(keep=False).to_numpy()
    if dupes.any():
        first_id = ids[dupes].iloc[0]
        dupe_rows = out.loc[(ids == first_id).to_numpy(), "row"].tolist()
        n_ids = ids[dupes].nunique()
        raise PoolError(
            f"{source}, column 'creator_id': id {first_id!r} appears on rows {', '.join(map(str, dupe_rows))}; "
            f"ids must be unique ({n_ids} id(s) are repeated)"
        )
    _check_ids(ids, out, source)


def _ids_look_distinct(ids: pd.Series) -> bool:
    """True when no id is blank or holds a control character and all their skeletons differ, so every check
    of `check_id_column` would pass; False when one might fail (those checks then run and name the rows).

    Computed with pyarrow (False without it). Without control characters, the skeleton of an ASCII id is
    its lower case with runs of spaces made one and the ends trimmed (`optimizer.text.id_skeleton`); other
    ids get `id_skeleton` itself.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow ships with pandas' string support here
        return False
    text = pa.array(ids.astype("string"), type=pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if len(text) == 0 or text.null_count:
        return False
    if (
        pc.any(pc.equal(text, "")).as_py()
        or pc.any(pc.match_substring_regex(text, CELL_CONTROL_PATTERN + "|[\t\r\n]")).as_py()
    ):
        return False
    ascii_ids = pc.string_is_ascii(text)
    simple = pc.utf8_trim(pc.replace_substring_regex(pc.ascii_lower(text.filter(ascii_ids)), " +", " "), " ")
    others = text.filter(pc.invert(ascii_ids)).to_pylist()
    skeletons = pa.concat_arrays([simple, pa.array([id_skeleton(t) for t in others], type=pa.large_string())])
    distinct = pc.count_distinct(skeletons).as_py() == len(skeletons)
    # pyarrow's allocator keeps freed memory for itself (its hash table here is ~100 MB for a million ids);
    # give it back, since pandas and numpy allocate elsewhere
    pa.default_memory_pool().release_unused()
    return distinct


def _check_ids(ids: pd.Series, out: pd.DataFrame, source: str) -> None:
    """Ids compare exactly, so two that look the same to a person (case, kinds of space, NUL, zero-width
    or dash-like characters) would book one creator twice: an error naming both rows. Control characters
    are refused too: an id is typed into scenarios and written to every output."""
    text = ids.astype(object).to_numpy()
    skeleton = pd.Series([id_skeleton(t) for t in text])
    same = skeleton.duplicated(keep=False).to_numpy()
    if same.any():
        first = skeleton[same].iloc[0]
        where = np.flatnonzero((skeleton == first).to_numpy())
        shown = " and ".join(f"{text[w]!r} (row {int(out['row'].iloc[w])})" for w in where[:_MAX_LISTED])
        raise PoolError(
            f"{source}, column 'creator_id': ids {shown} differ only by case, spaces, dashes or invisible characters, "
            "so a person reads them as the same creator; make them identical if they are, or clearly different if not"
        )
    control = ids.str.contains(CELL_CONTROL_PATTERN + "|[\t\r\n]", regex=True).to_numpy(dtype=bool)
    if control.any():
        w = np.flatnonzero(control)[0]
        _fail(PoolError, source, out, control, "creator_id", ids,
              f"contains the control character {find_control(text[w]) or text[w][0]!r}; ids must be plain text")  # fmt: skip


def _clean_text(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text cells without control characters (NUL, ESC, ...), and which cells had some."""
    text = as_text(series)
    dirty = text.str.contains(CELL_CONTROL_PATTERN, regex=True).to_numpy(dtype=bool)
    if dirty.any():
        text = text.str.replace(CELL_CONTROL_PATTERN, "", regex=True)
    return text, dirty


def _extra_text(block: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Columns the tool does not know, as text without control characters, in one object block, and which
    cells had control characters (per column).

    The text columns are cleaned in one pass over all their cells rather than one per column, and kept in
    one block: 3,000 extra columns cost about what 3,000 cells do, not 3,000 column operations.
    """
    n, k = block.shape
    values = np.empty((n, k), dtype=object)
    stacked = np.zeros(k, dtype=bool)
    for j in range(k):
        col = block.iloc[:, j]
        if isinstance(col.dtype, pd.StringDtype) or col.dtype == object:
            values[:, j] = col.to_numpy(dtype=object)
            stacked[j] = True
        else:  # numbers, dates, booleans (Parquet): as text, column by column, as before
            values[:, j] = as_text(col).to_numpy(dtype=object)
    dirty = np.zeros((n, k), dtype=bool)
    if stacked.any():
        text, dirt = _clean_text(pd.Series(values[:, stacked].ravel(order="F"), dtype=object))
        values[:, stacked] = text.to_numpy(dtype=object).reshape((int(stacked.sum()), n)).T
        dirty[:, stacked] = dirt.reshape((int(stacked.sum()), n)).T
    frame = pd.DataFrame(values, columns=list(block.columns), dtype=object)
    return frame, {name: dirty[:, j] for j, name in enumerate(block.columns)}


def _limit(value: pd.Series, limit: float, what: str) -> tuple[np.ndarray, str]:
    return (value > limit).to_numpy(), f"is above the limit of {limit:,.0f} {what} (optimizer.limits); check the unit"


def pool_from_frame(
    raw: pd.DataFrame,
    source: str = "pool",
    mapping: dict[str, str] | None = None,
    notes: list[str] | None = None,
    number_format: NumberFormat | None = None,
    rows: np.ndarray | None = None,
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
    number_format : NumberFormat, optional
        How number cells are written (default: decimal point, ',' between thousands).
    rows : numpy.ndarray, optional
        The row number of each row of `raw`, for messages (default: a file's rows, 2 to n + 1 under the
        header; a database source numbers its rows itself, see `optimizer.sources`).

    Returns
    -------
    Pool

    Raises
    ------
    PoolError
        On a missing column, duplicate (or look-alike) id, or a value that cannot be read, breaks the
        decimal rule, or is out of range (including the limits in `optimizer.limits`).
    """
    fmt = number_format or DEFAULT
    notes = list(notes or [])
    frame = _map_columns(raw.copy(), mapping or {}, source)
    frame = _rename_reserved(frame, source, notes)
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
    rows = np.arange(2, len(frame) + 2) if rows is None else np.asarray(rows, dtype=np.int64)

    out = pd.DataFrame({"row": rows})
    ids = _as_text(frame["creator_id"])
    out["creator_id"] = ids.to_numpy()
    check_id_column(ids, out, source)

    handle, dirty = _clean_text(frame["handle"])
    out["handle"] = handle.to_numpy()
    cleaned = {"handle": dirty}
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

    followers, why = parse_numbers(frame["followers"], fmt, "count")
    bad = (followers.isna() | ~np.isfinite(followers) | (followers < 0)).to_numpy()
    if bad.any():
        _fail(
            PoolError,
            source,
            out,
            bad,
            "followers",
            frame["followers"],
            "is not a follower count; expected e.g. 12400, 12,400, 12.4K or 1.2M",
            why,
        )
    bad, expected = _limit(followers, MAX_FOLLOWERS, "followers")
    if bad.any():
        _fail(PoolError, source, out, bad, "followers", frame["followers"], expected)
    out["followers"] = followers.round().to_numpy()

    out["engagement_rate"] = _rate(frame, out, source, "engagement_rate", 0.0, 1.0, fmt=fmt).to_numpy()

    # a plain list keeps each cell a tuple (numpy would turn equal-length tuples into a 2-D array)
    cells = _as_text(frame["niche"])
    distinct = {
        cell: tuple(sorted({label for p in cell.split(";") if (label := normalise_label(p))}))
        for cell in cells.unique()
    }
    niches = [distinct[cell] for cell in cells]
    out["niches"] = niches
    empty = np.array([not t for t in niches], dtype=bool)
    if empty.any():
        where = np.flatnonzero(empty)
        listed = ", ".join(f"{out['creator_id'].iloc[w]} (row {int(rows[w])})" for w in where[:_MAX_LISTED])
        more = ", ..." if len(where) > _MAX_LISTED else ""
        notes.append(
            f"{len(where)} creator(s) have no niche (an empty niche cell, or only ';' or invisible characters): "
            f"{listed}{more}; no niche rule counts them."
        )

    cost, why = parse_numbers(frame["cost"], fmt, "amount")
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
            why,
        )
    bad, expected = _limit(cost, MAX_COST_PER_POST, "for the price of one post, in any currency")
    if bad.any():
        _fail(PoolError, source, out, bad, "cost", frame["cost"], expected)
    out["cost"] = cost.to_numpy()

    present: set[str] = set()
    for name, lo, hi in (("authenticity", 0.0, 1.0), ("conversion_rate", 0.0, 1.0)):
        if name in frame.columns:
            present.add(name)
            out[name] = _rate(frame, out, source, name, lo, hi, optional=True, fmt=fmt).to_numpy()

    def optional_number(name: str, ok: Callable[[pd.Series], pd.Series], expected: str) -> tuple[pd.Series, np.ndarray]:
        """An optional numeric column: blanks allowed, anything else must pass `ok` (numbers as given, or as text)."""
        present.add(name)
        value, why = parse_numbers(frame[name], fmt, "amount")
        numeric = _numeric(frame[name])
        blank = numeric.isna().to_numpy() if numeric is not None else (_as_text(frame[name]) == "").to_numpy()
        bad = ~blank & ~(ok(value).to_numpy() & value.notna().to_numpy() & np.isfinite(value.to_numpy()))
        if bad.any():
            _fail(PoolError, source, out, bad, name, frame[name], expected, why)
        return value, blank

    if "sentiment" in frame.columns:
        value, _ = optional_number(
            "sentiment", lambda v: v.between(-1, 1), "is not a sentiment; expected a number from -1 to 1"
        )
        out["sentiment"] = value.to_numpy()
    if "max_posts" in frame.columns:
        value, blank = optional_number("max_posts", lambda v: (v >= 1) & (v == v.round()),
                                       "is not a post count; expected a whole number >= 1")  # fmt: skip
        # one binary per creator and post: the limit keeps the model's size bounded by what is sensible
        bad, expected = _limit(value.fillna(1), MAX_POSTS, "posts per creator")
        if bad.any():
            _fail(PoolError, source, out, bad, "max_posts", frame["max_posts"], expected)
        out["max_posts"] = value.fillna(1).astype(int).to_numpy()
        if blank.any():
            notes.append(f"{int(blank.sum())} creator(s) have no max_posts; they offer 1 post.")
    else:
        out["max_posts"] = 1
    if "country" in frame.columns:
        present.add("country")
        country = _as_text(frame["country"])
        out["country"] = country.map({v: normalise_label(v) for v in country.unique()}).to_numpy()
    for name in EXPECTED:
        if name in frame.columns:
            value, _ = optional_number(
                name, lambda v: (v >= 0) & np.isfinite(v), "is not a forecast; expected a number >= 0 or blank"
            )
            bad, expected = _limit(value.fillna(0), MAX_EXPECTED, "for one creator's first post")
            if bad.any():
                _fail(PoolError, source, out, bad, name, frame[name], expected)
            out[name] = value.to_numpy()

    known = set(REQUIRED) | set(POOL_FIELDS)
    extra = [c for c in frame.columns if c not in known]
    if extra:
        block, dirty_extra = _extra_text(frame[extra])
        cleaned.update(dirty_extra)
        out = pd.concat([out, block.set_axis(out.index)], axis=1)
    dirty_cols = [name for name, mask in cleaned.items() if mask.any()]
    if dirty_cols:
        count = sum(int(cleaned[c].sum()) for c in dirty_cols)
        first = min(int(np.flatnonzero(cleaned[c])[0]) for c in dirty_cols)
        notes.append(
            f"{count} text cell(s) in column(s) {', '.join(repr(c) for c in dirty_cols)} held control characters "
            f"(such as NUL or ESC), first on row {int(rows[first])}; they were removed."
        )
    out = out.set_index("creator_id", drop=False).sort_index(kind="stable")
    out.index.name = None
    return Pool(frame=out, source=source, present=present, extra_columns=extra, notes=notes, number_format=fmt)


def _rate(
    frame: pd.DataFrame,
    out: pd.DataFrame,
    source: str,
    name: str,
    lo: float,
    hi: float,
    optional: bool = False,
    fmt: NumberFormat = DEFAULT,
) -> pd.Series:
    numeric = _numeric(frame[name])
    value, why = parse_numbers(frame[name], fmt, "rate")
    blank = numeric.isna().to_numpy() if numeric is not None else (_as_text(frame[name]) == "").to_numpy()
    finite = np.isfinite(value.to_numpy())
    bad = ~finite | (value < lo).to_numpy() | (value > hi).to_numpy()
    if optional:
        bad = bad & ~blank
    if bad.any():
        first = np.flatnonzero(bad)[0]
        over = finite[first] and value.iloc[first] > hi
        expected = (
            f"is above {hi:g} ({hi:.0%}); rates are shares (0.045) or percentages (4.5%)"
            if over
            else f"is not a rate; expected a share from {lo:g} to {hi:g} (e.g. 0.045) or a percentage (4.5%)"
        )
        _fail(PoolError, source, out, bad, name, frame[name], expected, why)
    return value


def load_pool(path: str | Path, mapping: dict[str, str] | None = None, fmt: FileFormat | None = None) -> Pool:
    """Read and validate a creator pool file (CSV, TSV, Parquet or XLSX).

    Parameters
    ----------
    path : str or Path
        The pool file.
    mapping : dict, optional
        Standard field -> column name in the file (the scenario's ``columns`` block).
    fmt : FileFormat, optional
        The scenario's ``format`` block (delimiter, decimal mark, encoding, sheet, size limit).

    Returns
    -------
    Pool
    """
    path = Path(path)
    notes: list[str] = []
    raw, number_format = read_table_with_format(path, PoolError, notes, fmt)
    return pool_from_frame(raw, str(path), mapping, notes, number_format)


# --- overlap ---------------------------------------------------------------------------------


def overlap_from_frame(
    raw: pd.DataFrame,
    pool_ids: pd.Index,
    source: str = "overlap",
    number_format: NumberFormat | None = None,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
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
    number_format : NumberFormat, optional
        How number cells are written (default: decimal point).
    rows : numpy.ndarray, optional
        The row number of each row of `raw`, for messages (default: 2 to n + 1, under a header).

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
    rows = np.arange(2, len(raw) + 2) if rows is None else np.asarray(rows, dtype=np.int64)
    a = _as_text(raw["creator_a"]).to_numpy(dtype=object)
    b = _as_text(raw["creator_b"]).to_numpy(dtype=object)
    ctx = pd.DataFrame({"row": rows})
    value, why = parse_numbers(raw["overlap"], number_format or DEFAULT, "rate")
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
            why,
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
    return pairs_frame(lo, hi, value.to_numpy(), rows, pool_ids)


def pairs_frame(
    lo: np.ndarray, hi: np.ndarray, values: np.ndarray, rows: np.ndarray, pool_ids: pd.Index
) -> pd.DataFrame:
    """Validated overlap pairs from the positions of their creators in the sorted pool index (``lo < hi``).

    Returns
    -------
    pandas.DataFrame
        Columns ``a``, ``b``, ``overlap``, ``row``, ``ia``, ``ib``, sorted by ``(a, b)`` (see `overlap_from_frame`).
    """
    key = lo.astype(np.int64) * len(pool_ids) + hi
    order = np.argsort(key, kind="stable")
    ids = pool_ids.to_numpy()
    pairs = pd.DataFrame({"a": ids[lo[order]], "b": ids[hi[order]], "overlap": values[order], "row": rows[order],
                          "ia": lo[order], "ib": hi[order]})  # fmt: skip
    return pairs


def load_overlap(path: str | Path, pool_ids: pd.Index, fmt: FileFormat | None = None) -> pd.DataFrame:
    """Read and validate an overlap file (CSV, TSV, Parquet or XLSX); see `overlap_from_frame`.

    `fmt` is the scenario's ``format`` block; all of it but ``sheet`` applies to the overlap file too.
    """
    path = Path(path)
    raw, number_format = read_table_with_format(path, OverlapError, [], fmt, sheet_option=False)
    return overlap_from_frame(raw, pool_ids, str(path), number_format)
