"""A PostgreSQL server for the database tests: the one named by ROSTER_TEST_PG_URL, else a throw-away cluster.

`.ci/run` installs PostgreSQL (Debian's package) and starts a server, exporting ROSTER_TEST_PG_URL. Run
locally, the fixture starts its own cluster in a temporary folder when the server binaries are there (as
the ``postgres`` user when run as root: PostgreSQL refuses to run as root), and stops it afterwards. The
tests that need it skip, saying why, when neither is possible.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

URL_ENV = "ROSTER_TEST_PG_URL"


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL (with a password: tests pass it through url_env or PGPASSWORD, never a scenario)."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[test]')")
    given = os.environ.get(URL_ENV)
    if given:
        yield given
        return
    bindir = _bindir()
    if bindir is None:
        pytest.skip(
            f"PostgreSQL is not installed (no initdb) and {URL_ENV} is not set; .ci/run installs and starts one"
        )
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run a PostgreSQL server as")
        prefix = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="roster-pg-"))
    password = secrets.token_hex(12)
    (folder / "pw").write_text(password)
    if owner is not None:
        for path in (folder, folder / "pw"):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    data = folder / "data"
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "roster", f"--pwfile={folder / 'pw'}",
                        "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale"],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60",
                        "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"],
                       check=True, capture_output=True)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {exc.stderr.decode(errors='replace')[-300:]}")
    try:
        yield f"postgresql://roster:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[tuple[str, str]]:
    """A fresh schema for one test: (URL, schema name); dropped afterwards."""
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield pg_url, name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def write_tables(url: str, schema: str | None, tables: dict) -> None:
    """Write pandas frames as tables (`url` with its password; `schema` None for SQLite)."""
    from sqlalchemy import create_engine

    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:
        for name, frame in tables.items():
            frame.to_sql(name, conn, schema=schema, index=False)
    engine.dispose()
