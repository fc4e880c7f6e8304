"""Landing file -> raw rows: every cell as text, with the submitter's row number.

Readers know file formats, not forms: they return the header row and the data
rows. `read_submission` then finds the header (the first of the first 20 rows
holding every required column), maps headers to canonical column names and
keeps the rest as warnings.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from charset_normalizer import from_bytes

from tasks.coerce import fold
from tasks.forms import CCCD, FORMS, Form

HEADER_SEARCH_ROWS = 20
_UNIT_SUFFIX = re.compile(r"\s*\([^)]*\)\s*$")
IGNORED_HEADERS = {"stt", "tt", "số tt", "số thứ tự"}


class FileRejected(Exception):
    """The whole file is rejected; `code` is the reason code."""

    def __init__(self, code: str, message_vi: str):
        super().__init__(message_vi)
        self.code, self.message_vi = code, message_vi

    def __reduce__(self):      # travels back from a Dask worker intact
        return (FileRejected, (self.code, self.message_vi))


@dataclass
class RawSubmission:
    """One landing file read as text, before any rule is applied: the form's columns (text, missing
    when blank) and _row_number, in Arrow. A batch's files become one frame at ingest (one
    conversion for the batch, not one per file: a third of reading 250 CSV files)."""
    text: pa.Table
    warnings: list[dict] = field(default_factory=list)

    @property
    def rows(self) -> pd.DataFrame:
        return self.text.to_pandas()


# --- cells -------------------------------------------------------------------

def cell_text(value) -> str | None:
    """A native cell value as text that the coercion layer reads back unambiguously."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace(".", ",")     # decimal comma: never read as thousands
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


# --- readers -------------------------------------------------------------------

def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else the likelier of Windows-1258 and CP1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=["cp1258", "cp1252"]).best()
    if best is None:
        raise FileRejected("unreadable_file", "Không đọc được tệp: mã hóa ký tự không nhận ra; hãy lưu lại dạng CSV UTF-8.")
    return str(best)


def read_csv_rows(data: bytes) -> list[tuple[int, list]]:
    text = decode(data)
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, line = [], 1
    try:
        for record in reader:
            rows.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise FileRejected("unreadable_file", f"Không đọc được tệp CSV ở dòng {line}: {exc}.") from exc
    return rows


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def fast_csv(form: Form, data: bytes, path: str) -> RawSubmission | None:
    """Arrow's CSV reader for the common case: UTF-8, the header on line 1, one record per line
    (so a record's line number is its index + 2). None when the file needs the careful reader."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    first_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    delimiter = _delimiter(first_line)
    headers = next(csv.reader([first_line.rstrip("\r")], delimiter=delimiter), [])
    known = _match_header(headers, header_map(form))
    if not set(form.required_columns) <= set(known.values()) or len(set(known.values())) < len(known):
        return None
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=pacsv.ReadOptions(
            column_names=[f"c{i}" for i in range(len(headers))], skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(headers))},
                                                 strings_can_be_null=False))
    except pa.ArrowInvalid:          # ragged rows, bad UTF-8: the careful reader says where
        return None
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if lines != table.num_rows + 1:  # blank lines or quoted line breaks: numbering needs the careful reader
        return None
    columns = _blanks_as_null({name: table.column(i) for i, name in known.items()})
    text = pa.table([columns.get(name, pa.nulls(table.num_rows, pa.string())) for name in form.column_names]
                    + [pa.array(np.arange(2, table.num_rows + 2))], names=[*form.column_names, "_row_number"])
    if not any(c.null_count == 0 for c in columns.values()):     # else no row can be blank
        filled = functools.reduce(pc.or_, [pc.is_valid(c) for c in columns.values()])
        text = text if pc.all(filled).as_py() else text.filter(filled)       # blank rows out (a copy: only if any)
    warnings = _warn_unknown(path, form, headers, known, 1)
    if any(col.kind == CCCD for col in form.columns):    # IDs are replaced as they are read
        return RawSubmission(_frame(form, text.to_pandas()), warnings)
    return RawSubmission(text, warnings)


def _blanks_as_null(columns: dict[str, pa.ChunkedArray]) -> dict[str, pa.ChunkedArray]:
    """Empty and whitespace-only cells as missing (is_space is trim_whitespace's test, code point for
    code point). A file's columns are tested together, as one array: a monthly file is a few thousand
    rows, and a kernel call per column cost more than the test. A column is rebuilt only if it has any."""
    cells = pa.chunked_array([chunk for column in columns.values() for chunk in column.chunks], pa.string())
    blank = pc.or_(pc.equal(cells, ""), pc.utf8_is_space(cells))
    if not pc.any(blank).as_py():
        return columns
    blank, start, out = blank.combine_chunks(), 0, {}
    for name, column in columns.items():
        mine = blank.slice(start, len(column))
        out[name] = pc.if_else(mine, None, column) if pc.any(mine).as_py() else column
        start += len(column)
    return out


def read_xlsx_rows(data: bytes, form: str) -> list[tuple[int, list]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = book.sheet_names
        sheet_name = next((n for n in names if fold(n) == fold(form)), names[0])
        sheet = book.get_sheet_by_name(sheet_name)
        cells = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise FileRejected("unreadable_file", f"Không mở được tệp Excel: {exc}; hãy lưu lại dạng .xlsx.") from exc
    return [(i + 1, row) for i, row in enumerate(cells)]


def read_json_rows(data: bytes) -> list[tuple[int, dict]]:
    try:
        doc = json.loads(decode(data))
    except json.JSONDecodeError as exc:
        raise FileRejected("unreadable_file", f"Tệp JSON sai cú pháp (dòng {exc.lineno}): {exc.msg}.") from exc
    rows = doc.get("rows") if isinstance(doc, dict) else doc
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise FileRejected("unreadable_file", 'Tệp JSON phải là một danh sách đối tượng hoặc {"rows": [...]}.')
    return [(i + 1, r) for i, r in enumerate(rows)]


# --- headers -------------------------------------------------------------------

def header_key(text) -> str:
    key = fold(str(text or "")).lstrip("\ufeff")
    return _UNIT_SUFFIX.sub("", key).strip()


def header_map(form: Form) -> dict[str, str]:
    """Canonical header (header_key of a column's name or Vietnamese header) -> column name."""
    return _header_map(form.name)


@functools.cache             # worked out once per form, not for every file read
def _header_map(form_name: str) -> dict[str, str]:
    names = {}
    for col in FORMS[form_name].columns:
        names[header_key(col.name)] = col.name
        names[header_key(col.header_vi)] = col.name
    return names


def _match_header(cells: list, names: dict[str, str]) -> dict[int, str]:
    keys = {i: header_key(c) for i, c in enumerate(cells)}
    return {i: names[key] for i, key in keys.items() if key in names}


def _missing_column(form: Form, found: set[str]) -> FileRejected:
    missing = [form.column(c) for c in form.required_columns if c not in found]
    listed = ", ".join(f"«{c.header_vi}» ({c.name})" for c in missing)
    return FileRejected("missing_column", f"Tệp thiếu cột bắt buộc {listed}; hãy thêm cột rồi gửi lại tệp mới.")


def _locate_header(form: Form, rows: list[tuple[int, list]]) -> int:
    names, required = header_map(form), set(form.required_columns)
    best: set[str] = set()
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = set(_match_header(cells, names).values())
        if required <= found:
            return index
        best = max(best, found & required, key=len)
    raise _missing_column(form, best)


def _warn_unknown(path: str, form: Form, headers: list, known: dict[int, str], row: int) -> list[dict]:
    return [
        {"row_number": row, "code": "unknown_column", "column": str(h), "value": None,
         "message_vi": f"Cột «{h}» không thuộc mẫu {form.name}; đã bỏ qua."}
        for i, h in enumerate(headers)
        if i not in known and header_key(h) and header_key(h) not in IGNORED_HEADERS
    ]


def _table(form: Form, rows: list[tuple[int, list]], path: str) -> RawSubmission:
    start = _locate_header(form, rows)
    header_row, headers = rows[start]
    known = _match_header(headers, header_map(form))
    data = []
    for number, cells in rows[start + 1:]:
        values = {name: cell_text(cells[i]) if i < len(cells) else None for i, name in known.items()}
        if any(v is not None for v in values.values()):
            data.append({**values, "_row_number": number})
    return RawSubmission(_frame(form, data), _warn_unknown(path, form, headers, known, header_row))


def _records(form: Form, rows: list[tuple[int, dict]], path: str) -> RawSubmission:
    names = header_map(form)
    keys: dict[str, str | None] = {}
    data = []
    for number, record in rows:
        values = {}
        for key, value in record.items():
            name = keys.setdefault(key, names.get(header_key(key)))
            if name:
                values[name] = cell_text(value)
        data.append({**values, "_row_number": number})
    found = {n for n in keys.values() if n}
    if rows and not set(form.required_columns) <= found:
        raise _missing_column(form, found)
    unknown = [k for k, n in keys.items() if n is None]
    return RawSubmission(_frame(form, data), _warn_unknown(path, form, unknown, {}, 1))


def _frame(form: Form, data) -> pa.Table:
    """Rows (a frame or a list of dicts) with every column of the form, as the fast CSV reader gives
    them: Arrow text, blanks missing. One type for every reader, so a batch mixing XLSX and CSV
    files is concatenated as Arrow text, not turned whole into Python objects."""
    frame = pd.DataFrame(data, columns=[*form.column_names, "_row_number"])
    for col in form.columns:
        if col.kind == CCCD:
            frame[col.name] = frame[col.name].map(protect_person_id, na_action="ignore")
    schema = pa.schema([*((name, pa.string()) for name in form.column_names), ("_row_number", pa.int64())])
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False).replace_schema_metadata(None)


# --- personal data ---------------------------------------------------------------

def pii_key() -> bytes:
    key = os.environ.get("THIDUA_PII_KEY")
    if not key:
        raise RuntimeError("THIDUA_PII_KEY is not set")
    return key.encode()


def protect_person_id(raw: str | None) -> str | None:
    """A citizen ID never leaves ingest in clear: 12 digits -> '#'+HMAC, else '!' (invalid)."""
    if raw is None:
        return None
    digits = re.sub(r"[\s.]", "", raw)
    if not re.fullmatch(r"\d{12}", digits):
        return "!"
    return "#" + hmac.new(pii_key(), digits.encode(), hashlib.sha256).hexdigest()


# --- entry point -----------------------------------------------------------------

def read_submission(path: Path, form_name: str, rel_path: str, data: bytes | None = None) -> RawSubmission:
    """Read one landing file; raises FileRejected when the whole file must be rejected."""
    form = FORMS[form_name]
    data = path.read_bytes() if data is None else data
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return fast_csv(form, data, rel_path) or _table(form, read_csv_rows(data), rel_path)
        if suffix == ".xlsx":
            return _table(form, read_xlsx_rows(data, form_name), rel_path)
        if suffix == ".json":
            return _records(form, read_json_rows(data), rel_path)
    except FileRejected:
        raise
    except Exception as exc:  # any other damage in a file is that file's problem, not the run's
        raise FileRejected("unreadable_file", f"Không đọc được tệp: {type(exc).__name__}: {exc}.") from exc
    raise FileRejected("unreadable_file", f"Định dạng «{suffix}» không được hỗ trợ; hãy gửi CSV, XLSX hoặc JSON.")
