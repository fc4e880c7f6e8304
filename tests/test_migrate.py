"""Schema upgrades of a warehouse that already holds data (migrations 0003 and 0004)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text

from warehouse.dialect import make_engine
from warehouse.migrate import migrate, version_table
from warehouse.schema import table


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    return f"sqlite:///{tmp_path / 'w.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_0004_gives_the_derived_warnings_of_an_older_warehouse_their_report_month(url):
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:          # a warehouse as revision 0003 left it, with warnings
        d = conn.dialect.name
        reports, warnings = table(d, "staging", "monthly_report"), table(d, "staging", "warnings")
        conn.execute(insert(reports), [{"file_id": 1, "row_number": 2, "tax_code": "A", "period": "2023-05"},
                                       {"file_id": 1, "row_number": 3, "tax_code": "B", "period": "2023-06"}])
        conn.execute(insert(warnings), [{"file_id": 1, "form": "monthly_report", "row_number": r, "code": code}
                                        for r, code in ((2, "late_report"), (3, "outlier"), (3, "unknown_column"))])
        name, schema = version_table(d)
        where = f'"{schema}"."{name}"' if schema else f'"{name}"'
        target = f'"{warnings.schema}"."{warnings.name}"' if warnings.schema else f'"{warnings.name}"'
        conn.execute(text(f"ALTER TABLE {target} DROP COLUMN period"))
        conn.execute(text(f"UPDATE {where} SET version_num = '0003'"))
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(warnings.c.row_number, warnings.c.code, warnings.c.period)).all()
    engine.dispose()
    assert sorted(rows) == [(2, "late_report", "2023-05"), (3, "outlier", "2023-06"), (3, "unknown_column", None)]


def test_0005_counts_the_staged_reports_of_an_older_warehouse_per_file_and_month(url):
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as conn:          # a warehouse as revision 0004 left it, with staged reports
        d = conn.dialect.name
        reports, counts = table(d, "staging", "monthly_report"), table(d, "ops", "file_months")
        conn.execute(insert(reports), [{"file_id": f, "row_number": r, "tax_code": "A", "period": p}
                                       for f, r, p in ((1, 2, "2023-05"), (1, 3, "2023-05"), (1, 4, "2023-06"),
                                                       (2, 2, "2023-05"), (2, 3, None))])
        counts.drop(conn)
        name, schema = version_table(d)
        where = f'"{schema}"."{name}"' if schema else f'"{name}"'
        conn.execute(text(f"UPDATE {where} SET version_num = '0004'"))
    migrate(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(counts.c.file_id, counts.c.period, counts.c.rows, counts.c.row_numbers)).all()
    engine.dispose()
    assert sorted(rows) == [(1, "2023-05", 2, 5), (1, "2023-06", 1, 4), (2, "2023-05", 1, 2)]
