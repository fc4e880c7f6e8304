"""Pipeline behaviour on small landing sets, through real Prefect flow runs into SQLite."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal

import pytest

import small
from conftest import mart_sql, query, run_nightly
from warehouse.marts import MARTS

pytestmark = pytest.mark.e2e


def _plain(value) -> str:
    """One spelling for both warehouses: SQLite's 1 and 0.01 are PostgreSQL's true and 0.010000000."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float, Decimal)):
        return str(int(value)) if float(value).is_integer() else f"{float(value):.6f}"
    return str(value)


def snapshot(url: str) -> dict[str, list]:
    """Every mart, every row, in a comparable form (the time a file was first seen aside)."""
    out = {}
    for name in MARTS:
        rows = query(url, f"SELECT * FROM {mart_sql(url, name)}")
        out[name] = sorted(tuple(sorted((k, _plain(v)) for k, v in r.items() if k != "first_seen_at")) for r in rows)
    return out


def test_a_second_run_changes_no_mart(prefect_harness, demo_sqlite, demo_landing):
    before = snapshot(demo_sqlite)
    result = run_nightly(demo_landing, demo_sqlite)
    assert result["files_new"] == 0 and result["nothing_new"]
    assert snapshot(demo_sqlite) == before


def test_a_correction_changes_exactly_its_enterprise_month(prefect_harness, demo_sqlite, demo_record, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(demo_sqlite.removeprefix("sqlite:///"), db)
    url = f"sqlite:///{db}"
    key = sorted(k for k, v in demo_record["monthly"].items() if k.endswith("2023-10") and not v.get("corrected"))[0]
    tax, period = key.split("|")
    old = demo_record["monthly"][key]
    row = [tax, period, "777.777,5", old["revenue"], old["export_value"], old["import_value"], old["workers_total"],
           old["workers_hired"], old["workers_left"], old["budget_paid"], old["si_arrears"], "20/12/2023 10:00"]
    landing = tmp_path / "landing"
    small.write(landing, "monthly_report/dieu_chinh/sua.csv", [small.MONTHLY_HEADER.replace(",", ";"), ";".join(row)])
    before = query(url, f"SELECT * FROM {mart_sql(url, 'enterprise_scorecard')} WHERE year = 2023")
    run_nightly(landing, url)
    after = query(url, f"SELECT * FROM {mart_sql(url, 'enterprise_scorecard')} WHERE year = 2023")
    diff = {(b["tax_code"], b["phase"]) for b, a in zip(sorted(before, key=_k), sorted(after, key=_k)) if b != a}
    assert diff == {(tax, "P2"), (tax, "Y")}
    new = {r["phase"]: r for r in after if r["tax_code"] == tax}
    old_row = {r["phase"]: r for r in before if r["tax_code"] == tax}
    delta = 777777.5 - float(old["production_value"])
    assert new["Y"]["production"] == pytest.approx(old_row["Y"]["production"] + delta / 1000, abs=1e-6)


def test_a_new_month_alone_gives_the_marts_of_one_full_run(prefect_harness, demo_sqlite, demo_landing, tmp_path):
    """The incremental path (warnings from the new month on, marts of the touched years) against a full run."""
    landing = tmp_path / "landing"
    shutil.copytree(demo_landing, landing, ignore=lambda d, names: [n for n in names if "2023-12" in n])
    url = f"sqlite:///{tmp_path / 'w.db'}"
    run_nightly(landing, url)
    held_back = [p for p in demo_landing.rglob("*2023-12*") if p.is_file()]
    assert held_back
    for path in held_back:
        target = landing / path.relative_to(demo_landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    result = run_nightly(landing, url)
    assert result["files_new"] == len(held_back) and result["years"] == [2023]
    assert snapshot(url) == snapshot(demo_sqlite)


def _k(r):
    return (r["tax_code"], r["phase"])


@pytest.mark.parametrize("warehouse", ["sqlite", "postgresql"])
def test_rows_for_an_unknown_enterprise_load_once_the_roster_catches_up(prefect_harness, tmp_path, request, warehouse):
    """The second run brings the roster's new enterprise and a new month: the stored file waiting
    for it is validated again, the new one once."""
    url = f"sqlite:///{tmp_path / 'w.db'}" if warehouse == "sqlite" else request.getfixturevalue("pg_url")
    landing = tmp_path / "landing"
    small.roster(landing, rows=[f"{small.A},Công ty A,QC,Cụm 1,FDI,,hoạt động,01/01/2020"])
    small.monthly(landing, "monthly_report/m.csv", [small.monthly_row(small.A, "2023-01"),
                                                   small.monthly_row(small.B, "2023-01", production="2000")])
    run_nightly(landing, url)
    rej = query(url, f"SELECT reason_code, value FROM {mart_sql(url, 'rejections')}")
    assert rej == [{"reason_code": "unknown_enterprise", "value": small.B}]
    small.roster(landing, "enterprises/roster2.csv", [f"{small.B},Công ty B,DT,Cụm 1,trong nước,,hoạt động,01/01/2020"])
    small.monthly(landing, "monthly_report/m2.csv", [small.monthly_row(small.A, "2023-02", production="500"),
                                                    small.monthly_row(small.B, "2023-02", production="700")])
    run_nightly(landing, url)
    assert query(url, f"SELECT * FROM {mart_sql(url, 'rejections')}") == []
    assert {r["tax_code"] for r in query(url, f"SELECT tax_code FROM {mart_sql(url, 'enterprises')}")} == {small.A, small.B}
    prod = query(url, f"SELECT actual FROM {mart_sql(url, 'phase_progress')} WHERE phase='P1' AND indicator='production'")
    assert float(prod[0]["actual"]) == pytest.approx(4.2)        # 1000 + 2000 + 500 + 700 triệu đồng


def test_a_run_whose_only_new_file_is_rejected_whole_lists_it(prefect_harness, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = tmp_path / "landing"
    small.roster(landing)
    small.monthly(landing, "monthly_report/m.csv", [small.monthly_row(small.A, "2023-01")])
    run_nightly(landing, url)
    small.write(landing, "monthly_report/khong_dung_mau.csv", ["ma,ky", f"{small.A},2023-02"])
    result = run_nightly(landing, url)
    assert result["files_new"] == 1 and result["rows_rejected"] == {"missing_column": 1}
    rej = query(url, "SELECT file, row_number, reason_code FROM mart_rejections")
    assert rej == [{"file": "monthly_report/khong_dung_mau.csv", "row_number": None, "reason_code": "missing_column"}]


def test_an_unchanged_file_is_not_hashed_again_but_one_edited_in_place_is_taken(prefect_harness, tmp_path, monkeypatch):
    """Files are told apart by content: a run records each file's stat (size, times, inode) and
    the next re-hashes only the files whose stat moved, such as a report corrected in place."""
    import time

    from tasks import discover

    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = tmp_path / "landing"
    small.roster(landing)
    report = small.monthly(landing, "monthly_report/m.csv", [small.monthly_row(small.A, "2023-01", production="1000")])
    monkeypatch.setattr(discover, "RACY_SECONDS", 1e9)     # every file too recent to trust: no stat recorded
    run_nightly(landing, url)
    assert {r["stat"] for r in query(url, "SELECT stat FROM ops_files")} == {None}
    monkeypatch.setattr(discover, "RACY_SECONDS", 0.0)
    assert run_nightly(landing, url)["nothing_new"]
    stats = {r["path"]: r["stat"] for r in query(url, "SELECT path, stat FROM ops_files")}
    assert all(stats.values()) and len(stats) == 2
    time.sleep(0.05)                    # past the file system clock's tick
    report.write_text(report.read_text(encoding="utf-8").replace('"1000"', '"2000"'), encoding="utf-8")
    assert report.stat().st_size == int(stats["monthly_report/m.csv"].split(":")[0])     # same size
    result = run_nightly(landing, url)
    assert result["files_new"] == 1
    prod = query(url, "SELECT actual FROM mart_phase_progress WHERE phase='P1' AND indicator='production'")
    assert prod[0]["actual"] == pytest.approx(2.0)


def test_a_backfill_hashes_every_file_even_one_whose_stat_did_not_move(prefect_harness, tmp_path, monkeypatch):
    """On a file system whose times do not move, an edit in place keeps the recorded stat: the
    nightly run keeps the recorded hash, a backfill reads the file again and takes it."""
    from flows.backfill import backfill
    from tasks import discover
    from tasks.discover import file_stat

    monkeypatch.setattr(discover, "RACY_SECONDS", 0.0)
    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = tmp_path / "landing"
    small.roster(landing)
    report = small.monthly(landing, "monthly_report/m.csv", [small.monthly_row(small.A, "2023-01", production="1000")])
    run_nightly(landing, url)
    report.write_text(report.read_text(encoding="utf-8").replace('"1000"', '"3000"'), encoding="utf-8")
    with sqlite3.connect(tmp_path / "w.db") as db:          # as if the edit had left size and times as they were
        db.execute("UPDATE ops_files SET stat = ? WHERE path = 'monthly_report/m.csv'", (file_stat(report)[1],))
    assert run_nightly(landing, url)["nothing_new"]
    sql = "SELECT actual FROM mart_phase_progress WHERE phase='P1' AND indicator='production'"
    assert query(url, sql)[0]["actual"] == pytest.approx(1.0)
    assert backfill("2023-01", "2023-12", str(landing), url, "2026-11-27")["files_new"] == 1
    assert query(url, sql)[0]["actual"] == pytest.approx(3.0)


def test_a_failed_run_leaves_the_warehouse_as_it_was(prefect_harness, tmp_path, monkeypatch):
    from tasks.plan import load_plan

    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = tmp_path / "landing"
    small.roster(landing)
    small.monthly(landing, "monthly_report/m1.csv", [small.monthly_row(small.A, "2023-01")])
    run_nightly(landing, url)
    before = snapshot(url), query(url, "SELECT count(*) AS n FROM ops_files")
    small.monthly(landing, "monthly_report/m2.csv", [small.monthly_row(small.A, "2023-02")])
    broken = tmp_path / "config"
    shutil.copytree(small_config(), broken)
    (broken / "plans" / "2023.yaml").write_text("targets: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("THIDUA_CONFIG_DIR", str(broken))
    load_plan.cache_clear()
    try:
        with pytest.raises(Exception):
            run_nightly(landing, url)
    finally:
        monkeypatch.delenv("THIDUA_CONFIG_DIR")
        load_plan.cache_clear()
    assert (snapshot(url), query(url, "SELECT count(*) AS n FROM ops_files")) == before
    failed = query(url, "SELECT status, message FROM ops_runs WHERE status = 'failed'")
    assert failed and "refresh" in failed[0]["message"]
    assert gc.get_freeze_count() == 0          # the objects frozen for the run were handed back


def test_the_collector_skips_start_up_objects_during_a_run_only():
    from flows.pipeline import _start_up_objects_frozen

    with pytest.raises(RuntimeError), _start_up_objects_frozen():
        assert gc.get_freeze_count() > 0
        raise RuntimeError("a failed run")
    assert gc.get_freeze_count() == 0


def small_config():
    from tasks.plan import CONFIG_DIR
    return CONFIG_DIR


@pytest.mark.parametrize("args,needle", [
    (["backfill", "--from", "2023-13", "--to", "2023-01"], "not YYYY-MM"),
    (["backfill", "--from", "2023-05", "--to", "2023-01"], "after"),
    (["run", "--as-of", "27/11/2026"], "as_of"),
    (["demo", "--out", "landing", "--enterprises", "39"], "at least 40"),
])
def test_usage_errors_exit_2_with_one_line(args, needle, tmp_path):
    cli = [sys.executable, "-c", "from flows.cli import main; main()"]
    done = subprocess.run(cli + args, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_backfill_that_unstages_a_row_of_a_year_it_does_not_rebuild_drops_the_row_s_warnings(prefect_harness,
                                                                                                tmp_path):
    """m.csv spans 2021-01 to 2023-12. Backfilled as of 2023-11-20, its December report is from the
    future: the row leaves staging, and the run rebuilds 2021 only (2022 has no data). The row's late-report
    warning must go all the same."""
    from flows.backfill import backfill

    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = tmp_path / "landing"
    small.roster(landing)
    small.monthly(landing, "monthly_report/m.csv", [small.monthly_row(small.A, "2021-01"),
                                                   small.monthly_row(small.A, "2023-12", submitted="15/{next} 09:00")])
    small.monthly(landing, "monthly_report/other.csv",
                  [small.monthly_row(small.A, f"2023-{m:02d}") for m in range(1, 12)])
    run_nightly(landing, url)
    late = "SELECT file, row_number FROM mart_warnings WHERE code = 'late_report'"
    assert query(url, late) == [{"file": "monthly_report/m.csv", "row_number": 3}]
    result = backfill("2021-01", "2021-01", str(landing), url, "2023-11-20")
    assert result["years"] == [2021] and result["rows_rejected"] == {"future_period": 1}
    assert query(url, late) == []
    assert query(url, "SELECT count(*) AS n FROM staging_warnings WHERE code = 'late_report'") == [{"n": 0}]


def test_a_year_with_only_other_forms_gets_its_marts(prefect_harness, tmp_path):
    """2022 has no monthly report, only an investment decision; 2021 only land cleared. Both are years of data."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    landing = tmp_path / "landing"
    small.roster(landing)
    small.monthly(landing, "monthly_report/m.csv", [small.monthly_row(small.A, "2023-01")])
    small.write(landing, "investment/d.csv", [
        "project_code,project_name,investor_tax_code,zone_code,action,capital_change,decision_date",
        f"P1,Nhà máy,{small.A},QC,cấp mới,5000000,15/06/2022"])
    small.write(landing, "land_clearance/g.csv", ["zone_code,developer,period,cleared_ha", "QC,Hạ tầng QC,2021-03,2.5"])
    result = run_nightly(landing, url)
    assert result["rows_rejected"] == {}, result
    assert result["years"] == [2021, 2022, 2023]
    rows = query(url, "SELECT year, indicator, actual FROM mart_phase_progress WHERE phase = 'Y' AND actual > 0")
    assert sorted((r["year"], r["indicator"], float(r["actual"])) for r in rows if r["year"] < 2023) == [
        (2021, "clean_land", 2.5), (2022, "investment", 5.0)]


def _index_order(url: str) -> list[str]:
    """The raw and staging indexes of PostgreSQL, in the order they were built (their oids)."""
    rows = query(url, "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                      "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('raw', 'staging') ORDER BY c.oid")
    return [r["relname"] for r in rows]


def test_a_first_load_in_many_batches_builds_its_indexes_once_at_the_end(prefect_harness, demo_landing, demo_pg, pg_url,
                                                                          monkeypatch):
    """Monthly reports loaded into empty tables in many batches (64 KiB each, not the demo's one):
    their raw and staging indexes are dropped for the load and built after it, the same as a
    migrated warehouse's, the raw rows' uniqueness again a constraint; the marts are those of the
    demo warehouse loaded in one batch."""
    monkeypatch.setenv("THIDUA_BATCH_BYTES", str(64 * 1024))
    run_nightly(demo_landing, pg_url)
    assert snapshot(pg_url) == snapshot(demo_pg)
    definitions = "SELECT indexdef FROM pg_indexes WHERE schemaname IN ('raw', 'staging') ORDER BY 1"
    assert query(pg_url, definitions) == query(demo_pg, definitions)
    unique = "SELECT conname FROM pg_constraint WHERE contype = 'u' ORDER BY 1"
    assert query(pg_url, unique) == query(demo_pg, unique)
    rebuilt = ["monthly_report_file_id_row_number_key", "ix_staging_monthly_report_file_row",
               "ix_staging_monthly_report_period"]
    last_migrated = "ix_staging_warnings_file_id"     # the migrations build it last; runs never drop it
    once, batched = _index_order(demo_pg), _index_order(pg_url)
    assert all(once.index(name) < once.index(last_migrated) for name in rebuilt)      # one batch: kept
    assert all(batched.index(name) > batched.index(last_migrated) for name in rebuilt)
