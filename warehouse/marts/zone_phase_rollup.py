"""zone_phase_rollup: year x phase x zone x indicator, every indicator that has a zone."""

from __future__ import annotations

import pandas as pd

from warehouse.marts.base import (C_INDICATOR, C_PHASE, C_UNIT, C_YEAR, C_ZONE, C_ZONE_NAME, TEXT, VALUE, Mart, cols)
from warehouse.marts.measures import UNITS, ZONED, exact, month_sums


def zones_of_year(zones: pd.DataFrame, year: int) -> pd.DataFrame:
    """Zones that exist during the year, named (and placed in a province) as on its last day."""
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    live = zones[(zones["valid_from"] <= end) & (zones["valid_to"] >= start)]
    return live.sort_values("valid_from").drop_duplicates("zone_code", keep="last")[["zone_code", "zone_name", "province"]]


def build(facts) -> pd.DataFrame:
    sums = month_sums(facts, "zone_code")
    zones = zones_of_year(facts.zones, facts.year)
    extra = set(sums.keys) - set(zones["zone_code"])
    zones = pd.concat([zones, pd.DataFrame({"zone_code": sorted(extra), "zone_name": None, "province": None})])
    rows = []
    for phase in facts.changed_phases:
        months = facts.plan.months(phase)
        at = sums.positions(zones["zone_code"].tolist())
        totals = {i: sums.total(i, months, at).tolist() for i in ZONED}
        for z, zone in enumerate(zones.itertuples()):
            for indicator in ZONED:
                amount = totals[indicator][z]
                rows.append({"year": facts.year, "phase": phase, "zone_code": zone.zone_code,
                             "zone_name": zone.zone_name, "province": zone.province, "indicator": indicator, "unit": UNITS[indicator],
                             "actual": exact(amount, indicator)})
    return pd.DataFrame(rows)


MART = Mart(
    "zone_phase_rollup",
    "Kết quả thực hiện các chỉ tiêu theo KCN và đợt thi đua",
    cols(C_YEAR, C_PHASE, C_ZONE, C_ZONE_NAME, ("province", TEXT, "Tỉnh của KCN vào ngày cuối năm"),
         C_INDICATOR, C_UNIT,
         ("actual", VALUE, "Thực hiện trong đợt tại KCN")),
    build,
)
