"""Write results: every file of one run appears together in --out, or none does, and runs never mix.

Text from a pool is neutralised for spreadsheets: a cell starting with = + - @ tab or CR gets a
leading apostrophe so Excel and Sheets show it instead of running it.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import InputError, RosterError
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


# --- output folders ----------------------------------------------------------------------------
#
# A run's files appear together or not at all, and a folder never mixes two runs: every file of a run is
# written into a staging folder beside --out, next to hard links to whatever else is in --out (inputs the
# planner keeps there), and the staging folder is then exchanged with --out in one atomic rename
# (Linux renameat2 RENAME_EXCHANGE; two renames where that is missing, repaired on the next run). The
# swap runs under a lock beside the folder, so two runs into one folder commit one after the other.

RESULT_FILES = ("result.json", "roster.csv")
REPORT_FILES = ("report.html", "allocation.xlsx", "summary.md")
FRONTIER_FILES = ("frontier.csv", "frontier.json", "frontier.svg")
RUN_FILES = RESULT_FILES + REPORT_FILES  # what one `optimize` run owns: older ones are removed with it
_STAGING = ".new-"
_RETIRED = ".old-"


class OutputPathError(InputError):
    """--out cannot be used: it is not a folder, cannot be written, or would overwrite an input."""


class OutputError(RosterError):
    """The results could not be written (disk full, read-only file system, permissions); nothing changed."""

    exit_code = 1


def check_output(out: Path, inputs: Iterable[Path] = (), writes: Iterable[str] = RUN_FILES) -> Path:
    """Check, before any solving, that the results can be written to `out` without harm.

    Parameters
    ----------
    out : Path
        The output folder (it may not exist yet).
    inputs : iterable of Path
        Files the run reads (scenario, pool, overlap, ...): none of them may be overwritten.
    writes : iterable of str
        Names of the files the run will write into `out`.

    Returns
    -------
    Path
        The resolved folder.

    Raises
    ------
    OutputPathError
        Naming the path and what is wrong with it.
    """
    target = Path(os.path.abspath(out))
    if target.exists() and not target.is_dir():
        raise OutputPathError(f"--out {out}: exists and is not a folder; give a folder for the results")
    for path in inputs:
        resolved = Path(os.path.realpath(path))
        if resolved.parent == Path(os.path.realpath(target)) and resolved.name in set(writes):
            raise OutputPathError(
                f"--out {out}: the input {path} would be overwritten by the result file {resolved.name}; "
                "choose another --out or move the input"
            )
    existing = target
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(f"--out {out}: {existing} is not a folder, so the results cannot be written under it")
    if not os.access(existing, os.W_OK | os.X_OK) or _read_only(existing):
        raise OutputPathError(f"--out {out}: {existing} is not writable (permissions or a read-only file system)")
    parent = target.parent if target.exists() else None
    if parent is not None and not (os.access(parent, os.W_OK | os.X_OK) and not _read_only(parent)):
        raise OutputPathError(f"--out {out}: its parent folder {parent} is not writable, which replacing it needs")
    return target


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def write_file(path: Path, data: str | bytes) -> Path:
    """Write one file atomically (a temporary file beside it, then a rename); nothing is left on failure."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(f"could not write {path}: {exc.strerror or exc}; nothing was changed") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"could not write {path}: {exc.strerror or exc}; nothing was changed") from None
        raise
    return path


def write_files(directory: Path, contents: dict[str, str | bytes], owned: Iterable[str] | None = None) -> list[Path]:
    """Write the files of one run into `directory` so that they all appear at once, or none do.

    Parameters
    ----------
    directory : Path
        The output folder (created when missing).
    contents : dict
        File name -> text or bytes.
    owned : iterable of str, optional
        Names of files that belong to a run of this kind: those not in `contents` are removed in the same
        swap (an infeasible re-run leaves no old roster beside its result). Default: the names written.
        Every other file in the folder is kept.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        When the disk is full, the file system read-only or permissions missing; the folder is unchanged.
    """
    directory = Path(os.path.abspath(directory))
    owned_names = set(contents) | set(owned or ())
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with _folder_lock(directory):
            _repair(directory)
            staged = Path(tempfile.mkdtemp(prefix=f".{directory.name}{_STAGING}", dir=parent))
            try:
                if directory.exists():
                    _keep_others(directory, staged, owned_names)
                for name, data in contents.items():
                    with open(staged / name, "wb") as fh:
                        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.chmod(staged / name, 0o666 & ~_umask())
                os.chmod(staged, (directory.stat().st_mode & 0o7777) if directory.exists() else 0o777 & ~_umask())
                _swap(staged, directory)
            finally:
                shutil.rmtree(staged, ignore_errors=True)  # after the swap it holds the previous run
    except OSError as exc:
        raise OutputError(f"could not write the results to {directory}: {exc.strerror or exc}; "
                          "the folder is as it was before this run") from None  # fmt: skip
    return [directory / name for name in contents]


def _keep_others(directory: Path, staged: Path, owned: set[str]) -> None:
    """Hard-link (or copy) everything in the folder that this run does not own into the staging folder."""
    for entry in directory.iterdir():
        if entry.name in owned:
            continue
        target = staged / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, target, symlinks=True, copy_function=_link_or_copy)
        elif entry.is_symlink():
            os.symlink(os.readlink(entry), target)
        else:
            _link_or_copy(str(entry), str(target))


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


_RENAME_EXCHANGE = 2


def _swap(staged: Path, directory: Path) -> None:
    """Put the staged folder in the directory's place in one step; `staged` ends up with the old contents."""
    if not directory.exists():
        os.rename(staged, directory)
        staged.mkdir()  # so the caller's clean-up has something to remove
        return
    if _exchange(staged, directory):
        return
    # no atomic exchange here: two renames, and `_repair` restores the old folder if we stop between them
    retired = directory.parent / f".{directory.name}{_RETIRED}{os.getpid()}"
    os.rename(directory, retired)
    os.rename(staged, directory)
    os.rename(retired, staged)


def _exchange(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(code, os.strerror(code), str(b))


def _repair(directory: Path) -> None:
    """Undo what an interrupted run left: a retired folder without its replacement, staging folders."""
    parent = directory.parent
    retired = sorted(parent.glob(f".{directory.name}{_RETIRED}*"))
    if retired and not directory.exists():
        os.rename(retired[-1], directory)  # the old run's complete files, put back
        retired = retired[:-1]
    for leftover in [*retired, *parent.glob(f".{directory.name}{_STAGING}*")]:
        shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def _folder_lock(directory: Path) -> Iterator[None]:
    """One writer at a time per output folder (a lock file beside it; the second run waits its turn)."""
    lock_path = directory.parent / f".{directory.name}.lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    return write_files(Path(directory), result_files(result, doc), owned=RUN_FILES)
