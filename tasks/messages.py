"""Plain Vietnamese sentences for every reason code: what is wrong, how to fix it."""

from __future__ import annotations

from tasks.forms import FORMS

REASONS: dict[str, str] = {
    "missing_value": "Ô «{header}» đang để trống; hãy điền giá trị rồi gửi tệp bổ sung.",
    "must_be_blank": "Ô «{header}» phải để trống với đối tượng này (chỉ ghi cho {when}); hãy xóa giá trị.",
    "invalid_number": "«{value}» ở cột «{header}» không phải là số; hãy ghi số, ví dụ 1.234,5.",
    "invalid_integer": "«{value}» ở cột «{header}» không phải là số nguyên; hãy ghi số nguyên.",
    "invalid_date": "«{value}» ở cột «{header}» không phải ngày hợp lệ; hãy ghi dạng dd/mm/yyyy.",
    "invalid_datetime": "«{value}» ở cột «{header}» không phải thời điểm hợp lệ; hãy ghi dạng dd/mm/yyyy hh:mm.",
    "invalid_period": "«{value}» ở cột «{header}» không phải kỳ báo cáo hợp lệ; hãy ghi dạng mm/yyyy, ví dụ 01/2023.",
    "invalid_tax_code": "Mã số thuế «{value}» không hợp lệ (10 chữ số, hoặc 13 chữ số dạng XXXXXXXXXX-YYY, đúng chữ số kiểm tra); hãy kiểm tra lại.",
    "invalid_person_id": "Số CCCD ở cột «{header}» không hợp lệ; số CCCD gồm đúng 12 chữ số.",
    "invalid_choice": "«{value}» không phải giá trị cho phép của cột «{header}»; hãy chọn một trong: {choices}.",
    "negative_value": "«{value}» ở cột «{header}» là số âm; giá trị phải ≥ 0 (giảm vốn ghi số dương với hình thức «giảm vốn»).",
    "out_of_range": "«{value}» ở cột «{header}» nằm ngoài giới hạn cho phép; hãy kiểm tra lại.",
    "exceeds_limit": "«{header}» ({value}) lớn hơn «{limit}»; hãy kiểm tra lại hai số này.",
    "before_start": "«{header}» ({value}) sớm hơn «{limit}»; hãy kiểm tra lại ngày.",
    "future_period": "Kỳ báo cáo «{value}» ở sau tháng hiện tại; hãy kiểm tra lại tháng/năm.",
    "unknown_enterprise": "Mã số thuế {value} chưa có trong danh bạ doanh nghiệp; hãy bổ sung danh bạ, dòng này sẽ được xử lý lại ở lần chạy sau.",
    "unknown_zone": "KCN «{value}» không có trong danh mục KCN; hãy ghi mã KCN (ví dụ QC) hoặc tên KCN đúng. Dòng này sẽ được xử lý lại khi danh mục được bổ sung.",
    "award_not_allowed": "Cờ thi đua chỉ xét cho doanh nghiệp, không xét cho «{value}»; hãy đổi hình thức khen thưởng.",
    "conflicting_duplicate": "Trong cùng tệp có dòng khác cùng khóa ({key}) và cùng ngày gửi nhưng khác số liệu; hãy giữ một dòng đúng và gửi tệp mới.",
    "missing_column": "Tệp thiếu cột bắt buộc; hãy thêm cột rồi gửi lại tệp mới.",
    "unreadable_file": "Không đọc được tệp; hãy lưu lại tệp dạng CSV UTF-8, XLSX hoặc JSON.",
}

_LIMIT_LABELS = {"_zone_area": "diện tích KCN"}


def message(reason: str, form: str, column: str | None, value: str | None) -> str:
    spec = FORMS[form]
    col = spec.column(column) if column in spec.column_names else None
    limit = None
    if col is not None and (col.not_above or col.not_below):
        other = col.not_above or col.not_below
        limit = _LIMIT_LABELS.get(other) or spec.column(other).header_vi
    return REASONS[reason].format(
        header=col.header_vi if col else column,
        value=value if value is not None else "",
        choices=", ".join(col.choices) if col and col.choices else "",
        when=", ".join(col.when[1]) if col and col.when else "",
        limit=limit,
        key=", ".join(spec.key),
    )
