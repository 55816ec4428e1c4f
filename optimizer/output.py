"""Write results: roster.csv and result.json, atomically (all files appear, or none do).

Text from a pool is neutralised for spreadsheets: a cell starting with = + - @ tab or CR gets a
leading apostrophe so Excel and Sheets show it instead of running it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.result import Result
from optimizer.resultdoc import ResultDoc
from optimizer.text import strip_controls

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: Any) -> Any:
    """Make a text cell inert in spreadsheets; other values pass through.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"x\\")")
    '\\'=HYPERLINK("x")'
    >>> neutralise(-3.5)
    -3.5
    """
    if isinstance(text, str):
        text = strip_controls(text)  # never a NUL or another control character in a CSV cell
        if text.startswith(_FORMULA_START):
            return "'" + text
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (numbers stay numbers)."""
    text = [
        c
        for c, dtype in frame.dtypes.items()
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)
    ]
    if not text:
        return frame.copy()
    # all text cells in one pass (one column operation each would make thousands of columns slow)
    cells = np.frompyfunc(neutralise, 1, 1)(frame[text].to_numpy(dtype=object))
    block = pd.DataFrame(cells, columns=text, index=frame.index, dtype=object)
    return pd.concat([frame.drop(columns=text), block], axis=1)[list(frame.columns)]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_files(directory: Path, contents: dict[str, str | bytes]) -> list[Path]:
    """Write several files so that either all of them land or none does.

    Each file is written to a temporary name in the same folder, then all are renamed into place;
    on any failure the temporary files are removed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in contents.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; results are meant to be shared
            staged.append((Path(tmp), directory / name))
        for tmp, final in staged:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    return [final for _, final in staged]


def result_files(result: Result, doc: ResultDoc | None = None) -> dict[str, str | bytes]:
    """result.json (always) and roster.csv (when there is a roster), ready for `write_files`."""
    doc = doc or result.to_doc()
    files: dict[str, str | bytes] = {"result.json": doc.to_json()}
    if result.roster:
        files["roster.csv"] = safe_frame(result.roster_table()).to_csv(index=False)
    return files


def write_result(result: Result, directory: str | Path, doc: ResultDoc | None = None) -> list[Path]:
    """Write result.json (always) and roster.csv (when there is a roster) into `directory`.

    Returns
    -------
    list of Path
        The files written.
    """
    return write_files(Path(directory), result_files(result, doc))
