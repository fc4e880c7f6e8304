"""Bulk loads on the real PostgreSQL: a COPY runs in the background, yet statements keep their
order and a failed COPY fails the transaction."""

import pandas as pd
import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, delete, func, select, text
from sqlalchemy.exc import IntegrityError, ProgrammingError

from warehouse.dialect import bulk_insert, execute_later, make_engine, read_frame, read_frame_later, reserve_ids


@pytest.fixture
def pg_table(pg_url):
    engine = make_engine(pg_url)
    tab = _probe_table(engine)
    yield engine, tab
    engine.dispose()


def _rows(ids) -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids), "name": [f"dòng {i}" for i in ids]})


def test_rows_copied_in_are_seen_by_the_next_statement_and_read(pg_table):
    engine, tab = pg_table
    with engine.begin() as conn:
        bulk_insert(conn, tab, _rows(range(50_000)))
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 50_000   # a statement
        bulk_insert(conn, tab, _rows(range(50_000, 50_010)))
        back = read_frame(conn, select(tab.c.id, tab.c.name).where(tab.c.id >= 49_999))      # a COPY TO
    assert sorted(back["id"]) == list(range(49_999, 50_010))
    assert back.set_index("id").loc[50_005, "name"] == "dòng 50005"


def test_a_failed_copy_fails_the_transaction_and_leaves_nothing(pg_table):
    engine, tab = pg_table
    with engine.begin() as conn:
        bulk_insert(conn, tab, _rows([1, 2]))
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO copy_probe VALUES (100, 'trước')"))
            bulk_insert(conn, tab, _rows([3, 2]))            # 2 is taken: the COPY fails in the background
            conn.execute(text("SELECT 1"))                    # ...and its error comes out here
    with engine.connect() as conn:
        assert conn.execute(select(tab.c.id).order_by(tab.c.id)).scalars().all() == [1, 2]


def test_a_copy_still_running_at_commit_is_waited_for(pg_table):
    engine, tab = pg_table
    with engine.begin() as conn:
        bulk_insert(conn, tab, _rows(range(100_000)))         # nothing after it but the commit
    other = create_engine(str(engine.url))
    with other.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 100_000
    other.dispose()


def test_copies_issued_back_to_back_all_land_in_order(pg_table):
    engine, tab = pg_table
    with engine.begin() as conn:                    # each COPY queues behind the one in flight
        for start in range(0, 90_000, 30_000):
            bulk_insert(conn, tab, _rows(range(start, start + 30_000)))
        conn.execute(text("UPDATE copy_probe SET name = 'sau' WHERE id >= 60000"))   # after all three
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 90_000
        assert conn.execute(select(func.count()).where(tab.c.name == "sau")).scalar_one() == 30_000


def test_a_failed_copy_fails_the_copies_queued_behind_it(pg_table):
    engine, tab = pg_table
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            bulk_insert(conn, tab, _rows([5, 5]))            # fails
            bulk_insert(conn, tab, _rows(range(10, 20)))     # queued behind it
            conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 0


def test_a_statement_sent_for_later_runs_between_the_copies_around_it(probe):
    engine, tab = probe
    with engine.begin() as conn:
        bulk_insert(conn, tab, _rows(range(30_000)))
        execute_later(conn, delete(tab).where(tab.c.id >= 10_000))      # after the first COPY...
        bulk_insert(conn, tab, _rows(range(20_000, 20_010)))             # ...and before this one
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 10_010


def test_a_read_sent_for_later_sees_the_rows_copied_before_it_and_not_after(probe):
    engine, tab = probe
    with engine.begin() as conn:
        bulk_insert(conn, tab, _rows(range(30_000)))
        read = read_frame_later(conn, select(tab.c.id).where(tab.c.id >= 29_990))
        bulk_insert(conn, tab, _rows([40_000]))                 # queued behind the read
        assert sorted(read.result()["id"]) == list(range(29_990, 30_000))
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 30_001


def test_a_read_with_percent_signs_in_its_text(probe):
    engine, tab = probe
    with engine.begin() as conn:
        bulk_insert(conn, tab, pd.DataFrame({"id": [1, 2, 3, 4], "name": ["50%", "a%b", "ab", "50%%"]}))
        got = read_frame(conn, select(tab.c.id).where(tab.c.name.like("%\\%%", escape="\\") | (tab.c.id % 4 == 3)))
        assert sorted(got["id"]) == [1, 2, 3, 4]
        got = read_frame(conn, select(tab.c.id).where(tab.c.name == "50%%"))
        assert got["id"].tolist() == [4]


def test_a_failed_statement_sent_for_later_fails_the_transaction(pg_table):
    engine, tab = pg_table
    with pytest.raises(ProgrammingError, match="no_such_column"):
        with engine.begin() as conn:
            bulk_insert(conn, tab, _rows([1, 2]))
            execute_later(conn, text("DELETE FROM copy_probe WHERE no_such_column = 1"))
            bulk_insert(conn, tab, _rows([3]))                  # queued behind it: fails with it
            conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 0


@pytest.mark.parametrize("failing", ["before any row", "after 20,000 rows"])
def test_a_failed_read_raises_the_servers_error_and_the_connection_goes_on(pg_table, failing):
    """A read takes COPY TO's rows from libpq itself: the server's error, whether the query fails
    at once or after sending rows, comes out as psycopg's error for it, and the connection is
    usable once the transaction is rolled back."""
    engine, tab = pg_table
    with engine.begin() as conn:
        bulk_insert(conn, tab, _rows(range(30_000)))
    column = text("no_such_column") if failing == "before any row" else (100 / (tab.c.id - 20_000)).label("q")
    expected = psycopg.errors.UndefinedColumn if failing == "before any row" else psycopg.errors.DivisionByZero
    with pytest.raises(expected):
        with engine.begin() as conn:
            read_frame(conn, select(tab.c.id, column))       # in the order copied in: no sort first
    with engine.begin() as conn:
        assert len(read_frame(conn, select(tab.c.id, tab.c.name))) == 30_000
        assert conn.execute(select(func.count()).select_from(tab)).scalar_one() == 30_000


@pytest.fixture(params=["sqlite", "postgresql"])
def probe(request, tmp_path):
    """The probe table in a new SQLite file, or on PostgreSQL (pg_table's)."""
    if request.param == "postgresql":
        yield request.getfixturevalue("pg_table")
        return
    engine = make_engine(f"sqlite:///{tmp_path}/w.db")
    yield engine, _probe_table(engine)
    engine.dispose()


def _probe_table(engine) -> Table:
    tab = Table("copy_probe", MetaData(), Column("id", Integer, primary_key=True), Column("name", Text))
    tab.metadata.create_all(engine)
    return tab


def test_reserved_ids_are_new_and_not_given_again(probe):
    engine, tab = probe
    with engine.begin() as conn:
        conn.execute(tab.insert(), [{"name": "a"}, {"name": "b"}])
        taken = set(conn.execute(select(tab.c.id)).scalars())
        reserved = reserve_ids(conn, tab, "id", 3)
        bulk_insert(conn, tab, _rows(reserved))
        after = conn.execute(tab.insert().values(name="c")).inserted_primary_key[0]
    assert len(set(reserved)) == 3 and not set(reserved) & taken and min(reserved) > max(taken)
    assert after not in reserved and after not in taken
