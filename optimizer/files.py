"""Opening input files safely: regular files only, bounded size, detected encoding and delimiter.

- Only regular files are read: a FIFO, a device (/dev/zero, /dev/urandom), a socket or a directory is
  refused before a byte is read (a symlink is followed and its target checked). The open itself does not
  block on a FIFO.
- Files above a size limit are refused (the scenario's ``format.max_file_mb`` raises it for pools);
  reading stops at the limit even when the size on disk lies (/proc files report 0).
- Text encoding: a byte-order mark says UTF-8, UTF-16 or UTF-32; otherwise UTF-8, else Windows-1252
  with a note (real exports are Latin-1). A file full of NUL bytes without a BOM is UTF-16/32 that
  cannot be told apart safely: an error, not a guess.
- Delimiter: tab for ``.tsv``; otherwise the most frequent of comma, semicolon and tab in the header
  line (outside quotes); a tie is an error asking for ``format.delimiter``.
- Header names: a control character, or two names equal apart from case and spacing, is an error.
"""

from __future__ import annotations

import codecs
import os
import stat
import unicodedata
from pathlib import Path

from optimizer.text import find_control

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
DELIMITERS: dict[str, str] = {",": "comma", ";": "semicolon", "\t": "tab"}
MIB = 1024 * 1024


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(n: float) -> str:
    return f"{n / MIB:,.1f} MB" if n >= MIB / 10 else f"{n:,.0f} bytes"


def _open_checked(path: Path, kind: type[Exception], limit: int, what: str) -> tuple[int, os.stat_result]:
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise kind(f"{path}: {what} not found") from None
    except OSError as exc:
        raise kind(f"{path}: cannot open the {what} ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        target = f" (a link to {os.path.realpath(path)})" if os.path.islink(path) else ""
        raise kind(f"{path}{target}: is {_kind_of(info.st_mode)}, not a regular file; give the {what} as a file")
    if info.st_size > limit:
        os.close(fd)
        raise kind(
            f"{path}: the {what} is {_size(info.st_size)}, above the limit of {_size(limit)}; {_raise_hint(what)}"
        )
    return fd, info


def _raise_hint(what: str) -> str:
    if what == "scenario file":
        return "a scenario is a short YAML file (the pool and overlap are separate files)"
    return "raise it with format: {max_file_mb: N} in the scenario if the file is really that large"


def check_regular_file(path: Path, kind: type[Exception], limit: int, what: str = "file") -> None:
    """Refuse anything but a regular file within `limit` bytes (for readers that open the path themselves).

    Raises
    ------
    kind
        When the file is missing, is a FIFO, device, socket or folder (symlinks are followed), or is too large.
    """
    fd, _ = _open_checked(path, kind, limit, what)
    os.close(fd)


def read_limited(path: Path, kind: type[Exception], limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see `check_regular_file`).

    Raises
    ------
    kind
        As `check_regular_file`, and when more than `limit` bytes can be read (a size on disk that lies).
    """
    fd, _ = _open_checked(path, kind, limit, what)
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise kind(f"{path}: the {what} is larger than the limit of {_size(limit)}; {_raise_hint(what)}")
    return data


def _line_of(raw: bytes, position: int, codec: str) -> int:
    return raw[:position].decode(codec, errors="replace").count("\n") + 1


def decode_text(raw: bytes, path: Path, kind: type[Exception], notes: list[str], encoding: str | None = None) -> str:
    """Text of a table file: the scenario's encoding, else by BOM, else UTF-8, else Windows-1252 with a note.

    Raises
    ------
    kind
        When the bytes are not valid in the encoding named (by the scenario or a BOM), or the file looks
        like UTF-16/32 without a byte-order mark.
    """
    if encoding is not None:
        codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        try:
            return raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise kind(
                f"{path}: not readable as {encoding} (format.encoding in the scenario): byte {exc.start} on line "
                f"{_line_of(raw, exc.start, codec)} is {raw[exc.start : exc.start + 1]!r}"
            ) from None
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise kind(
                    f"{path}: starts with a {name} byte-order mark but is not valid {name} (byte {exc.start}, line "
                    f"{_line_of(raw, exc.start, codec)}); save it again as UTF-8"
                ) from None
    head = raw[:4096]
    if head and head.count(0) > len(head) // 4:
        raise kind(
            f"{path}: the file is full of NUL bytes: it looks like UTF-16 or UTF-32 without a byte-order mark; "
            "save it as UTF-8 (or as Excel 'Unicode text', which has one), or name the encoding with "
            "format: {encoding: utf-16-le} in the scenario"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(f"{path.name} is not UTF-8; it was read as Windows-1252 (Latin-1).")
        return raw.decode("cp1252", errors="replace")


def _header_line(text: str) -> str:
    """The first record's text: up to the first line break outside double quotes."""
    quoted = False
    for pos, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            return text[:pos]
    return text


def detect_delimiter(text: str, path: Path, kind: type[Exception], given: str | None = None) -> str:
    """The column delimiter: `given` (the scenario's), tab for .tsv, else the most frequent in the header.

    Raises
    ------
    kind
        When two delimiters are equally frequent in the header line.
    """
    if given is not None:
        return given
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = _header_line(text)
    counts: dict[str, int] = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0:
        return ","  # one column (or none): comma, as before; the missing-column message follows
    top = [d for d, n in counts.items() if n == best]
    if len(top) > 1:
        names = " and ".join(f"{DELIMITERS[d]}s" for d in top)
        raise kind(
            f"{path}: the header line has as many {names} ({best} each), so the column delimiter is unclear; "
            'name it with format: {delimiter: ";"} (or ",", or "\\t") in the scenario'
        )
    return top[0]


def _header_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def check_header(names: list[str], path: Path | str, kind: type[Exception]) -> None:
    """Refuse header names with control characters, and names that are equal apart from case and spacing.

    Parameters
    ----------
    names : list of str
        The header as written in the file (before any trimming).
    path : Path or str
        For messages.
    kind : type
        The exception to raise.
    """
    for pos, name in enumerate(names, start=1):
        bad = find_control(name)  # tab and line breaks are allowed: Excel headers often hold Alt+Enter breaks
        if bad is not None:
            raise kind(
                f"{path}: the name of column {pos} ({name!r}) contains the control character {bad!r}; "
                "rename the column (control characters can hide text or drive a terminal)"
            )
    exact: dict[str, int] = {}
    for pos, name in enumerate(names, start=1):
        if not name.strip():
            continue  # blank header cells: pandas names them 'Unnamed: N', so they cannot clash
        if name in exact:
            raise kind(
                f"{path}: column '{name}' appears twice (columns {exact[name]} and {pos}); rename one, or map "
                f"the one to use under `columns:` in the scenario (pandas calls the second '{name}.1')"
            )
        exact[name] = pos
    loose: dict[str, tuple[int, str]] = {}
    for pos, name in enumerate(names, start=1):
        key = _header_key(name)
        if not key:
            continue
        if key in loose:
            first, other = loose[key]
            raise kind(
                f"{path}: columns {first} ({other!r}) and {pos} ({name!r}) have the same name apart from case or "
                "spacing, so it is unclear which to use; rename or remove one"
            )
        loose[key] = (pos, name)
