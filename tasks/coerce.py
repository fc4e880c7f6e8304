"""Text cells -> typed values, one column at a time (contract.md section 2).

Each function takes a Series of text (None for blank) and returns the typed
Series plus a boolean mask of cells that were given but could not be read.
Work is done per distinct value or with vectorised string operations, never
per row, because a national backfill is millions of cells.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from stdnum.vn import mst

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """NFC, trimmed, inner runs of white space collapsed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    """Comparison key for headers and choices: NFC, case-folded, spaces collapsed."""
    return nfc(text).casefold()


def _by_value(values: pd.Series, parse) -> tuple[pd.Series, pd.Series]:
    """Apply `parse` (text -> value or raise ValueError) once per distinct value."""
    codes, uniques = pd.factorize(values)            # blanks get code -1
    lookup = np.empty(len(uniques) + 1, dtype=object)   # the last slot (code -1) stays None
    failed = np.zeros(len(uniques) + 1, dtype=bool)
    for i, v in enumerate(uniques):
        try:
            lookup[i] = parse(v)
        except (ValueError, TypeError, OverflowError):
            failed[i] = True
    return (pd.Series(lookup[codes], index=values.index, dtype=object),
            pd.Series(failed[codes], index=values.index))


def text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _by_value(values, nfc)
    out = out.where(out != "", None)
    return out, bad


# --- numbers -----------------------------------------------------------------

_PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The contract's number rule (section 2), column-wise: both marks -> the last is decimal; only
    commas -> decimal comma; only dots in groups of three -> thousands; otherwise a decimal point.
    Every mark is dropped, kept or made the decimal point in one rewrite of the column's bytes, and
    Arrow's parser reads the plain numbers that gives."""
    text = pa.array(values, type=pa.string(), from_pandas=True)
    if _has_bytes(text, _SPACE_BYTES):         # NBSP's second byte stands for it (and for a few letters)
        text = pc.replace_substring_regex(text, r"[\s\x{a0}]", "")
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    if not _has_bytes(text, _MARK_BYTES):      # whole numbers, mostly
        return _as_series(_parse_plain(text), values)
    plain, unreadable = _without_marks(text)
    return _as_series(np.where(unreadable, np.nan, _parse_plain(plain)), values)


def _without_marks(text: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The cells as plain numbers: thousands marks dropped, a decimal comma made a point (a cell
    with more than one comma before a last comma is unreadable, and flagged). From the positions
    of the marks in the array's bytes, not a pass of string kernels per spelling."""
    text = text.take(np.arange(len(text))) if text.offset else text     # a slice: copied, so that its
    n, bounds, data = len(text), *_cell_bytes(text)                      # validity starts at its first cell
    at = np.flatnonzero((data == ord(",")) | (data == ord(".")))      # each mark's byte
    if not len(at):                            # the marks _has_bytes saw were outside the cells
        return text, np.zeros(n, dtype=bool)
    comma = data[at] == ord(",")
    cell = _cell_of(bounds, at)
    commas = np.bincount(cell[comma], minlength=n)
    dots = np.bincount(cell, minlength=n) - commas
    last = np.append(cell[1:] != cell[:-1], True)                    # each cell's last mark
    decimal_comma = np.zeros(n, dtype=bool)                          # 1.234,5 and 12,5
    decimal_comma[cell[last]] = comma[last]
    thousands = _matching(text, np.flatnonzero((dots > 0) & (commas == 0)), r"^[+-]?\d{1,3}(\.\d{3})+$")
    # A comma is the decimal point of a decimal-comma cell and a thousands mark anywhere else
    # (1,234.5); a dot is a thousands mark in a decimal-comma cell and in 1.234.567.
    in_decimal_comma = decimal_comma[cell]
    drop = np.where(comma, ~in_decimal_comma, in_decimal_comma | thousands[cell])
    rewritten = data.copy()
    rewritten[at[comma & in_decimal_comma]] = ord(".")
    keep = np.ones(len(data), dtype=bool)
    keep[at[drop]] = False
    dropped = np.concatenate([[0], np.cumsum(np.bincount(cell[drop], minlength=n))])
    plain = pa.StringArray.from_buffers(n, pa.py_buffer((bounds - dropped).astype(np.int32)),
                                        pa.py_buffer(rewritten[keep]), text.buffers()[0], text.null_count)
    return plain, decimal_comma & (commas > 1)


def _parse_plain(plain: pa.Array) -> np.ndarray:
    """Plain numbers as floats, NaN where a cell is not one, read by Arrow's parser. When it refuses
    a cell, it still reads the cells of digits with at most one inner point, and only the others are
    matched against the plain-number pattern (Arrow reads nothing the pattern refuses but 'inf' and
    'nan', which are unreadable anyway)."""
    try:
        return pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        pass
    parsed = np.full(len(plain), np.nan)
    valid = plain.is_valid().to_numpy(zero_copy_only=False)
    simple = _digits_with_a_point(plain) & valid
    parsed[simple] = pc.cast(plain.filter(simple), pa.float64()).to_numpy(zero_copy_only=False)
    rest = np.flatnonzero(valid & ~simple)
    others = plain.take(rest)
    ok = pc.match_substring_regex(others, _PLAIN_NUMBER).fill_null(False)
    parsed[rest[ok.to_numpy(zero_copy_only=False)]] = _to_float(others.filter(ok))
    return parsed


def _digits_with_a_point(plain: pa.Array) -> np.ndarray:
    """Per cell: digits, with at most one point between two of them (1234 and 12.5, not 1. or .5);
    a missing cell's bytes are read like any other's (the caller sets missing cells aside)."""
    bounds, data = _cell_bytes(plain)
    odd = np.flatnonzero((data < ord("0")) | (data > ord("9")))        # bytes that are not digits
    cell = _cell_of(bounds, odd)
    inner = (data[odd] == ord(".")) & (odd > bounds[cell]) & (odd < bounds[cell + 1] - 1)
    n = len(plain)
    wrong = np.bincount(cell[~inner], minlength=n) + np.bincount(cell[inner], minlength=n) // 2
    return (wrong == 0) & (np.diff(bounds) > 0)


def _cell_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Where each cell of `text` starts and ends in its bytes (counted from its first cell's), and those bytes."""
    bounds = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
    data = text.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]] if data is not None else np.zeros(0, np.uint8)
    return bounds - bounds[0], data


def _cell_of(bounds: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The cell each byte position is in."""
    return np.searchsorted(bounds, positions, side="right") - 1


_SPACE_BYTES = b"\t\n\x0c\r \xa0"      # RE2's \s, and NBSP
_MARK_BYTES = b".,"


def _has_bytes(text: pa.Array | pa.ChunkedArray, wanted: bytes) -> bool:
    """Whether any of the bytes occurs in the strings' data: a byte search of each chunk's data
    instead of a regex over every string (a sliced array may show bytes of strings outside it,
    which only costs a needless full test)."""
    for chunk in getattr(text, "chunks", [text]):
        data = chunk.buffers()[2]
        found = data.to_pybytes() if data is not None else b""
        if any(byte in found for byte in wanted):
            return True
    return False


def _as_series(parsed: np.ndarray, values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.Series(parsed, index=values.index, dtype="float64")
    out = out.where(np.isfinite(out))
    return out, values.notna() & out.isna()


def _to_float(plain: pa.Array) -> np.ndarray:
    try:
        return pc.cast(plain, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:          # a spelling Arrow's parser declines ('1.', '+.5'): Python's float reads it
        return pd.to_numeric(pd.Series(plain.to_pylist(), dtype=object), errors="coerce").to_numpy("float64")


def integer(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = number(values)
    fractional = out.notna() & (out != out.round())
    out = out.where(~fractional)
    return out.round().astype("Int64"), bad | fractional


# --- periods, dates, date-times ---------------------------------------------

_MONTH_PATTERNS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"),
    re.compile(r"^(?:t|tháng)?\s*(?P<m>\d{1,2})\s*[/.-]\s*(?P<y>\d{4})$"),
    re.compile(r"^tháng\s*(?P<m>\d{1,2})\s*năm\s*(?P<y>\d{4})$"),
    # A period typed into Excel often arrives as the month's first day.
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-01(?:[ t]00:00(?::00)?)?$"),
)


def _to_month(raw: str) -> str:
    s = fold(raw)
    for pattern in _MONTH_PATTERNS:
        m = pattern.match(s)
        if m:
            year, month = int(m["y"]), int(m["m"])
            if 1 <= month <= 12 and 1900 <= year <= 2200:
                return f"{year:04d}-{month:02d}"
    raise ValueError(raw)


def month(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return _by_value(values, _to_month)


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")


def _to_date(raw: str) -> date:
    s = nfc(raw)
    if m := _DMY.match(s):
        return date(int(m[3]), int(m[2]), int(m[1]))
    if m := _YMD.match(s):
        return date(int(m[1]), int(m[2]), int(m[3]))
    # A native Excel date is written as ISO with a midnight time.
    if (m := _YMD.match(s.split("T")[0].split(" ")[0])) and s.endswith(("00:00:00", "00:00")):
        return date(int(m[1]), int(m[2]), int(m[3]))
    raise ValueError(raw)


def date_(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return _by_value(values, _to_date)


def _to_datetime(raw: str) -> datetime:
    """A local (Asia/Ho_Chi_Minh) or offset date-time -> naive UTC."""
    s = nfc(raw)
    try:
        stamp = datetime.fromisoformat(s.replace(" ", "T", 1) if _YMD.match(s[:10]) else s)
    except ValueError:
        day_part, _, time_part = s.partition(" ")
        day = _to_date(day_part)
        if not time_part:
            stamp = datetime(day.year, day.month, day.day)
        elif m := _TIME.match(time_part.strip()):
            stamp = datetime(day.year, day.month, day.day, int(m[1]), int(m[2]), int(m[3] or 0))
        else:
            raise
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=LOCAL_TZ)
    return stamp.astimezone(timezone.utc).replace(tzinfo=None)


_DMY_TIME = (r"^(?P<d>\d{1,2})/(?P<mo>\d{1,2})/(?P<y>\d{4})"
             r"(?:[ T]+(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?$")
_ISO_OFFSET = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
_ISO_LOCAL = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"


def _local_to_utc(stamps: pd.Series) -> pd.Series:
    return stamps.dt.tz_localize(LOCAL_TZ.key).dt.tz_convert("UTC").dt.tz_localize(None)


def _dmy_parts(text: pa.Array, rows: np.ndarray) -> pd.DataFrame:
    """Day/month/year[ hour:minute[:second]] of the cells at positions `rows`, split by Arrow's regex
    kernel; indexed by position, the cells that do not match left out."""
    parts = pc.extract_regex(text.take(rows), _DMY_TIME)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    numbers = {}
    for name in ("y", "mo", "d", "h", "mi", "s"):
        digits = pc.struct_field(parts, name)
        digits = pc.if_else(pc.equal(digits, ""), "0", digits)   # a group that did not take part comes back empty
        numbers[name] = pc.cast(pc.fill_null(digits, "0"), pa.int64()).to_numpy()[matched]
    return pd.DataFrame(numbers, index=rows[matched])


class _Cells:
    """Some cells of an Arrow string array, read byte by byte: `cells(offset)` is each cell's byte
    at that offset (an int, or one per cell); the data is padded, so reading a little past a
    cell's end is safe (a layout's checks of each cell's length then set such reads aside)."""

    def __init__(self, text: pa.Array, rows: np.ndarray):
        text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
        offsets = np.frombuffer(text.buffers()[1], dtype=np.int32)[text.offset:text.offset + len(text) + 1]
        self.data = np.concatenate([np.frombuffer(text.buffers()[2] or b"", dtype=np.uint8), np.zeros(32, np.uint8)])
        self.start = offsets[rows].astype(np.int64)
        self.length = offsets[rows + 1] - self.start            # -1 for a missing cell
        if text.null_count:
            self.length[~text.is_valid().to_numpy(zero_copy_only=False)[rows]] = -1

    def __call__(self, offset) -> np.ndarray:
        return self.data[self.start + offset]

    def digits(self, first, width, most: int) -> tuple[np.ndarray, np.ndarray]:
        """The number written in each cell's `width` bytes (an int, or per cell up to `most`)
        from offset `first`, and whether they are all ASCII digits."""
        value, ok = np.zeros(len(self.start), dtype=np.int32), np.ones(len(self.start), dtype=bool)
        for k in range(most):
            digit = self(first + k) - np.uint8(48)           # a byte below '0' wraps round above 9
            if isinstance(width, int):
                value, ok = value * 10 + digit, ok & (digit < 10)
            else:
                inside = k < width
                value, ok = np.where(inside, value * 10 + digit, value), ok & ((digit < 10) | ~inside)
        return value, ok


def _dmy_fixed(text: pa.Array, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells at `rows` spelled as _DMY_TIME with one separator before the time: d/m/yyyy,
    then ' h:mm' or ' h:mm:ss' (day, month and hour of one or two digits). Read from their bytes
    at the offsets each cell's slashes and length fix, without the regex kernel (a third of
    reading a month's reports went to it). Returns their parts as _dmy_parts does, and the rows
    spelled otherwise, for it."""
    cell = _Cells(text, rows)
    slash1 = np.where(cell(1) == ord("/"), 1, 2)
    slash2 = slash1 + np.where(cell(slash1 + 2) == ord("/"), 2, 3)
    day, day_ok = cell.digits(0, slash1, 2)
    mon, mon_ok = cell.digits(slash1 + 1, slash2 - slash1 - 1, 2)
    year, year_ok = cell.digits(slash2 + 1, 4, 4)
    clock = slash2 + 6                                         # the time, after the year and one separator
    rest = cell.length - clock                                 # h:mm, hh:mm, h:mm:ss or hh:mm:ss
    width = np.where((rest == 4) | (rest == 7), 1, 2)
    seconds = rest >= 7
    hour, hour_ok = cell.digits(clock, width, 2)
    minute, minute_ok = cell.digits(clock + width + 1, 2, 2)
    second, second_ok = cell.digits(clock + width + 4, np.where(seconds, 2, 0), 2)
    separator = cell(slash2 + 5)
    timed = (np.isin(rest, (4, 5, 7, 8)) & ((separator == ord(" ")) | (separator == ord("T")))
             & (cell(clock + width) == ord(":")) & (~seconds | (cell(clock + width + 3) == ord(":")))
             & hour_ok & minute_ok & second_ok)
    ok = ((cell(slash1) == ord("/")) & (cell(slash2) == ord("/")) & day_ok & mon_ok & year_ok
          & ((cell.length == slash2 + 5) | timed))
    keep = ok & timed
    parts = pd.DataFrame({"y": year[ok], "mo": mon[ok], "d": day[ok], "h": np.where(keep, hour, 0)[ok],
                          "mi": np.where(keep, minute, 0)[ok], "s": np.where(keep & seconds, second, 0)[ok]},
                         index=rows[ok])
    return parts, rows[~ok]


def _matching(text: pa.Array, rows: np.ndarray, pattern: str) -> np.ndarray:
    """A mask over all of `text`: the cells at positions `rows` that match `pattern` (a regex run
    only on the rows that can match, not on every cell)."""
    mask = np.zeros(len(text), dtype=bool)
    mask[rows] = pc.match_substring_regex(text.take(rows), pattern).fill_null(False).to_numpy(zero_copy_only=False)
    return mask


def _iso_fixed(text: pa.Array, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells at `rows` spelled yyyy-mm-ddThh:mm:ss+hh:mm (or -hh:mm, or Z for UTC; a space
    for the T), read from their bytes like _dmy_fixed; with `offset` in minutes east of UTC.
    Offsets over 14 hours are left, with every other spelling, for the general path."""
    cell = _Cells(text, rows)
    fields = {name: cell.digits(at, width, width)
              for name, at, width in (("y", 0, 4), ("mo", 5, 2), ("d", 8, 2), ("h", 11, 2), ("mi", 14, 2),
                                      ("s", 17, 2), ("oh", 20, 2), ("om", 23, 2))}
    sign = cell(19)
    zulu = (cell.length == 20) & (sign == ord("Z"))
    signed = ((cell.length == 25) & ((sign == ord("+")) | (sign == ord("-"))) & (cell(22) == ord(":"))
              & fields["oh"][1] & fields["om"][1])
    ok = ((cell(4) == ord("-")) & (cell(7) == ord("-")) & ((cell(10) == ord("T")) | (cell(10) == ord(" ")))
          & (cell(13) == ord(":")) & (cell(16) == ord(":")) & (zulu | signed))
    for name in ("y", "mo", "d", "h", "mi", "s"):
        ok &= fields[name][1]
    value = {name: found for name, (found, _) in fields.items()}
    ok &= zulu | ((value["oh"] <= 14) & (value["om"] < 60))
    offset = np.where(zulu, 0, np.where(sign == ord("-"), -1, 1) * (value["oh"] * 60 + value["om"]))
    parts = pd.DataFrame({name: value[name][ok] for name in ("y", "mo", "d", "h", "mi", "s")}, index=rows[ok])
    return parts.assign(offset=offset[ok]), rows[~ok]


def _assemble(parts: pd.DataFrame) -> pd.Series:
    """Date-times from y, mo, d, h, mi, s; NaT where there is no such day or time of day (pandas
    adds the hours, minutes and seconds to the day: '10:75' would pass for 11:15)."""
    stamps = pd.to_datetime(pd.DataFrame({"year": parts["y"], "month": parts["mo"], "day": parts["d"],
                                          "hour": parts["h"], "minute": parts["mi"], "second": parts["s"]}),
                            errors="coerce")
    return stamps.where((parts["h"] < 24) & (parts["mi"] < 60) & (parts["s"] < 60))


def datetime_(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Date-times as naive UTC: the common spellings column-wise, anything else one by one. Each
    pattern runs only on the cells that can match it: an ISO spelling, and only it, has '-' fifth."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    text = pc.utf8_trim_whitespace(pa.array(values, type=pa.string(), from_pandas=True))
    iso = pc.equal(pc.utf8_slice_codeunits(text, 4, 5), "-").fill_null(False).to_numpy(zero_copy_only=False)
    p, others = _dmy_fixed(text, np.flatnonzero(~iso))
    if len(others):
        p = pd.concat([p, _dmy_parts(text, others)])
    if len(p):
        out.iloc[p.index] = _local_to_utc(_assemble(p)).to_numpy()
    stamped, iso_rows = _iso_fixed(text, np.flatnonzero(iso))
    if len(stamped):
        out.iloc[stamped.index] = (_assemble(stamped) - pd.to_timedelta(stamped["offset"], unit="min")).to_numpy()
    offset = _matching(text, iso_rows, _ISO_OFFSET)
    local_iso = _matching(text, iso_rows[~offset[iso_rows]], _ISO_LOCAL)
    text = pd.Series(text.to_pandas().array, index=values.index)       # the cells, not aligned on the index
    if offset.any():
        stamps = pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce")
        out[stamps.index] = stamps.dt.tz_localize(None)
    if local_iso.any():
        out[text[local_iso].index] = _local_to_utc(pd.to_datetime(text[local_iso], format="ISO8601", errors="coerce"))
    read = np.zeros(len(values), dtype=bool)
    read[p.index] = read[stamped.index] = True
    rest = text[~read & ~offset & ~local_iso & values.notna().to_numpy()]
    if not rest.empty:
        slow, _ = _by_value(rest, _to_datetime)
        out[rest.index] = pd.to_datetime(slow)
    return out, values.notna() & out.isna()


def local_deadline(period: str) -> datetime:
    """A monthly report is due by the 10th of the next month, 23:59:59 local, as naive UTC."""
    year, mon = int(period[:4]), int(period[5:7])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    local = datetime(year, mon, 10, 23, 59, 59, tzinfo=LOCAL_TZ)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def month_end(period: str) -> date:
    year, mon = int(period[:4]), int(period[5:7])
    year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return date(year, mon, 1) - timedelta(days=1)


# --- identifiers ---------------------------------------------------------------

@lru_cache(maxsize=1 << 17)      # the same enterprises report in every batch; the checksum is per value
def _to_mst(raw: str) -> str:
    s = _SPACES.sub("", nfc(raw))
    if re.fullmatch(r"\d{9}", s):          # a leading zero lost in a spreadsheet
        s = "0" + s
    compact = mst.validate(s)
    return compact if len(compact) == 10 else f"{compact[:10]}-{compact[10:]}"


_MST_WEIGHTS = np.array([31, 29, 23, 19, 17, 13, 7, 5, 3])


def tax_code(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Codes written as plain ten digits (nearly all) are checked column-wise with the MST check
    digit, as stdnum's mst.validate does; any other spelling goes through _to_mst one by one."""
    text = pa.array(values, type=pa.string(), from_pandas=True)
    plain_rows = pc.fill_null(pc.and_(pc.equal(pc.binary_length(text), 10), pc.ascii_is_decimal(text)), False)
    plain = plain_rows.to_numpy(zero_copy_only=False)
    out = pd.Series(text.to_numpy(zero_copy_only=False), index=values.index, dtype=object)
    bad = pd.Series(False, index=values.index)
    rest = values[~plain & values.notna().to_numpy()]
    if len(rest):                                               # the rest, one distinct value at a time
        out[rest.index], bad[rest.index] = _by_value(rest, _to_mst)
    if plain.any():
        codes = pc.filter(text, plain_rows)
        codes = codes.combine_chunks() if isinstance(codes, pa.ChunkedArray) else codes
        start = np.frombuffer(codes.buffers()[1], dtype=np.int32)[codes.offset]      # ten bytes each, end to end
        digits = np.frombuffer(codes.buffers()[2], dtype=np.uint8)[start:start + 10 * len(codes)].reshape(-1, 10) - 48
        remainder = (digits[:, :9].astype(np.int64) @ _MST_WEIGHTS) % 11
        valid = (10 - remainder == digits[:, 9]) & digits[:, 2:9].any(axis=1)     # a remainder of 0 gives 10: never valid
        wrong = np.flatnonzero(plain)[~valid]
        out.iloc[wrong] = None
        bad.iloc[wrong] = True
    return out, bad


def choice(values: pd.Series, choices: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Known choices in their canonical spelling; anything else passes through for GX to reject."""
    canonical = {fold(c): c for c in choices}
    out, bad = _by_value(values, lambda v: canonical.get(fold(v), nfc(v)))
    return out, bad


def zone(values: pd.Series, names: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """A zone code, or a zone's name ("KCN Đình Trám" or "Đình Trám") -> its code."""
    def parse(v: str) -> str:
        key = fold(v)
        key = key.removeprefix("kcn ").removeprefix("khu công nghiệp ")
        return names.get(key, nfc(v).upper())
    return _by_value(values, parse)
