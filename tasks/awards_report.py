"""The council's award report: one printable sheet per award, criteria as ✓/✗ with the reasons."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from warehouse.dialect import make_engine, read_table
from warehouse.schema import table

SHEETS = {
    "flag_eligibility": ("Cờ thi đua", {
        "tax_code": "Mã số thuế", "enterprise_name": "Doanh nghiệp", "zone_code": "KCN", "cluster": "Cụm thi đua",
        "c_reporting": "Báo cáo", "c_budget": "Ngân sách", "c_social_insurance": "BHXH",
        "c_compliance": "Chấp hành pháp luật", "c_growth": "Tăng trưởng", "c_initiative": "Sáng kiến",
        "growth_pct": "Tăng trưởng (%)", "eligible": "Đủ điều kiện", "cluster_rank": "Hạng trong cụm",
        "recommended": "Đề nghị", "reasons": "Lý do, ghi chú"}),
    "merit_collective_eligibility": ("Bằng khen tập thể", {
        "nomination_id": "Mã hồ sơ", "nominee_name": "Tập thể", "tax_code": "Mã số thuế DN",
        "k_excellent_years": "≥ 2 năm xuất sắc", "k_members_completed": "100% hoàn thành NV",
        "k_advanced_share": "≥ 70% LĐTT", "k_cstdcs": "Có CSTĐCS", "k_discipline": "Kỷ luật",
        "k_enterprise": "Doanh nghiệp", "eligible": "Đủ điều kiện", "reasons": "Lý do"}),
    "merit_individual_eligibility": ("Bằng khen cá nhân", {
        "nomination_id": "Mã hồ sơ", "nominee_name": "Họ và tên", "tax_code": "Mã số thuế DN",
        "i_record": "Thành tích", "i_discipline": "Kỷ luật", "i_enterprise": "Doanh nghiệp",
        "eligible": "Đủ điều kiện", "reasons": "Lý do"}),
    "award_quota": ("Chỉ tiêu khen thưởng", {
        "award": "Hình thức", "required": "Chỉ tiêu", "achieved": "Đạt", "shortfall": "Còn thiếu"}),
}
AWARD_NAMES = {"flag": "Cờ thi đua của UBND tỉnh", "merit_collective": "Bằng khen của Chủ tịch UBND tỉnh (tập thể)",
               "merit_individual": "Bằng khen của Chủ tịch UBND tỉnh (cá nhân)"}
MARK_COLUMNS = {"eligible", "recommended"}


def mark(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return "✓" if bool(value) else "✗"


def _cell(column: str, value):
    if column.startswith(("c_", "k_", "i_")) or column in MARK_COLUMNS:
        return mark(value)
    if column == "award":
        return AWARD_NAMES.get(value, value)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer() and column in ("cluster_rank", "required", "achieved", "shortfall"):
        return int(value)
    return value


def _sheet(book: Workbook, title: str, year: int, headers: dict[str, str], frame: pd.DataFrame) -> None:
    ws = book.create_sheet(title)
    ws.append([f"{title.upper()} — NĂM {year}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(list(headers.values()))
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in frame.itertuples(index=False):
        values = row._asdict()
        ws.append([_cell(c, values.get(c)) for c in headers])
    for i, column in enumerate(headers, 1):
        width = 60 if column == "reasons" else 34 if column in ("enterprise_name", "nominee_name", "award") else 14
        ws.column_dimensions[get_column_letter(i)].width = width
        if column == "reasons":
            for cell in ws[get_column_letter(i)][3:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A4"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:3"


def write_awards_report(warehouse_url: str, year: int, out: Path) -> Path:
    engine = make_engine(warehouse_url)
    book = Workbook()
    book.remove(book.active)
    try:
        with engine.connect() as conn:
            for mart, (title, headers) in SHEETS.items():
                tab = table(conn.dialect.name, "mart", mart)
                frame = read_table(conn, tab, tab.c.year == year)
                if "cluster_rank" in frame:
                    frame = frame.sort_values(["cluster", "cluster_rank", "tax_code"], na_position="last")
                _sheet(book, title, year, headers, frame)
    finally:
        engine.dispose()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
    return out
