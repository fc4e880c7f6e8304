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
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
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
    given = values.notna()
    out = pd.Series([None] * len(values), index=values.index, dtype=object)
    bad = pd.Series(False, index=values.index)
    if not given.any():
        return out, bad
    lookup, failed = {}, set()
    for v in pd.unique(values[given]):
        try:
            lookup[v] = parse(v)
        except (ValueError, TypeError, OverflowError):
            failed.add(v)
    out[given] = values[given].map(lambda v: lookup.get(v))
    bad[given] = values[given].isin(failed)
    return out, bad


def text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _by_value(values, nfc)
    out = out.where(out != "", None)
    return out, bad


# --- numbers -----------------------------------------------------------------

_PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The contract's number rule (section 2), column-wise with string operations:
    both marks -> the last is decimal; only commas -> decimal comma; only dots in groups of
    three -> thousands; otherwise a decimal point."""
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    given = values.notna()
    if not given.any():
        return out, pd.Series(False, index=values.index)
    text = values[given].astype(str).str.replace(r"[\s\u00a0]", "", regex=True)
    dot, comma = text.str.rfind("."), text.str.rfind(",")
    comma_decimal = (comma > dot)                       # 1.234,5 and 12,5
    dot_decimal = (dot > comma) & (comma >= 0)          # 1,234.5
    thousands = (comma < 0) & text.str.match(r"^[+-]?\d{1,3}(\.\d{3})+$")
    plain = text.where(~comma_decimal, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    plain = plain.where(~dot_decimal, text.str.replace(",", "", regex=False))
    plain = plain.where(~thousands, text.str.replace(".", "", regex=False))
    well_formed = plain.str.match(_PLAIN_NUMBER) & ~(comma_decimal & (text.str.count(",") > 1))
    parsed = pd.to_numeric(plain.where(well_formed), errors="coerce").astype("float64")
    parsed = parsed.where(np.isfinite(parsed))
    out[given] = parsed
    bad = pd.Series(False, index=values.index)
    bad[given] = parsed.isna()
    return out, bad


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


_DMY_TIME = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
_ISO_OFFSET = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
_ISO_LOCAL = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"


def _local_to_utc(stamps: pd.Series) -> pd.Series:
    return stamps.dt.tz_localize(LOCAL_TZ.key).dt.tz_convert("UTC").dt.tz_localize(None)


def datetime_(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Date-times as naive UTC: the common spellings column-wise, anything else one by one."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    given = values.notna()
    text = values[given].astype(str).str.strip()
    parts = text.str.extract(_DMY_TIME)
    dmy = parts[0].notna()
    if dmy.any():
        p = parts[dmy].fillna(0).astype(int)
        local = pd.to_datetime(pd.DataFrame({"year": p[2], "month": p[1], "day": p[0], "hour": p[3],
                                             "minute": p[4], "second": p[5]}), errors="coerce")
        out[local.index] = _local_to_utc(local)
    offset = ~dmy & text.str.match(_ISO_OFFSET)
    if offset.any():
        stamps = pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce")
        out[stamps.index] = stamps.dt.tz_localize(None)
    local_iso = ~dmy & ~offset & text.str.match(_ISO_LOCAL)
    if local_iso.any():
        out[text[local_iso].index] = _local_to_utc(pd.to_datetime(text[local_iso], format="ISO8601", errors="coerce"))
    rest = text[~dmy & ~offset & ~local_iso]
    if not rest.empty:
        slow, _ = _by_value(rest, _to_datetime)
        out[rest.index] = pd.to_datetime(slow)
    bad = pd.Series(False, index=values.index)
    bad[given] = out[given].isna()
    return out, bad


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

def _to_mst(raw: str) -> str:
    s = _SPACES.sub("", nfc(raw))
    if re.fullmatch(r"\d{9}", s):          # a leading zero lost in a spreadsheet
        s = "0" + s
    compact = mst.validate(s)
    return compact if len(compact) == 10 else f"{compact[:10]}-{compact[10:]}"


def tax_code(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    return _by_value(values, _to_mst)


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
