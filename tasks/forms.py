"""The eight submission forms of contract.md section 3, as data.

Everything that knows a form's columns (reader, coercion, GX suites, schema,
demo generator) reads it from here, so a column is declared once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. The coercion layer (tasks/coerce.py) turns text into each.
TEXT, MST, CHOICE, ZONE, MONTH, DATE, DATETIME, NUMBER, INTEGER, CCCD = (
    "text", "mst", "choice", "zone", "month", "date", "datetime", "number", "integer", "cccd",
)

# How a blank cell is treated.
REQUIRED = "required"        # blank -> missing_value
OPTIONAL = "optional"        # blank allowed, column may be absent
NULLABLE = "nullable"        # blank allowed, but the column must be there
ZERO = "zero"                # blank = 0
WHEN = "when"                # required when `when` holds (blank otherwise if blank_otherwise)


@dataclass(frozen=True)
class Column:
    name: str
    header_vi: str
    kind: str
    blank: str = REQUIRED
    choices: tuple[str, ...] = ()
    minimum: float | None = None          # inclusive lower bound
    exclusive_min: bool = False           # minimum is strict (> rather than >=)
    unit: str = ""
    when: tuple[str, tuple[str, ...]] | None = None  # (column, values) for blank == WHEN
    blank_otherwise: bool = False
    not_above: str | None = None          # this column <= that column
    not_below: str | None = None          # this column >= that column
    reference: str | None = None          # "roster" or "zone": retried when unknown

    @property
    def may_be_absent(self) -> bool:
        return self.blank in (OPTIONAL, ZERO, WHEN)


@dataclass(frozen=True)
class Form:
    name: str
    title_vi: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    period_column: str | None = None      # month or date that places a row in time
    extra: dict = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if not c.may_be_absent]


SUBMITTED_AT = Column("submitted_at", "Ngày gửi", DATETIME, OPTIONAL)


def _nonneg(name, header, unit="", kind=NUMBER, **kw) -> Column:
    return Column(name, header, kind, minimum=0, unit=unit, **kw)


def _form(name, title, key, *columns, period_column=None) -> Form:
    return Form(name, title, key, (*columns, SUBMITTED_AT), period_column)


DISCIPLINE = ("không", "khiển trách", "cảnh cáo", "hạ bậc lương", "cách chức", "buộc thôi việc")

FORMS: dict[str, Form] = {f.name: f for f in (
    _form(
        "zone_events", "Quyết định về KCN", ("zone_code", "decision_date"),
        Column("zone_code", "Mã KCN", TEXT),
        Column("zone_name", "Tên KCN", TEXT),
        Column("event", "Nội dung", CHOICE, choices=("thành lập mới", "mở rộng", "điều chỉnh")),
        Column("area_ha", "Diện tích", NUMBER, minimum=0, exclusive_min=True, unit="ha"),
        Column("province", "Tỉnh", TEXT, NULLABLE),
        Column("decision_date", "Ngày quyết định", DATE),
        period_column="decision_date",
    ),
    _form(
        "enterprises", "Danh bạ doanh nghiệp", ("tax_code", "valid_from"),
        Column("tax_code", "Mã số thuế", MST),
        Column("name", "Tên doanh nghiệp", TEXT),
        Column("zone_code", "Mã KCN", ZONE, reference="zone"),
        Column("cluster", "Cụm thi đua", TEXT),
        Column("ownership", "Loại hình", CHOICE, choices=("FDI", "trong nước")),
        Column("country", "Quốc gia", TEXT, NULLABLE),
        Column("status", "Trạng thái", CHOICE, choices=("hoạt động", "tạm dừng", "giải thể")),
        Column("valid_from", "Hiệu lực từ", DATE),
        period_column="valid_from",
    ),
    _form(
        "monthly_report", "Báo cáo sản xuất kinh doanh tháng", ("tax_code", "period"),
        Column("tax_code", "Mã số thuế", MST, reference="roster"),
        Column("period", "Kỳ báo cáo", MONTH),
        _nonneg("production_value", "Giá trị sản xuất công nghiệp", "triệu đồng"),
        _nonneg("revenue", "Doanh thu", "triệu đồng"),
        _nonneg("export_value", "Kim ngạch xuất khẩu", "nghìn USD"),
        _nonneg("import_value", "Kim ngạch nhập khẩu", "nghìn USD"),
        _nonneg("workers_total", "Tổng số lao động", "người", INTEGER),
        _nonneg("workers_hired", "Lao động tuyển mới", "người", INTEGER, not_above="workers_total"),
        _nonneg("workers_left", "Lao động nghỉ việc", "người", INTEGER),
        _nonneg("budget_paid", "Nộp ngân sách", "triệu đồng"),
        _nonneg("si_arrears", "Nợ bảo hiểm xã hội", "triệu đồng"),
        period_column="period",
    ),
    _form(
        "investment", "Cấp mới, điều chỉnh dự án đầu tư", ("project_code", "decision_date"),
        Column("project_code", "Mã số dự án", TEXT),
        Column("project_name", "Tên dự án", TEXT, NULLABLE),
        Column("investor_tax_code", "Mã số thuế nhà đầu tư", MST, OPTIONAL),
        Column("zone_code", "Mã KCN", ZONE, reference="zone"),
        Column("action", "Hình thức", CHOICE, choices=("cấp mới", "tăng vốn", "giảm vốn", "chấm dứt")),
        _nonneg("capital_change", "Vốn đầu tư tăng/giảm", "USD"),
        Column("decision_date", "Ngày cấp", DATE),
        period_column="decision_date",
    ),
    _form(
        "land_clearance", "Giải phóng mặt bằng", ("zone_code", "developer", "period"),
        Column("zone_code", "Mã KCN", ZONE, reference="zone"),
        Column("developer", "Chủ đầu tư hạ tầng", TEXT),
        Column("period", "Kỳ báo cáo", MONTH),
        _nonneg("cleared_ha", "Diện tích đất sạch tăng thêm", "ha", not_above="_zone_area"),
        period_column="period",
    ),
    _form(
        "admin_procedures", "Hồ sơ thủ tục hành chính", ("dossier_id",),
        Column("dossier_id", "Mã hồ sơ", TEXT),
        Column("procedure", "Tên thủ tục", TEXT, NULLABLE),
        Column("tax_code", "Mã số thuế", TEXT, OPTIONAL),
        Column("received_on", "Ngày tiếp nhận", DATE),
        Column("due_on", "Ngày hẹn trả", DATE, not_below="received_on"),
        Column("resolved_on", "Ngày trả kết quả", DATE, OPTIONAL, not_below="received_on"),
        period_column="due_on",
    ),
    _form(
        "compliance", "Kiểm tra, vi phạm", ("record_id",),
        Column("record_id", "Số biên bản", TEXT),
        Column("tax_code", "Mã số thuế", MST, reference="roster"),
        Column("event_date", "Ngày", DATE),
        Column("domain", "Lĩnh vực", CHOICE, choices=("PCCC", "môi trường", "lao động", "ANTT", "ATGT", "BHXH")),
        Column("event_type", "Loại", CHOICE, choices=("kiểm tra", "vi phạm", "sự cố")),
        Column("severity", "Mức độ", CHOICE, WHEN, choices=("nhẹ", "nghiêm trọng"),
               when=("event_type", ("vi phạm", "sự cố"))),
        Column("fine", "Tiền phạt", NUMBER, ZERO, minimum=0, unit="đồng"),
        period_column="event_date",
    ),
    _form(
        "nominations", "Đề nghị khen thưởng", ("nomination_id",),
        Column("nomination_id", "Mã hồ sơ", TEXT),
        Column("year", "Năm", INTEGER),
        Column("award", "Hình thức khen thưởng", CHOICE, choices=("cờ thi đua", "bằng khen")),
        Column("nominee_type", "Đối tượng", CHOICE, choices=("doanh nghiệp", "tập thể", "cá nhân")),
        Column("nominee_name", "Tên tập thể/cá nhân", TEXT),
        Column("tax_code", "Mã số thuế", MST, reference="roster"),
        Column("person_id", "Số CCCD", CCCD, WHEN, when=("nominee_type", ("cá nhân",)), blank_otherwise=True),
        Column("members_total", "Tổng số thành viên", INTEGER, WHEN, minimum=1, when=("nominee_type", ("tập thể",)), blank_otherwise=True),
        Column("members_completed", "Số hoàn thành nhiệm vụ", INTEGER, WHEN, minimum=0,
               when=("nominee_type", ("tập thể",)), blank_otherwise=True, not_above="members_total"),
        Column("members_advanced", "Số đạt Lao động tiên tiến", INTEGER, WHEN, minimum=0,
               when=("nominee_type", ("tập thể",)), blank_otherwise=True, not_above="members_total"),
        Column("members_cstdcs", "Số đạt Chiến sĩ thi đua cơ sở", INTEGER, WHEN, minimum=0,
               when=("nominee_type", ("tập thể",)), blank_otherwise=True, not_above="members_advanced"),
        _nonneg("excellent_years", "Số năm liên tục hoàn thành xuất sắc nhiệm vụ", kind=INTEGER),
        _nonneg("cstdcs_years", "Số năm liên tục đạt CSTĐCS", kind=INTEGER),
        _nonneg("initiatives", "Số sáng kiến được công nhận", kind=INTEGER),
        Column("discipline", "Kỷ luật", CHOICE, choices=DISCIPLINE),
        period_column="year",
    ),
)}

# contract.md section 2: zone_events first, then enterprises, then the others.
FORM_ORDER: tuple[str, ...] = (
    "zone_events", "enterprises", "monthly_report", "investment",
    "land_clearance", "admin_procedures", "compliance", "nominations",
)
