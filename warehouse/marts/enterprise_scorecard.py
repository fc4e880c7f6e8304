"""enterprise_scorecard: year x phase x enterprise, the phase's own figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from warehouse.marts.base import (C_CLUSTER, C_NAME, C_PHASE, C_TAX, C_YEAR, C_ZONE, COUNT, VALUE, Mart, cols)
from warehouse.marts.measures import exact_series, month_sums
from warehouse.marts.reporting_completeness import phase_counts

FIGURES = ("production", "export", "new_jobs", "budget_paid", "violations_serious", "violations_minor")
COUNTED = ("new_jobs", "violations_serious", "violations_minor")


def build(facts) -> pd.DataFrame:
    from tasks.transform import as_of, sorted_union

    sums, counts = month_sums(facts, "tax_code"), phase_counts(facts)
    frames = []
    for phase in facts.changed_phases:
        months = facts.plan.months(phase)
        phase_rows = counts[counts["phase"] == phase].set_index("tax_code") if not counts.empty else pd.DataFrame()
        codes = sorted_union(sums.keys_with(FIGURES, months), phase_rows.index)
        frame, at = pd.DataFrame({"tax_code": codes.array, "phase": phase}), sums.positions(codes)
        for fig in FIGURES:
            amounts = sums.total(fig, months, at)
            frame[fig] = amounts if fig in COUNTED else exact_series(amounts, fig).array
        reports = phase_rows.reindex(index=codes, fill_value=0) if len(phase_rows) else None
        for src, dst in (("expected", "reports_expected"), ("received", "reports_received"), ("on_time", "reports_on_time")):
            frame[dst] = reports[src].to_numpy(dtype=np.int64) if reports is not None else 0
        frame["phase_end"] = pd.Timestamp(facts.year, months[-1], 1) + pd.offsets.MonthEnd(0)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["tax_code"])
    if frame.empty:
        return pd.DataFrame(columns=MART.column_names)
    frame = as_of(frame, "tax_code", "phase_end", facts.roster, ["name", "zone_code", "cluster"])
    frame = frame.rename(columns={"name": "enterprise_name"}).assign(year=facts.year)
    return frame[MART.column_names]


MART = Mart(
    "enterprise_scorecard",
    "Kết quả của từng doanh nghiệp trong đợt: sản xuất, xuất khẩu, lao động, ngân sách, báo cáo, vi phạm",
    cols(C_YEAR, C_PHASE, C_TAX, C_NAME, C_ZONE, C_CLUSTER,
         ("production", VALUE, "Giá trị sản xuất công nghiệp trong đợt (tỷ đồng)"),
         ("export", VALUE, "Kim ngạch xuất khẩu trong đợt (triệu USD)"),
         ("new_jobs", COUNT, "Lao động tuyển mới trong đợt (người)"),
         ("budget_paid", VALUE, "Nộp ngân sách trong đợt (tỷ đồng)"),
         ("reports_expected", COUNT, "Số tháng phải báo cáo"),
         ("reports_received", COUNT, "Số tháng đã báo cáo"),
         ("reports_on_time", COUNT, "Số tháng báo cáo đúng hạn"),
         ("violations_serious", COUNT, "Số vi phạm, sự cố nghiêm trọng"),
         ("violations_minor", COUNT, "Số vi phạm, sự cố mức nhẹ")),
    build,
)
