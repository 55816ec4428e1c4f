"""Numbers in pool cells, read by one explicit rule about decimal marks and thousands separators.

The rule (docs/decisions.md):

- A file's decimal mark is '.' with ',' as the thousands separator, except in a semicolon-separated
  file (a European spreadsheet export), where it is ',' with '.' as the thousands separator; the
  scenario's ``format: {decimal: ..., thousands: ...}`` overrides both.
- A thousands separator (or a space) is accepted only between groups of three digits: ``12,400`` and
  ``1,234,567.5``, never ``150,50``. A cell that breaks the rule is an error naming the rule, not a guess.
- With a decimal comma, ``1,234`` could be 1.234 or 1234 written the English way: it is an error
  (write ``1234``, or ``1,2340`` for 1.234).
- Counts (followers) without a K/M/B suffix must be whole numbers: ``1.234`` followers is a thousands
  separator misread, not 1.234 people.

Cells that hold numbers already (Parquet, in-memory frames) are taken as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["count", "amount", "rate"]
_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}
_SPACES = "\u00a0\u202f\u2009 "  # space, no-break space, narrow no-break space, thin space: grouping only
_CURRENCY = "$€£"
_EXPONENT = re.compile(r"^(.*\d)[eE]([+-]?\d+)$")
_AMBIGUOUS = re.compile(r"^[1-9]\d{0,2},\d{3}$")


@dataclass(frozen=True)
class NumberFormat:
    """How the number cells of one file are written.

    Attributes
    ----------
    decimal : str
        The decimal mark, '.' or ','.
    thousands : str
        The thousands separator ('', ',', '.', ' ' or "'"); spaces are accepted as grouping either way.
    why : str
        Where the rule comes from, for messages ("comma-separated files use a decimal point", ...).
    """

    decimal: str = "."
    thousands: str = ","
    why: str = "numbers in a comma-separated, XLSX or Parquet file are read with a decimal point"

    @property
    def other(self) -> str:
        """The mark that is not this file's decimal mark."""
        return "," if self.decimal == "." else "."


DEFAULT = NumberFormat()


def file_number_format(decimal: str | None, thousands: str | None, delimiter: str | None) -> NumberFormat:
    """The rule for one file: the scenario's ``format`` when given, else by the file's delimiter.

    Examples
    --------
    >>> file_number_format(None, None, ";").decimal
    ','
    >>> file_number_format(",", None, ",").thousands
    '.'
    """
    if decimal is not None:
        default_thousands = "." if decimal == "," else ","
        sep = default_thousands if thousands is None else thousands
        return NumberFormat(decimal, sep, f"the scenario's format sets the decimal mark to '{decimal}'")
    if delimiter == ";":
        return NumberFormat(",", ".", "the file is semicolon-separated, so its decimal mark is ','")
    return DEFAULT


def _hint(fmt: NumberFormat) -> str:
    if fmt.decimal == ".":
        return 'if the file uses decimal commas (150,50 = 150.5), add format: {decimal: ",", thousands: "."} to the scenario'
    return 'if the file uses decimal points (150.50), add format: {decimal: ".", thousands: ","} to the scenario'


def _digits(body: str, fmt: NumberFormat) -> str | tuple[str] | None:
    """Digits with separators -> ``(canonical,)`` text with a '.' decimal point and no grouping; a reason (str)
    when a separator breaks the rule; None when it is not a number at all."""
    d, other = fmt.decimal, fmt.other
    groupers = {c for c in (fmt.thousands, " ") if c}
    allowed = set("0123456789") | {d, other} | groupers
    if not any(c.isdigit() for c in body) or any(c not in allowed for c in body):
        return None
    if body.count(d) > 1:
        return f"has more than one '{d}'; {fmt.why} ({_hint(fmt)})"
    whole, point, frac = body.partition(d)
    if frac and not frac.isdigit():
        return f"has '{other}' after the decimal mark '{d}', so it is written the other way round; {fmt.why} ({_hint(fmt)})"
    if whole and not whole.isdigit():
        seps = {c for c in whole if not c.isdigit()}
        sep = next(iter(seps))
        grouped = (
            len(seps) == 1 and sep in groupers and re.fullmatch(rf"[1-9]\d{{0,2}}(?:{re.escape(sep)}\d{{3}})+", whole)
        )
        if not grouped:
            if seps == {other} and whole.count(other) == 1:
                mark = "a decimal comma" if other == "," else "a decimal point"
                return f"has {mark}, but {fmt.why} ({_hint(fmt)})"
            shown = next((f"a '{c}'" for c in sorted(seps - {" "})), "a space")
            return (
                f"has {shown} that is not a thousands separator (those separate groups of three digits, as in "
                f"12,400); {fmt.why} ({_hint(fmt)})"
            )
        whole = re.sub(r"\D", "", whole)
    return (whole + ("." if point else "") + frac,)


def parse_cell(text: str, fmt: NumberFormat = DEFAULT, kind: Kind = "amount") -> tuple[str, float, bool] | str | None:
    """One cell by the rule of `fmt`.

    Returns ``(canonical, multiplier, percent)`` where `canonical` is the number as plain text (sign,
    digits, '.', exponent; what ``float`` reads), `multiplier` the K/M/B suffix and `percent` whether to
    divide by 100; a reason (str, to follow "value '150,50' ") when the cell breaks the decimal rule; or
    None when it is no number at all.

    Examples
    --------
    >>> parse_cell("12,400", kind="count"), parse_cell("1.2M", kind="count"), parse_cell("4,5 %", NumberFormat(",", "."), "rate")
    (('12400', 1.0, False), ('1.2', 1000000.0, False), ('4.5', 1.0, True))
    >>> parse_cell("150,50")[:60]
    'has a decimal comma, but numbers in a comma-separated, XLSX '
    >>> parse_cell("1.234,50", NumberFormat(",", ".")), parse_cell("-1,2K", NumberFormat(",", "."), "count")
    (('1234.50', 1.0, False), ('-1.2', 1000.0, False))
    >>> parse_cell("1,234", NumberFormat(",", "."))[:13]
    'is ambiguous:'
    """
    s = text.strip()
    for space in _SPACES[:-1]:
        s = s.replace(space, " ")
    multiplier, percent = 1.0, False
    if kind == "rate" and s.endswith("%"):
        s, percent = s[:-1].rstrip(), True
    elif kind == "count" and s[-1:].upper() in _SUFFIX and s[-1:]:
        s, multiplier = s[:-1].rstrip(), _SUFFIX[s[-1].upper()]
    if kind == "amount" and s[:1] in _CURRENCY:
        s = s[1:].lstrip()
    sign = ""
    if s[:1] in ("+", "-"):
        sign, s = s[0], s[1:]
    exponent = ""
    m = _EXPONENT.match(s)
    if m and all(c.isdigit() or c == fmt.decimal for c in m.group(1)):
        s, exponent = m.group(1), "e" + m.group(2)
    if fmt.decimal == "," and _AMBIGUOUS.match(s):
        whole, frac = s.split(",")
        return (
            f"is ambiguous: the decimal mark is ',' here ({fmt.why}), which makes it {whole}.{frac}, but it may be "
            f"{whole}{frac} written with a thousands comma; write {whole}{frac}, or {whole},{frac}0 for {whole}.{frac}"
        )
    body = _digits(s, fmt)
    if not isinstance(body, tuple):
        return body
    canonical = sign + body[0] + exponent
    if (
        kind == "count"
        and multiplier == 1.0
        and not exponent
        and "." in canonical
        and float(canonical) != round(float(canonical))
    ):
        if fmt.decimal == ".":
            return (
                "is not a whole number; if '.' separates thousands here (1.234 = 1234), add "
                'format: {decimal: ",", thousands: "."} to the scenario'
            )
        return f"is not a whole number; {fmt.why} (write the whole count, or use a suffix as in 1,5K)"
    return canonical, multiplier, percent


def _numeric(series: pd.Series) -> pd.Series | None:
    """The column as float64 if it is already numeric (Parquet, XLSX, in-memory frames), else None."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan), index=series.index)
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def as_text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, '' for missing ones."""
    return series.astype("string").fillna("").str.strip()


def parse_numbers(series: pd.Series, fmt: NumberFormat = DEFAULT, kind: Kind = "amount") -> tuple[pd.Series, pd.Series]:
    """Parse a column of number cells by the rule of `fmt`.

    Parameters
    ----------
    series : pandas.Series
        Text cells (or numbers, taken as they are).
    fmt : NumberFormat
        The file's decimal mark and thousands separator.
    kind : {"count", "amount", "rate"}
        Counts accept K/M/B suffixes and must be whole without one; amounts accept a leading $, € or £;
        rates accept a trailing %.

    Returns
    -------
    values : pandas.Series
        float64, NaN where the cell is blank or unreadable.
    reasons : pandas.Series
        Why a cell breaks the decimal rule (text to follow "value '150,50' "), None elsewhere.

    Examples
    --------
    >>> values, reasons = parse_numbers(pd.Series(["12,400", "12.4K", "1.2M", "150,50", "x", ""]), kind="count")
    >>> values.tolist()[:3], reasons.notna().tolist()
    ([12400.0, 12400.0, 1200000.0], [False, False, False, True, False, False])
    """
    numeric = _numeric(series)
    if numeric is not None:
        return numeric, pd.Series(None, index=series.index, dtype=object)
    if series.dtype == object:
        # cells that hold numbers (an XLSX number cell among text cells) have no decimal mark to misread
        held = series.map(_is_number).to_numpy(dtype=bool)
        if held.any():
            values, reasons = parse_numbers(series.where(~held, ""), fmt, kind)
            values[held] = series[held].astype(float).to_numpy()
            return values, reasons
    text = as_text(series)
    values = np.full(len(text), np.nan)
    reasons = np.full(len(text), None, dtype=object)
    # the common case first: plain digits (and, with a decimal point, plain decimals) need no per-cell work
    pattern = r"[+-]?\d+" if fmt.decimal == "," else r"[+-]?(?:\d+\.?\d*|\.\d+)"
    plain = text.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)
    if plain.any():
        number = pd.to_numeric(text[plain]).to_numpy(dtype=float)
        if kind == "count":  # 1.234 followers: left to the per-cell rule, which says why
            whole = number == np.round(number)
            plain[np.flatnonzero(plain)[~whole]] = False
            number = number[whole]
        values[plain] = number
    rest = ~plain & (text != "").to_numpy(dtype=bool)
    if rest.any():
        cells = pd.unique(text[rest].to_numpy(dtype=object))
        parsed = [parse_cell(c, fmt, kind) for c in cells]
        ok = np.array([isinstance(r, tuple) for r in parsed], dtype=bool)
        number = np.full(len(cells), np.nan)
        if ok.any():
            good = [r for r in parsed if isinstance(r, tuple)]
            canonical = pd.Series([r[0] for r in good], dtype=object)
            # pandas reads the canonical text exactly as it read these cells before the rule existed
            n = pd.to_numeric(canonical, errors="coerce").to_numpy(dtype=float) * np.array([r[1] for r in good])
            number[ok] = np.where([r[2] for r in good], n / 100.0, n)
        why = np.array([r if isinstance(r, str) else None for r in parsed], dtype=object)
        where = pd.Index(cells).get_indexer(text[rest].to_numpy(dtype=object))
        values[rest] = number[where]
        reasons[rest] = why[where]
    return pd.Series(values, index=series.index), pd.Series(reasons, index=series.index, dtype=object)
