"""The warehouse schema in SQLAlchemy Core: layers raw -> staging -> mart, plus ops.

PostgreSQL keeps each layer in its own schema (`mart.phase_progress`); SQLite
has no schemas, so the layer is a name prefix (`mart_phase_progress`).
`build_metadata(dialect)` returns the same tables named for that dialect.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, Index, Integer, LargeBinary, MetaData,
                        Numeric, String, Table, Text, UniqueConstraint)

from tasks.forms import DATE, DATETIME, FORMS, INTEGER, NUMBER

LAYERS = ("raw", "staging", "mart", "ops")
AMOUNT = Numeric(24, 6, asdecimal=False)     # exact in PostgreSQL; floats in pandas are re-rounded


def qualified(dialect: str, layer: str, name: str) -> tuple[str | None, str]:
    """(schema, table name) of a layer's table in this dialect."""
    if dialect == "sqlite":
        return None, f"{layer}_{name}"
    return layer, name


def table_key(dialect: str, layer: str, name: str) -> str:
    schema, table = qualified(dialect, layer, name)
    return f"{schema}.{table}" if schema else table


def _typed(kind: str):
    return {NUMBER: AMOUNT, INTEGER: BigInteger, DATE: Date, DATETIME: DateTime}.get(kind, Text)


def _provenance() -> list[Column]:
    return [Column("file_id", Integer, nullable=False),
            Column("row_number", Integer, nullable=False)]


def _ops(md: MetaData, dialect: str) -> None:
    def t(name, *cols):
        schema, table = qualified(dialect, "ops", name)
        Table(table, md, *cols, schema=schema)

    t("runs",
      Column("run_id", Integer, primary_key=True, autoincrement=True),
      Column("kind", String(16), nullable=False),
      Column("started_at", DateTime, nullable=False),
      Column("finished_at", DateTime),
      Column("status", String(16), nullable=False),
      Column("as_of", Date),
      Column("period_from", String(7)), Column("period_to", String(7)),
      Column("files_new", Integer), Column("rows_accepted", BigInteger), Column("rows_rejected", BigInteger),
      Column("message", Text))
    t("files",
      Column("file_id", Integer, primary_key=True, autoincrement=True),
      Column("path", Text, nullable=False),
      Column("form", String(32), nullable=False),
      Column("sha256", String(64), nullable=False, unique=True),
      Column("size", BigInteger),
      Column("stat", String(96)),          # discover.file_stat when registered: unchanged files are not re-hashed
      Column("first_seen_at", DateTime, nullable=False),
      Column("run_id", Integer),
      Column("last_run_id", Integer),
      Column("status", String(16), nullable=False),
      Column("rows_read", Integer),
      Column("rows_accepted", Integer),
      Column("rows_rejected", Integer),
      Column("min_month", String(7)), Column("max_month", String(7)),
      Column("reason_code", String(32)), Column("message_vi", Text))
    t("steps",
      Column("run_id", Integer, nullable=False),
      Column("step", String(64), nullable=False),
      Column("started_at", DateTime, nullable=False),
      Column("seconds", Float),
      Column("rows_in", BigInteger), Column("rows_out", BigInteger))
    month_facts(md, dialect)
    file_months(md, dialect)
    roster_facts(md, dialect)


def roster_facts(md: MetaData, dialect: str) -> Table:
    """The roster's versions as the last refresh built them (tasks/snapshot.py): one row, reused
    while the staged roster's fingerprint is the same."""
    schema, name = qualified(dialect, "ops", "roster_facts")
    return Table(name, md,
                 Column("roster", String(32), primary_key=True),      # the staged roster's fingerprint
                 Column("version", Integer, nullable=False),          # snapshot.FACTS_VERSION
                 Column("data", LargeBinary, nullable=False),         # Arrow IPC stream, zstd
                 schema=schema)


def file_months(md: MetaData, dialect: str) -> Table:
    """Per monthly-report file and month: how many of its rows are staged and the sum of their row
    numbers, kept with staging by load.replace_staging, so that snapshot.month_prints need not scan
    every staged report on every run."""
    schema, name = qualified(dialect, "ops", "file_months")
    return Table(name, md,
                 Column("file_id", Integer, primary_key=True), Column("period", String(7), primary_key=True),
                 Column("rows", BigInteger, nullable=False), Column("row_numbers", BigInteger, nullable=False),
                 schema=schema)


def month_facts(md: MetaData, dialect: str) -> Table:
    """Each month's monthly-report facts as the last refresh built them (tasks/snapshot.py)."""
    schema, name = qualified(dialect, "ops", "month_facts")
    return Table(name, md,
                 Column("period", String(7), primary_key=True),
                 Column("version", Integer, nullable=False),         # snapshot.FACTS_VERSION
                 Column("roster", String(32), nullable=False),       # the roster's fingerprint
                 # the month's staged rows then: their count, the sums of their file ids and row numbers
                 Column("rows", BigInteger, nullable=False), Column("file_ids", BigInteger, nullable=False),
                 Column("row_numbers", BigInteger, nullable=False),
                 Column("data", LargeBinary, nullable=False),        # Arrow IPC stream, zstd
                 schema=schema)


def _by_period(form: str) -> list[Index]:
    """Monthly reports by period: a run reads only the months it changed, which must not scan
    every year of history."""
    return [Index("ix_staging_monthly_report_period", "period")] if form == "monthly_report" else []


def _raw_and_staging(md: MetaData, dialect: str) -> None:
    for form in FORMS.values():
        schema, name = qualified(dialect, "raw", form.name)
        Table(name, md, *_provenance(), *[Column(c.name, Text) for c in form.columns],
              UniqueConstraint("file_id", "row_number"), schema=schema)      # also finds a file's rows
        schema, name = qualified(dialect, "staging", form.name)
        # (file_id, row_number) finds a file's rows and one row: re-validation and warnings use both
        Table(name, md, *_provenance(), *[Column(c.name, _typed(c.kind)) for c in form.columns],
              Index(f"ix_staging_{form.name}_file_row", "file_id", "row_number"), *_by_period(form.name), schema=schema)
    for name, cols in {
        "rejections": [Column("form", String(32), nullable=False), Column("row_number", Integer),
                       Column("column", Text), Column("value", Text), Column("reason_code", String(32)),
                       Column("retry", Boolean), Column("message_vi", Text)],
        "warnings": [Column("form", String(32), nullable=False), Column("row_number", Integer),
                     Column("code", String(32)), Column("column", Text), Column("value", Text),
                     Column("message_vi", Text),
                     Column("period", String(7))],      # of a derived warning: its report's month
    }.items():
        schema, table = qualified(dialect, "staging", name)
        Table(table, md, Column("file_id", Integer, nullable=False, index=True), *cols, schema=schema)


def _marts(md: MetaData, dialect: str) -> None:
    from warehouse.marts import MARTS   # marts import the transform layer, which imports this module

    for mart in MARTS.values():
        schema, name = qualified(dialect, "mart", mart.name)
        Table(name, md, *[Column(c.name, c.type, comment=c.comment_vi) for c in mart.columns],
              schema=schema, comment=mart.comment_vi)


@lru_cache(maxsize=None)
def build_metadata(dialect: str) -> MetaData:
    md = MetaData()
    _ops(md, dialect)
    _raw_and_staging(md, dialect)
    _marts(md, dialect)
    return md


def table(dialect: str, layer: str, name: str) -> Table:
    return build_metadata(dialect).tables[table_key(dialect, layer, name)]
