import json
import os

import pandas as pd
import pytest
from openpyxl import Workbook

from tasks.demo import to_cp1258
from tasks.ingest import FileRejected, read_submission

os.environ.setdefault("THIDUA_PII_KEY", "test-pii-key")
ROSTER_VI = "Mã số thuế;Tên doanh nghiệp;Mã KCN;Cụm thi đua;Loại hình;Quốc gia;Trạng thái;Hiệu lực từ"


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_csv_with_bom_semicolons_and_vietnamese_headers(tmp_path):
    text = ROSTER_VI + "\n2300325764;Công ty A;QC;Cụm 1;FDI;Hàn Quốc;hoạt động;1/1/2020\n\n"
    path = _write(tmp_path / "a.csv", b"\xef\xbb\xbf" + text.encode())
    rows = read_submission(path, "enterprises", "enterprises/a.csv").rows
    assert list(rows["tax_code"]) == ["2300325764"] and list(rows["_row_number"]) == [2]


def test_cp1258_legacy_encoding(tmp_path):
    text = ROSTER_VI + "\n2300325764;Công ty Đức Việt;QC;Cụm 1;FDI;;hoạt động;1/1/2020\n"
    rows = read_submission(_write(tmp_path / "b.csv", to_cp1258(text)), "enterprises", "b.csv").rows
    import unicodedata
    assert unicodedata.normalize("NFC", rows["name"][0]) == "Công ty Đức Việt"


def test_csv_line_numbers_count_blank_and_multiline_rows(tmp_path):
    text = 'tax_code,name,zone_code,cluster,ownership,country,status,valid_from\n\n2300325764,"Công ty\nA",QC,C,FDI,,hoạt động,1/1/2020\n2300325764,B,QC,C,FDI,,hoạt động,1/1/2021\n'
    rows = read_submission(_write(tmp_path / "c.csv", text.encode()), "enterprises", "c.csv").rows
    assert list(rows["_row_number"]) == [3, 5]


def test_xlsx_title_rows_stt_and_unit_suffix(tmp_path):
    book = Workbook()
    ws = book.active
    ws.title = "Sheet1"
    ws.append(["BÁO CÁO THÁNG"])
    ws.append([])
    ws.append(["STT", "Mã số thuế", "Kỳ báo cáo", "Giá trị sản xuất công nghiệp (triệu đồng)", "Doanh thu",
               "Kim ngạch xuất khẩu (nghìn USD)", "Kim ngạch nhập khẩu", "Tổng số lao động", "Lao động tuyển mới",
               "Lao động nghỉ việc", "Nộp ngân sách", "Nợ bảo hiểm xã hội", "Ghi chú"])
    ws.append([1, "2300325764", "01/2023", 1.234, 2, 3, 4, 100, 5, 1, 0.5, 0, "x"])
    book.save(tmp_path / "m.xlsx")
    sub = read_submission(tmp_path / "m.xlsx", "monthly_report", "m.xlsx")
    assert sub.rows["_row_number"].tolist() == [4]
    assert sub.rows["production_value"][0] == "1,234"          # a native 1.234 stays one point two three four
    assert [w["column"] for w in sub.warnings] == ["Ghi chú"]


def test_json_both_shapes(tmp_path):
    row = {"zone_code": "QC", "developer": "X", "period": "01/2023", "cleared_ha": 1.5}
    for name, doc in (("l.json", [row, row]), ("r.json", {"rows": [row]})):
        sub = read_submission(_write(tmp_path / name, json.dumps(doc).encode()), "land_clearance", name)
        assert sub.rows["cleared_ha"][0] == "1,5"
        assert sub.rows["_row_number"][0] == 1


def test_missing_column_rejects_the_file_and_names_the_column(tmp_path):
    path = _write(tmp_path / "d.csv", b"zone_code,developer,period\nQC,X,01/2023\n")
    with pytest.raises(FileRejected) as err:
        read_submission(path, "land_clearance", "d.csv")
    assert err.value.code == "missing_column" and "cleared_ha" in err.value.message_vi


def test_unreadable_file(tmp_path):
    with pytest.raises(FileRejected) as err:
        read_submission(_write(tmp_path / "e.xlsx", b"PK\x03\x04garbage"), "land_clearance", "e.xlsx")
    assert err.value.code == "unreadable_file"
    with pytest.raises(FileRejected):
        read_submission(_write(tmp_path / "f.json", b"{not json"), "land_clearance", "f.json")


def test_citizen_id_is_hashed_at_ingest(tmp_path):
    row = {"nomination_id": "N1", "year": 2023, "award": "bằng khen", "nominee_type": "cá nhân",
           "nominee_name": "A", "tax_code": "2300325764", "person_id": "0010 9900 0123", "excellent_years": 2,
           "cstdcs_years": 2, "initiatives": 0, "discipline": "không"}
    sub = read_submission(_write(tmp_path / "n.json", json.dumps([row]).encode()), "nominations", "n.json")
    value = sub.rows["person_id"][0]
    assert value.startswith("#") and "001099000123" not in value


PLAIN_CSV = ('STT,Mã số thuế,Tên doanh nghiệp,Mã KCN,Cụm thi đua,Loại hình,Quốc gia,Trạng thái,Hiệu lực từ,Ghi chú\r\n'
             '1,2300325764,"Công ty ""A"", chi nhánh",QC,Cụm 1,FDI,  ,hoạt động,1/1/2020,x\r\n'
             '2,,,,,,,,,\r\n'
             '2,,,,,,\t,,,\r\n'
             '3,0101245486, B ,ĐT,Cụm 2,trong nước,\u00a0\u3000,hoạt động,01/01/2021,\r\n')   # only Unicode spaces: blank


def test_arrow_reader_reads_plain_csv_as_the_careful_reader_does():
    from tasks.forms import FORMS
    from tasks.ingest import _table, fast_csv, read_csv_rows

    data = PLAIN_CSV.encode()
    fast = fast_csv(FORMS["enterprises"], data, "e.csv")
    careful = _table(FORMS["enterprises"], read_csv_rows(data), "e.csv")
    assert fast is not None
    # the same values and the same types (Arrow text, blanks missing): a batch mixing readers
    # concatenates as Arrow text instead of turning into Python objects
    pd.testing.assert_frame_equal(fast.rows.reset_index(drop=True), careful.rows.reset_index(drop=True))
    assert list(fast.rows["_row_number"]) == [2, 5] and fast.rows["country"].isna().all()
    assert fast.rows["name"].tolist() == ['Công ty "A", chi nhánh', " B "]
    assert fast.warnings == careful.warnings and [w["column"] for w in fast.warnings] == ["Ghi chú"]


@pytest.mark.parametrize("change", [
    lambda t: t.replace("\r\n2,", "\r\n\r\n2,"),                       # a blank line
    lambda t: t.replace('chi nhánh"', 'chi\nnhánh"'),                  # a line break inside quotes
    lambda t: t.replace(",x\r\n", ",x,extra\r\n"),                     # a ragged row
    lambda t: "Danh sách doanh nghiệp\r\n" + t,                        # a title row above the header
])
def test_arrow_reader_leaves_other_files_to_the_careful_reader(change):
    from tasks.forms import FORMS
    from tasks.ingest import fast_csv

    assert fast_csv(FORMS["enterprises"], change(PLAIN_CSV).encode(), "e.csv") is None


def test_spreadsheet_rows_are_read_cell_by_cell_as_cell_text_gives_them():
    """Text columns take the list-speed path, others cell_text; blank rows (blank text, None, short
    rows) leave, row numbers stay; against a plain loop over the same cells."""
    import datetime
    import random

    from tasks.forms import FORMS
    from tasks.ingest import _table, cell_text

    rng = random.Random(4)
    header = ["Mã số thuế", "Tên doanh nghiệp", "Mã KCN", "Cụm thi đua", "Loại hình", "Quốc gia", "Trạng thái",
              "Hiệu lực từ"]
    kinds = [lambda: rng.choice(["0100109106", 100109106.0, 2300325764, None]), lambda: rng.choice(["A", " B ", "", "  "]),
             lambda: rng.choice(["QC", None]), lambda: "c1", lambda: rng.choice(["FDI", 1.5, True]),
             lambda: rng.choice([None, "Nhật", " "]), lambda: "hoạt động",
             lambda: rng.choice([datetime.date(2022, 1, 2), datetime.datetime(2022, 1, 2, 7, 30), "02/01/2022"])]
    body = [(n, [make() for make in kinds][:rng.choice([8, 8, 8, 3])]) for n in range(2, 300)]
    body += [(300, ["", " ", None]), (301, [])]
    got = _table(FORMS["enterprises"], [(1, header), *body], "x.xlsx").text.to_pylist()
    names = ["tax_code", "name", "zone_code", "cluster", "ownership", "country", "status", "valid_from"]
    expected = []
    for number, cells in body:
        values = {name: cell_text(cells[i]) if i < len(cells) else None for i, name in enumerate(names)}
        if any(v is not None for v in values.values()):
            expected.append({**values, "submitted_at": None, "_row_number": number})
    assert got == expected
