"""The catalogue of hostile inputs (issue 9 part A): nothing silently altered on the way in, nothing
hostile on the way out.

Each catalogue case exits 2 with one paragraph naming the file and the row, column or key, writes no
file, and sends no control character to the terminal. The tests after the catalogue check that the
legitimate inputs next to each hostile one still work (European exports, UTF-16, TSV, several sheets
with `format.sheet`, accented labels), and that text from a file is inert in every output.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from optimizer import load_pool, load_problem, optimize
from optimizer.cli import main
from optimizer.limits import MAX_POSTS
from optimizer.numbers import NumberFormat, parse_numbers
from optimizer.output import neutralise
from optimizer.text import id_skeleton, md_escape, normalise_label, safe_terminal
from tests.conftest import POOL_COLUMNS, base_pool, write_case

CONTROL_BYTES = ("\x00", "\x07", "\x1b", "\x9b", "\x9d")


def _pool(*changes: tuple[int, str, str], **columns: list[str]) -> pd.DataFrame:
    """The base pool with cells changed ((row index, column, value), ...) and columns added."""
    pool = base_pool()
    for row, col, value in changes:
        pool.loc[row, col] = value
    for name, values in columns.items():
        pool[name] = values
    return pool


def _european() -> pd.DataFrame:
    """The base pool as a European spreadsheet writes it (decimal commas, '.' between thousands)."""
    pool = base_pool()
    for col in ("followers", "engagement_rate", "authenticity"):
        pool[col] = pool[col].str.replace(",", "").str.replace(".", ",", regex=False)
    pool["followers"] = pool["followers"].replace({"12400": "12.400", "95000": "95.000"})
    return pool


def _text(pool: pd.DataFrame, sep: str = ",") -> str:
    return pool.to_csv(index=False, sep=sep)


HEADER = ",".join(POOL_COLUMNS)


def _header(*extra: str) -> str:
    """The base pool as CSV with extra header names (and a value for each) appended."""
    lines = _text(base_pool()).splitlines()
    return "\n".join([lines[0] + "".join("," + e for e in extra)] + [ln + ",x" * len(extra) for ln in lines[1:]]) + "\n"


def _xlsx(sheets: dict[str, pd.DataFrame]) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        with pd.ExcelWriter(folder / "creators.xlsx") as writer:
            for name, frame in sheets.items():
                frame.to_excel(writer, sheet_name=name, index=False)

    return make


def _replace(name: str, make: Callable[[Path], None]) -> Callable[[Path], None]:
    """Replace the file `name` in the case folder by whatever `make(path)` creates there."""

    def setup(folder: Path) -> None:
        path = folder / name
        path.unlink()
        make(path)

    return setup


def _symlink(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


@dataclass
class Case:
    """One hostile input: what to write, and the fragments the error message must contain."""

    id: str
    fragments: list[str]
    scenario: dict[str, Any] | str = field(default_factory=dict)  # overrides, or the whole YAML text
    pool: pd.DataFrame | str | bytes | None = None
    pool_name: str = "creators.csv"
    overlap: str | None = None
    setup: Callable[[Path], None] | None = None


def _write(folder: Path, case: Case) -> Path:
    folder.mkdir(parents=True)
    if isinstance(case.pool, bytes):
        (folder / case.pool_name).write_bytes(case.pool)
    elif isinstance(case.pool, str):
        (folder / case.pool_name).write_text(case.pool, encoding="utf-8")
    elif case.pool_name.endswith(".csv"):
        (base_pool() if case.pool is None else case.pool).to_csv(folder / case.pool_name, index=False)
    path = folder / "scenario.yaml"
    if isinstance(case.scenario, str):
        path.write_text(case.scenario, encoding="utf-8")
    else:
        data = {"name": "Test campaign", "pool": case.pool_name, "budget": 1000, **case.scenario}
        if case.overlap is not None:
            (folder / "overlap.csv").write_text(case.overlap, encoding="utf-8")
            data.setdefault("overlap", "overlap.csv")
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if case.setup is not None:
        case.setup(folder)
    return path


SCENARIO_HEAD = "name: Test campaign\npool: creators.csv\n"
BILLION_LAUGHS = (
    SCENARIO_HEAD
    + "budget: 1000\nbaselines:\n  hand_picked:\n"
    + '    a: &a ["c-01", "c-01", "c-01", "c-01", "c-01", "c-01", "c-01", "c-01", "c-01", "c-01"]\n'
    + "".join(f"    {n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefg", "bcdefgh"))
)

# fmt: off
CASES = [
    # --- numbers: European formats in a comma-separated file ---------------------------------------
    Case("cost-decimal-comma", ["creators.csv, row 4 (creator c-03), column 'cost': value '150,50' has a decimal comma",
                                'format: {decimal: ",", thousands: "."}'], pool=_pool((2, "cost", "150,50"))),
    Case("cost-european-thousands", ["row 2 (creator c-01), column 'cost': value '1.234,50' has ',' after the decimal mark '.'"],
         pool=_pool((0, "cost", "1.234,50"))),
    Case("followers-1,2M", ["row 8 (creator c-07), column 'followers': value '1,2M' has a decimal comma"],
         pool=_pool((6, "followers", "1,2M"))),
    Case("followers-2,5K", ["row 3 (creator c-02), column 'followers': value '2,5K' has a decimal comma"],
         pool=_pool((1, "followers", "2,5K"))),
    Case("followers-dot-thousands", ["column 'followers': value '1.234' is not a whole number; if '.' separates thousands"],
         pool=_pool((3, "followers", "1.234"))),
    Case("cost-leading-zero-group", ["row 4 (creator c-03), column 'cost': value '0,045' has a decimal comma"],
         pool=_pool((2, "cost", "0,045"))),
    Case("rate-decimal-comma", ["row 2 (creator c-01), column 'engagement_rate': value '4,5%' has a decimal comma"],
         pool=_pool((0, "engagement_rate", "4,5%"))),
    Case("semicolon-ambiguous", ["row 4 (creator c-03), column 'cost': value '1,234' is ambiguous",
                                 "the file is semicolon-separated", "write 1234, or 1,2340 for 1.234"],
         pool=_text(_european().assign(cost=["120", "300", "1,234", "200", "650", "900", "9000", "90"]), sep=";")),
    Case("semicolon-decimal-points", ["column 'cost': value '150.50' has a decimal point, but the file is semicolon-separated",
                                      'format: {decimal: ".", thousands: ","}'],
         pool=_text(_european().assign(cost=["120", "300", "150.50", "200", "650", "900", "9000", "90"]), sep=";")),
    Case("format-comma-ambiguous", ["column 'cost': value '2,500' is ambiguous",
                                    "the scenario's format sets the decimal mark to ','"],
         scenario={"format": {"decimal": ","}},
         pool=_european().assign(cost=["120", "300", "150", "200", "2,500", "900", "9000", "90"])),
    # --- numbers: non-finite and absurd values ---------------------------------------------------
    # every other count plain: the old fast path took 'inf' as a number
    Case("followers-inf", ["row 4 (creator c-03), column 'followers': value 'inf' is not a follower count"],
         pool=_pool(followers=["12400", "25000", "inf", "80000", "95000", "60000", "1200000", "33000"])),
    Case("followers-above-limit", ["column 'followers': value '20000000000' is above the limit of 10,000,000,000 followers"],
         pool=_pool((2, "followers", "20000000000"))),
    Case("followers-1e300", ["column 'followers': value '1e300' is above the limit of 10,000,000,000 followers"],
         pool=_pool((2, "followers", "1e300"))),
    Case("cost-1e30", ["row 5 (creator c-04), column 'cost': value '1e30' is above the limit of 1,000,000,000 for the price"],
         pool=_pool((3, "cost", "1e30"))),
    Case("cost-inf", ["column 'cost': value 'inf' is not a price"], pool=_pool((3, "cost", "inf"))),
    Case("cost-1e400", ["column 'cost': value '1e400' is not a price"], pool=_pool((3, "cost", "1e400"))),
    Case("max-posts-100000", [f"row 3 (creator c-02), column 'max_posts': value '100000' is above the limit of {MAX_POSTS:,} posts"],
         pool=_pool(max_posts=["1", "100000", "1", "1", "1", "1", "1", "1"])),
    Case("max-posts-2000000", ["column 'max_posts': value '2000000' is above the limit of 1,000 posts"],
         pool=_pool(max_posts=["1", "2000000", "1", "1", "1", "1", "1", "1"])),
    Case("max-posts-1e19", ["column 'max_posts': value '1e19' is above the limit of 1,000 posts"],
         pool=_pool(max_posts=["1", "1e19", "1", "1", "1", "1", "1", "1"])),
    Case("expected-inf", ["row 3 (creator c-02), column 'expected_emv': value 'inf' is not a forecast"],
         pool=_pool(expected_emv=["1", "inf", "", "", "1", "1", "1", "1"])),
    Case("expected-above-limit", ["column 'expected_reach': value '1e13' is above the limit of 1,000,000,000,000"],
         pool=_pool(expected_reach=["1", "1e13", "", "", "1", "1", "1", "1"])),
    Case("sentiment-inf", ["column 'sentiment': value '-inf' is not a sentiment"],
         pool=_pool(sentiment=["0", "-inf", "", "", "0", "0", "0", "0"])),
    Case("authenticity-nan-text", ["row 2 (creator c-01), column 'authenticity': value 'nan' is not a rate"],
         pool=_pool((0, "authenticity", "nan"))),
    Case("budget-inf", ["scenario.yaml: budget: Input should be a finite number"], scenario={"budget": float("inf")}),
    Case("budget-1e400", ["scenario.yaml: budget: Input should be a finite number"], scenario=SCENARIO_HEAD + "budget: 1e400\n"),
    Case("budget-above-limit", ["scenario.yaml: budget: Input should be less than or equal to 1000000000000"],
         scenario={"budget": 2e12}),
    Case("min-spend-nan", ["scenario.yaml: min_spend: Input should be a finite number"], scenario={"min_spend": float("nan")}),
    Case("target-inf", ["scenario.yaml: target.conversions: Input should be a finite number"],
         scenario={"target": {"conversions": float("inf")}}),
    Case("cpm-inf", ["scenario.yaml: assumptions.emv.cpm: Input should be a finite number"],
         scenario={"assumptions": {"emv": {"cpm": float("inf")}}}),
    Case("aov-inf", ["scenario.yaml: assumptions.average_order_value: Input should be a finite number"],
         scenario={"assumptions": {"average_order_value": float("inf")}}),
    Case("impression-value-nan", ["scenario.yaml: assumptions.emv.impression_value: Input should be a finite number"],
         scenario={"assumptions": {"emv": {"impression_value": float("nan")}}}),
    Case("engagement-value-absurd", ["assumptions.emv.engagement_value: Input should be less than or equal to 1000000000"],
         scenario={"assumptions": {"emv": {"engagement_value": 1e10}}}),
    Case("conversion-rate-inf", ["scenario.yaml: assumptions.conversion_rate", "finite number"],
         scenario={"assumptions": {"conversion_rate": float("inf")}}),
    Case("roster-max-posts-absurd", ["scenario.yaml: roster.max_posts: Input should be less than or equal to 1000"],
         scenario={"roster": {"max_posts": 100_000}}),
    # --- files: encodings, delimiters, sheets, headers -------------------------------------------
    Case("utf16-without-bom", ["creators.csv: the file is full of NUL bytes", "UTF-16 or UTF-32 without a byte-order mark"],
         pool=_text(base_pool()).encode("utf-16-le")),
    Case("utf16-bom-broken", ["creators.csv: starts with a UTF-16 byte-order mark but is not valid UTF-16"],
         pool=b"\xff\xfe" + "creator_id".encode("utf-16-le") + b"\x00\xd8\x41"),
    Case("encoding-named-but-wrong", ["creators.csv: not readable as utf-8 (format.encoding in the scenario)", "line 3"],
         scenario={"format": {"encoding": "utf-8"}}, pool=_text(base_pool()).replace("@ben", "@b\xe9n").encode("cp1252")),
    Case("delimiter-tie", ["creators.csv: the header line has as many commas and semicolons (3 each)", "format: {delimiter"],
         pool="creator_id;handle,platform;followers,engagement_rate;niche,cost\n"),
    Case("duplicate-cost-trailing-space", ["creators.csv: columns 7 ('cost') and 9 ('cost ') have the same name apart from case or spacing"],
         pool=_header("cost ")),
    Case("duplicate-cost-case", ["creators.csv: columns 7 ('cost') and 9 ('Cost') have the same name"], pool=_header("Cost")),
    Case("duplicate-inner-space", ["columns 9 ('Agency contact') and 10 ('agency\\xa0 Contact') have the same name apart"],
         pool=_header("Agency contact", "agency\u00a0 Contact")),
    Case("duplicate-cost-exact", ["creators.csv: column 'cost' appears twice (columns 7 and 9)"], pool=_header("cost")),
    Case("header-escape-sequence", ["creators.csv: the name of column 9 ('note\\x1b]52;c;ZXZpbA==\\x07') contains the control character '\\x1b'"],
         pool=_header("note\x1b]52;c;ZXZpbA==\x07")),
    Case("xlsx-several-sheets", ["creators.xlsx: the workbook has 2 sheets (Creators, Notes)", "format: {sheet: NAME}"],
         pool_name="creators.xlsx", setup=_xlsx({"Creators": base_pool(), "Notes": pd.DataFrame({"a": [1]})})),
    Case("xlsx-sheet-missing", ["creators.xlsx: there is no sheet 'Creator' (format.sheet in the scenario); did you mean 'Creators'?"],
         scenario={"format": {"sheet": "Creator"}}, pool_name="creators.xlsx",
         setup=_xlsx({"Creators": base_pool(), "Notes": pd.DataFrame({"a": [1]})})),
    Case("xlsx-two-cost-columns", ["creators.xlsx: column 'cost' appears twice (columns 7 and 9)"], pool_name="creators.xlsx",
         setup=_xlsx({"Creators": pd.concat([base_pool(), base_pool()[["cost"]]], axis=1)})),
    Case("xlsx-cost-and-cost-space", ["creators.xlsx: columns 7 ('cost') and 9 ('cost ') have the same name"],
         pool_name="creators.xlsx", setup=_xlsx({"Creators": base_pool().assign(**{"cost ": "1"})})),
    # --- files: only regular files, bounded in size ----------------------------------------------
    Case("pool-fifo", ["creators.csv: is a named pipe (FIFO), not a regular file"], setup=_replace("creators.csv", os.mkfifo)),
    Case("pool-link-to-dev-zero", ["creators.csv (a link to /dev/zero): is a device, not a regular file"],
         setup=_replace("creators.csv", _symlink("/dev/zero"))),
    Case("pool-link-to-dev-urandom", ["creators.csv (a link to /dev/urandom): is a device, not a regular file"],
         setup=_replace("creators.csv", _symlink("/dev/urandom"))),
    Case("pool-is-a-folder", ["creators.csv: is a folder, not a regular file"], setup=_replace("creators.csv", os.mkdir)),
    Case("pool-xlsx-link-to-dev-zero", ["creators.xlsx (a link to /dev/zero): is a device"], pool_name="creators.xlsx",
         setup=lambda folder: (folder / "creators.xlsx").symlink_to("/dev/zero")),
    Case("pool-above-size-limit", ["creators.csv: the file is", "above the limit of 104 bytes", "format: {max_file_mb: N}"],
         scenario={"format": {"max_file_mb": 0.0001}}),
    Case("overlap-fifo", ["overlap.csv: is a named pipe (FIFO), not a regular file"], overlap="creator_a,creator_b,overlap\n",
         setup=_replace("overlap.csv", os.mkfifo)),
    Case("scenario-fifo", ["scenario.yaml: is a named pipe (FIFO), not a regular file"], setup=_replace("scenario.yaml", os.mkfifo)),
    Case("scenario-link-to-dev-zero", ["scenario.yaml (a link to /dev/zero): is a device, not a regular file"],
         setup=_replace("scenario.yaml", _symlink("/dev/zero"))),
    Case("scenario-too-large", ["scenario.yaml: the scenario file is 2.1 MB, above the limit of 2.0 MB"],
         scenario=SCENARIO_HEAD + "budget: 1000\n" + "#" * (2_200_000) + "\n"),
    # --- the scenario's YAML ---------------------------------------------------------------------
    Case("yaml-duplicate-budget", ["scenario.yaml: key 'budget' appears twice in the same mapping (lines 3 and 5)"],
         scenario=SCENARIO_HEAD + "budget: 1000\ncurrency: USD\nbudget: 5000000\n"),
    Case("yaml-duplicate-niches-block", ["scenario.yaml: key 'niches' appears twice in the same mapping (lines 4 and 7)"],
         scenario=SCENARIO_HEAD + "budget: 1000\nniches:\n  zero-waste: {min_creators: 1}\n  vegan-food: {min_creators: 1}\n"
         "niches:\n  sustainable-fashion: {min_creators: 1}\n"),
    Case("yaml-duplicate-nested", ["scenario.yaml: key 'min_creators' appears twice in the same mapping (lines 6 and 7)"],
         scenario=SCENARIO_HEAD + "budget: 1000\nniches:\n  zero-waste:\n    min_creators: 1\n    min_creators: 3\n"),
    Case("yaml-billion-laughs", ["scenario.yaml: the YAML expands to more than 100,000 values through its aliases"],
         scenario=BILLION_LAUGHS),
    Case("yaml-recursive-alias", ["scenario.yaml: an alias (*name) refers to the value that contains it"],
         scenario=SCENARIO_HEAD + "budget: 1000\nbaselines:\n  hand_picked:\n    a: &a [c-01, *a]\n"),
    Case("format-thousands-alone", ["scenario.yaml: format: thousands needs decimal too"], scenario={"format": {"thousands": "."}}),
    Case("format-same-marks", ["scenario.yaml: format: decimal and thousands are both ','"],
         scenario={"format": {"decimal": ",", "thousands": ","}}),
    Case("format-unknown-encoding", ["scenario.yaml: format.encoding: unknown encoding 'utf-99'"],
         scenario={"format": {"encoding": "utf-99"}}),
    Case("currency-html", ["scenario.yaml: currency: expected a currency code or symbol", "(got '<b>EUR</b>')"],
         scenario={"currency": "<b>EUR</b>"}),
    Case("name-nul", ["scenario.yaml: name: contains the control character '\\x00'"], scenario={"name": "Launch\x00"}),
    Case("pool-path-escape", ["scenario.yaml: pool: contains the control character '\\x1b'"], scenario={"pool": "x\x1b[2J.csv"}),
    # --- labels and ids ----------------------------------------------------------------------------
    Case("ids-differ-by-case", ["creators.csv, column 'creator_id': ids 'c-01' (row 2) and 'C-01' (row 3) differ only by case"],
         pool=_pool((1, "creator_id", "C-01"))),
    Case("ids-differ-by-nul", ["column 'creator_id': ids 'c-01' (row 2) and 'c-01\\x00' (row 4) differ only by"],
         pool=_pool((2, "creator_id", "c-01\x00"))),
    Case("ids-differ-by-nb-hyphen", ["ids 'c-01' (row 2) and 'c\u201101' (row 5) differ only by case, spaces, dashes"],
         pool=_pool((3, "creator_id", "c\u201101"))),
    Case("ids-differ-by-zero-width", ["ids 'c-01' (row 2) and 'c-\\u200b01' (row 6)"], pool=_pool((4, "creator_id", "c-\u200b01"))),
    Case("ids-differ-by-nbsp", ["ids 'c 01' (row 2) and 'c\\xa001' (row 3)"],
         pool=_pool((0, "creator_id", "c 01"), (1, "creator_id", "c\u00a001"))),
    Case("id-with-escape", ["row 9 (creator c-09\\x1b[8m), column 'creator_id': value 'c-09\\x1b[8m' contains the control character '\\x1b'"],
         pool=_pool((7, "creator_id", "c-09\x1b[8m"))),
    Case("niche-label-escape-did-you-mean", ["niche 'vegan-foods[2j' is not the niche of any creator", "did you mean 'vegan-food'?"],
         scenario={"niches": {"vegan-foods\x1b[2J": {"min_creators": 1}}}),
    Case("include-lookalike-id", ["eligibility.include names C-01, not a creator_id in", "(did you mean 'c-01'? ids compare exactly"],
         scenario={"eligibility": {"include": ["C-01"]}}),
    Case("reserved-column-taken-twice", ["column 'niches' is a name the tool uses for a field it computes, and 'pool_niches'"],
         pool=_pool(niches=["a"] * 8, pool_niches=["b"] * 8)),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_a_clear_error(tmp_path: Path, runner, case: Case) -> None:
    path = _write(tmp_path / "case", case)
    out = tmp_path / "out"
    # a FIFO or a device must be refused, never waited on: fail the test instead of hanging the suite
    old = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the command hung on a hostile file"))
    signal.alarm(60)
    try:
        for command in (["optimize", str(path), "--out", str(out)], ["validate", str(path)]):
            result = runner.invoke(main, command)
            message = result.stderr
            assert result.exit_code == 2, result.output
            for fragment in case.fragments:
                assert fragment in message, message
            assert message.startswith("Error: ")
            assert "Traceback" not in result.output and "unexpected" not in message
            assert "\n\n" not in message.strip(), "one paragraph"
            assert not any(c in result.output for c in CONTROL_BYTES), "no control character reaches the terminal"
            assert not out.exists(), "no files may be written on bad input"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --- legitimate inputs next to the hostile ones ------------------------------------------------------

EUROPEAN = [
    # the same creators as an English-format export, written by a European spreadsheet
    ("c-01", "@ana", "instagram", "12.400", "4,5%", "zero-waste", "1.234,50", "0,91"),
    ("c-02", "@ben", "instagram", "25K", "0,031", "sustainable-fashion", "300", "0,88"),
    ("c-03", "@cy", "tiktok", "48,2K", "6%", "sustainable-fashion;zero-waste", "150,5", "0,95"),
    ("c-04", "@dee", "tiktok", "80 000", "0,05", "vegan-food", "200", "0,80"),
]
ENGLISH = [
    ("c-01", "@ana", "instagram", "12,400", "4.5%", "zero-waste", "1,234.50", "0.91"),
    ("c-02", "@ben", "instagram", "25K", "0.031", "sustainable-fashion", "300", "0.88"),
    ("c-03", "@cy", "tiktok", "48.2K", "6%", "sustainable-fashion;zero-waste", "150.5", "0.95"),
    ("c-04", "@dee", "tiktok", "80000", "0.05", "vegan-food", "200", "0.80"),
]


def _same_pool(a, b) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.present == b.present and a.extra_columns == b.extra_columns


def test_semicolon_decimal_comma_export_equals_its_english_twin(tmp_path: Path) -> None:
    (tmp_path / "en.csv").write_text(_text(pd.DataFrame(ENGLISH, columns=POOL_COLUMNS)))
    (tmp_path / "eu.csv").write_text(_text(pd.DataFrame(EUROPEAN, columns=POOL_COLUMNS), sep=";"))
    english, european = load_pool(tmp_path / "en.csv"), load_pool(tmp_path / "eu.csv")
    _same_pool(english, european)
    assert european.frame.at["c-01", "cost"] == 1234.5 and european.frame.at["c-03", "followers"] == 48_200
    assert any(
        "eu.csv is semicolon-separated, so its numbers were read with a decimal comma" in n for n in european.notes
    )
    assert not any("semicolon" in n for n in english.notes)


def test_format_block_reads_decimal_commas_in_a_comma_separated_file(tmp_path: Path) -> None:
    (tmp_path / "en.csv").write_text(_text(pd.DataFrame(ENGLISH, columns=POOL_COLUMNS)))
    (tmp_path / "eu.csv").write_text(_text(pd.DataFrame(EUROPEAN, columns=POOL_COLUMNS)))  # quoted "1.234,50"
    path = write_case(tmp_path / "case", {"pool": "../eu.csv", "format": {"decimal": ",", "thousands": "."}})
    problem = load_problem(path)
    _same_pool(load_pool(tmp_path / "en.csv"), problem.pool)


def test_semicolon_file_with_decimal_points_by_format(tmp_path: Path) -> None:
    english = pd.DataFrame(ENGLISH, columns=POOL_COLUMNS)
    (tmp_path / "creators.csv").write_text(_text(english, sep=";"))
    path = write_case(tmp_path / "case", {"pool": "../creators.csv", "format": {"decimal": "."}})
    _same_pool(load_pool_from_text(tmp_path, _text(english)), load_problem(path).pool)


def load_pool_from_text(folder: Path, text: str, name: str = "ref.csv"):
    """A pool read from `text` written to folder/name."""
    (folder / name).write_text(text)
    return load_pool(folder / name)


@pytest.mark.parametrize(
    ("encoding", "name", "sep"),
    [("utf-16", "creators.txt", "\t"), ("utf-16", "creators.csv", ","), ("utf-32", "creators.csv", ","),
     ("utf-8-sig", "creators.csv", ","), ("utf-16-be", "creators.csv", ",")],
)  # fmt: skip
def test_unicode_files_with_a_bom_read_like_utf8(tmp_path: Path, encoding: str, name: str, sep: str) -> None:
    pool = _pool((0, "handle", "@zoë ♻️"), (1, "niche", "café"))
    reference = load_pool_from_text(tmp_path, _text(pool))
    text = _text(pool, sep=sep)
    raw = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    (tmp_path / name).write_bytes(raw)
    got = load_pool(tmp_path / name)
    _same_pool(reference, got)
    assert got.notes == reference.notes  # no Windows-1252 fallback note: nothing was guessed


def test_xlsx_number_cells_stay_numbers_with_a_decimal_comma(tmp_path: Path) -> None:
    pool = base_pool().astype(object)
    pool["followers"] = ["12.400", "25K", "48,2K", 80000, "95.000", "60K", "1,2M", 33000]  # text and number cells
    pool["cost"] = [120.5, 300, 150, 200, 650, 900, 9000, 90]
    pool["engagement_rate"] = [0.045, "3,1%", 0.06, 0.05, 0.022, 0.02, 0.009, 0.075]
    pool["authenticity"] = [0.91, 0.88, 0.95, 0.80, 0.70, 0.93, 0.85, "0,78"]
    pool.to_excel(tmp_path / "creators.xlsx", index=False)
    path = write_case(tmp_path, {"pool": "creators.xlsx", "format": {"decimal": ","}})
    got = load_problem(path).pool.frame
    assert got["followers"].tolist() == [12400, 25000, 48200, 80000, 95000, 60000, 1_200_000, 33000]
    assert got.at["c-01", "cost"] == 120.5 and got.at["c-02", "engagement_rate"] == pytest.approx(0.031)
    assert got.at["c-08", "authenticity"] == pytest.approx(0.78) and got.at["c-01", "engagement_rate"] == 0.045


def test_tsv_is_read_as_tabs(tmp_path: Path) -> None:
    pool = _pool((0, "handle", "@ana, the baker"))  # a comma inside a cell: no quoting needed in TSV
    (tmp_path / "creators.tsv").write_text(pool.to_csv(index=False, sep="\t", quoting=3))
    got = load_pool(tmp_path / "creators.tsv")
    assert got.frame.at["c-01", "handle"] == "@ana, the baker"
    assert got.frame.at["c-01", "followers"] == 12_400 and got.frame.at["c-07", "followers"] == 1_200_000


def test_english_counts_parse_as_before(tmp_path: Path) -> None:
    got = load_pool_from_text(tmp_path, _text(base_pool()))
    followers = got.frame["followers"].to_dict()
    assert followers["c-01"] == 12_400 and followers["c-02"] == 25_000 and followers["c-03"] == 48_200
    assert followers["c-05"] == 95_000 and followers["c-07"] == 1_200_000
    assert got.frame.at["c-01", "engagement_rate"] == 0.045


def test_windows_1252_fallback_is_still_said(tmp_path: Path) -> None:
    (tmp_path / "creators.csv").write_bytes(_text(_pool((0, "handle", "@zoë"))).encode("cp1252"))
    got = load_pool(tmp_path / "creators.csv")
    assert got.frame.at["c-01", "handle"] == "@zoë"
    assert any("creators.csv is not UTF-8; it was read as Windows-1252" in n for n in got.notes)


def test_named_encoding_is_used(tmp_path: Path) -> None:
    (tmp_path / "creators.csv").write_bytes(_text(_pool((0, "handle", "@zoë"))).encode("latin-1"))
    path = write_case(tmp_path / "case", {"pool": "../creators.csv", "format": {"encoding": "latin-1"}})
    pool = load_problem(path).pool
    assert pool.frame.at["c-01", "handle"] == "@zoë" and not any("Windows-1252" in n for n in pool.notes)


def test_xlsx_sheet_named_in_the_scenario(tmp_path: Path, runner) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    _xlsx({"Notes": pd.DataFrame({"a": [1]}), "Creators": base_pool()})(folder)
    path = write_case(folder, {"pool": "creators.xlsx", "format": {"sheet": "Creators"}})
    (folder / "creators.csv").unlink()
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "8 creators" in result.stdout


def test_accented_labels_match_whatever_their_normal_form(tmp_path: Path, runner) -> None:
    pool = _pool((0, "niche", "cafe\u0301"), (1, "niche", "Cafe\u0301 "))  # decomposed é, as macOS writes it
    path = write_case(tmp_path, {"niches": {"caf\u00e9": {"min_creators": 2}}}, pool)  # composed é
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "café: 2 / 2" in result.stdout
    assert normalise_label("cafe\u0301") == normalise_label("CAF\u00c9") == "caf\u00e9"


def test_creators_with_no_niche_are_listed(tmp_path: Path, runner) -> None:
    pool = _pool((1, "niche", ""), (4, "niche", ";;"), (6, "niche", " ; \u200b"))
    path = write_case(tmp_path, {}, pool)
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "Note: 3 creator(s) have no niche (an empty niche cell, or only ';' or invisible characters): "
        "c-02 (row 3), c-05 (row 6), c-07 (row 8); no niche rule counts them." in result.stdout
    )


def test_reserved_column_names_never_replace_parsed_fields(tmp_path: Path) -> None:
    pool = _pool(niches=["bogus"] * 8, row=["r"] * 8, tier=["gold"] * 8)
    path = write_case(tmp_path / "in", {"budget": 100_000}, pool)
    problem = load_problem(path)
    frame = problem.pool.frame
    assert frame.at["c-03", "niches"] == ("sustainable-fashion", "zero-waste")
    assert frame.at["c-03", "row"] == 4
    assert frame.at["c-03", "pool_niches"] == "bogus" and frame.at["c-03", "pool_tier"] == "gold"
    assert any("carried as 'pool_niches', 'pool_row', 'pool_tier'" in n for n in problem.notes)
    result = optimize(problem)
    table = result.roster_table()
    assert table.set_index("creator_id").at["c-03", "pool_tier"] == "gold"
    assert set(table["tier"]) <= {"nano", "micro", "mid", "macro", "mega"}


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    write_case(tmp_path, {})
    (tmp_path / "scenario.yaml").write_text(
        SCENARIO_HEAD + "budget: 1000\nbase: &base {min_creators: 1, max_creators: 5}\n"
        "niches:\n  zero-waste:\n    <<: *base\n    min_creators: 2\n"
    )
    with pytest.raises(Exception, match="unknown key 'base'"):  # the merge itself is fine; 'base' is not a key
        load_problem(tmp_path / "scenario.yaml")
    (tmp_path / "scenario.yaml").write_text(
        SCENARIO_HEAD + "budget: 1000\nniches:\n  zero-waste: &base {min_creators: 1, max_creators: 5}\n"
        "  vegan-food:\n    <<: *base\n    min_creators: 2\n"
    )
    rules = load_problem(tmp_path / "scenario.yaml").scenario.niches
    assert rules["vegan-food"].min_creators == 2 and rules["vegan-food"].max_creators == 5


def test_largest_values_within_the_limits_are_accepted(tmp_path: Path) -> None:
    pool = _pool((6, "followers", "10000000000"), (6, "cost", "1000000000"), max_posts=["1000"] + ["1"] * 7)
    path = write_case(tmp_path, {"budget": 1e12, "roster": {"max_posts": 1000}}, pool)
    problem = load_problem(path)
    assert problem.pool.frame.at["c-07", "followers"] == 1e10 and problem.max_posts["c-01"] == 1000


def test_three_thousand_extra_columns_take_linear_time(tmp_path: Path, runner) -> None:
    pool = pd.concat([base_pool(), pd.DataFrame({f"x{i}": [f"v{i}"] * 8 for i in range(3000)})], axis=1)
    path = write_case(tmp_path / "in", {"budget": 100_000}, pool)
    began = time.perf_counter()
    result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "out")])
    seconds = time.perf_counter() - began
    assert result.exit_code == 0, result.output
    roster = pd.read_csv(tmp_path / "out" / "roster.csv", dtype=str)
    assert roster["x2999"].eq("v2999").all() and list(roster.columns[-3:]) == ["x2997", "x2998", "x2999"]
    # one insert per column took 20 s here; linear work is about 1 s (generous for a shared machine)
    assert seconds < 8, f"{seconds:.1f} s for 3,000 extra columns"


# --- nothing hostile on the way out --------------------------------------------------------------------


def test_markup_and_control_characters_are_inert_in_every_output(tmp_path: Path, runner) -> None:
    pool = _pool(
        (0, "handle", "![pixel](https://evil.example/p.png)"),
        (1, "handle", "[click me](https://evil.example)"),
        (2, "handle", "`code` *bold* _it_ ~~x~~ a|b \\ <img src=x>"),
        (3, "handle", "@nul\x00byte"),
        (4, "handle", "@esc\x1b[31mred\x1b]52;c;ZXZpbA==\x07"),
        (5, "niche", "zero-waste;<b>html</b>"),
        note=["ok", "n\x00ul", "![x](y)", "", "", "", "", ""],
    )
    path = write_case(tmp_path / "in", {"budget": 100_000, "name": "Launch ![t](https://e.example/t.png) <script>x</script>",
                                        "currency": "€"}, pool)  # fmt: skip
    out = tmp_path / "out"
    result = runner.invoke(main, ["optimize", str(path), "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in CONTROL_BYTES)
    assert "held control characters (such as NUL or ESC), first on row 3; they were removed" in result.stdout
    doc = json.loads((out / "result.json").read_text())
    assert len(doc["roster"]) == 8  # everyone is chosen, so every hostile cell reaches every output

    md = (out / "summary.md").read_text()
    for raw in ("![", "<script", "<img", "<b>", "`code`", "*bold*", "a|b"):
        assert raw not in md, raw
    assert not re.search(r"(?<!\\)\]\(", md), "a link or image target survived"
    assert "\\!\\[pixel\\](https://evil.example/p.png)" in md and "\\[click me\\]" in md and "&lt;b&gt;html" in md
    assert "# Launch \\!\\[t\\](https://e.example/t.png) &lt;script&gt;x&lt;/script&gt;: optimal roster" in md
    assert "€" in md
    with zipfile.ZipFile(out / "allocation.xlsx") as book:
        xml = b"".join(book.read(n) for n in book.namelist())
    for name in ("roster.csv", "report.html", "summary.md", "result.json"):
        data = (out / name).read_bytes()
        assert b"\x00" not in data and b"\x1b" not in data, name
    assert b"\x00" not in xml and b"\x1b" not in xml and b"&#0;" not in xml
    roster = pd.read_csv(out / "roster.csv", dtype=str, keep_default_na=False).set_index("creator_id")
    assert roster.at["c-04", "handle"] == "'@nulbyte" and roster.at["c-02", "note"] == "nul"


def test_terminal_text_is_inert(tmp_path: Path, runner) -> None:
    pool = _pool((0, "niche", "zero-waste\x1b[2J;\x1b]52;c;ZXZpbA==\x07vegan"), (1, "platform", "insta\x9bgram"))
    path = write_case(tmp_path, {}, pool)
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert not any(c in result.output for c in CONTROL_BYTES)
    # the labels lose their control characters (';' inside the OSC sequence still separates niches)
    assert "zero-waste[2j: 1 / 1" in result.stdout and "zxzpba==vegan: 1 / 1" in result.stdout
    assert "instagram: 4 / 4" in result.stdout  # 'insta\x9bgram' is instagram once the C1 control is gone


# --- the helpers, on their own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("\x1b[31mred", "\\x1b[31mred"), ("osc\x1b]52;c;QQ==\x07", "osc\\x1b]52;c;QQ==\\x07"), ("c1\x9b2J", "c1\\x9b2J"),
     ("nul\x00", "nul\\x00"), ("cr\rover", "cr\\x0dover"), ("bidi \u202eevil", "bidi \\u202eevil"),
     ("keeps\nlines\tand tabs, é and 🌱", "keeps\nlines\tand tabs, é and 🌱")],
)  # fmt: skip
def test_safe_terminal(text: str, shown: str) -> None:
    assert safe_terminal(text) == shown


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [("c-01", "C-01", True), ("c-01", "c-01\x00", True), ("c-01", "c\u201101", True), ("c-01", "c\u221201", True),
     ("c-01", "c-\u200b01", True), ("c-01", "c-\ufeff01", True), ("Ana Lee", "ana\u00a0 lee", True),
     ("c-01", "c-02", False), ("ab cd", "abcd", False), ("c-01", "c_01", False)],
)  # fmt: skip
def test_id_skeleton(a: str, b: str, same: bool) -> None:
    assert (id_skeleton(a) == id_skeleton(b)) is same


def test_md_escape_and_neutralise() -> None:
    assert md_escape("![a](b) [c](d) `e` <f> g|h") == "\\!\\[a\\](b) \\[c\\](d) \\`e\\` &lt;f&gt; g\\|h"
    assert md_escape("a\x00b\nc") == "ab c"
    assert neutralise("a\x00b") == "ab" and neutralise("=\x00cmd") == "'=cmd"


@pytest.mark.parametrize(
    ("cells", "fmt", "kind", "values"),
    [(["12,400", "12.4K", "1.2M", "409.8M", "1e3"], NumberFormat(), "count", [12400, 12400, 1.2e6, 409.8e6, 1000]),
     (["12.400", "1,2M", "2,5K", "12 400", "1\u202f234"], NumberFormat(",", "."), "count", [12400, 1.2e6, 2500, 12400, 1234]),
     (["1.234,50", "150,50", "€1.234", "0,5"], NumberFormat(",", "."), "amount", [1234.5, 150.5, 1234, 0.5]),
     (["$1,234.50", "150.50", "1'234.5"], NumberFormat(".", "'"), "amount", [None, 150.5, 1234.5]),
     (["0,045", "0.045", "012,345"], NumberFormat(), "amount", [None, 0.045, None]),
     (["0.045", "0,045", "1.234.567,5"], NumberFormat(",", "."), "amount", [None, 0.045, 1234567.5]),
     (["4,5%", "0,045"], NumberFormat(",", "."), "rate", [0.045, 0.045])],
)  # fmt: skip
def test_number_rule(cells: list[str], fmt: NumberFormat, kind: str, values: list[float | None]) -> None:
    got, _ = parse_numbers(pd.Series(cells), fmt, kind)
    for cell, value, want in zip(cells, got, values):
        if want is None:
            assert pd.isna(value), cell
        else:
            assert value == pytest.approx(want), cell
