"""rejections: every row or file rejected now, with what to fix."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from warehouse.marts.base import CODE, COUNT, STAMP, TEXT, Mart, cols


def _join_files(conn, layer_table: str) -> pd.DataFrame:
    from warehouse.dialect import read_frame
    from warehouse.schema import table

    dialect = conn.dialect.name
    found, files = table(dialect, "staging", layer_table), table(dialect, "ops", "files")
    statement = select(files.c.path.label("file"), found, files.c.first_seen_at) \
        .join_from(found, files, found.c.file_id == files.c.file_id)
    return read_frame(conn, statement)


def build(conn) -> pd.DataFrame:
    frame = _join_files(conn, "rejections")
    frame = frame.sort_values(["file", "row_number", "column"], na_position="first", kind="stable")
    return frame[MART.column_names]


MART = Mart(
    "rejections",
    "Các dòng, tệp đang bị từ chối: tệp, dòng, cột, giá trị, mã lý do và hướng dẫn sửa",
    cols(("file", TEXT, "Đường dẫn tệp trong thư mục nhận (landing)"),
         ("row_number", COUNT, "Số dòng như người gửi thấy (dòng Excel; dòng CSV, tiêu đề = 1; vị trí trong JSON); trống nếu cả tệp bị từ chối"),
         ("form", CODE, "Mẫu biểu"),
         ("reason_code", CODE, "Mã lý do từ chối"),
         ("column", TEXT, "Cột có lỗi"),
         ("value", TEXT, "Giá trị đã gửi (số CCCD không bao giờ hiển thị)"),
         ("message_vi", TEXT, "Lỗi và cách sửa"),
         ("first_seen_at", STAMP, "Thời điểm tệp được nhận lần đầu (UTC)")),
    build, per_year=False,
)
