"""Post history: one row per past post, read from CSV, Parquet or XLSX and validated like a pool.

The history is what `roster calibrate` fits forecasts on. It uses the same reader, the same messy-number
rules (``12.4K``, ``1,200``) and the same row-numbered, one-paragraph errors as creator pools.

Standard columns (map others onto them with ``mapping``, as a scenario's ``columns:`` does for pools):

- required: ``creator_id``, ``posted_at`` (ISO 8601 date or date-time; UTC when no zone is given), and
  ``likes`` (with optional ``comments``) or ``engagements``;
- optional: ``followers`` (at posting time), ``views``, ``reach``, ``impressions``, ``sponsored`` (0/1),
  ``clicks``, ``conversions``, ``cost``, ``campaign``, ``post_id``, ``platform``, ``niche``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import HistoryError, PoolError
from optimizer.pool import _as_text, _fail, _map_columns, _numeric, parse_count, read_table
from optimizer.scenario import normalise_label

HISTORY_FIELDS: tuple[str, ...] = (
    "creator_id", "posted_at", "likes", "comments", "engagements", "followers", "views", "reach", "impressions",
    "sponsored", "clicks", "conversions", "cost", "campaign", "post_id", "platform", "niche",
)  # fmt: skip
_COUNTS = ("views", "reach", "impressions", "clicks", "conversions")
_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", ""}
# a post stamped a little ahead of the clock is a time-zone slip, not a forecast
_FUTURE_SLACK = pd.Timedelta(days=1)


@dataclass
class History:
    """A validated post history.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per post, in file order, with ``row`` (spreadsheet row), ``creator_id``, ``posted_at``
        (UTC timestamps), ``engagements`` (likes + comments, or the engagements column), ``followers``
        (NaN where not given), ``sponsored`` (0/1) and whichever optional columns the file has
        (``clicks``, ``conversions``, ``cost``, ``views``, ``reach``, ``impressions``, ``campaign``,
        ``post_id``, ``platform``, ``niche``).
    source : str
        The file it came from, for messages.
    present : set of str
        Optional standard columns the file has.
    notes : list of str
        What was assumed or dropped while reading, said out loud.
    """

    frame: pd.DataFrame
    source: str
    present: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    @property
    def creators(self) -> pd.Index:
        """Distinct creator ids in the history, sorted."""
        return pd.Index(sorted(self.frame["creator_id"].unique()))


def _count(frame: pd.DataFrame, out: pd.DataFrame, source: str, name: str, required: bool) -> pd.Series:
    """A count column: whole numbers >= 0 written as 1200, 1,200 or 1.2K; blanks allowed unless required."""
    numeric = _numeric(frame[name])
    value = numeric if numeric is not None else parse_count(frame[name])
    blank = numeric.isna().to_numpy() if numeric is not None else (_as_text(frame[name]) == "").to_numpy()
    if required and blank.any():
        _fail(HistoryError, source, out, blank, name, frame[name], f"is blank; every post needs its {name}")
    bad = ~blank & ~((value >= 0) & np.isfinite(value)).to_numpy()
    if bad.any():
        _fail(HistoryError, source, out, bad, name, frame[name],
              "is not a count; expected a whole number >= 0 such as 1200, 1,200 or 1.2K")  # fmt: skip
    return value


def history_from_frame(
    raw: pd.DataFrame,
    source: str = "history",
    mapping: dict[str, str] | None = None,
    now: pd.Timestamp | None = None,
    notes: list[str] | None = None,
    rows: np.ndarray | None = None,
) -> History:
    """Validate a post history given as a frame (cells may be text or numbers).

    Parameters
    ----------
    raw : pandas.DataFrame
        One row per post with the standard columns (or columns mapped onto them).
    source : str
        Name used in messages (usually the file path).
    mapping : dict, optional
        Standard field -> column name in ``raw``.
    now : pandas.Timestamp, optional
        The present, for the no-posts-from-the-future check [default: the clock, UTC].
    notes : list of str, optional
        Notes gathered while reading, extended here.
    rows : numpy.ndarray, optional
        The row number of each row of `raw`, for messages (default: a file's rows, 2 to n + 1 under the header).

    Returns
    -------
    History

    Raises
    ------
    HistoryError
        On a missing column, an empty file, an unreadable or future date, a negative or unreadable
        count, or the same post listed twice with different values.
    """
    notes = list(notes or [])
    for standard in mapping or {}:
        if standard not in HISTORY_FIELDS:
            raise HistoryError(f"{source}: '{standard}' is not a history field; fields are {', '.join(HISTORY_FIELDS)}")
    try:
        frame = _map_columns(raw.copy(), mapping or {}, source)
    except PoolError as exc:  # the pool's mapper names its own error; this is a history file
        raise HistoryError(str(exc)) from None
    missing = [c for c in ("creator_id", "posted_at") if c not in frame.columns]
    if "likes" not in frame.columns and "engagements" not in frame.columns:
        missing.append("likes (or engagements)")
    if missing:
        raise HistoryError(
            f"{source}: missing required column(s) {', '.join(missing)}; the file has: "
            f"{', '.join(map(str, frame.columns)) or '(none)'}. A history needs one row per post with creator_id, "
            "posted_at and likes (+ comments) or engagements"
        )
    if len(frame) == 0:
        raise HistoryError(f"{source}: the history has no posts (header only)")
    frame["row"] = np.arange(2, len(frame) + 2) if rows is None else np.asarray(rows, dtype=np.int64)
    out = pd.DataFrame({"row": frame["row"].to_numpy()})
    ids = _as_text(frame["creator_id"])
    out["creator_id"] = ids.to_numpy()
    blank = (ids == "").to_numpy()
    if blank.any():
        _fail(HistoryError, source, out, blank, "creator_id", ids, "is empty; every post needs its creator's id")

    # dates: ISO 8601 only, so 03/04/2018 can never be read as the wrong month
    stamps = frame["posted_at"]
    if pd.api.types.is_datetime64_any_dtype(stamps):
        when = pd.to_datetime(stamps, utc=True)
    else:
        text = _as_text(stamps)
        when = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    bad = when.isna().to_numpy()
    if bad.any():
        _fail(HistoryError, source, out, bad, "posted_at", frame["posted_at"],
              "is not a date; expected ISO 8601 such as 2018-07-01 or 2018-07-01T18:30:00Z")  # fmt: skip
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    bad = (when > now + _FUTURE_SLACK).to_numpy()
    if bad.any():
        _fail(HistoryError, source, out, bad, "posted_at", frame["posted_at"],
              f"is in the future (today is {now:%Y-%m-%d}); a history lists posts already made")  # fmt: skip
    out["posted_at"] = when.to_numpy()

    present: set[str] = set()
    if "engagements" in frame.columns:
        present.add("engagements")
        engagements = _count(frame, out, source, "engagements", required=True)
        for name in ("likes", "comments"):
            if name in frame.columns:
                present.add(name)
                out[name] = _count(frame, out, source, name, required=False).to_numpy()
    else:
        likes = _count(frame, out, source, "likes", required=True)
        out["likes"] = likes.to_numpy()
        if "comments" in frame.columns:
            present.add("comments")
            comments = _count(frame, out, source, "comments", required=False)
            missing_comments = comments.isna().to_numpy()
            if missing_comments.any():
                # a blank is "not recorded", not zero: fill it with the typical comments-per-like of the
                # posts that have both, so those posts are not undercounted
                both = ~missing_comments & (likes.to_numpy() > 0)
                ratio = float(np.median(comments.to_numpy()[both] / likes.to_numpy()[both])) if both.any() else 0.0
                comments = comments.where(~missing_comments, (likes * ratio).round())
                notes.append(
                    f"{source}: {int(missing_comments.sum())} post(s) have no comments value; they were given "
                    f"the median comments per like of the other posts ({ratio:.4f})."
                )
            out["comments"] = comments.to_numpy()
            engagements = likes + comments
        else:
            engagements = likes
            notes.append(f"{source} has no comments column: engagements are likes only.")
    out["engagements"] = engagements.to_numpy(dtype=float)

    if "followers" in frame.columns:
        present.add("followers")
        followers = _count(frame, out, source, "followers", required=False)
        bad = (followers.to_numpy() < 1) & followers.notna().to_numpy()
        if bad.any():
            _fail(HistoryError, source, out, bad, "followers", frame["followers"],
                  "is not a follower count; expected a number >= 1 (or blank)")  # fmt: skip
        out["followers"] = followers.round().to_numpy()
    else:
        out["followers"] = np.nan

    if "sponsored" in frame.columns:
        present.add("sponsored")
        numeric = _numeric(frame["sponsored"])
        text = (
            numeric.astype("string").fillna("") if numeric is not None else _as_text(frame["sponsored"])
        ).str.lower()
        yes = text.isin(_TRUE).to_numpy()
        bad = ~(yes | text.isin(_FALSE).to_numpy())
        if bad.any():
            _fail(HistoryError, source, out, bad, "sponsored", frame["sponsored"],
                  "is not a yes/no flag; expected 1 or 0 (also true/false, yes/no, or blank for organic)")  # fmt: skip
        out["sponsored"] = yes.astype(int)
    else:
        out["sponsored"] = 0
        notes.append(f"{source} has no sponsored column: every post counts as organic.")

    for name in _COUNTS:
        if name in frame.columns:
            present.add(name)
            out[name] = _count(frame, out, source, name, required=False).to_numpy()
    if "conversions" in present:
        over = (out["conversions"].to_numpy() > out["engagements"].to_numpy()) & out["conversions"].notna().to_numpy()
        if over.any():
            _fail(HistoryError, source, out, over, "conversions", frame["conversions"],
                  "is more than the post's engagements; conversion rates here are purchases per engagement")  # fmt: skip
    if "cost" in frame.columns:
        present.add("cost")
        cost = pd.to_numeric(
            _as_text(frame["cost"]).str.replace(",", "", regex=False).str.lstrip("$€£"), errors="coerce"
        )
        blank = (_as_text(frame["cost"]) == "").to_numpy()
        bad = ~blank & ~((cost >= 0) & np.isfinite(cost)).to_numpy()
        if bad.any():
            _fail(HistoryError, source, out, bad, "cost", frame["cost"], "is not a price; expected a number >= 0")
        out["cost"] = cost.to_numpy(dtype=float)
    for name in ("campaign", "post_id"):
        if name in frame.columns:
            present.add(name)
            out[name] = _as_text(frame[name]).to_numpy()
    for name in ("platform", "niche"):
        if name in frame.columns:
            present.add(name)
            out[name] = _as_text(frame[name]).map(normalise_label).to_numpy()

    out = _drop_duplicates(out, source, notes)
    return History(frame=out.reset_index(drop=True), source=source, present=present, notes=notes)


def _drop_duplicates(out: pd.DataFrame, source: str, notes: list[str]) -> pd.DataFrame:
    """Rows identical in every column are one post crawled twice: keep one and say so. The same post with
    different values is ambiguous (which likes count is right?) and is an error naming both rows."""
    values = [c for c in out.columns if c != "row"]
    exact = out.duplicated(subset=values, keep="first").to_numpy()
    if exact.any():
        notes.append(f"{source}: {int(exact.sum())} row(s) repeat an earlier row exactly (a post listed twice); "
                     "each post was counted once.")  # fmt: skip
        out = out.loc[~exact]
    keys: list[tuple[list[str], str]] = [(["creator_id", "posted_at"], "the same creator and posted_at")]
    if "post_id" in out.columns:
        keys.insert(0, (["post_id"], "the same post_id"))
    for key, what in keys:
        subset = out[out["post_id"] != ""] if key == ["post_id"] else out
        dup = subset.duplicated(subset=key, keep=False)
        if dup.any():
            first = subset.loc[dup].iloc[0]
            same = subset.loc[dup & (subset[key] == first[key]).all(axis=1), "row"].tolist()
            differ = [
                c for c in values if c not in key and len(set(subset.loc[subset["row"].isin(same), c].astype(str))) > 1
            ]
            raise HistoryError(
                f"{source}: rows {', '.join(map(str, same))} are {what} (creator {first['creator_id']}, "
                f"posted_at {first['posted_at']:%Y-%m-%dT%H:%M:%SZ}) with different {', '.join(differ) or 'values'}; "
                "list each post once"
            )
    return out


def load_history(path: str | Path, mapping: dict[str, str] | None = None, now: pd.Timestamp | None = None) -> History:
    """Read and validate a post history file (CSV, Parquet or XLSX); see `history_from_frame`.

    Parameters
    ----------
    path : str or Path
        The history file.
    mapping : dict, optional
        Standard field -> column name in the file.
    now : pandas.Timestamp, optional
        The present, for the no-posts-from-the-future check.

    Returns
    -------
    History
    """
    path = Path(path)
    notes: list[str] = []
    raw = read_table(path, HistoryError, notes)
    return history_from_frame(raw, str(path), mapping, now, notes)
