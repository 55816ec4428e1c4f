"""Text that came from a file, made safe to compare and to show.

- `normalise_label`: niche, platform and country labels compare after Unicode NFC, with control and
  invisible characters removed, case- and space-insensitively.
- `id_skeleton`: what a creator id looks like to a person (used to refuse ids that differ only invisibly).
- `safe_terminal`: control characters and escape sequences made visible (``\\x1b``), never executed.
- `md_escape`: a Markdown table cell that cannot become a link, an image, HTML or a new column.
- `strip_controls` / `find_control`: NUL and other control characters in text cells.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Format characters that change how text looks or reads without being visible themselves: soft hyphen,
# Arabic letter mark, Mongolian vowel separator, zero-width space, left/right-to-left marks, bidi
# embeddings, overrides and isolates, word joiner and invisible operators, BOM, interlinear annotation.
# Zero-width joiner and non-joiner (U+200C, U+200D) are kept: emoji and several scripts need them.
INVISIBLE = "\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
# Control characters Python does not treat as whitespace (whitespace ones are collapsed instead, as before).
_LABEL_DROP = re.compile(f"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f{INVISIBLE}]")
# Every control character but tab and newline, plus the invisible ones and the line/paragraph separators.
_TERMINAL_BAD = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{INVISIBLE}\u2028\u2029]")
# Control characters in a text cell (tab, newline and carriage return are legitimate in quoted cells).
_CELL_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ASCII_SKELETON_DROP = re.compile("[\x00-\x08\x0e-\x1b\x7f]")
_EXTRA_DASHES = "\u2212\u2043"  # minus sign (Sm) and hyphen bullet (Po) look like '-' too
# Markdown punctuation that can start a construct: backslash, code span, emphasis, link/image brackets,
# strikethrough, table pipe; '!' only before '[' (an image), '_' only at a word boundary (snake_case words
# cannot start emphasis, so they stay as they are).
_MD_SPECIAL = re.compile(r"([\\`*\[\]~|]|!(?=\[)|(?<!\w)_|_(?!\w))")


def normalise_label(text: object) -> str:
    """A niche, platform or country label as compared everywhere.

    Unicode NFC (a composed and a decomposed "é" are the same label), control and invisible characters
    removed, surrounding space trimmed, inner runs of space collapsed, lower case.

    Examples
    --------
    >>> normalise_label("  Zero   Waste ")
    'zero waste'
    >>> normalise_label("cafe\\u0301") == normalise_label("caf\\u00e9")
    True
    >>> normalise_label("vegan\\x1b[31m\\u200b")
    'vegan[31m'
    """
    text = str(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _LABEL_DROP.sub("", text)
    return " ".join(text.strip().lower().split())


def id_skeleton(text: str) -> str:
    """What an id looks like to a person: NFKC, case-folded, without control or invisible format
    characters, every dash-like character written '-', every run of space written as one space.

    Two different ids with the same skeleton would be read as the same creator. A space still counts
    (as one separator): "ab cd" and "abcd" look different, and real exports hold such pairs.

    Examples
    --------
    >>> id_skeleton("C-01") == id_skeleton("c\\u201101") == id_skeleton("c-01\\x00") == id_skeleton(" c-\\u200b01")
    True
    >>> id_skeleton("Ana  Lee") == id_skeleton("ana\\u00a0lee"), id_skeleton("ab cd") == id_skeleton("abcd")
    (True, False)
    """
    if text.isascii():
        return " ".join(_ASCII_SKELETON_DROP.sub("", text.lower()).split())
    out = []
    for ch in unicodedata.normalize("NFKC", text).casefold():
        cat = unicodedata.category(ch)
        if ch.isspace() or cat in ("Zs", "Zl", "Zp"):
            out.append(" ")
        elif cat not in ("Cc", "Cf"):
            out.append("-" if cat == "Pd" or ch in _EXTRA_DASHES else ch)
    return " ".join("".join(out).split())


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_terminal(text: object) -> str:
    """Text for a terminal: every control character (but newline and tab) and every invisible or
    bidirectional format character is shown as an escape (``\\x1b``, ``\\u202e``) instead of being sent.

    Terminals act only on sequences that start with a control character (ESC, CSI, OSC, ...), so none
    can run: no colours, cursor moves, clipboard writes (OSC 52) or hidden text.

    Examples
    --------
    >>> safe_terminal("niche '\\x1b]52;c;ZXZpbA==\\x07' is unknown")
    "niche '\\\\x1b]52;c;ZXZpbA==\\\\x07' is unknown"
    >>> safe_terminal("plain text\\nsecond line")
    'plain text\\nsecond line'
    """
    return _TERMINAL_BAD.sub(_visible, str(text))


def md_escape(text: object) -> str:
    """Text for a Markdown table cell: HTML escaped, Markdown punctuation backslash-escaped (so no link,
    image, code span, emphasis or column break can start), control characters removed, one line.

    Examples
    --------
    >>> md_escape("![pixel](https://x.example/p.png) <b>|")
    '\\\\!\\\\[pixel\\\\](https://x.example/p.png) &lt;b&gt;\\\\|'
    >>> md_escape("min_creators _it_ Launch!")
    'min_creators \\\\_it\\\\_ Launch!'
    """
    text = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = _CELL_CONTROL.sub("", text)
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def find_control(text: str) -> str | None:
    """The first control character in a text cell (tab, newline and carriage return allowed), else None."""
    m = _CELL_CONTROL.search(text)
    return m.group() if m else None


def strip_controls(text: str) -> str:
    """A text cell without control characters (tab, newline and carriage return are kept)."""
    return _CELL_CONTROL.sub("", text)


CELL_CONTROL_PATTERN: str = _CELL_CONTROL.pattern
"""The control characters `strip_controls` removes, as a regular expression (for pandas' str methods)."""
