"""Each month's monthly-report facts (current reports with month, zone and lateness) as the last
refresh built them, kept in the warehouse (ops.month_facts). A run that adds one month then reads
and builds only that month from staging, not the whole year and the year before.

A stored month is reused only when all of these hold:
- the run did not change that month's reports: it comes before the run's earliest changed month;
- staging still holds the same rows for it: their count, and the sums of their file ids and row numbers
  (from ops.file_months, which load.replace_staging, the one writer of staged rows, keeps with them);
- every month before it in its year is reused too (staging is read from one month to December);
- the roster is the same, since zones are attributed as of each month's end;
- the code that built it is the same (FACTS_VERSION).
Stored in the run's transaction, a snapshot never runs ahead of or behind staging.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, delete, func, insert, literal_column, select

from warehouse.dialect import execute_later, fetch_rows
from warehouse.schema import table

FACTS_VERSION = 1       # raise it whenever transform.monthly_of_year's or roster_versions' output changes
NONE_CHANGED = "9999-12"


def month_prints(conn: Connection) -> dict[str, tuple[int, int, int]]:
    """Per period: the staged monthly reports' fingerprint (rows, sum of file ids, sum of row
    numbers), which also gives their years; summed from ops.file_months, not a scan of staging."""
    t = table(conn.dialect.name, "ops", "file_months")
    rows = conn.execute(select(t.c.period, func.sum(t.c.rows), func.sum(t.c.file_id * t.c.rows),
                               func.sum(t.c.row_numbers)).group_by(t.c.period))
    return {period: (int(n), int(files), int(numbers)) for period, n, files, numbers in rows}


def roster_print(conn: Connection) -> str:
    """The staged roster's fingerprint (every version: the zones attributed depend on all of them)."""
    staged = table(conn.dialect.name, "staging", "enterprises")
    n, files, numbers = conn.execute(select(func.count(), func.coalesce(func.sum(staged.c.file_id), 0),
                                            func.coalesce(func.sum(staged.c.row_number), 0))).one()
    return f"{n}:{files}:{numbers}"


def stored_roster(conn: Connection, build) -> tuple[pd.DataFrame, str]:
    """The roster's versions (`build(conn)`: transform.roster_versions) and the staged roster's
    fingerprint; the versions as the last refresh stored them while the fingerprint is the same,
    else built now and stored for the next run (in the run's transaction, like the month facts)."""
    t, fingerprint = table(conn.dialect.name, "ops", "roster_facts"), roster_print(conn)
    stored = fetch_rows(conn, select(t.c.data).where(t.c.roster == fingerprint, t.c.version == FACTS_VERSION))
    if stored:
        return from_bytes([stored[0].data]), fingerprint
    roster = build(conn)
    conn.execute(delete(t))
    conn.execute(insert(t), [{"roster": fingerprint, "version": FACTS_VERSION,
                              "data": to_bytes(pa.Table.from_pandas(roster, preserve_index=False))}])
    return roster, fingerprint


def to_bytes(data: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(data)
    return sink.getvalue().to_pybytes()


def month_blobs(frame: pd.DataFrame) -> dict[str, bytes]:
    """Each period's rows as one blob; the frame goes to Arrow once, and each period is a slice of it."""
    codes, periods = pd.factorize(frame["period"], sort=True)
    order = np.argsort(codes, kind="stable")
    data = pa.Table.from_pandas(frame, preserve_index=False).take(order)
    bounds = np.searchsorted(codes[order], np.arange(len(periods) + 1))
    return {p: to_bytes(data.slice(start, end - start)) for p, start, end in zip(periods, bounds[:-1], bounds[1:])}


def _frame(parts: list[tuple[object, pa.Table | None]], columns: list[str] | None) -> pd.DataFrame:
    """Stored months as one frame: those read ahead are decoded already, the others now."""
    tables = []
    for row, data in parts:
        if data is None:
            tables.append(_decode(row.data, columns))
        else:
            tables.append(data.select(columns) if columns else data)
    return pa.concat_tables(tables).to_pandas()


def from_bytes(blobs: list[bytes]) -> pd.DataFrame:
    return pa.concat_tables([_decode(b) for b in blobs]).to_pandas()


def _decode(blob: bytes, columns: list[str] | None = None) -> pa.Table:
    """A blob's rows; with `columns`, only those, in that order (the others' buffers are not even
    decompressed: the year before's reports, of which the next year reads a few columns)."""
    if columns is None:
        return pa.ipc.open_stream(blob).read_all()
    schema = pa.ipc.open_stream(blob).schema
    options = pa.ipc.IpcReadOptions(included_fields=[schema.get_field_index(c) for c in columns])
    return pa.ipc.open_stream(blob, options=options).read_all().select(columns)   # as a month read ahead gives them


# --- stored months read ahead -------------------------------------------------------------
# A refresh starts by waiting for the run's last COPYs (the new month's rows) to land. Meanwhile a
# second connection reads and decodes the stored months it will most likely reuse: those before
# the earliest changed month, of that month's year and the year before. They are committed rows
# that no other run can change (the run lock); a month read ahead is taken only while its row is
# still the version this run's transaction sees (xmin), and then passes the same checks as one
# read now.

_reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="thidua-snapshots")
Stored = dict[str, tuple[object, "pa.Table | None"]]      # period -> (its ops.month_facts row, decoded data)


def read_ahead(conn: Connection, since: str | None) -> Future | None:
    """Start reading the stored months that a refresh from month `since` reuses (PostgreSQL)."""
    if conn.dialect.name != "postgresql" or since is None or since[:4] <= "0000":
        return None
    return _reader.submit(_read_decoded, conn.engine, f"{int(since[:4]) - 1}-01", since)


def _read_decoded(engine, first: str, until: str) -> Stored:
    t = table("postgresql", "ops", "month_facts")
    with engine.connect() as other:
        rows = fetch_rows(other, select(t, _ROW_VERSION).where(t.c.period >= first, t.c.period < until))
    return {row.period: (row, _decode(row.data)) for row in rows}


_ROW_VERSION = literal_column("xmin::text").label("row_version")    # PostgreSQL: the transaction that wrote the row


class Snapshots:
    """The stored monthly facts of one refresh, checked against staging as it stands now.

    `since`: the run's earliest changed month (YYYY-MM); None when it changed no monthly
    report, the earliest month there is (refresh.ALL_MONTHS) when nothing stored may be reused.
    `ahead`: `read_ahead(conn, since)`, started before the refresh's first wait."""

    def __init__(self, conn: Connection, since: str | None, prints: dict[str, tuple[int, int, int]],
                 roster: str | None = None, ahead: Future | None = None):
        self.conn, self.until, self.prints = conn, since or NONE_CHANGED, prints      # prints: month_prints
        self.table = table(conn.dialect.name, "ops", "month_facts")
        self.roster = roster or roster_print(conn)        # roster: its fingerprint, when known
        self.starts: dict[int, str] = {}        # per year: the first month built from staging
        self.ahead = ahead

    def _stored(self, year: int) -> Stored:
        """The year's stored months before the changed month: those read ahead that this run has
        not rewritten since (same row version), the others read now (decoded later, if reused)."""
        t, ahead = self.table, self._read_ahead() or {}
        months = (t.c.period >= f"{year}-01", t.c.period <= f"{year}-12", t.c.period < self.until)
        kept: Stored = {}
        if any(period.startswith(f"{year}-") for period in ahead):
            versions = dict(self.conn.execute(select(t.c.period, _ROW_VERSION).where(*months)).all())
            kept = {p: ahead[p] for p, version in versions.items() if p in ahead and ahead[p][0].row_version == version}
        if kept:
            months += (t.c.period.notin_(kept),)
        return kept | {row.period: (row, None) for row in fetch_rows(self.conn, select(t).where(*months))}

    def _read_ahead(self) -> Stored | None:
        if self.ahead is None:
            return None
        try:
            return self.ahead.result()
        except Exception:  # noqa: BLE001  (what it would have given is read now, on the run's connection)
            logging.getLogger(__name__).warning("reading stored months ahead failed; reading them now", exc_info=True)
            self.ahead = None
            return None

    def reusable(self, year: int, columns: list[str] | None = None) -> tuple[pd.DataFrame | None, str]:
        """The stored rows of the year's leading months that can be reused (all columns, or
        `columns`), and the first month to build from staging (the next year's January when every
        month is reused)."""
        # A year changed from its first month has nothing to look up (a full refresh asks no query
        # here, so waits for no COPY).
        first = f"{year}-01"
        reused, after = self._leading(year) if self.until > first else ([], first)
        start = self.starts[year] = after if reused else first
        return (_frame(reused, columns) if reused else None), start

    def _leading(self, year: int) -> tuple[list[tuple[object, pa.Table | None]], str]:
        """The stored months that lead the year and still hold, and the month after them (the
        first that does not, or the next year's January)."""
        stored = self._stored(year)      # none from the changed month on
        reused = []
        for period in sorted(set(stored) | {p for p in self.prints if p.startswith(f"{year}-")}):
            row, data = stored.get(period, (None, None))
            if (period >= self.until or row is None or row.version != FACTS_VERSION or row.roster != self.roster
                    or (row.rows, row.file_ids, row.row_numbers) != self.prints.get(period)):
                return reused, period
            reused.append((row, data))
        return reused, f"{year + 1}-01"

    def save(self, year: int, frame: pd.DataFrame) -> None:
        """The months of the year's facts just built from staging, for the next run."""
        start, t = self.starts.get(year, f"{year}-01"), self.table
        execute_later(self.conn, delete(t).where(t.c.period >= start, t.c.period <= f"{year}-12"))
        built = frame[frame["period"] >= start] if not frame.empty else frame
        for period, data in month_blobs(built).items():      # queued like a COPY (PostgreSQL)
            execute_later(self.conn, insert(t).values(
                period=period, version=FACTS_VERSION, roster=self.roster, data=data,
                **dict(zip(("rows", "file_ids", "row_numbers"), self.prints[period]))))


def drop_other_years(conn: Connection, years: list[int]) -> None:
    t = table(conn.dialect.name, "ops", "month_facts")
    conn.execute(delete(t).where(func.substr(t.c.period, 1, 4).notin_([str(y) for y in years] or ["-"])))
