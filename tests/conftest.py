"""Shared fixtures: the demo landing set, warehouses on SQLite and on the real PostgreSQL,
and one Prefect test harness for the whole session."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("THIDUA_PII_KEY", "test-pii-key")

PG_ADMIN_URL = os.environ.get("THIDUA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AS_OF = "2026-11-27"


@pytest.fixture(scope="session", autouse=True)
def prefect_home(tmp_path_factory):
    """Prefect writes to PREFECT_HOME and thidua archives raw batches: both in temporary folders."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["THIDUA_ARCHIVE"] = str(tmp_path_factory.mktemp("archive"))
    yield home


@pytest.fixture(scope="session")
def prefect_harness(prefect_home):
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    from tasks.demo import write_demo

    root = tmp_path_factory.mktemp("landing")
    write_demo(root)
    return root


@pytest.fixture(scope="session")
def demo_record(demo_landing) -> dict:
    return json.loads((demo_landing / ".demo" / "record.json").read_text(encoding="utf-8"))


def _pg_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    yield from _pg_database()


@pytest.fixture(scope="session")
def pg_session_url():
    yield from _pg_database()


def _pg_database():
    if not _pg_available():
        if os.environ.get("THIDUA_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} and THIDUA_REQUIRE_PG is set")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"thidua_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_nightly(landing: Path, warehouse: str, as_of: str = AS_OF) -> dict:
    """One real Prefect flow run of the nightly job."""
    from flows.nightly import nightly

    return nightly(str(landing), warehouse, as_of)


@pytest.fixture(scope="session")
def demo_sqlite(prefect_harness, demo_landing, tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('wh') / 'warehouse.db'}"
    run_nightly(demo_landing, url)
    return url


@pytest.fixture(scope="session")
def demo_pg(prefect_harness, demo_landing, pg_session_url) -> str:
    run_nightly(demo_landing, pg_session_url)
    return pg_session_url


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_warehouse(request) -> str:
    """Each end-to-end check runs on both warehouses."""
    name = "demo_sqlite" if request.param == "sqlite" else "demo_pg"
    return request.getfixturevalue(name)


@pytest.fixture
def demo_conn(demo_warehouse):
    """A connection to a demo warehouse (both kinds) whose changes are rolled back after the test."""
    engine = create_engine(demo_warehouse)
    with engine.connect() as connection:
        connection.begin()
        yield connection
        connection.rollback()
    engine.dispose()


def mart_sql(url: str, mart: str) -> str:
    return f"mart_{mart}" if url.startswith("sqlite") else f"mart.{mart}"


def query(url: str, sql: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()
