"""Pools in databases and filters applied at the source (`optimizer.sources`).

A pool in SQLite or PostgreSQL gives the roster and result.json figures of its CSV; applying the eligibility
rules at the source (SQL WHERE, pyarrow filters) gives the roster of a full read, with the counts of what was
left unread; credentials never appear in a message or an output.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from sqlalchemy.engine import make_url

from optimizer import load_problem, optimize
from optimizer.baselines import compute_baselines
from optimizer.cli import main
from optimizer.errors import PoolError, ScenarioError
from optimizer.pipeline import with_overrides
from optimizer.sources import read_history
from tests.conftest import SCENARIOS, base_pool
from tests.postgres import write_tables

ECO = SCENARIOS / "eco-fashion"


def _eco() -> dict[str, Any]:
    return yaml.safe_load((ECO / "scenario.yaml").read_text())


def _write(folder: Path, scenario: dict[str, Any], name: str = "scenario.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    return path


def _sqlite(folder: Path, tables: dict[str, pd.DataFrame], name: str = "creators.db") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with sqlite3.connect(path) as con:
        for table, frame in tables.items():
            frame.to_sql(table, con, index=False)
    con.close()
    return path


def _run(runner, scenario: Path, out: Path) -> dict[str, Any]:
    result = runner.invoke(main, ["optimize", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "result.json").read_text())
    doc.pop("timings_seconds")
    doc.pop("scenario_file")
    doc["solver"].pop("seconds")
    return doc


def _same_result(db: dict[str, Any], csv: dict[str, Any], pushed: bool) -> None:
    """Every figure equal; with filters at the source, the pool's counts add up to the full read's."""
    a, b = dict(db), dict(csv)
    pa, pb = a.pop("pool"), b.pop("pool")
    notes_a, notes_b = a.pop("notes"), b.pop("notes")
    assert a == b
    assert pa["eligible"] == pb["eligible"]
    if not pushed:
        assert pa["filtered_at_source"] is None
        assert {k: v for k, v in pa.items() if k != "file"} == {k: v for k, v in pb.items() if k != "file"}
        assert notes_a == notes_b
        return
    left = pa["filtered_at_source"]
    assert left["creators"] > 0, "something was left unread"
    assert pa["creators"] + left["creators"] == pb["creators"]
    assert pa["overlap_pairs"] + left["overlap_pairs"] == pb["overlap_pairs"]
    assert sum(pa["ineligible_by_reason"].values()) + left["creators"] == sum(pb["ineligible_by_reason"].values())
    assert any("were left in the source because they cannot be eligible" in n for n in notes_a)


def _eco_tables(text: bool = False) -> dict[str, pd.DataFrame]:
    read = {"dtype": str, "keep_default_na": False} if text else {}
    return {"creators": pd.read_csv(ECO / "creators.csv", **read), "overlap": pd.read_csv(ECO / "overlap.csv", **read)}


# --- SQLite ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pushdown", [True, False])
def test_sqlite_pool_gives_the_csv_result(tmp_path: Path, runner, pushdown: bool) -> None:
    _sqlite(tmp_path / "db", _eco_tables())
    sc = _eco()
    sc["pool"] = {"url": "sqlite:///creators.db", "table": "creators", "pushdown": pushdown, "chunk_rows": 200}
    sc["overlap"] = {"url": "sqlite:///creators.db", "table": "overlap"}
    db = _run(runner, _write(tmp_path / "db", sc), tmp_path / "out-db")
    csv = _run(runner, ECO / "scenario.yaml", tmp_path / "out-csv")
    _same_result(db, csv, pushdown)
    assert db["pool"]["file"] == "sqlite:///" + str(tmp_path / "db" / "creators.db") + ", table creators"


def test_sqlite_text_cells_go_through_the_same_parsers(tmp_path: Path, runner) -> None:
    """Counts written '12.4K', rates '4.5%' and numbers stored as text read as in a CSV (nothing pushed on them)."""
    pool = base_pool()
    _sqlite(tmp_path, {"creators": pool})
    pool.to_csv(tmp_path / "creators.csv", index=False)
    rules = {"followers": {"min": 20000}, "min_engagement_rate": 0.03, "platforms": ["instagram", "tiktok"]}
    base = {"name": "t", "budget": 1000, "eligibility": rules}
    csv = _run(runner, _write(tmp_path, {**base, "pool": "creators.csv"}, "csv.yaml"), tmp_path / "o1")
    db = _run(runner, _write(tmp_path, {**base, "pool": {"url": "sqlite:///creators.db", "table": "creators"}}),
              tmp_path / "o2")  # fmt: skip
    _same_result(db, csv, pushed=True)  # the platform rule is pushed even when the numbers are text
    assert db["pool"]["filtered_at_source"]["creators"] == 1  # the youtube creator; text numbers are all read


def test_sqlite_mixed_cells_and_a_query(tmp_path: Path, runner) -> None:
    """A column holding numbers and text: only the numbers are compared in SQL; a query is wrapped as a subquery."""
    pool = pd.read_csv(ECO / "creators.csv")
    mixed = pool.astype({"followers": object})
    mixed.loc[::7, "followers"] = [f"{v / 1000:.3f}K".replace(".000K", "K") for v in pool["followers"][::7]]
    _sqlite(tmp_path, {"creators": mixed, "overlap": pd.read_csv(ECO / "overlap.csv")})
    sc = _eco()
    query = "SELECT * FROM creators WHERE handle LIKE '%' || ':' || '%' OR 1 = 1;"  # ':' stays literal
    sc["pool"] = {"url": "sqlite:///creators.db", "query": query}
    sc["overlap"] = {"url": "sqlite:///creators.db", "table": "overlap"}
    pushed = _run(runner, _write(tmp_path, sc), tmp_path / "o1")
    sc["pool"]["pushdown"] = False
    full = _run(runner, _write(tmp_path, sc, "full.yaml"), tmp_path / "o2")
    _same_result(pushed, full, pushed=True)
    assert pushed["pool"]["file"].endswith("creators.db, query result")


def test_pushdown_keeps_every_rule_family_and_the_alternatives(tmp_path: Path) -> None:
    """Followers (both ends), engagement (both ends), authenticity, sentiment, platforms and countries pushed at
    once give the roster of a full read, and the report's alternatives (the celebrity ignores the follower rule)."""
    _sqlite(tmp_path, _eco_tables())
    sc = _eco()
    sc["eligibility"].update({"max_engagement_rate": 0.09, "min_sentiment": 0.0, "countries": ["UK", "de", "US", "ca"],
                              "include": ["c-0051"], "exclude": ["c-0666", "c-0001"]})  # fmt: skip
    sc["roster"] = {"min_creators": 10, "max_creators": 22}
    sc["baselines"] = {"hand_picked": {"planner": ["c-0000", "c-0002"]}}
    sc["pool"] = {"url": "sqlite:///creators.db", "table": "creators"}
    sc["overlap"] = {"url": "sqlite:///creators.db", "table": "overlap"}
    pushed = load_problem(_write(tmp_path, sc))
    sc["pool"]["pushdown"] = False
    full = load_problem(_write(tmp_path, sc, "full.yaml"))
    flt = pushed.pool.source_filter
    assert flt is not None and full.pool.source_filter is None
    assert set(flt.keys) == {"followers_min", "followers_max", "engagement_min", "engagement_max", "authenticity",
                             "sentiment", "platform", "country"}  # fmt: skip
    assert len(pushed.pool.frame) < len(full.pool.frame) / 2
    # the named creators were read although c-0000 (1,258 followers) cannot be eligible
    assert {"c-0000", "c-0002", "c-0001", "c-0666"} <= set(pushed.pool.frame.index)
    a, b = optimize(pushed), optimize(full)
    assert a.roster == b.roster and a.status == b.status
    assert a.verification.value == pytest.approx(b.verification.value, rel=1e-12)
    assert list(pushed.eligible[pushed.eligible].index) == list(full.eligible[full.eligible].index)
    same = [(x.name, x.roster) for x in compute_baselines(pushed)] == [
        (x.name, x.roster) for x in compute_baselines(full)
    ]
    assert same, "the alternatives (celebrity deal included) must not depend on the pushdown"
    assert any(x.name == "celebrity" for x in compute_baselines(pushed))


def test_parquet_pushdown_gives_the_full_read(tmp_path: Path, runner) -> None:
    pytest.importorskip("pyarrow")
    tables = _eco_tables()
    tables["creators"].to_parquet(tmp_path / "creators.parquet", index=False)
    sc = _eco()
    sc["pool"] = "creators.parquet"
    sc["overlap"] = str(ECO / "overlap.csv")
    pushed = _run(runner, _write(tmp_path, sc), tmp_path / "o1")
    csv = _run(runner, ECO / "scenario.yaml", tmp_path / "o2")
    _same_result(pushed, csv, pushed=True)
    assert pushed["pool"]["filtered_at_source"]["creators"] == 940


def test_row_numbers_do_not_depend_on_the_pushdown(tmp_path: Path, runner) -> None:
    """A database's rows are numbered in creator_id order from 1, read or not."""
    pool = base_pool().sample(frac=1, random_state=3)  # stored out of order
    pool.loc[pool["creator_id"] == "c-05", "cost"] = "call me"
    _sqlite(tmp_path, {"creators": pool})
    for pushdown in (True, False):
        src = {"url": "sqlite:///creators.db", "table": "creators", "pushdown": pushdown}
        path = _write(tmp_path, {"name": "t", "budget": 1000, "pool": src, "eligibility": {"platforms": ["instagram"]}})
        result = runner.invoke(main, ["validate", str(path)])
        assert result.exit_code == 2
        assert "creators.db, table creators, row 5 (creator c-05), column 'cost': value 'call me' is not a price" in (
            result.stderr
        )


def test_invalid_numbers_are_read_and_reported(tmp_path: Path, runner) -> None:
    """A number outside what a cell may hold (negative followers, a rate above 1) fails the rule too, but it
    is read and reported, as in a file, rather than left unread."""
    pool = pd.read_csv(ECO / "creators.csv")
    pool.loc[pool["creator_id"] == "c-0007", "followers"] = -5
    pool.loc[pool["creator_id"] == "c-0001", "engagement_rate"] = 4.5  # 30,546 followers: not left out by them
    _sqlite(tmp_path, {"creators": pool})
    rules = {"followers": {"min": 10000}, "min_engagement_rate": 0.02, "max_engagement_rate": 0.5}
    for pushdown in (True, False):
        src = {"url": "sqlite:///creators.db", "table": "creators", "pushdown": pushdown}
        path = _write(tmp_path, {"name": "t", "budget": 1000, "pool": src, "eligibility": rules})
        result = runner.invoke(main, ["validate", str(path)])
        assert result.exit_code == 2
        assert "table creators, row 8 (creator c-0007), column 'followers': value -5" in result.stderr
        pool.loc[pool["creator_id"] == "c-0007", "followers"] = 5000
    _sqlite(tmp_path / "b", {"creators": pool})
    path = _write(
        tmp_path / "b",
        {
            "name": "t",
            "budget": 1000,
            "pool": {"url": "sqlite:///creators.db", "table": "creators"},
            "eligibility": rules,
        },
    )
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "row 2 (creator c-0001), column 'engagement_rate': value 4.5 is above 1 (100%)" in result.stderr


def test_ids_of_unread_rows_are_still_checked(tmp_path: Path, runner) -> None:
    pool = base_pool()
    pool.loc[7, "creator_id"] = "C-01"  # looks like c-01, and would be left unread (tiktok)
    _sqlite(tmp_path, {"creators": pool})
    src = {"url": "sqlite:///creators.db", "table": "creators"}
    path = _write(tmp_path, {"name": "t", "budget": 1000, "pool": src, "eligibility": {"platforms": ["instagram"]}})
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "ids 'C-01' (row 1) and 'c-01' (row 2) differ only by case" in result.stderr


def test_a_looser_scenario_cannot_reuse_a_filtered_pool(tmp_path: Path) -> None:
    _sqlite(tmp_path, _eco_tables())
    sc = _eco()
    sc["pool"] = {"url": "sqlite:///creators.db", "table": "creators"}
    sc.pop("overlap")
    sc.pop("overlap_policy")
    problem = load_problem(_write(tmp_path, sc))
    stricter = with_overrides(problem, {"eligibility": {"followers": {"min": 20000}}, "budget": 5000})
    assert stricter.scenario.budget == 5000
    with pytest.raises(ScenarioError, match=r"relaxes followers.min, so creators it allows were never read"):
        with_overrides(problem, {"eligibility": {"followers": {"min": 5000}}})
    with pytest.raises(ScenarioError, match="relaxes platforms"):
        with_overrides(problem, {"eligibility": {"platforms": ["instagram", "tiktok", "youtube"]}})
    with pytest.raises(ScenarioError, match="load the scenario again to read it"):
        with_overrides(problem, {"eligibility": {"exclude": ["c-0000"]}})


def test_explain_a_creator_left_unread(tmp_path: Path, runner) -> None:
    _sqlite(tmp_path, _eco_tables())
    sc = _eco()
    sc["pool"] = {"url": "sqlite:///creators.db", "table": "creators"}
    sc["overlap"] = {"url": "sqlite:///creators.db", "table": "overlap"}
    path = _write(tmp_path, sc)
    result = runner.invoke(main, ["explain", str(path), "--creator", "c-0000", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "c-0000 (not chosen): c-0000 is not eligible: fewer than 10,000 followers." in result.output


def test_history_from_a_database_equals_the_file(tmp_path: Path, runner) -> None:
    posts = SCENARIOS / "instagram-history" / "posts.csv"
    frame = pd.read_csv(posts)
    _sqlite(tmp_path, {"posts": frame, "creators": pd.read_csv(SCENARIOS / "instagram-history" / "creators.csv")},
            "history.db")  # fmt: skip
    now = pd.Timestamp("2030-01-01", tz="UTC")
    from optimizer.history import load_history
    from optimizer.scenario import DatabaseSource

    a = read_history(DatabaseSource(url=f"sqlite:///{tmp_path / 'history.db'}", table="posts"), now=now)
    b = load_history(posts, now=now)
    key = ["creator_id", "posted_at"]
    pd.testing.assert_frame_equal(a.frame.drop(columns="row").sort_values(key).reset_index(drop=True),
                                  b.frame.drop(columns="row").sort_values(key).reset_index(drop=True))  # fmt: skip
    out_db, out_csv = tmp_path / "cal-db.csv", tmp_path / "cal-csv.csv"
    db_url = f"sqlite:///{tmp_path / 'history.db'}"
    args = ["calibrate", db_url, "--table", "posts", "--pool", db_url, "--pool-table", "creators", "--out", str(out_db)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    pool_csv = str(SCENARIOS / "instagram-history" / "creators.csv")
    result = runner.invoke(main, ["calibrate", str(posts), "--pool", pool_csv, "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    # the same fit: rows come in another order from the database, which moves the REML search in the 6th digit
    a, b = pd.read_csv(out_db), pd.read_csv(out_csv)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-4)


# --- credentials ----------------------------------------------------------------------------------------


def test_a_password_in_the_scenario_is_refused_and_masked(tmp_path: Path, runner) -> None:
    for pool in ({"url": "postgresql://ann:hunter2secret@db.example/crm", "table": "creators"},
                 "postgresql://ann:hunter2secret@db.example/crm"):  # fmt: skip
        path = _write(tmp_path, {"name": "t", "budget": 1000, "pool": pool})
        result = runner.invoke(main, ["optimize", str(path), "--out", str(tmp_path / "out")])
        assert result.exit_code == 2
        assert "hunter2secret" not in result.output
        assert "ann:***@db.example" in result.stderr
        assert not (tmp_path / "out").exists()


def test_url_env_password_never_shown(tmp_path: Path, runner, monkeypatch) -> None:
    _sqlite(tmp_path, _eco_tables())
    monkeypatch.setenv("ROSTER_DB_URL", f"sqlite:///{tmp_path / 'creators.db'}")
    sc = _eco()
    sc["pool"] = {"url_env": "ROSTER_DB_URL", "table": "creators"}
    sc["overlap"] = {"url_env": "ROSTER_DB_URL", "table": "overlap"}
    csv = _run(runner, ECO / "scenario.yaml", tmp_path / "o1")
    db = _run(runner, _write(tmp_path, sc), tmp_path / "o2")
    _same_result(db, csv, pushed=True)
    monkeypatch.delenv("ROSTER_DB_URL")
    result = runner.invoke(main, ["validate", str(tmp_path / "scenario.yaml")])
    assert result.exit_code == 2
    assert "url_env names the environment variable ROSTER_DB_URL, which is not set" in result.stderr


# --- PostgreSQL -----------------------------------------------------------------------------------------


def _no_password(url: str) -> tuple[str, str]:
    password = make_url(url).password or ""
    return url.replace(f":{password}@", "@", 1), password


@pytest.mark.parametrize("pushdown", [True, False])
def test_postgresql_pool_gives_the_csv_result(tmp_path: Path, runner, monkeypatch, pg_schema, pushdown) -> None:
    url, schema = pg_schema
    write_tables(url, schema, _eco_tables())
    plain, password = _no_password(url)
    monkeypatch.setenv("PGPASSWORD", password)  # the password comes from the environment, as documented
    sc = _eco()
    sc["pool"] = {"url": plain, "table": f"{schema}.creators", "pushdown": pushdown, "chunk_rows": 300}
    sc["overlap"] = {"url": plain, "query": f"SELECT creator_a, creator_b, overlap FROM {schema}.overlap"}
    db = _run(runner, _write(tmp_path, sc), tmp_path / "o1")
    csv = _run(runner, ECO / "scenario.yaml", tmp_path / "o2")
    _same_result(db, csv, pushdown)
    assert password not in json.dumps(db)


def test_postgresql_text_columns_and_a_query(tmp_path: Path, runner, monkeypatch, pg_schema) -> None:
    """Every column TEXT (nothing numeric to compare in SQL): labels are still pushed, the roster unchanged."""
    url, schema = pg_schema
    write_tables(url, schema, _eco_tables(text=True))
    monkeypatch.setenv("ROSTER_TEST_URL", url)
    sc = _eco()
    sc["pool"] = {"url_env": "ROSTER_TEST_URL", "query": f"SELECT * FROM {schema}.creators WHERE cost <> ''"}
    sc["overlap"] = {"url_env": "ROSTER_TEST_URL", "table": f"{schema}.overlap"}
    db = _run(runner, _write(tmp_path, sc), tmp_path / "o1")
    csv = _run(runner, ECO / "scenario.yaml", tmp_path / "o2")
    _same_result(db, csv, pushed=True)
    assert db["pool"]["filtered_at_source"]["rules"] == ["platform in instagram, tiktok"]
    assert make_url(url).password not in json.dumps(db)
    assert "***" in db["pool"]["file"]


# --- the catalogue of bad database inputs (issue 11, item 5) -----------------------------------------------

SECRET = "Sup3rSecretPw"


def _sqlite_case(folder: Path) -> dict[str, Any]:
    _sqlite(folder, {"creators": base_pool()})
    return {"url": "sqlite:///creators.db"}


DB_CASES: list[tuple[str, Any, list[str]]] = [
    ("sqlite-file-missing", lambda f, pg: {"url": "sqlite:///nowhere.db", "table": "creators"},
     ["nowhere.db: SQLite database file not found"]),
    ("sqlite-not-a-database", lambda f, pg: ((f / "junk.db").write_text("not a database" * 100),
                                             {"url": "sqlite:///junk.db", "table": "creators"})[1],
     ["junk.db, table creators: ", "file is not a database"]),
    ("table-missing", lambda f, pg: {**_sqlite_case(f), "table": "creator"},
     ["creators.db, table creator: there is no table 'creator'; the tables are: creators"]),
    ("query-syntax", lambda f, pg: {**_sqlite_case(f), "query": "SELEC * FROM creators"},
     ["creators.db, query result: the query failed (", "syntax error", "the query was: SELEC * FROM creators"]),
    ("query-column-missing", lambda f, pg: {**_sqlite_case(f), "query": "SELECT nope FROM creators"},
     ["creators.db, query result: the query failed (", "no such column: nope"]),
    ("required-column-missing", lambda f, pg: {**_sqlite_case(f), "query": "SELECT creator_id, handle FROM creators"},
     ["creators.db, query result: missing required column(s) platform, followers"]),
    ("pg-unreachable", lambda f, pg: {"url": "postgresql://roster@127.0.0.1:9/crm", "table": "creators"},
     ["postgresql://roster@127.0.0.1:9/crm, table creators: cannot connect to the database (", "refused"]),
    ("pg-wrong-password", lambda f, pg: {"url_env": "ROSTER_BAD_URL", "table": "creators"},
     ["postgresql://roster:***@127.0.0.1:", "cannot connect to the database", "password authentication failed"]),
    ("pg-table-missing", lambda f, pg: {"url_env": "ROSTER_GOOD_URL", "table": "public.nope"},
     ["postgresql://roster:***@127.0.0.1:", "there is no table 'public.nope'"]),
    ("pg-query-fails", lambda f, pg: {"url_env": "ROSTER_GOOD_URL", "query": "SELECT 1/0 AS creator_id"},
     ["postgresql://roster:***@127.0.0.1:", "query result: the query failed (division by zero)"]),
]  # fmt: skip


@pytest.mark.parametrize(("make", "fragments"), [c[1:] for c in DB_CASES], ids=[c[0] for c in DB_CASES])
def test_bad_database_input_is_a_clear_error(tmp_path: Path, runner, request, monkeypatch, make, fragments) -> None:
    pg = None
    if request.node.callspec.id.startswith("pg-") and "unreachable" not in request.node.callspec.id:
        pg = request.getfixturevalue("pg_url")
        good = make_url(pg)
        monkeypatch.setenv("ROSTER_GOOD_URL", pg)
        monkeypatch.setenv("ROSTER_BAD_URL", good.set(password=SECRET).render_as_string(hide_password=False))
    (tmp_path / "case").mkdir()
    pool = make(tmp_path / "case", pg)
    path = _write(tmp_path / "case", {"name": "t", "budget": 1000, "pool": pool})
    out = tmp_path / "out"
    for command in (["optimize", str(path), "--out", str(out)], ["validate", str(path)]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2, result.output
        message = result.stderr
        for fragment in fragments:
            assert fragment in message, message
        assert message.startswith("Error: ") and "Traceback" not in result.output
        assert "\n\n" not in message.strip() and message.strip().count("\n") == 0, "one paragraph"
        assert SECRET not in result.output and (pg is None or make_url(pg).password not in result.output)
        assert not out.exists(), "no files may be written on bad input"


def test_overlap_table_errors_name_the_row(tmp_path: Path, runner) -> None:
    overlap = pd.DataFrame({"creator_a": ["c-01", "c-02"], "creator_b": ["c-99", "c-03"], "overlap": [0.2, 0.1]})
    _sqlite(tmp_path, {"creators": base_pool(), "pairs": overlap})
    src = {"url": "sqlite:///creators.db"}
    sc = {"name": "t", "budget": 1000, "pool": {**src, "table": "creators"}, "overlap": {**src, "table": "pairs"},
          "eligibility": {"platforms": ["instagram"]}}  # fmt: skip
    result = runner.invoke(main, ["validate", str(_write(tmp_path, sc))])
    assert result.exit_code == 2
    assert "creators.db, table pairs, row 1, column 'creator_b': value 'c-99' is not a creator_id in the pool" in (
        result.stderr
    )


def test_read_only(tmp_path: Path) -> None:
    """A planner's query cannot change the database (SQLite is opened read-only)."""
    _sqlite(tmp_path, {"creators": base_pool()})
    src = {"url": "sqlite:///creators.db", "query": "DELETE FROM creators RETURNING *"}
    with pytest.raises(PoolError, match="the query failed"):
        load_problem(_write(tmp_path, {"name": "t", "budget": 1000, "pool": src}))
    with sqlite3.connect(tmp_path / "creators.db") as con:
        assert con.execute("SELECT count(*) FROM creators").fetchone()[0] == 8
    con.close()
