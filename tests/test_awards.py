"""Award eligibility on hand-computed cases: every criterion passing and failing, a cluster
tie, an enterprise closed mid-year, and a correction that turns a failing month into a passing one."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

import small
from conftest import mart_sql, query, run_nightly
from tasks.demo import make_tax_code

pytestmark = pytest.mark.e2e

CODES = {f"E{i}": make_tax_code(__import__("random").Random(1000 + i)) for i in range(1, 15)}
CLUSTER = {**{f"E{i}": "Cụm 1" for i in (1, 2, 3, 4)}, **{f"E{i}": "Cụm 2" for i in (5, 6, 7, 8, 9)},
           **{f"E{i}": "Cụm 3" for i in (10, 11, 12, 13, 14)}}


def _months(name: str, year: int) -> list[str]:
    """Monthly rows of one enterprise for one year, shaped by its case."""
    rows = []
    for m in range(1, 13):
        if name == "E3" and year == 2023 and m == 3:
            continue                                     # a missing month
        if name == "E13" and year == 2023 and m > 6:
            continue                                     # closed from July
        if name == "E10" and year == 2022:
            continue                                     # no history
        prod = "1000"
        if year == 2023:
            prod = {"E1": "1100", "E2": "1050", "E9": "900", "E11": "1200", "E12": "1200"}.get(name, "1000")
        budget = "0" if name == "E5" else "10"
        arrears = "5" if name in ("E6", "E14") and year == 2023 and m == 12 else "0"
        stamp = "15/{next} 09:00" if name == "E4" and year == 2023 and m in (1, 2, 3) else "05/{next} 09:00"
        rows.append(small.monthly_row(CODES[name], f"{year}-{m:02d}", prod, budget=budget, arrears=arrears,
                                      submitted=stamp))
    return rows


def build_landing(root: Path) -> None:
    roster = [f"{CODES[n]},Công ty {n},QC,{CLUSTER[n]},FDI,,hoạt động,01/01/2020" for n in CODES]
    roster.append(f"{CODES['E13']},Công ty E13,QC,{CLUSTER['E13']},FDI,,giải thể,01/07/2023")
    small.roster(root, rows=roster)
    small.monthly(root, "monthly_report/all.csv", [r for n in CODES for y in (2022, 2023) for r in _months(n, y)])
    small.write(root, "compliance/events.csv", [
        "record_id,tax_code,event_date,domain,event_type,severity,fine",
        f"BB1,{CODES['E7']},12/05/2023,môi trường,vi phạm,nghiêm trọng,50000000",
        f"BB2,{CODES['E8']},03/08/2023,PCCC,vi phạm,nhẹ,",
        f"BB3,{CODES['E9']},03/08/2023,ATGT,sự cố,nhẹ,",
        f"BB4,{CODES['E1']},03/08/2023,PCCC,kiểm tra,,",
        f"BB5,{CODES['E7']},02/02/2023,lao động,sự cố,nghiêm trọng,",     # listed after BB1, happened before
    ])
    head = ("nomination_id,year,award,nominee_type,nominee_name,tax_code,person_id,members_total,members_completed,"
            "members_advanced,members_cstdcs,excellent_years,cstdcs_years,initiatives,discipline")
    flag = [f"F-{n},2023,cờ thi đua,doanh nghiệp,Công ty {n},{CODES[n]},,,,,,2,0,{0 if n == 'E2x' else 1},không"
            for n in CODES if n != "E10"]
    collective = [
        f"T1,2023,bằng khen,tập thể,Tổ 1,{CODES['E1']},,10,10,7,1,2,0,0,khiển trách",
        f"T2,2023,bằng khen,tập thể,Tổ 2,{CODES['E1']},,10,9,8,1,2,0,0,không",
        f"T3,2023,bằng khen,tập thể,Tổ 3,{CODES['E1']},,10,10,6,1,2,0,0,không",
        f"T4,2023,bằng khen,tập thể,Tổ 4,{CODES['E1']},,10,10,8,0,2,0,0,không",
        f"T5,2023,bằng khen,tập thể,Tổ 5,{CODES['E1']},,10,10,8,1,1,0,0,không",
        f"T6,2023,bằng khen,tập thể,Tổ 6,{CODES['E1']},,10,10,8,1,2,0,0,cảnh cáo",
        f"T7,2023,bằng khen,tập thể,Tổ 7,{CODES['E7']},,10,10,8,1,2,0,0,không",
        f"D1,2023,bằng khen,doanh nghiệp,Công ty E2,{CODES['E2']},,,,,,2,0,1,không",
    ]
    individual = [
        f"I1,2023,bằng khen,cá nhân,Người 1,{CODES['E1']},001099000001,,,,,0,2,0,không",
        f"I2,2023,bằng khen,cá nhân,Người 2,{CODES['E1']},001099000002,,,,,2,1,2,không",
        f"I3,2023,bằng khen,cá nhân,Người 3,{CODES['E1']},001099000003,,,,,2,1,1,không",
        f"I4,2023,bằng khen,cá nhân,Người 4,{CODES['E1']},001099000004,,,,,0,3,0,khiển trách",
        f"I5,2023,bằng khen,cá nhân,Người 5,{CODES['E6']},001099000005,,,,,0,3,0,không",
    ]
    small.write(root, "nominations/2023.csv", [head, *flag, *collective, *individual])


# criterion columns in order: reporting, budget, social insurance, compliance, growth, initiative
FLAG_EXPECTED = {
    "E1": ("111111", True, 1, True), "E2": ("111111", True, 2, False),
    "E3": ("011111", False, None, False), "E4": ("011111", False, None, False),
    "E5": ("101111", False, None, False), "E6": ("110111", False, None, False),
    "E7": ("111011", False, None, False), "E8": ("111011", False, None, False),
    "E9": ("111101", False, None, False), "E10": ("111110", False, None, False),
    "E11": ("111111", True, 1, True), "E12": ("111111", True, 1, True),
    "E13": ("111111", True, 3, False), "E14": ("110111", False, None, False),
}
CRITERIA = ("c_reporting", "c_budget", "c_social_insurance", "c_compliance", "c_growth", "c_initiative")


def _flag_rows(url: str) -> dict[str, dict]:
    names = {v: k for k, v in CODES.items()}
    return {names[r["tax_code"]]: r for r in query(url, f"SELECT * FROM {mart_sql(url, 'flag_eligibility')} WHERE year = 2023")}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def awards_warehouse(request, prefect_harness, tmp_path_factory):
    root = tmp_path_factory.mktemp("awards")
    build_landing(root / "landing")
    if request.param == "sqlite":
        url = f"sqlite:///{root / 'w.db'}"
        run_nightly(root / "landing", url)
        yield root, url
        return
    from conftest import _pg_database
    for url in _pg_database():
        run_nightly(root / "landing", url)
        yield root, url


def test_flag_criteria_rank_and_recommendation(awards_warehouse):
    rows = _flag_rows(awards_warehouse[1])
    assert set(rows) == set(CODES)
    for name, (criteria, eligible, rank, recommended) in FLAG_EXPECTED.items():
        row = rows[name]
        got = "".join(str(int(bool(row[c]))) for c in CRITERIA)
        assert (got, bool(row["eligible"]), row["cluster_rank"], bool(row["recommended"])) == \
            (criteria, eligible, rank, recommended), name
        assert (row["reasons"] is not None) or eligible, name


def test_flag_reasons_name_the_figures(awards_warehouse):
    rows = _flag_rows(awards_warehouse[1])
    assert "thiếu báo cáo tháng 3/2023" in rows["E3"]["reasons"]
    assert "3 báo cáo trễ hạn (tháng 1, 2, 3/2023)" in rows["E4"]["reasons"]
    assert "nộp ngân sách năm 2023 là 0" in rows["E5"]["reasons"]
    assert "còn nợ BHXH 5 triệu đồng tại kỳ 12/2023" in rows["E6"]["reasons"]
    assert ("chấp hành pháp luật: sự cố nghiêm trọng lĩnh vực lao động ngày 02/02/2023 (biên bản BB5); "
            "vi phạm nghiêm trọng lĩnh vực môi trường ngày 12/05/2023 (biên bản BB1)") in rows["E7"]["reasons"]
    assert "PCCC" in rows["E8"]["reasons"]
    assert "giảm 10,00%" in rows["E9"]["reasons"]
    assert "không có số liệu năm trước" in rows["E10"]["reasons"]       # a note on a passing criterion
    assert rows["E1"]["growth_pct"] == pytest.approx(10.0)
    assert rows["E13"]["cluster"] == "Cụm 3"                          # closed in July: as on the year's last day


def test_collective_and_individual_criteria(awards_warehouse):
    url = awards_warehouse[1]
    coll = {r["nomination_id"]: r for r in query(url, f"SELECT * FROM {mart_sql(url, 'merit_collective_eligibility')}")}
    fails = {"T1": None, "T2": "k_members_completed", "T3": "k_advanced_share", "T4": "k_cstdcs",
             "T5": "k_excellent_years", "T6": "k_discipline", "T7": "k_enterprise"}
    for nid, failing in fails.items():
        row = coll[nid]
        assert bool(row["eligible"]) == (failing is None), nid
        assert [c for c in fails.values() if c and row[c] is not None and not row[c]] == ([failing] if failing else []), nid
    d1 = coll["D1"]
    assert d1["k_members_completed"] is None and d1["k_cstdcs"] is None and d1["eligible"]
    ind = {r["nomination_id"]: r for r in query(url, f"SELECT * FROM {mart_sql(url, 'merit_individual_eligibility')}")}
    assert {k: bool(v["eligible"]) for k, v in ind.items()} == {"I1": True, "I2": True, "I3": False, "I4": False, "I5": False}
    assert not ind["I3"]["i_record"] and not ind["I4"]["i_discipline"] and not ind["I5"]["i_enterprise"]
    quota = {r["award"]: (r["required"], r["achieved"], r["shortfall"]) for r in
             query(url, f"SELECT * FROM {mart_sql(url, 'award_quota')} WHERE year = 2023")}
    assert quota == {"flag": (5, 3, 2), "merit_collective": (10, 2, 8), "merit_individual": (10, 2, 8)}


def test_a_correction_turns_a_failing_month_into_a_passing_one(awards_warehouse):
    root, url = awards_warehouse
    assert not _flag_rows(url)["E14"]["c_social_insurance"]
    small.monthly(root / "landing", "monthly_report/correction.csv",
                  [small.monthly_row(CODES["E14"], "2023-12", "1000", submitted="20/01/2024 08:00")])
    run_nightly(root / "landing", url)
    rows = _flag_rows(url)
    row = rows["E14"]
    assert row["c_social_insurance"] and row["eligible"] and row["cluster_rank"] == 3
    assert rows["E13"]["cluster_rank"] == 4          # E14 produced more in 2023 at the same growth


def test_council_report_has_a_sheet_per_award(awards_warehouse, tmp_path):
    from tasks.awards_report import write_awards_report

    out = write_awards_report(awards_warehouse[1], 2023, tmp_path / "awards.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["Cờ thi đua", "Bằng khen tập thể", "Bằng khen cá nhân", "Chỉ tiêu khen thưởng"]
    flag = list(book["Cờ thi đua"].iter_rows(min_row=4, values_only=True))
    assert len(flag) == len(CODES)
    e3 = next(r for r in flag if r[0] == CODES["E3"])
    assert e3[4] == "✗" and e3[5] == "✓" and "thiếu báo cáo" in e3[-1]
