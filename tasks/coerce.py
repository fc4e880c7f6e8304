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

_THOUSANDS_DOTS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")


def number_text(raw: str) -> str:
    """Vietnamese/English number text -> a plain decimal string (contract section 2)."""
    s = _SPACES.sub("", raw).replace("\u00a0", "")
    dot, comma = s.rfind("."), s.rfind(",")
    if dot >= 0 and comma >= 0:
        if comma > dot:
            return s.replace(".", "").replace(",", ".")
        return s.replace(",", "")
    if comma >= 0:
        if s.count(",") > 1:
            raise ValueError(raw)
        return s.replace(",", ".")
    if dot >= 0 and _THOUSANDS_DOTS.match(s):
        return s.replace(".", "")
    return s


def _to_float(raw: str) -> float:
    s = number_text(raw)
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", s):
        raise ValueError(raw)
    value = float(s)
    if not np.isfinite(value):
        raise ValueError(raw)
    return value


def number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _by_value(values, _to_float)
    return pd.to_numeric(out, errors="coerce").astype("float64"), bad


def _to_int(raw: str) -> int:
    value = _to_float(raw)
    if value != int(value):
        raise ValueError(raw)
    return int(value)


def integer(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _by_value(values, _to_int)
    return out.astype("Int64"), bad


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


def datetime_(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    out, bad = _by_value(values, _to_datetime)
    return pd.to_datetime(out), bad


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
