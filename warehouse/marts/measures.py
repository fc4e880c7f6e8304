"""The indicators of contract.md section 4 as one long table of exact amounts.

Each row is (indicator, month, zone_code, tax_code, amount) with `amount` an
integer in millionths of the source unit (or a count), so that sums are exact;
`DIVISORS` turns a sum into the mart's unit.
"""

from __future__ import annotations

from dataclasses import dataclass
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
                        "tax_code": frame["tax_code"] if "tax_code" in frame else pd.Series(None, index=frame.index, dtype="str"),
                        "amount": amount.astype("int64")})
    return out


def _violations(facts: YearFacts) -> list[pd.DataFrame]:
    events = facts.compliance
    if events.empty:
        return []
    incident = events["event_type"].isin(["vi phạm", "sự cố"])
    serious = facts.plan.rule("flag", "serious_severity")
    parts = {"violations_serious": events[incident & (events["severity"] == serious)],
             "violations_minor": events[incident & (events["severity"] != serious)]}
    return [_long(part, name, pd.Series(1, index=part.index)) for name, part in parts.items()]


def measures(facts: YearFacts) -> pd.DataFrame:
    """Every zoned indicator of the year, one row per source row (built once per year; read-only)."""
    if "measures" not in facts.derived:
        facts.derived["measures"] = _measures(facts)
    return facts.derived["measures"]


def _measures(facts: YearFacts) -> pd.DataFrame:
    monthly = facts.reports
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


@dataclass(frozen=True)
class MonthSums:
    """Exact sums of every indicator per key (tax code or zone; one overall key without) and month."""
    keys: pd.Index
    indicators: pd.Index
    amounts: np.ndarray        # int64 [key, indicator, month - 1]
    present: np.ndarray        # bool, same shape: some source row counted there

    def total(self, indicator: str, months, at: np.ndarray | None = None) -> np.ndarray:
        """Per key (all, or those at the positions `at` from `positions`; 0 at -1): the indicator over `months`."""
        if indicator not in self.indicators:
            return np.zeros(len(self.keys) if at is None else len(at), dtype=np.int64)
        sums = self.amounts[:, self.indicators.get_loc(indicator), [m - 1 for m in months]].sum(axis=1)
        if at is None:
            return sums
        return np.where(at >= 0, sums[np.maximum(at, 0)], 0) if len(sums) else np.zeros(len(at), dtype=np.int64)

    def positions(self, keys) -> np.ndarray:
        """Where each of `keys` is among this table's keys (-1: no rows), for `total`."""
        return self.keys.get_indexer(keys)

    def keys_with(self, indicators, months) -> list:
        """Keys with some row of these indicators in these months."""
        columns = [self.indicators.get_loc(i) for i in indicators if i in self.indicators]
        seen = self.present[:, columns][:, :, [m - 1 for m in months]].any(axis=(1, 2))
        return self.keys[seen].tolist()


def month_sums(facts: YearFacts, by: str | None = None) -> MonthSums:
    """`measures` summed per `by` (a column, or None for the whole province) and month, built once per year:
    one scatter-add into an integer array instead of a group-by per phase."""
    name = f"month_sums:{by}"
    if name not in facts.derived:
        data = measures(facts)
        if by is not None:       # rows without a key get code -1 and are left out (numpy, not a frame filter)
            key_codes, keys = _codes(facts, by)
        else:
            key_codes, keys = np.zeros(len(data), dtype=np.intp), [None]
        indicator_codes, indicators = _codes(facts, "indicator")
        keep = key_codes >= 0
        at = (key_codes[keep], indicator_codes[keep], data["month"].to_numpy(dtype=np.intp)[keep] - 1)
        amounts = np.zeros((len(keys), len(indicators), 12), dtype=np.int64)
        flat = np.ravel_multi_index(at, amounts.shape)     # numpy's add.at is 6x faster on one flat index
        np.add.at(amounts.reshape(-1), flat, data["amount"].to_numpy(dtype=np.int64)[keep])
        present = np.zeros(amounts.shape, dtype=bool)
        present[at] = True
        facts.derived[name] = MonthSums(pd.Index(keys), pd.Index(indicators), amounts, present)
    return facts.derived[name]


def _codes(facts: YearFacts, column: str) -> tuple[np.ndarray, pd.Index]:
    """`measures`' column as integer codes, factorized once per year for every month_sums."""
    name = f"codes:{column}"
    if name not in facts.derived:
        facts.derived[name] = pd.factorize(measures(facts)[column])
    return facts.derived[name]


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


def half_even_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Integer num / den (den > 0) rounded half to even, as Decimal rounds."""
    quotient, rest = np.divmod(np.abs(num), den)
    quotient += (2 * rest > den) | ((2 * rest == den) & (quotient % 2 == 1))
    return np.sign(num) * quotient


def pct_series(part, whole) -> pd.Series:
    """`pct` for whole columns of integer counts: part * 100 / whole to 4 places, half to even."""
    part, whole = np.asarray(part, dtype=np.int64), np.asarray(whole, dtype=np.int64)
    return decimal_series(half_even_div(part * 10**6, np.maximum(whole, 1)), 4, valid=whole > 0)


def change_pct(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """(now - before) * 100 / before (before > 0) to 4 places, half to even, as floats: `pct`'s
    Decimal result, in int64 where nothing can overflow or lose digits, by Decimal for the rest."""
    change, before = np.asarray(now, dtype=np.int64) - before, np.asarray(before, dtype=np.int64)
    safe = np.abs(change) < 9 * 10**12                    # change * 10**6 stays within int64
    units = half_even_div(np.where(safe, change, 0) * 10**6, before)
    safe &= np.abs(units) < 2**53                          # exact as a float before the division
    out = units / 10**4
    out[~safe] = [float((Decimal(int(c)) * 100 / Decimal(int(b))).quantize(Decimal("0.0001")))
                  for c, b in zip(change[~safe], before[~safe])]
    return out


def pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.0001"))
