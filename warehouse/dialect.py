"""What differs between SQLite and PostgreSQL: engines, bulk loads, the run lock."""

from __future__ import annotations

import time
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import (Boolean, Connection, Date, DateTime, Engine, Float, Integer, Numeric, Table, create_engine,
                        event, select, text)

from warehouse.errors import WarehouseBusy  # noqa: F401  (raised here; callers import it from here)


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


def _column_values(series: pd.Series) -> list:
    """A column as plain Python values, None for blanks, converted once per column, not per cell."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if v is pd.NaT else v.to_pydatetime() for v in series]
    if pd.api.types.is_float_dtype(series):
        return [None if v != v else v for v in series.tolist()]
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        mask = series.isna().tolist()
        return [None if m else v for v, m in zip(series.astype(object).tolist(), mask)]
    values = series.tolist()
    return [None if v is None or v is pd.NaT or (isinstance(v, float) and v != v) else
            (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v.item() if hasattr(v, "item") else v)
            for v in values]


def _records(frame: pd.DataFrame, table: Table, columns: list[str], sqlite: bool) -> list[tuple]:
    return list(zip(*(_column_for(frame[c], table.c[c].type, sqlite) for c in columns)))


def _column_for(series: pd.Series, type_, sqlite: bool) -> list:
    values = _sqlite_column(series) if sqlite else _column_values(series)
    if isinstance(type_, Integer):     # a column with a blank turns float in pandas: 642.0 goes in as 642
        return [int(v) if isinstance(v, float) else v for v in values]
    return values


def _sqlite_column(series: pd.Series) -> list:
    """Dates and date-times in the text form SQLAlchemy's SQLite types read back; Decimals as floats."""
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        return [None if v != v or v is None else v for v in text.tolist()]
    return [_sqlite_value(v) for v in _column_values(series)] if series.dtype == object else _column_values(series)


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert a frame: COPY on PostgreSQL, executemany on the raw cursor in SQLite."""
    if frame.empty:
        return 0
    columns = [c.name for c in table.columns if c.name in frame.columns]
    rows = _records(frame, table, columns, sqlite=conn.dialect.name != "postgresql")
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
    else:
        _executemany(conn, table, columns, rows)
    return len(rows)


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
    names = ", ".join(f'"{c}"' for c in columns)
    target = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def read_frame(conn: Connection, statement) -> pd.DataFrame:
    """Run a SELECT into a frame, converting whole columns rather than letting the ORM layer
    convert cell by cell (ten times faster on a million rows)."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    result = conn.exec_driver_sql(str(compiled), params)
    names = list(result.keys())
    rows = result.cursor.fetchall()            # plain DB-API tuples, not Row objects
    result.close()
    frame = pd.DataFrame(rows, columns=names)
    for column in statement.selected_columns:
        if column.name in frame:
            frame[column.name] = _typed_column(frame[column.name], column.type)
    return frame


def _typed_column(values: pd.Series, type_) -> pd.Series:
    if values.empty:
        return values
    if isinstance(type_, DateTime):
        return pd.to_datetime(values)
    if isinstance(type_, Date):
        days = pd.to_datetime(values)
        return pd.Series([None if d is pd.NaT else d for d in days.dt.date], index=values.index, dtype=object)
    if isinstance(type_, Boolean):
        return values.map(lambda v: None if v is None else bool(v))
    if isinstance(type_, (Numeric, Float)) and not isinstance(type_, Integer):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    return values


def read_table(conn: Connection, table: Table, where=None) -> pd.DataFrame:
    statement = select(table)
    if where is not None:
        statement = statement.where(where)
    return read_frame(conn, statement)
