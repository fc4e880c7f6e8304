"""rejections and warnings: rows (or whole files) the submitters should look at, with their file.

Both are a staging table joined with the file it came from, sorted by file and row.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
from sqlalchemy import select

from warehouse.marts.base import CODE, COUNT, STAMP, TEXT, Mart, cols

C_FILE = ("file", TEXT, "Đường dẫn tệp trong thư mục nhận (landing)")
C_SEEN = ("first_seen_at", STAMP, "Thời điểm tệp được nhận lần đầu (UTC)")


def build_from(staged: str, order: str, conn) -> pd.DataFrame:
    from warehouse.dialect import read_frame
    from warehouse.marts import MARTS
    from warehouse.schema import table

    dialect = conn.dialect.name
    found, files = table(dialect, "staging", staged), table(dialect, "ops", "files")
    statement = select(files.c.path.label("file"), found, files.c.first_seen_at) \
        .join_from(found, files, found.c.file_id == files.c.file_id)
    frame = read_frame(conn, statement)
    frame = frame.sort_values(["file", "row_number", order], na_position="first", kind="stable")
    return frame[MARTS[staged].column_names]


MART = Mart(
    "rejections",
    "Các dòng, tệp đang bị từ chối: tệp, dòng, cột, giá trị, mã lý do và hướng dẫn sửa",
    cols(C_FILE,
         ("row_number", COUNT, "Số dòng như người gửi thấy (dòng Excel; dòng CSV, tiêu đề = 1; vị trí trong JSON); "
                               "trống nếu cả tệp bị từ chối"),
         ("form", CODE, "Mẫu biểu"),
         ("reason_code", CODE, "Mã lý do từ chối"),
         ("column", TEXT, "Cột có lỗi"),
         ("value", TEXT, "Giá trị đã gửi (số CCCD không bao giờ hiển thị)"),
         ("message_vi", TEXT, "Lỗi và cách sửa"),
         C_SEEN),
    partial(build_from, "rejections", "column"), per_year=False,
)

WARNINGS = Mart(
    "warnings",
    "Cảnh báo (không từ chối): cột lạ, báo cáo trễ hạn, số liệu bất thường",
    cols(C_FILE,
         ("row_number", COUNT, "Số dòng như người gửi thấy"),
         ("form", CODE, "Mẫu biểu"),
         ("code", CODE, "Loại cảnh báo: unknown_column, late_report, outlier"),
         ("column", TEXT, "Cột liên quan"),
         ("value", TEXT, "Giá trị"),
         ("message_vi", TEXT, "Nội dung cảnh báo"),
         C_SEEN),
    partial(build_from, "warnings", "code"), per_year=False,
)
