"""warnings: what was accepted but deserves a look (unknown columns, late reports, outliers)."""

from __future__ import annotations

import pandas as pd

from warehouse.marts.base import CODE, COUNT, STAMP, TEXT, Mart, cols
from warehouse.marts.rejections import _join_files


def build(conn) -> pd.DataFrame:
    frame = _join_files(conn, "warnings")
    frame = frame.sort_values(["file", "row_number", "code"], na_position="first", kind="stable")
    return frame[MART.column_names]


MART = Mart(
    "warnings",
    "Cảnh báo (không từ chối): cột lạ, báo cáo trễ hạn, số liệu bất thường",
    cols(("file", TEXT, "Đường dẫn tệp trong thư mục nhận"),
         ("row_number", COUNT, "Số dòng như người gửi thấy"),
         ("form", CODE, "Mẫu biểu"),
         ("code", CODE, "Loại cảnh báo: unknown_column, late_report, outlier"),
         ("column", TEXT, "Cột liên quan"),
         ("value", TEXT, "Giá trị"),
         ("message_vi", TEXT, "Nội dung cảnh báo"),
         ("first_seen_at", STAMP, "Thời điểm tệp được nhận lần đầu (UTC)")),
    build, per_year=False,
)
