"""End to end on the demo data: a real Prefect flow run into SQLite and into PostgreSQL,
marts compared with figures computed from the generator's own record."""

from __future__ import annotations

from decimal import Decimal

import pytest

import expected as ex
from conftest import mart_sql, query

pytestmark = pytest.mark.e2e
TOLERANCE = Decimal("0.000001")


def _progress(url: str) -> dict[tuple[str, str], dict]:
    rows = query(url, f"SELECT * FROM {mart_sql(url, 'phase_progress')} WHERE year = 2023")
    return {(r["phase"], r["indicator"]): r for r in rows}


def _close(actual, wanted: Decimal | int | None) -> bool:
    if wanted is None:
        return actual is None
    return actual is not None and abs(Decimal(str(actual)) - Decimal(wanted)) <= TOLERANCE


def test_phase_progress_matches_the_record(demo_warehouse, demo_record):
    progress = _progress(demo_warehouse)
    rec = demo_record
    for phase, months in ex.PHASES.items():
        cumulative = range(1, months[-1] + 1)
        wanted = {
            "production": ex.monthly_sum(rec, "production_value", 2023, months) / 1000,
            "export": ex.monthly_sum(rec, "export_value", 2023, months) / 1000,
            "new_jobs": ex.monthly_sum(rec, "workers_hired", 2023, months),
            "budget_paid": ex.monthly_sum(rec, "budget_paid", 2023, months) / 1000,
            "investment": ex.investment(rec, 2023, months) / 10**6,
            "clean_land": ex.clean_land(rec, 2023, months),
            "admin_on_time": ex.admin_on_time(rec, 2023, months),
            "new_zones": ex.new_zones(rec, 2023, months),
            "violations_serious": ex.violations(rec, 2023, months, "nghiêm trọng"),
            "violations_minor": ex.violations(rec, 2023, months, "nhẹ"),
        }
        for indicator, value in wanted.items():
            assert _close(progress[(phase, indicator)]["actual"], value), (phase, indicator, value)
        prod = ex.monthly_sum(rec, "production_value", 2023, cumulative) / 1000
        row = progress[(phase, "production")]
        assert _close(row["cumulative_actual"], prod)
        assert _close(row["pct_of_target"], (prod / 323000 * 100).quantize(Decimal("0.0001")))


def test_targets_of_the_2023_plan(demo_warehouse):
    progress = _progress(demo_warehouse)
    targets = {"investment": 1000, "production": 323000, "export": 22000, "new_jobs": 10000,
               "clean_land": 200, "admin_on_time": 100, "new_zones": 1}
    for phase in ("P1", "P2", "Y"):
        for indicator, target in targets.items():
            assert float(progress[(phase, indicator)]["target"]) == target
        assert progress[(phase, "budget_paid")]["target"] is None
        assert progress[(phase, "budget_paid")]["pct_of_target"] is None


def test_production_is_exact_to_the_dong_in_postgresql(demo_pg, demo_record):
    rows = query(demo_pg, "SELECT actual::text AS a FROM mart.phase_progress "
                          "WHERE year = 2023 AND phase = 'Y' AND indicator = 'production'")
    assert Decimal(rows[0]["a"]) == ex.monthly_sum(demo_record, "production_value", 2023, range(1, 13)) / 1000


def test_zone_rollup_attributes_reports_to_the_zone_of_the_month(demo_warehouse, demo_record):
    rows = query(demo_warehouse, f"SELECT zone_code, phase, actual FROM {mart_sql(demo_warehouse, 'zone_phase_rollup')} "
                                 "WHERE year = 2023 AND indicator = 'production'")
    got = {(r["zone_code"], r["phase"]): r["actual"] for r in rows}
    for phase, months in ex.PHASES.items():
        for zone, total in ex.zone_production(demo_record, 2023, months).items():
            assert _close(got[(zone, phase)], total / 1000), (zone, phase)
    assert {"HY", "TH", "YL"} <= {z for z, _ in got}          # zones without reports still listed


def test_reporting_completeness_matches_the_roster(demo_warehouse, demo_record):
    rows = query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, 'reporting_completeness')} WHERE year = 2023")
    got = {(r["tax_code"], r["phase"]): (r["expected"], r["received"], r["on_time"]) for r in rows}
    wanted = {k: v for k, v in ex.reporting(demo_record, 2023).items() if k in got or v[0] > 0}
    assert {k: got.get(k) for k in wanted} == wanted


def test_scorecard_has_corrected_values(demo_warehouse, demo_record):
    rows = query(demo_warehouse, f"SELECT tax_code, production FROM {mart_sql(demo_warehouse, 'enterprise_scorecard')} "
                                 "WHERE year = 2023 AND phase = 'Y'")
    got = {r["tax_code"]: r["production"] for r in rows}
    corrected = [k for k, v in demo_record["monthly"].items() if v.get("corrected")]
    assert len(corrected) == 12
    for key in corrected:
        tax = key.split("|")[0]
        total = sum(Decimal(v["production_value"]) for k, v in demo_record["monthly"].items()
                    if k.startswith(tax + "|2023"))
        assert _close(got[tax], total / 1000)


def test_every_broken_row_is_rejected_with_its_reason_and_no_valid_row_is(demo_warehouse, demo_record):
    rows = query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, 'rejections')}")
    got = sorted((r["file"], r["row_number"], r["reason_code"], r["column"]) for r in rows)
    wanted = sorted((b["file"], b["row_number"], b["reason_code"], b["column"]) for b in demo_record["broken"])
    assert got == wanted
    assert all(r["message_vi"] for r in rows)


def test_citizen_ids_never_reach_the_marts(demo_warehouse, demo_record):
    from warehouse.marts import MARTS

    ids = demo_record["person_ids"]
    assert ids
    for name in MARTS:
        for row in query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, name)}"):
            text = " ".join(str(v) for v in row.values()).replace(" ", "")
            assert not any(pid in text for pid in ids), name


def test_outliers_and_late_reports_are_warnings(demo_warehouse, demo_record):
    rows = query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, 'warnings')}")
    outliers = {(r["file"], r["column"]) for r in rows if r["code"] == "outlier"}
    assert demo_record["outliers"]
    for key in demo_record["outliers"]:
        assert (demo_record["monthly"][key]["zone_file"], "production_value") in outliers
    late = [r for r in rows if r["code"] == "late_report"]
    assert len(late) == len(demo_record["late"])


def test_award_quota_and_every_ineligible_row_has_a_reason(demo_warehouse):
    quota = {r["award"]: r for r in query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, 'award_quota')} "
                                                          "WHERE year = 2023")}
    assert {k: v["required"] for k, v in quota.items()} == {"flag": 5, "merit_collective": 10, "merit_individual": 10}
    flag = query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, 'flag_eligibility')} WHERE year = 2023")
    assert quota["flag"]["achieved"] == sum(1 for r in flag if r["recommended"])
    for r in quota.values():
        assert r["shortfall"] == max(0, r["required"] - r["achieved"])
    for mart in ("flag_eligibility", "merit_collective_eligibility", "merit_individual_eligibility"):
        rows = query(demo_warehouse, f"SELECT eligible, reasons FROM {mart_sql(demo_warehouse, mart)}")
        assert rows and all(r["reasons"] for r in rows if not r["eligible"]), mart


def test_zones_keep_history_and_the_2025_merger(demo_warehouse):
    rows = query(demo_warehouse, f"SELECT * FROM {mart_sql(demo_warehouse, 'zones')}")
    qc = sorted((str(r["valid_from"]), r["province"]) for r in rows if r["zone_code"] == "QC")
    assert qc == [("1900-01-01", "Bắc Giang"), ("2025-07-01", "Bắc Ninh")]
    vh = {str(r["valid_from"]): float(r["area_ha"]) for r in rows if r["zone_code"] == "VH"}
    assert vh["1900-01-01"] == pytest.approx(197.31) and vh["2023-09-18"] == pytest.approx(197.31 + 116.85)
    assert any(r["zone_code"] == "HY" and str(r["valid_from"]) == "2023-05-20" for r in rows)
    provinces = query(demo_warehouse, f"SELECT DISTINCT province FROM {mart_sql(demo_warehouse, 'zone_phase_rollup')} "
                                      "WHERE year = 2023")
    assert provinces == [{"province": "Bắc Giang"}]


def test_export_writes_every_mart_as_csv(demo_warehouse, tmp_path):
    import csv

    from flows.report import export_marts
    from warehouse.marts import MARTS

    paths = export_marts(demo_warehouse, tmp_path)
    assert sorted(p.stem for p in paths) == sorted(MARTS)
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == MARTS[path.stem].column_names
    with (tmp_path / "phase_progress.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 1 + 2 * 3 * 10        # 2022 and 2023 x 3 phases x 10 indicators
