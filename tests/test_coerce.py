import math
import random
import re
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from tasks import coerce


@pytest.mark.parametrize("text,value", [
    ("1.234", 1234.0), ("12.345.678", 12345678.0), ("1,0", 1.0), ("1.234,5", 1234.5), ("1,234.5", 1234.5),
    ("1.5", 1.5), ("1.23", 1.23), ("1.2345", 1.2345), ("323.000", 323000.0), (" 1 234,5 ", 1234.5),
    ("-3,25", -3.25), ("0", 0.0), ("123.4560", 123.456),
])
def test_number_rules_of_the_contract(text, value):
    out, bad = coerce.number(pd.Series([text]))
    assert not bad[0] and out[0] == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("text", ["12a,5", "1,2,3", "abc", "--1", "1.2.3,4,5"])
def test_bad_numbers_are_flagged(text):
    out, bad = coerce.number(pd.Series([text]))
    assert bad[0] and pd.isna(out[0])


def test_blank_is_not_a_bad_number():
    out, bad = coerce.number(pd.Series([None]))
    assert not bad[0] and pd.isna(out[0])


@pytest.mark.parametrize("text", ["2023-01", "01/2023", "1/2023", "T1/2023", "Tháng 1/2023", "tháng 01 năm 2023",
                                  "THÁNG 1/2023", "t01/2023", "2023-01-01"])
def test_every_period_spelling(text):
    out, bad = coerce.month(pd.Series([text]))
    assert not bad[0] and out[0] == "2023-01"


@pytest.mark.parametrize("text", ["13/2023", "2023-13", "Q1/2023", "2023"])
def test_bad_periods(text):
    assert coerce.month(pd.Series([text]))[1][0]


@pytest.mark.parametrize("text,day", [("1/5/2023", "2023-05-01"), ("01/05/2023", "2023-05-01"),
                                      ("2023-05-01", "2023-05-01"), ("2023-05-01 00:00:00", "2023-05-01")])
def test_dates(text, day):
    out, bad = coerce.date_(pd.Series([text]))
    assert not bad[0] and str(out[0]) == day


def test_impossible_date_is_flagged():
    assert coerce.date_(pd.Series(["31/02/2023"]))[1][0]


@pytest.mark.parametrize("text,utc", [
    ("05/02/2023 09:30", "2023-02-05 02:30:00"),          # local Asia/Ho_Chi_Minh
    ("5/2/2023 09:30:15", "2023-02-05 02:30:15"),
    ("2023-02-05T09:30:00+07:00", "2023-02-05 02:30:00"),
    ("2023-02-05T02:30:00Z", "2023-02-05 02:30:00"),
    ("2023-02-05 09:30:00", "2023-02-05 02:30:00"),
])
def test_datetimes_become_utc(text, utc):
    out, bad = coerce.datetime_(pd.Series([text]))
    assert not bad[0] and str(out[0]) == utc


def test_a_column_of_mixed_spellings_is_read_cell_by_cell_whatever_its_index():
    """Each spelling parsed as it is on its own, in a column that mixes them, on a row index that
    is not 0..n-1 (the column-wise passes must not mix up cells)."""
    spellings = ["05/02/2023 09:30", "2023-02-05T09:30:00+07:00", "không rõ", None, "2023-02-05 09:30:00",
                 "31/02/2023 10:00", "2023-02-05T02:30:00Z", "5/2/2023", "2023-02-30", "1/12/2023T08:05"]
    alone = [coerce.datetime_(pd.Series([s], dtype=object)) for s in spellings]
    column = pd.Series(spellings * 3, index=range(100, 130), dtype=object)
    out, bad = coerce.datetime_(column)
    assert list(out.index) == list(column.index)
    for i, (one, one_bad) in enumerate(alone * 3):
        assert (pd.isna(out.iloc[i]) and pd.isna(one[0])) or out.iloc[i] == one[0], spellings[i % 10]
        assert bad.iloc[i] == one_bad[0], spellings[i % 10]


def test_report_deadline_is_the_tenth_of_next_month_local():
    assert str(coerce.local_deadline("2023-12")) == "2024-01-10 16:59:59"


@pytest.mark.parametrize("text,code", [("2300325764", "2300325764"), ("0100109106-001", "0100109106-001"),
                                       ("0100109106001", "0100109106-001"), ("100109106", "0100109106")])
def test_valid_tax_codes(text, code):
    out, bad = coerce.tax_code(pd.Series([text]))
    assert not bad[0] and out[0] == code


@pytest.mark.parametrize("text", ["2300325765", "0100109106-000", "12345", "0000000000"])
def test_invalid_tax_codes(text):
    assert coerce.tax_code(pd.Series([text]))[1][0]


def test_nfd_and_case_fold_to_the_canonical_choice():
    nfd = unicodedata.normalize("NFD", "Hoạt Động")
    out, _ = coerce.choice(pd.Series([nfd, "FDI", "fdi", "lạ"]), ("hoạt động", "FDI"))
    assert list(out) == ["hoạt động", "FDI", "FDI", "lạ"]


def test_zone_by_code_or_name():
    names = {"quang châu": "QC"}
    out, _ = coerce.zone(pd.Series(["qc", "KCN Quang Châu", unicodedata.normalize("NFD", "Quang Châu")]), names)
    assert list(out) == ["QC", "QC", "QC"]


@pytest.mark.parametrize("dtype", [object, "str"])
def test_tax_codes_column_wise_agree_with_stdnum_one_by_one(dtype):
    """The ten-digit fast path against _to_mst (stdnum's mst.validate) on valid, mistyped and
    oddly written codes, blanks and branches."""
    import random

    rng = random.Random(11)
    texts = []
    for _ in range(3000):
        body = "".join(rng.choice("0123456789") for _ in range(9))
        total = sum(w * int(d) for w, d in zip((31, 29, 23, 19, 17, 13, 7, 5, 3), body))
        check = 10 - total % 11
        texts.append(body + (str(check) if check < 10 and rng.random() < 0.7 else str(rng.randrange(10))))
    texts += ["0100233488", "0100000003", "0300000000", "0100233480", " 0100233488", "100233488", "0314409058-002",
              "0314409058002", "01.00.233.488", "01002334８8", "abcdefghij", "", None, "0100233488-000"]
    values = pd.Series(texts, dtype=dtype)
    out, bad = coerce.tax_code(values.iloc[1:])          # a slice: its strings start inside the buffers
    expected, expected_bad = coerce._by_value(values.iloc[1:].astype(object), coerce._to_mst)
    assert out.tolist() == expected.tolist() and bad.tolist() == expected_bad.tolist()
    assert 0 < int(bad.sum()) < len(texts) - 100            # both kinds are there


def _contract_number(text):
    """The contract's number rule for one cell, written out plainly: (value, unreadable)."""
    if text is None:
        return None, False
    t = re.sub(r"[\t\n\f\r \xa0]", "", text)
    if "," in t and ("." not in t or t.rfind(",") > t.rfind(".")):      # the comma is the decimal mark
        plain = t.replace(".", "").replace(",", ".") if t.count(",") == 1 else "bad"
    elif "," in t:                                                      # a dot after the last comma
        plain = t.replace(",", "")
    elif re.fullmatch(r"[+-]?[0-9]{1,3}(\.[0-9]{3})+", t):               # only dots, in groups of three
        plain = t.replace(".", "")
    else:
        plain = t
    if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?", plain):
        return None, True
    value = float(plain)
    return (value, False) if math.isfinite(value) else (None, True)


def _agree_with_the_rule(cells: list, out: pd.Series, bad: pd.Series) -> None:
    for cell, got, is_bad in zip(cells, out, bad):
        value, unreadable = _contract_number(cell)
        assert (got if got == got else None, bool(is_bad)) == (value, unreadable), repr(cell)


@pytest.mark.parametrize("dtype", [object, "str"])      # "str": Arrow-backed, as ingest gives it
@pytest.mark.parametrize("alphabet", ["0123456789.,", "0123456789.,+- e\xa0\tà", "0123456789", "0123456789 -"])
def test_numbers_column_wise_agree_with_the_rule_cell_by_cell(alphabet, dtype):
    rng = random.Random(alphabet)
    cells = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(20_000)]
    cells += ["1.234.567", "12,345.6", "1.234,5", "1 234,5", "1\xa0234", "+.5", "1.", "1e400", None, "", "1,2,3"]
    cells = [c if c is not None and c.strip() else None for c in cells]      # blank cells arrive as None
    _agree_with_the_rule(cells, *coerce.number(pd.Series(cells, dtype=dtype)))


@pytest.mark.parametrize("sliced,alphabet", [("pandas", "0123456789.,-"), ("arrow", "0123456789.,-"),
                                              ("arrow", "0123456789-+e")])
def test_numbers_of_a_slice_agree_with_the_rule(sliced, alphabet):
    """A slice of an Arrow-backed column: its strings start inside the buffers (no blank spaces, which
    would have the column rewritten first). Sliced by pandas, the offsets start past 0; sliced by
    Arrow, so does the array (its offsets and validity are read from its offset), with marks or
    without (cells Arrow's parser refuses then have their bytes found from the slice's offset)."""
    rng = random.Random(7)
    cells = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) or None for _ in range(5_000)]
    if sliced == "pandas":
        column = pd.Series(cells, dtype="str").iloc[3:]
    else:
        column = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.array(cells, pa.string()).slice(3)])))
    _agree_with_the_rule(cells[3:], *coerce.number(column))


def test_numbers_of_a_slice_whose_marks_are_all_outside_it():
    out, bad = coerce.number(pd.Series(["1,5", "2.000", "3", None, "40"], dtype="str").iloc[2:])
    assert out.tolist()[0] == 3.0 and pd.isna(out.tolist()[1]) and out.tolist()[2] == 40.0 and not bad.any()


_DMY_CELL = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?")
_ISO_CELL = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?"
                       r"(Z|[+-][0-9]{2}:?[0-9]{2})?")


def _contract_datetime(text):
    """One cell as the contract reads a date-time, written out plainly: (naive UTC, unreadable).
    Spellings that are neither d/m/yyyy[ h:mm[:ss]] nor ISO 8601 go to the one-by-one reader."""
    from datetime import datetime, timedelta, timezone

    if text is None:
        return None, False
    cell = text.strip()
    dmy, iso = _DMY_CELL.fullmatch(cell), _ISO_CELL.fullmatch(cell)
    if not dmy and not (iso and (iso[4] or not iso[8])):     # an offset needs a time
        try:
            return coerce._to_datetime(cell), False
        except ValueError:
            return None, True
    if dmy:
        d, mo, y, h, mi, s, fraction, zone = *dmy.groups(), None, None
    else:
        y, mo, d, h, mi, s, fraction, zone = iso.groups()
    try:
        stamp = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                         int((fraction or "0").ljust(6, "0")))
    except ValueError:
        return None, True
    if zone is None:
        stamp = stamp.replace(tzinfo=coerce.LOCAL_TZ)
    elif zone == "Z":
        stamp = stamp.replace(tzinfo=timezone.utc)
    else:
        minutes = int(zone[1:3]) * 60 + int(zone[-2:])
        stamp = stamp.replace(tzinfo=timezone(timedelta(minutes=minutes if zone[0] == "+" else -minutes)))
    return stamp.astimezone(timezone.utc).replace(tzinfo=None), False


def _datetime_cells(rng: random.Random, count: int) -> list:
    """Date-times as submitters write them (padded or not, with or without seconds, local or with an
    offset), some with out-of-range parts, some with a character changed, dropped or added."""
    cells = []
    for _ in range(count):
        y, mo, d = rng.choice([2023, 2024, 999]), rng.randint(0, 13), rng.randint(0, 32)
        h, mi, s = rng.choice([rng.randint(0, 23)] * 8 + [24, 99]), rng.choice([rng.randint(0, 59)] * 8 + [60, 75]), \
            rng.choice([rng.randint(0, 59)] * 8 + [60, 99])
        pad = rng.random() < 0.5
        day = f"{d:02d}/{mo:02d}/{y:04d}" if pad else f"{d}/{mo}/{y:04d}"
        clock = rng.choice([f"{h:02d}:{mi:02d}", f"{h}:{mi:02d}", f"{h:02d}:{mi:02d}:{s:02d}", f"{h}:{mi:02d}:{s:02d}", ""])
        zone = rng.choice(["+07:00", "Z", "-02:30", "+0700", "", "+14:00"])
        fraction = rng.choice(["", "", ".5", ".123456"])
        cell = rng.choice([
            f"{day} {clock}".strip(), f"{day}T{clock}" if clock else day, f"{day}  {clock}".strip(),
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{zone}",
            f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}{fraction}{zone}",
            f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}{zone}", f"{y:04d}-{mo:02d}-{d:02d}"])
        if rng.random() < 0.2 and cell:
            at = rng.randrange(len(cell))
            cell = cell[:at] + rng.choice(["", "0", "1", "/", ":", "-", " ", "T", "x", "+", "Z", "11"]) + cell[at + 1:]
        cells.append(rng.choice([cell, cell, cell, f" {cell} ", None]))
    return cells


@pytest.mark.parametrize("dtype", [object, "str"])
def test_datetimes_column_wise_agree_with_the_rule_cell_by_cell(dtype):
    """The column-wise readers (byte layouts, regex kernels, pandas' ISO parser) against the
    contract's date-time spellings read one cell at a time with Python's datetime; on a slice, so
    the strings start inside the buffers."""
    cells = _datetime_cells(random.Random(5), 12_000)
    column = pd.Series([None] + cells, dtype=dtype).iloc[1:]
    out, bad = coerce.datetime_(column)
    for cell, got, is_bad in zip(cells, out, bad):
        value, unreadable = _contract_datetime(cell)
        assert (None if pd.isna(got) else got.to_pydatetime(), bool(is_bad)) == (value, unreadable), repr(cell)
    assert 0.1 < bad.mean() < 0.5                    # both kinds are there


@pytest.mark.parametrize("text", ["1/1/2023 10:75", "01/01/2023 24:00", "1/1/2023 10:30:99", "1/1/2023T23:60"])
def test_a_time_of_day_out_of_range_is_unreadable(text):
    """Not carried into the next hour or day."""
    out, bad = coerce.datetime_(pd.Series([text]))
    assert bad[0] and pd.isna(out[0])


def test_the_byte_layouts_take_the_common_spellings():
    """The byte readers take every common spelling themselves (the regex kernels are for the rest)."""
    cells = ["5/2/2023", "05/02/2023 09:30", "5/2/2023 9:30", "5/12/2023 09:30:15", "15/2/2023T9:30:15"]
    parts, others = coerce._dmy_fixed(pa.array(cells), np.arange(len(cells)))
    assert len(others) == 0 and parts.to_dict("list") == {
        "y": [2023] * 5, "mo": [2, 2, 2, 12, 2], "d": [5, 5, 5, 5, 15], "h": [0, 9, 9, 9, 9], "mi": [0, 30, 30, 30, 30],
        "s": [0, 0, 0, 15, 15]}
    stamps = ["2023-02-05T09:30:00+07:00", "2023-02-05 09:30:00-02:30", "2023-02-05T02:30:00Z"]
    parts, others = coerce._iso_fixed(pa.array(stamps), np.arange(3))
    assert len(others) == 0 and parts["offset"].tolist() == [420, -150, 0] and parts["h"].tolist() == [9, 9, 2]
