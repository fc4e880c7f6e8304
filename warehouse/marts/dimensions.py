"""zones and enterprises: the dimensions with their history, for BI joins and as-of questions
(built from the roster and zone versions the refresh has in hand: transform.roster_versions, zone_versions)."""

from __future__ import annotations

import pandas as pd

from sqlalchemy import Date

from warehouse.marts.base import CODE, TEXT, VALUE, Mart, cols

ROSTER_DIMENSION = "enterprises"        # built from the staged roster alone
DAY = Date()
C_FROM = ("valid_from", DAY, "Hiệu lực từ ngày")
C_TO = ("valid_to", DAY, "Hiệu lực đến ngày (2999-12-31: đang hiệu lực)")


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("valid_from", "valid_to"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def build_zones(conn, roster: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    return _dates(zones)[ZONES.column_names]


def build_enterprises(conn, roster: pd.DataFrame, zones: pd.DataFrame) -> pd.DataFrame:
    frame = roster.rename(columns={"name": "enterprise_name"})
    return _dates(frame)[ENTERPRISES.column_names] if not frame.empty else pd.DataFrame(columns=ENTERPRISES.column_names)


ZONES = Mart(
    "zones",
    "Danh mục KCN theo thời gian: tên, diện tích, tỉnh (Bắc Giang đến 30/6/2025, Bắc Ninh từ 1/7/2025)",
    cols(("zone_code", CODE, "Mã KCN"), ("zone_name", TEXT, "Tên KCN"), ("area_ha", VALUE, "Diện tích (ha)"),
         ("province", TEXT, "Tỉnh"), C_FROM, C_TO),
    build_zones, per_year=False,
)

ENTERPRISES = Mart(
    "enterprises",
    "Danh bạ doanh nghiệp theo thời gian (mỗi phiên bản một dòng)",
    cols(("tax_code", CODE, "Mã số thuế"), ("enterprise_name", TEXT, "Tên doanh nghiệp"), ("zone_code", CODE, "Mã KCN"),
         ("cluster", TEXT, "Cụm thi đua"), ("ownership", CODE, "Loại hình: FDI / trong nước"),
         ("country", TEXT, "Quốc gia"), ("status", CODE, "Trạng thái"), C_FROM, C_TO),
    build_enterprises, per_year=False,
)
