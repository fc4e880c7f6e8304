"""phase_progress: year x phase x indicator, against the plan's annual targets."""

from __future__ import annotations

import pandas as pd

from warehouse.marts.base import (C_INDICATOR, C_PHASE, C_UNIT, C_YEAR, PCT, VALUE, Mart, cols)
from warehouse.marts.measures import INDICATORS, UNITS, admin_share, exact, month_sums, pct


def build(facts) -> pd.DataFrame:
    sums = month_sums(facts)
    rows = []
    for phase in facts.changed_phases:
        for indicator in INDICATORS:
            if indicator == "admin_on_time":
                actual = pct(*admin_share(facts.admin, facts.plan.months(phase)))
                cumulative = pct(*admin_share(facts.admin, facts.plan.cumulative_months(phase)))
            else:
                actual = exact(sums.total(indicator, facts.plan.months(phase))[0], indicator)
                cumulative = exact(sums.total(indicator, facts.plan.cumulative_months(phase))[0], indicator)
            target = facts.plan.targets.get(indicator)
            rows.append({"year": facts.year, "phase": phase, "indicator": indicator, "unit": UNITS[indicator],
                         "actual": actual,
                         "cumulative_actual": cumulative if target is not None else None,
                         "target": target,
                         "pct_of_target": pct(cumulative, target) if target and cumulative is not None else None})
    return pd.DataFrame(rows)


MART = Mart(
    "phase_progress",
    "Tiến độ thực hiện chỉ tiêu kế hoạch thi đua theo đợt: thực hiện trong đợt, lũy kế từ đầu năm, so với chỉ tiêu năm",
    cols(C_YEAR, C_PHASE, C_INDICATOR, C_UNIT,
         ("actual", VALUE, "Thực hiện trong đợt"),
         ("cumulative_actual", VALUE, "Lũy kế từ tháng 1 đến hết đợt (để trống nếu kế hoạch không đặt chỉ tiêu)"),
         ("target", VALUE, "Chỉ tiêu năm theo kế hoạch"),
         ("pct_of_target", PCT, "Tỷ lệ lũy kế so với chỉ tiêu năm (%)")),
    build,
)
