"""Derived warnings against a plain loop over the same reports."""

import random
import statistics

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, func, select, update

from tasks.refresh import ALL_MONTHS, OUTLIER_COLUMNS, _late, outliers, refresh_marts
from warehouse.schema import table


def _reports(seed: int, months: int = 30) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for t in range(40):
        for m in range(months):
            if rng.random() < 0.2:          # gaps: missing months do not count in the window
                continue
            value = rng.choice([None, 0.0, rng.uniform(1, 10), rng.uniform(50, 90)])
            rows.append({"tax_code": f"T{t:03d}", "period": f"{2021 + m // 12}-{m % 12 + 1:02d}",
                         "file_id": m, "row_number": t + 2,
                         **{c: value if c == "production_value" else 1.0 for c in OUTLIER_COLUMNS}})
    return pd.DataFrame(rows)


def _by_hand(frame: pd.DataFrame) -> set[tuple[str, str]]:
    values = {(r.tax_code, r.period): r.production_value for r in frame.itertuples()}
    months = [f"{2021 + m // 12}-{m % 12 + 1:02d}" for m in range(30)]
    hits = set()
    for (tax, period), value in values.items():
        i = months.index(period)
        window = [values.get((tax, p)) for p in months[max(0, i - 6):i]]
        window = [v for v in window if v is not None and not np.isnan(v)]
        if len(window) >= 3 and value is not None and statistics.median(window) > 0 \
                and value > 5 * statistics.median(window):
            hits.add((tax, period))
    return hits


def test_outliers_of_data_spanning_fewer_months_than_the_window():
    for months in range(1, 9):          # 3 to 5 months once failed to broadcast the window
        frame = _reports(months, months)
        assert _found(frame) == _by_hand(frame), months


def _found(frame: pd.DataFrame, start: str | None = None) -> set[tuple[str, str]]:
    found = outliers(frame, start)
    if found.empty:
        return set()
    keyed = frame.set_index(["file_id", "row_number"])
    return {tuple(keyed.loc[(f, r), ["tax_code", "period"]]) for f, r in zip(found["file_id"], found["row_number"])}


def test_outliers_match_a_plain_loop_over_trailing_six_months():
    for seed in range(3):
        frame = _reports(seed)
        expected = _by_hand(frame)
        assert expected and _found(frame) == expected
        for start in ("2021-09", "2022-07", "2023-06"):     # only those months judged, the earlier ones the window
            assert _found(frame, start) == {hit for hit in expected if hit[1] >= start}


@pytest.fixture
def conn(demo_conn):
    return demo_conn


@pytest.mark.e2e
def test_warnings_of_rows_no_longer_staged_go_even_when_their_year_is_not_rebuilt(conn):
    """A re-validated file can lose rows of a year the run does not rebuild; their derived warnings
    must still leave staging.warnings and the warnings mart, and no other warning may."""
    warnings, staged = (table(conn.dialect.name, "staging", n) for n in ("warnings", "monthly_report"))
    derived = select(warnings.c.file_id, warnings.c.row_number, warnings.c.code, warnings.c.period) \
        .where(warnings.c.code.in_(["late_report", "outlier"]))
    before = set(conn.execute(derived).all())
    victim = min(w for w in before if w.period == "2023-10")
    conn.execute(delete(staged).where(staged.c.file_id == victim.file_id, staged.c.row_number == victim.row_number))
    refresh_marts(conn, [2022], warnings_since="2023-10")
    gone = {w for w in before if (w.file_id, w.row_number) == (victim.file_id, victim.row_number)}
    assert set(conn.execute(derived).all()) == before - gone
    count = lambda t: conn.execute(select(func.count()).select_from(t)).scalar()     # noqa: E731
    assert count(table(conn.dialect.name, "mart", "warnings")) == count(warnings)


def _findings(conn) -> list[tuple]:
    mart = table(conn.dialect.name, "mart", "warnings")
    return sorted(tuple(map(str, row)) for row in conn.execute(select(mart)))


@pytest.mark.e2e
def test_a_run_refreshes_the_warnings_of_later_files_its_change_moves(conn):
    """Only the run's files and the monthly files from its earliest changed month on are refilled:
    an earlier month's change moves the outlier warnings of later files, which must follow."""
    staged = table(conn.dialect.name, "staging", "monthly_report")
    tax = conn.execute(select(staged.c.tax_code).where(staged.c.period == "2023-12")
                       .order_by(staged.c.tax_code)).scalars().first()
    before = _findings(conn)
    lowered = [f"2023-{m:02d}" for m in range(5, 10)]        # a median of ~0 for Oct-Dec: outliers there
    conn.execute(update(staged).where(staged.c.tax_code == tax, staged.c.period.in_(lowered))
                 .values(production_value=0.001))
    refresh_marts(conn, [2023, 2024], warnings_since="2023-05", monthly_only=True, run_id=-1)
    incremental = _findings(conn)
    refresh_marts(conn, None, warnings_since=ALL_MONTHS)
    assert incremental == _findings(conn)
    assert any(f"Kỳ 2023-1{m}: production_value" in row[-2] for row in set(incremental) - set(before) for m in "012")


def test_trailing_median_is_the_median_of_the_months_before_that_have_a_value():
    """Against statistics.median of each cell's previous six months, with blanks, ties and windows
    reaching before the first month; from column `first` on."""
    from tasks.refresh import trailing_median_at

    rng = np.random.default_rng(3)
    wide = rng.choice([np.nan, 0.0, 1.0, 2.5, 7.0, 100.0], size=(300, 15)) + rng.choice([0, 0.25], size=(300, 15))
    for first in (0, 4, 14):
        rows, cols = np.divmod(np.arange(300 * (15 - first)), 15 - first)      # every cell from column `first` on
        got = trailing_median_at(wide, rows, cols + first).reshape(300, 15 - first)
        for row in range(300):
            for col in range(first, 15):
                window = [v for v in wide[row, max(0, col - 6):col] if not np.isnan(v)]
                expected = statistics.median(window) if len(window) >= 3 else None
                value = got[row, col - first]
                assert (None if np.isnan(value) else value) == expected, (row, col, window)


def test_outliers_just_over_five_times_the_median_are_found_and_five_times_is_not():
    """Values between 5x and 6x the median (and the window's least value): found; exactly 5x: not."""
    rows = []
    for tax, months in (("A", [10.0, 10.0, 12.0, 55.0]), ("B", [10.0, 10.0, 10.0, 50.0]), ("C", [11.0, 9.0, 10.0, 50.5])):
        for i, value in enumerate(months):
            rows.append({"tax_code": tax, "period": f"2023-{i + 1:02d}", "file_id": i, "row_number": ord(tax),
                         **{c: value if c == "production_value" else 1.0 for c in OUTLIER_COLUMNS}})
    frame = pd.DataFrame(rows)
    assert _found(frame) == _by_hand(frame) == {("A", "2023-04"), ("C", "2023-04")}


@pytest.mark.parametrize("dtype", [bool, object, "boolean"])
def test_lateness_reads_every_kind_of_late_column(dtype):
    """Facts built now hold plain booleans; a month kept from an earlier run may come back as objects
    or nullable booleans, with unknown lateness: unknown is not late."""
    values = [True, False, True] if dtype is bool else [True, None, False]
    flags = _late(pd.DataFrame({"late": pd.Series(values, dtype=dtype)}))
    assert flags.dtype == bool and flags.tolist() == [v is True for v in values]
    assert _late(pd.DataFrame({"period": ["2023-01"]})).tolist() == [False]      # the year before's rows
