"""award_quota: year x award, the plan's minimum against what the data yields."""

from __future__ import annotations

import pandas as pd

from warehouse.marts.base import C_YEAR, CODE, COUNT, Mart, cols

AWARDS = ("flag", "merit_collective", "merit_individual")


def build_from(year: int, quotas: dict, flag: pd.DataFrame, collective: pd.DataFrame,
               individual: pd.DataFrame) -> pd.DataFrame:
    achieved = {"flag": int(flag["recommended"].fillna(False).astype(bool).sum()),
                "merit_collective": int(collective["eligible"].fillna(False).astype(bool).sum()),
                "merit_individual": int(individual["eligible"].fillna(False).astype(bool).sum())}
    rows = []
    for award in AWARDS:
        required = quotas.get(award)
        rows.append({"year": year, "award": award, "required": required, "achieved": achieved[award],
                     "shortfall": max(0, required - achieved[award]) if required is not None else None})
    return pd.DataFrame(rows)


MART = Mart(
    "award_quota",
    "Chỉ tiêu khen thưởng của kế hoạch so với số đủ điều kiện: Cờ thi đua, Bằng khen tập thể, Bằng khen cá nhân",
    cols(C_YEAR, ("award", CODE, "Hình thức: flag (Cờ thi đua), merit_collective, merit_individual"),
         ("required", COUNT, "Số tối thiểu theo kế hoạch"),
         ("achieved", COUNT, "Số đủ điều kiện (Cờ: được đề nghị)"),
         ("shortfall", COUNT, "Còn thiếu = max(0, tối thiểu − đạt)")),
    None,
)
