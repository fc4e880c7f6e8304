"""What differs between SQLite and PostgreSQL: engines, bulk loads, the run lock."""

from __future__ import annotations

import io
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import pq
from sqlalchemy import (Boolean, Connection, Date, DateTime, Engine, Float, Integer, Numeric, Table, create_engine,
                        event, func, select, text)
from sqlalchemy.dialects import postgresql

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


def reserve_ids(conn: Connection, table: Table, column: str, count: int) -> list[int]:
    """`count` new values of an autoincrement key, for rows written later in bulk (a COPY returns
    no keys). PostgreSQL: from the column's sequence; SQLite: after the largest, which no other
    writer can take while the run holds the write lock."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        name = f"{table.schema}.{table.name}" if table.schema else table.name
        return list(conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, :c)) FROM generate_series(1, :n)"),
                                 {"t": name, "c": column, "n": count}).scalars())
    largest = conn.execute(select(func.coalesce(func.max(table.c[column]), 0))).scalar_one()
    return list(range(largest + 1, largest + 1 + count))


def _arrow_type(type_) -> pa.DataType:
    if isinstance(type_, Boolean):
        return pa.bool_()
    if isinstance(type_, Integer):
        return pa.int64()
    if isinstance(type_, (Numeric, Float)):
        return pa.float64()
    if isinstance(type_, DateTime):
        return pa.timestamp("us")
    if isinstance(type_, Date):
        return pa.date32()
    return pa.string()


def arrow_column(series: pd.Series, type_) -> pa.Array:
    """A frame column as an Arrow array of the SQL column's type, converted once per column."""
    target = _arrow_type(type_)
    if pa.types.is_string(target):
        try:
            return pa.array(series, type=target, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):      # numbers or dates in a text column
            return _as_text(series)
    if pa.types.is_timestamp(target) or pa.types.is_date(target):
        series = pd.to_datetime(series)
        return pc.cast(pa.array(series, from_pandas=True), target, safe=False)
    array = pa.array(series, from_pandas=True) if series.dtype != object else _object_array(series)
    if pa.types.is_floating(target) and (pa.types.is_decimal(array.type) or pa.types.is_string(array.type)):
        return array                   # exact mart values stay exact: the database reads the decimal text
    return array if array.type == target else pc.cast(array, target)   # 642.0 -> 642; 642.5 raises


def _object_array(series: pd.Series) -> pa.Array:
    try:
        return pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):   # Decimals beyond 38 digits, mixed types: as exact text
        return _as_text(series)


def _as_text(series: pd.Series) -> pa.Array:
    return pa.array(series.map(lambda v: None if v is None or v != v else str(v)), type=pa.string())


def arrow_table(frame: pd.DataFrame, table: Table) -> pa.Table:
    """The frame's columns that the table has, typed for it."""
    columns = [c.name for c in table.columns if c.name in frame.columns]
    return pa.table({c: arrow_column(frame[c], table.c[c].type) for c in columns})


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Insert a frame: COPY (CSV written by Arrow) on PostgreSQL, executemany in SQLite."""
    if frame.empty:
        return 0
    return insert_arrow(conn, table, arrow_table(frame, table))


def insert_arrow(conn: Connection, table: Table, data: pa.Table) -> int:
    if data.num_rows == 0:
        return 0
    if conn.dialect.name == "postgresql":
        _copy(conn, table, data)
    else:
        _executemany(conn, table, data)
    return data.num_rows


def _sqlite_values(array: pa.ChunkedArray) -> list:
    """Dates and date-times in the text form SQLAlchemy's SQLite types read back."""
    if pa.types.is_timestamp(array.type):
        array = pc.strftime(array, format="%Y-%m-%d %H:%M:%S")     # microseconds included by the unit
    elif pa.types.is_date(array.type):
        array = pc.cast(array, pa.string())
    elif pa.types.is_decimal(array.type):          # SQLite keeps numbers as REAL
        array = pc.cast(array, pa.float64())
    return array.to_pylist()


def _executemany(conn: Connection, table: Table, data: pa.Table) -> None:
    marks = ", ".join("?" for _ in data.column_names)
    names = ", ".join(f'"{c}"' for c in data.column_names)
    rows = list(zip(*(_sqlite_values(column) for column in data.columns)))
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)


def _copy(conn: Connection, table: Table, data: pa.Table) -> None:
    """Arrow writes strings quoted and nulls as bare empty fields: COPY's CSV reads them back exactly.
    The COPY runs in the background (see below); the caller goes on at once."""
    names = ", ".join(f'"{c}"' for c in data.column_names)
    target = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    statement = f"COPY {target} ({names}) FROM STDIN WITH (FORMAT csv)"
    _in_background(conn, _copy_now, statement, data)


def _copy_now(driver, statement: str, data: pa.Table) -> None:
    buffer = io.BytesIO()
    pacsv.write_csv(data, buffer, write_options=pacsv.WriteOptions(include_header=False))
    with driver.cursor().copy(statement) as copy:
        copy.write(buffer.getbuffer())


def execute_later(conn: Connection, statement) -> None:
    """A statement that returns nothing (a DELETE), run in the background like a COPY on
    PostgreSQL, so that it scans its table while Python builds what is written next; at once elsewhere."""
    if conn.dialect.name != "postgresql":
        conn.execute(statement)
        return
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    _in_background(conn, _execute_now, str(compiled), compiled.params)


def _execute_now(driver, sql: str, params: dict) -> None:
    with driver.cursor() as cursor:
        cursor.execute(sql, params)


# --- COPY in the background ----------------------------------------------------------------
# PostgreSQL parses and stores a COPY on a core of its own while the run's Python goes on with
# the next mart or batch. The COPY stays inside the run's transaction: any later use of the
# connection (a statement, a COPY, a read, commit, rollback) first waits for it and re-raises its
# error, so statements keep their order and a failed COPY fails the run. A COPY (or a statement
# sent by execute_later) issued while another is in flight queues behind it (the caller does
# not wait): a batch's rows go in one after the other while the next batch is read and
# validated. A few threads keep one connection's COPYs from queueing behind another's.

_copier = ThreadPoolExecutor(max_workers=4, thread_name_prefix="thidua-copy")
_in_flight: dict[int, Future] = {}          # id(driver connection) -> its last work in flight


def _in_background(conn: Connection, work, *args) -> Future:
    """`work(driver, *args)` on the connection's driver, after the work already queued on it."""
    driver = conn.connection.driver_connection
    before = _in_flight.get(id(driver))
    _in_flight[id(driver)] = done = _copier.submit(_after, before, work, driver, *args)
    return done


def _after(before: Future | None, work, *args):
    if before is not None:           # queued behind the connection's work in flight; its error is ours too
        before.result()
    return work(*args)


def wait_for_background(driver) -> None:
    pending = _in_flight.pop(id(driver), None)
    if pending is not None:
        pending.result()


def _wait_quietly(driver) -> None:
    """Before a rollback: the COPY's own error (if any) is not the one to report."""
    try:
        wait_for_background(driver)
    except Exception:  # noqa: BLE001
        pass


@event.listens_for(Engine, "before_cursor_execute")
def _before_statement(conn, cursor, statement, parameters, context, executemany):
    wait_for_background(conn.connection.driver_connection)


@event.listens_for(Engine, "commit")
def _before_commit(conn):
    wait_for_background(conn.connection.driver_connection)


@event.listens_for(Engine, "rollback")
def _before_rollback(conn):
    _wait_quietly(conn.connection.driver_connection)


def read_frame(conn: Connection, statement) -> pd.DataFrame:
    """Run a SELECT into a frame, whole columns at a time: on PostgreSQL through COPY TO and
    Arrow's CSV reader, elsewhere from plain DB-API tuples (not ORM rows, ten times faster)."""
    if conn.dialect.name == "postgresql":
        return _copy_out(conn, statement)
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


def read_frame_later(conn: Connection, statement) -> Future:
    """A SELECT queued on the connection like a COPY (PostgreSQL): the database runs it while Python
    goes on, and the future gives its frame. Elsewhere it runs at once."""
    if conn.dialect.name != "postgresql":
        done: Future = Future()
        done.set_result(read_frame(conn, statement))
        return done
    return _in_background(conn, _copy_out_now, *_copy_out_query(conn, statement))


def _copy_out(conn: Connection, statement) -> pd.DataFrame:
    wait_for_background(conn.connection.driver_connection)
    return _copy_out_now(conn.connection.driver_connection, *_copy_out_query(conn, statement))


# A query inside COPY takes no parameters, so its values are written into its text; compiled for
# psycopg's paramstyle, every '%' (LIKE patterns, modulo) would come out doubled.
_WITH_VALUES = postgresql.psycopg.dialect(paramstyle="named")


def _copy_out_query(conn: Connection, statement) -> tuple[str, dict[str, pa.DataType]]:
    sql = str(statement.compile(dialect=_WITH_VALUES, compile_kwargs={"literal_binds": True}))
    return sql, {c.name: _arrow_type(c.type) for c in statement.selected_columns}


def _copy_out_now(driver, sql: str, types: dict[str, pa.DataType]) -> pd.DataFrame:
    """COPY (query) TO STDOUT as CSV, parsed by Arrow with each column's SQL type. Quoted empty
    fields are empty text, bare ones NULL, exactly as PostgreSQL writes them."""
    buffer = _copy_out_bytes(driver, f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)")
    buffer.seek(0)
    data = pacsv.read_csv(buffer, convert_options=pacsv.ConvertOptions(
        column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=False,
        true_values=["t"], false_values=["f"]))
    return data.to_pandas()


def _copy_out_bytes(driver, statement: str) -> io.BytesIO:
    """What a COPY ... TO STDOUT sends, one message per row, taken from libpq in a plain loop:
    psycopg's Copy iteration spends about 0.5 us of Python per message (a generator and a wait
    each), three times this loop, holding the GIL that the run's main thread wants meanwhile (the
    reads run in the background). libpq waits for the server with the GIL released."""
    pgconn, buffer = driver.pgconn, io.BytesIO()
    with driver.lock:
        pgconn.send_query(statement.encode())
        result = pgconn.get_result()              # COPY_OUT, or the statement's error
        if result.status == pq.ExecStatus.COPY_OUT:
            while (got := pgconn.get_copy_data(0))[0] > 0:
                buffer.write(got[1])
            result = pgconn.get_result() if got[0] == -1 else None
        while pgconn.get_result() is not None:    # libpq ends a statement's results with none
            pass
    if result is None:                            # -2: the connection failed while copying
        raise psycopg.OperationalError(pgconn.get_error_message())
    if result.status != pq.ExecStatus.COMMAND_OK:
        raise psycopg.errors.error_from_result(result, encoding=driver.info.encoding)
    return buffer


def fetch_rows(conn: Connection, statement) -> list:
    """A SELECT's rows as named tuples; on PostgreSQL in the binary protocol, where a bytea value
    arrives as its bytes rather than as hex text to decode (stored month facts: 3x faster)."""
    if conn.dialect.name != "postgresql":
        return list(conn.execute(statement))
    from psycopg.rows import namedtuple_row

    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})   # IN lists
    driver = conn.connection.driver_connection
    wait_for_background(driver)
    with driver.cursor(binary=True, row_factory=namedtuple_row) as cursor:
        return cursor.execute(str(compiled), compiled.params).fetchall()


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
