"""The stored monthly facts (tasks/snapshot.py) on the demo warehouses: which months a run may
reuse, checked against the facts built from staging alone; each test rolls back what it changed."""

from __future__ import annotations

from concurrent.futures import Future

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import delete, func, select, text, update

from tasks import load, snapshot
from tasks.refresh import refresh_marts
from tasks.snapshot import Snapshots, from_bytes, month_blobs, month_prints
from tasks.transform import PRIOR_YEAR_COLUMNS, monthly_of_year, prior_year, roster_versions
from warehouse.dialect import read_table
from warehouse.schema import table

pytestmark = pytest.mark.e2e


@pytest.fixture
def conn(demo_conn):
    return demo_conn


def _staged_periods(conn, year: int) -> list[str]:
    staged = table(conn.dialect.name, "staging", "monthly_report")
    rows = conn.execute(select(staged.c.period).where(staged.c.period.like(f"{year}-%")).distinct())
    return sorted(rows.scalars())


def _reuse(conn, year: int, since: str | None):
    return Snapshots(conn, since, month_prints(conn)).reusable(year)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["file_id", "row_number"]).reset_index(drop=True)


def test_a_full_run_stores_every_staged_month(conn):
    stored = table(conn.dialect.name, "ops", "month_facts")
    periods = sorted(conn.execute(select(stored.c.period)).scalars())
    assert periods == [p for y in (2021, 2022, 2023) for p in _staged_periods(conn, y)]


def test_the_months_before_the_change_are_reused_as_staging_would_build_them(conn):
    reused, start = _reuse(conn, 2023, "2023-12")
    assert start == "2023-12"
    assert sorted(reused["period"].unique()) == [p for p in _staged_periods(conn, 2023) if p < "2023-12"]
    built = monthly_of_year(conn, 2023, roster_versions(conn))
    expected = built[built["period"] < "2023-12"]
    pd.testing.assert_frame_equal(_sorted(reused)[expected.columns], _sorted(expected))


def test_a_year_made_of_stored_and_read_months_equals_the_year_read_whole_row_for_row(conn):
    """Same rows in the same order, (period, submitted_at, file_id, row_number), whichever way made;
    with a March report sent again after every later month's, so that version order alone is not it."""
    staged = table(conn.dialect.name, "staging", "monthly_report")
    march = conn.execute(select(staged.c.file_id, staged.c.row_number).where(staged.c.period == "2023-03")).first()
    conn.execute(update(staged).where(staged.c.file_id == march.file_id, staged.c.row_number == march.row_number)
                 .values(submitted_at=pd.Timestamp("2024-06-01 08:00").to_pydatetime()))
    roster = roster_versions(conn)
    whole = monthly_of_year(conn, 2023, roster)
    joined = monthly_of_year(conn, 2023, roster, *_reuse(conn, 2023, "2023-03"))
    order = ["period", "submitted_at", "file_id", "row_number"]
    assert whole[order].equals(whole[order].sort_values(order).reset_index(drop=True))
    pd.testing.assert_frame_equal(joined[whole.columns], whole, check_dtype=False)
    stored = Snapshots(conn, "2023-03", month_prints(conn)).reusable(2023, PRIOR_YEAR_COLUMNS)   # as the next year reads it
    pd.testing.assert_frame_equal(prior_year(conn, 2023, *stored), prior_year(conn, 2023), check_dtype=False)


def _staging_prints(conn) -> dict[str, tuple[int, int, int]]:
    """What month_prints must equal, counted from the staged rows themselves."""
    staged = table(conn.dialect.name, "staging", "monthly_report")
    rows = conn.execute(select(staged.c.period, func.count(), func.sum(staged.c.file_id), func.sum(staged.c.row_number))
                        .group_by(staged.c.period))
    return {period: (int(n), int(files), int(numbers)) for period, n, files, numbers in rows}


def test_the_month_fingerprints_count_the_staged_rows(conn):
    assert month_prints(conn) == _staging_prints(conn)


def test_a_month_whose_staged_rows_changed_is_rebuilt_with_every_month_after_it(conn):
    """A file re-loaded without one of its May rows (through load.replace_staging, the one writer)."""
    staged = table(conn.dialect.name, "staging", "monthly_report")
    victim = conn.execute(select(staged.c.file_id, staged.c.row_number).where(staged.c.period == "2023-05")).first()
    rows = read_table(conn, staged, staged.c.file_id == victim.file_id).rename(columns=load.FROM_DB)
    kept = rows[rows["_row_number"] != victim.row_number]
    load.replace_staging(conn, "monthly_report", [victim.file_id], kept, pd.DataFrame(columns=["_file_id", "_row_number"]), 99)
    assert month_prints(conn) == _staging_prints(conn)
    reused, start = _reuse(conn, 2023, None)
    assert start == "2023-05" and reused["period"].max() == "2023-04"
    assert _reuse(conn, 2022, None)[1] == "2023-01"         # the year before is untouched: all of it reused


@pytest.mark.parametrize("change", ["roster", "version", "every month"])
def test_nothing_is_reused_after_the_roster_or_the_code_changed_or_when_the_run_says_so(conn, change, monkeypatch):
    since = None
    if change == "roster":
        roster = table(conn.dialect.name, "staging", "enterprises")
        first = conn.execute(select(roster.c.file_id, roster.c.row_number)).first()
        conn.execute(delete(roster).where(roster.c.file_id == first.file_id, roster.c.row_number == first.row_number))
    elif change == "version":
        monkeypatch.setattr(snapshot, "FACTS_VERSION", snapshot.FACTS_VERSION + 1)
    else:
        since = "0000-01"
    assert _reuse(conn, 2023, since) == (None, "2023-01")


def test_months_read_ahead_are_used_unless_the_run_rewrote_them(conn):
    """PostgreSQL reads the stored months on a second connection while the run's COPYs land; a month
    read so is taken as read unless this transaction has rewritten its row since (row version)."""
    if conn.dialect.name != "postgresql":
        assert snapshot.read_ahead(conn, "2023-12") is None       # SQLite: one connection, nothing to overlap
        return
    ahead = snapshot.read_ahead(conn, "2023-12").result()
    assert sorted(ahead) == [p for y in (2022, 2023) for p in _staged_periods(conn, y) if p < "2023-12"]
    row, january = ahead["2023-01"]
    marked = january.set_column(january.schema.get_field_index("production_value"), "production_value",
                                pa.array([-1.0] * january.num_rows))
    ahead["2023-01"] = (row, marked)
    done = Future()
    done.set_result(ahead)
    reused, _ = Snapshots(conn, "2023-12", month_prints(conn), ahead=done).reusable(2023)
    assert (reused.loc[reused["period"] == "2023-01", "production_value"] == -1.0).all()      # taken as read

    stored = table(conn.dialect.name, "ops", "month_facts")
    conn.execute(update(stored).where(stored.c.period == "2023-01").values(version=stored.c.version))   # rewritten
    reused, _ = Snapshots(conn, "2023-12", month_prints(conn), ahead=done).reusable(2023)
    january = reused[reused["period"] == "2023-01"]
    assert len(january) == row.rows and (january["production_value"] != -1.0).any()          # read again


def test_months_read_ahead_give_the_frame_a_read_now_gives(conn):
    """The year's months and the year before's (with the columns the next year reads), read ahead
    on a second connection or read on the run's: the same frame, columns in the same order."""
    if conn.dialect.name != "postgresql":
        assert snapshot.read_ahead(conn, "2023-12") is None       # nothing is read ahead in SQLite
        return
    prints, ahead = month_prints(conn), snapshot.read_ahead(conn, "2023-12")      # one read serves both years
    for year, columns in ((2023, None), (2022, PRIOR_YEAR_COLUMNS)):
        read_ahead, _ = Snapshots(conn, "2023-12", prints, ahead=ahead).reusable(year, columns)
        read_now, _ = Snapshots(conn, "2023-12", prints).reusable(year, columns)
        pd.testing.assert_frame_equal(read_ahead, read_now)


def test_an_incremental_refresh_reads_the_stored_months(conn):
    """Stored January production doubled: a refresh from December on shows it, a full one does not."""
    stored = table(conn.dialect.name, "ops", "month_facts")
    data = conn.execute(select(stored.c.data).where(stored.c.period == "2023-01")).scalar_one()
    january = from_bytes([data])
    doubled = january.assign(production_value=january["production_value"] * 2)
    conn.execute(update(stored).where(stored.c.period == "2023-01").values(data=month_blobs(doubled)["2023-01"]))
    progress = "mart.phase_progress" if conn.dialect.name == "postgresql" else "mart_phase_progress"
    sql = text(f"SELECT actual FROM {progress} WHERE year = 2023 AND phase = 'P1' AND indicator = 'production'")
    before = float(conn.execute(sql).scalar_one())
    added = float(january["production_value"].sum()) / 1000            # triệu đồng -> tỷ đồng

    refresh_marts(conn, [2023], "2023-12")
    assert float(conn.execute(sql).scalar_one()) == pytest.approx(before + added, abs=1e-6)
    refresh_marts(conn, [2023], "0000-01")
    assert float(conn.execute(sql).scalar_one()) == pytest.approx(before, abs=1e-6)


def test_the_stored_roster_is_the_staged_one_and_follows_a_change(conn):
    """The run stored the roster's versions; they are reused while staging holds the same roster,
    and rebuilt (and stored again) once a version is gone from staging."""
    built = []

    def build(c):
        built.append(1)
        return roster_versions(c)

    stored = table(conn.dialect.name, "ops", "roster_facts")
    assert conn.execute(select(func.count()).select_from(stored)).scalar_one() == 1
    reused, _ = snapshot.stored_roster(conn, build)
    assert not built
    pd.testing.assert_frame_equal(reused, roster_versions(conn))
    roster = table(conn.dialect.name, "staging", "enterprises")
    first = conn.execute(select(roster.c.file_id, roster.c.row_number)).first()
    conn.execute(delete(roster).where(roster.c.file_id == first.file_id, roster.c.row_number == first.row_number))
    rebuilt, _ = snapshot.stored_roster(conn, build)
    assert len(built) == 1
    pd.testing.assert_frame_equal(rebuilt, roster_versions(conn))
    again, _ = snapshot.stored_roster(conn, build)
    assert len(built) == 1
    pd.testing.assert_frame_equal(again, rebuilt)


def test_year_facts_hold_every_row_read_before_then_runs(conn):
    """A refresh queues the year's DELETEs in year_facts' `then`, behind every read of the year's
    facts: rows deleted there (queued, as the refresh does) are still in the facts made after it."""
    from tasks.transform import Versions, year_facts, zone_versions
    from warehouse.dialect import execute_later

    roster, zones = Versions.of(roster_versions(conn), "tax_code"), zone_versions(conn)
    forms = ("compliance", "nominations", "investment", "land_clearance", "admin_procedures", "zone_events",
             "monthly_report")

    def facts(**kwargs):
        return year_facts(conn, 2023, roster, zones, snapshots=Snapshots(conn, "2023-12", month_prints(conn)), **kwargs)

    def then():
        for form in forms:
            execute_later(conn, delete(table(conn.dialect.name, "staging", form)))
    before, got = facts(), facts(then=then)
    parts = ("compliance", "nominations", "investment", "land", "admin", "zone_events", "reports", "prior")
    for name in parts:
        assert len(getattr(before, name)) > 0 or name == "zone_events", name
        pd.testing.assert_frame_equal(getattr(got, name), getattr(before, name), obj=name)
    after = year_facts(conn, 2023, roster, zones)                     # read whole from staging, now empty
    assert all(getattr(after, name).empty for name in parts)


@pytest.mark.parametrize("since", ["0000-01", "2023-01", "2022-07"])
def test_a_year_changed_from_its_first_month_reuses_nothing_without_asking_the_database(conn, since, monkeypatch):
    """A full refresh asks no query for stored months: on PostgreSQL a query would first wait for
    every COPY queued on the connection (the year before's marts)."""
    from sqlalchemy import event

    snapshots = Snapshots(conn, since, month_prints(conn))
    statements = []
    listener = lambda *args: statements.append(args[2])          # noqa: E731
    fetch = snapshot.fetch_rows                                   # PostgreSQL: past SQLAlchemy's events
    monkeypatch.setattr(snapshot, "fetch_rows", lambda c, statement: statements.append(statement) or fetch(c, statement))
    event.listen(conn, "before_cursor_execute", listener)
    try:
        assert snapshots.reusable(2023) == (None, "2023-01")
    finally:
        event.remove(conn, "before_cursor_execute", listener)
    assert statements == []
    assert snapshots.starts[2023] == "2023-01"
