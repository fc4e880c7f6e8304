"""rejections and warnings: rows (or whole files) the submitters should look at, with their file.

Both are a staging table joined with the file it came from, in order of file and row.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy import Select, select

from warehouse.marts.base import CODE, COUNT, STAMP, TEXT, Mart, cols

C_FILE = ("file", TEXT, "Đường dẫn tệp trong thư mục nhận (landing)")
C_SEEN = ("first_seen_at", STAMP, "Thời điểm tệp được nhận lần đầu (UTC)")


def build_from(staged: str, order: str, conn) -> Select:
    """The SELECT that fills the mart inside the warehouse (INSERT ... SELECT: no rows through Python)."""
    from warehouse.marts import MARTS
    from warehouse.schema import table

    dialect = conn.dialect.name
    found, files = table(dialect, "staging", staged), table(dialect, "ops", "files")
    columns = {"file": files.c.path.label("file"), "first_seen_at": files.c.first_seen_at}
    statement = select(*(columns.get(c, found.c.get(c)) for c in MARTS[staged].column_names)) \
        .join_from(found, files, found.c.file_id == files.c.file_id)
    return statement.order_by(files.c.path, found.c.row_number.nulls_first(), found.c[order].nulls_first())


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

FINDINGS = (MART, WARNINGS)     # the marts of staged rows by landing file
