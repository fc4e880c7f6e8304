"""What differs between SQLite and PostgreSQL: engines, bulk loads, the run lock."""

from __future__ import annotations

import csv
import io
import math
import time
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from warehouse.errors import WarehouseBusy  # noqa: F401  (raised here, imported from here by callers)
from sqlalchemy import Connection, Engine, Integer, Table, create_engine, event, select, text


def make_engine(url: str, lock_wait_seconds: float = 60.0) -> Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")   # psycopg 3, explicitly
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": lock_wait_seconds})

    # pysqlite opens transactions lazily and lets DDL through outside them; take
    # control so that a run is one transaction, begun as the single writer.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def acquire_run_lock(conn: Connection, wait_seconds: float) -> None:
    """One writer at a time. SQLite: BEGIN IMMEDIATE already waited (busy timeout).
    PostgreSQL: a transaction-scoped advisory lock, polled until `wait_seconds`."""
    if conn.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + wait_seconds
    while not conn.execute(text("SELECT pg_try_advisory_xact_lock(hashtext('thidua.run'))")).scalar():
        if time.monotonic() >= deadline:
            raise WarehouseBusy(f"another thidua run holds the warehouse; waited {wait_seconds:g} s")
        time.sleep(0.5)


def _plain(value):
    """A cell as the DB-API wants it: no numpy scalars, no NaN/NaT."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    frame = frame[columns].astype(object).where(frame[columns].notna(), None)
    return [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False, name=None)]


def _copy_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert a frame: COPY on PostgreSQL, executemany on the raw cursor in SQLite."""
    if frame.empty:
        return 0
    columns = [c.name for c in table.columns if c.name in frame.columns]
    rows = _records(frame, columns)
    integral = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Integer)]
    if integral:     # a column with a blank in pandas turns float: 642.0 must go in as 642
        rows = [_ints(row, integral) for row in rows]
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
    else:
        _executemany(conn, table, columns, [tuple(_sqlite_value(v) for v in row) for row in rows])
    return len(rows)


def _ints(row: tuple, positions: list[int]) -> tuple:
    row = list(row)
    for i in positions:
        if isinstance(row[i], float):
            row[i] = int(row[i])
    return tuple(row)


def _sqlite_value(value):
    """Dates and date-times in the text form SQLAlchemy's SQLite types read back."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _executemany(conn: Connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    marks = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


def _copy(conn: Connection, table: Table, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["" if v is None else _copy_text(v) for v in row])
    names = ", ".join(f'"{c}"' for c in columns)
    target = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def read_frame(conn: Connection, statement) -> pd.DataFrame:
    result = conn.execute(statement)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def read_table(conn: Connection, table: Table, where=None) -> pd.DataFrame:
    statement = select(table)
    if where is not None:
        statement = statement.where(where)
    return read_frame(conn, statement)
