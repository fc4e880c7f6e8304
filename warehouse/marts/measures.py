"""The indicators of contract.md section 4 as one long table of exact amounts.

Each row is (indicator, month, zone_code, tax_code, amount) with `amount` an
integer in millionths of the source unit (or a count), so that sums are exact;
`DIVISORS` turns a sum into the mart's unit.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from tasks.transform import YearFacts, micro

UNITS = {
    "production": "tỷ đồng", "export": "triệu USD", "new_jobs": "người", "budget_paid": "tỷ đồng",
    "investment": "triệu USD", "clean_land": "ha", "admin_on_time": "%", "new_zones": "KCN",
    "violations_serious": "vụ", "violations_minor": "vụ",
}
INDICATORS = tuple(UNITS)
ZONED = tuple(i for i in INDICATORS if i != "admin_on_time")
# micro-units of the source unit -> mart unit
DIVISORS = {
    "production": 10**9,       # triệu đồng -> tỷ đồng
    "export": 10**9,           # nghìn USD -> triệu USD
    "budget_paid": 10**9,      # triệu đồng -> tỷ đồng
    "investment": 10**12,      # USD -> triệu USD
    "clean_land": 10**6,       # ha -> ha
    "new_jobs": 1, "new_zones": 1, "violations_serious": 1, "violations_minor": 1,
}
COLUMNS = ["indicator", "month", "zone_code", "tax_code", "amount"]


def exact(amount: int, indicator: str) -> Decimal:
    return Decimal(int(amount)) / Decimal(DIVISORS[indicator])


def _long(frame: pd.DataFrame, indicator: str, amount: pd.Series) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.DataFrame({"indicator": indicator, "month": frame["month"].astype(int),
                        "zone_code": frame["zone_code"],
                        "tax_code": frame["tax_code"] if "tax_code" in frame else None,
                        "amount": amount.astype("int64")})
    return out


def _violations(facts: YearFacts) -> list[pd.DataFrame]:
    events = facts.compliance
    if events.empty:
        return []
    incident = events["event_type"].isin(["vi phạm", "sự cố"])
    ones = pd.Series(1, index=events.index)
    serious = facts.plan.rule("flag", "serious_severity")
    return [_long(events[incident & (events["severity"] == serious)], "violations_serious", ones),
            _long(events[incident & (events["severity"] != serious)], "violations_minor", ones)]


def measures(facts: YearFacts) -> pd.DataFrame:
    """Every zoned indicator of the year, one row per source row (built once per year; read-only)."""
    if "measures" not in facts.derived:
        facts.derived["measures"] = _measures(facts)
    return facts.derived["measures"]


def _measures(facts: YearFacts) -> pd.DataFrame:
    monthly = facts.monthly[facts.monthly["year"] == facts.year] if not facts.monthly.empty else facts.monthly
    parts = []
    if not monthly.empty:
        parts += [_long(monthly, "production", micro(monthly["production_value"])),
                  _long(monthly, "export", micro(monthly["export_value"])),
                  _long(monthly, "new_jobs", monthly["workers_hired"].fillna(0)),
                  _long(monthly, "budget_paid", micro(monthly["budget_paid"]))]
    inv = facts.investment
    if not inv.empty:
        inv = inv[inv["action"].isin(["cấp mới", "tăng vốn"])]
        parts.append(_long(inv.assign(tax_code=inv["investor_tax_code"]), "investment", micro(inv["capital_change"])))
    if not facts.land.empty:
        parts.append(_long(facts.land, "clean_land", micro(facts.land["cleared_ha"])))
    zev = facts.zone_events
    if not zev.empty:
        new = zev[zev["event"] == "thành lập mới"]
        parts.append(_long(new, "new_zones", pd.Series(1, index=new.index)))
    parts += _violations(facts)
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)


def admin_share(admin: pd.DataFrame, months: range) -> tuple[int, int]:
    """(on time, all) of the dossiers due in these months."""
    if admin.empty:
        return 0, 0
    due = admin[admin["month"].isin(months)]
    resolved = pd.to_datetime(due["resolved_on"])
    on_time = (resolved.notna() & (resolved <= due["due_on"])).sum()
    return int(on_time), len(due)


def decimal_series(units, scale: int, valid=None) -> pd.Series:
    """Integers counting 10**-scale units as exact decimals (Arrow decimal128), built from the
    integers' bits rather than one Python Decimal per value."""
    ints = np.ascontiguousarray(units, dtype=np.int64)
    words = np.column_stack([ints, ints >> 63])        # 128-bit two's complement, little-endian
    bitmap = None if valid is None else pa.array(np.asarray(valid, dtype=bool)).buffers()[1]
    array = pa.Array.from_buffers(pa.decimal128(38, scale), len(ints), [bitmap, pa.py_buffer(words.tobytes())])
    return pd.Series(pd.arrays.ArrowExtensionArray(array))


def exact_series(amounts, indicator: str) -> pd.Series:
    """`exact` for a whole column of integer amounts."""
    return decimal_series(amounts, len(str(DIVISORS[indicator])) - 1)


def pct_series(part, whole) -> pd.Series:
    """`pct` for whole columns of integer counts: part * 100 / whole to 4 places, half to even."""
    part, whole = np.asarray(part, dtype=np.int64), np.asarray(whole, dtype=np.int64)
    quotient, rest = np.divmod(part * 10**6, np.maximum(whole, 1))
    quotient += (2 * rest > whole) | ((2 * rest == whole) & (quotient % 2 == 1))
    return decimal_series(quotient, 4, valid=whole > 0)


def pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.0001"))
