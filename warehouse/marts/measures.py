"""The indicators of contract.md section 4 as exact amounts, summed per key and month.

Each source row counts for an indicator in a month, a zone and (for most) an
enterprise, with an amount that is an integer in millionths of the source unit
(or a count), so that sums are exact; `DIVISORS` turns a sum into the mart's unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from tasks.transform import YearFacts, micro, positions, tax_codes

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


def exact(amount: int, indicator: str) -> Decimal:
    return Decimal(int(amount)) / Decimal(DIVISORS[indicator])


@dataclass(frozen=True)
class Part:
    """One source's rows of one indicator: month, key columns (shared by the parts of one source,
    so each is factorized once) and exact amounts."""
    indicator: str
    month: np.ndarray                       # 1..12
    keys: dict[str, Key]                    # zone_code, tax_code (None: the source has none)
    amount: np.ndarray                      # int64


@dataclass(frozen=True)
class Coded:
    """A key column already factorized: integer codes (-1: blank) into `keys`."""
    codes: np.ndarray
    keys: pd.Index


Key = pd.Series | Coded | None


def _keys(frame: pd.DataFrame) -> dict[str, Key]:
    return {"zone_code": frame["zone_code"], "tax_code": frame["tax_code"] if "tax_code" in frame else None}


def _part(frame: pd.DataFrame, indicator: str, amount, keys: dict[str, Key] | None = None) -> Part:
    return Part(indicator, frame["month"].to_numpy(dtype=np.intp), keys or _keys(frame),
                np.asarray(amount, dtype=np.int64))


def _violations(facts: YearFacts) -> list[Part]:
    events = facts.compliance
    if events.empty:
        return []
    incident = events["event_type"].isin(["vi phạm", "sự cố"])
    serious = facts.plan.rule("flag", "serious_severity")
    parts = {"violations_serious": events[incident & (events["severity"] == serious)],
             "violations_minor": events[incident & (events["severity"] != serious)]}
    return [_part(part, name, np.ones(len(part))) for name, part in parts.items()]


def measures(facts: YearFacts) -> list[Part]:
    """Every zoned indicator of the year, one part per source and indicator (built once per year; read-only)."""
    if "measures" not in facts.derived:
        facts.derived["measures"] = [p for p in _measures(facts) if len(p.month)]
    return facts.derived["measures"]


def _measures(facts: YearFacts) -> list[Part]:
    monthly = facts.reports
    parts = []
    if not monthly.empty:
        taxes = tax_codes(facts)       # four indicators, one pair of key columns; tax codes factorized already
        keys = {"zone_code": monthly["zone_code"], "tax_code": Coded(taxes.reports, taxes.keys)}
        parts += [_part(monthly, "production", micro(monthly["production_value"]), keys),
                  _part(monthly, "export", micro(monthly["export_value"]), keys),
                  _part(monthly, "new_jobs", monthly["workers_hired"].fillna(0), keys),
                  _part(monthly, "budget_paid", micro(monthly["budget_paid"]), keys)]
    inv = facts.investment
    if not inv.empty:
        inv = inv[inv["action"].isin(["cấp mới", "tăng vốn"])]
        parts.append(_part(inv.assign(tax_code=inv["investor_tax_code"]), "investment", micro(inv["capital_change"])))
    if not facts.land.empty:
        parts.append(_part(facts.land, "clean_land", micro(facts.land["cleared_ha"])))
    zev = facts.zone_events
    if not zev.empty:
        new = zev[zev["event"] == "thành lập mới"]
        parts.append(_part(new, "new_zones", np.ones(len(new))))
    return parts + _violations(facts)


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
        return positions(self.keys, keys)

    def keys_with(self, indicators, months) -> pd.Index:
        """Keys with some row of these indicators in these months."""
        columns = [self.indicators.get_loc(i) for i in indicators if i in self.indicators]
        seen = self.present[:, columns][:, :, [m - 1 for m in months]].any(axis=(1, 2))
        return self.keys[seen]


def month_sums(facts: YearFacts, by: str | None = None) -> MonthSums:
    """`measures` summed per `by` (a key column, or None for the whole province) and month, built
    once per year: one scatter-add into an integer array instead of a group-by per phase."""
    name = f"month_sums:{by}"
    if name not in facts.derived:
        parts, (indicators, slots, amounts) = measures(facts), _slots(facts)
        if by is None:
            codes, keys = np.zeros(len(slots), dtype=np.intp), pd.Index([None])
        else:
            per_part, keys = _key_codes([p.keys[by] for p in parts], [len(p.month) for p in parts])
            codes = np.concatenate(per_part or [np.zeros(0, dtype=np.intp)])
        sums = np.zeros((len(keys), len(indicators), 12), dtype=np.int64)
        present = np.zeros(sums.shape, dtype=bool)
        flat = codes * (len(indicators) * 12) + slots    # a flat index: add.at is 6x faster on it than on a tuple
        keep = codes >= 0                                # rows without a key (code -1) are left out
        flat, kept = (flat, amounts) if keep.all() else (flat[keep], amounts[keep])
        np.add.at(sums.reshape(-1), flat, kept)
        present.reshape(-1)[flat] = True
        facts.derived[name] = MonthSums(keys, indicators, sums, present)
    return facts.derived[name]


def _slots(facts: YearFacts) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """The indicators, and every part's rows stacked: (indicator, month) as one slot number
    (indicator * 12 + month - 1) and the amount; worked out once for all three month_sums."""
    if "slots" not in facts.derived:
        parts = measures(facts)
        indicators = pd.Index(list(dict.fromkeys(p.indicator for p in parts)))
        slots = [indicators.get_loc(p.indicator) * 12 + p.month - 1 for p in parts]
        facts.derived["slots"] = (indicators, np.concatenate(slots or [np.zeros(0, dtype=np.intp)]),
                                  np.concatenate([p.amount for p in parts] or [np.zeros(0, dtype=np.int64)]))
    return facts.derived["slots"]


def _key_codes(columns: list[Key], lengths: list[int]) -> tuple[list[np.ndarray], pd.Index]:
    """Each part's key column as integer codes into one index of every key (-1: none); a column
    several parts share is factorized once."""
    local: dict[int, tuple[np.ndarray, np.ndarray]] = {}      # id(column) -> its codes, its distinct keys
    for column in columns:
        if column is not None and id(column) not in local:
            local[id(column)] = (column.codes, column.keys) if isinstance(column, Coded) else pd.factorize(column)
    # All distinct keys in order of first appearance, column after column, factorized once more.
    shared, keys = pd.factorize(np.concatenate([np.asarray(u, dtype=object) for _, u in local.values()] or [[]]))
    mappings, start = {}, 0
    for key, (_, uniques) in local.items():
        mappings[key] = np.append(shared[start:start + len(uniques)], -1).astype(np.intp)   # code -1 -> -1
        start += len(uniques)
    codes = [np.full(length, -1, dtype=np.intp) if column is None else mappings[id(column)][local[id(column)][0]]
             for column, length in zip(columns, lengths)]
    return codes, pd.Index(list(keys))


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
