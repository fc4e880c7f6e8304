"""reporting_completeness: year x phase x enterprise, reports expected, received, on time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tasks.transform import TaxCodes, match_months, tax_codes
from warehouse.marts.base import (C_PHASE, C_TAX, C_YEAR, C_ZONE, COUNT, PCT, Mart, cols)
from warehouse.marts.measures import pct_series


def monthly_status(facts) -> pd.DataFrame:
    """tax_code x month of the year: expected (operating on the month's last day), received, on time.
    Built once per year (read-only)."""
    if "monthly_status" not in facts.derived:
        facts.derived["monthly_status"] = _monthly_status(facts)
    return facts.derived["monthly_status"]


def _monthly_status(facts) -> pd.DataFrame:
    grid = facts.operating[["tax_code", "month"]].copy()
    grid["expected"] = (facts.operating["status"] == "hoạt động").to_numpy(dtype=bool)
    late = _lateness(grid, facts.reports, tax_codes(facts))
    grid["received"] = grid["expected"] & ~np.isnan(late)
    grid["on_time"] = grid["received"] & (late == 0)
    grid["reported_late"] = grid["received"] & (late == 1)
    return grid


def _lateness(grid: pd.DataFrame, reports: pd.DataFrame, taxes: TaxCodes) -> np.ndarray:
    """Per grid row (the operating grid's tax_code, month): 1 when its report came late, 0 on time,
    NaN without one (or lateness unknown); one report per enterprise and month."""
    late = np.full(len(grid), np.nan)
    if reports.empty or grid.empty:
        return late
    codes = np.concatenate([taxes.operating, taxes.reports])
    months = np.concatenate([grid["month"].to_numpy(dtype=np.int64), reports["month"].to_numpy(dtype=np.int64)])
    at = match_months(codes, months, len(grid), len(taxes.keys))
    flags = reports["late"].astype("boolean").to_numpy(dtype="float64", na_value=np.nan)   # bool: no Python objects
    late[at >= 0] = flags[at[at >= 0]]
    return late


def phase_counts(facts) -> pd.DataFrame:
    """year x phase x tax_code counts (built once per year; read-only)."""
    if "phase_counts" not in facts.derived:
        facts.derived["phase_counts"] = _phase_counts(facts)
    return facts.derived["phase_counts"]


def _phase_counts(facts) -> pd.DataFrame:
    status = monthly_status(facts)
    keyed = tax_codes(facts)          # integer keys (the grid's: the roster's sorted codes), one scatter-add per count
    codes, taxes = keyed.operating, keyed.keys
    month = status["month"].to_numpy()
    frames = []
    for phase in facts.changed_phases:
        months = facts.plan.months(phase)
        rows = np.isin(month, list(months)) & (codes >= 0)
        seen = np.bincount(codes[rows], minlength=len(taxes)) > 0
        counts = pd.DataFrame({"tax_code": taxes[seen]})
        for column in ("expected", "received", "on_time"):
            counts[column] = np.bincount(codes[rows], weights=status[column].to_numpy(dtype=np.int64)[rows],
                                         minlength=len(taxes))[seen].astype(np.int64)
        counts["phase"] = phase
        counts["phase_end"] = pd.Timestamp(facts.year, months[-1], 1) + pd.offsets.MonthEnd(0)
        frames.append(counts)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def build(facts) -> pd.DataFrame:
    from tasks.transform import as_of

    counts = phase_counts(facts)
    if counts.empty:
        return pd.DataFrame(columns=MART.column_names)
    counts = as_of(counts, "tax_code", "phase_end", facts.roster, ["zone_code"])
    counts["year"] = facts.year
    # .array keeps Arrow decimals (to_numpy would make one Python Decimal per row for the writer to convert back)
    counts["completeness_pct"] = pct_series(counts["received"], counts["expected"]).array
    counts["timeliness_pct"] = pct_series(counts["on_time"], counts["expected"]).array
    return counts[MART.column_names]


MART = Mart(
    "reporting_completeness",
    "Tình hình gửi báo cáo tháng của doanh nghiệp theo đợt: số kỳ phải gửi, đã gửi, gửi đúng hạn",
    cols(C_YEAR, C_PHASE, C_ZONE, C_TAX,
         ("expected", COUNT, "Số tháng phải báo cáo (doanh nghiệp đang hoạt động vào ngày cuối tháng)"),
         ("received", COUNT, "Số tháng đã có báo cáo"),
         ("on_time", COUNT, "Số tháng báo cáo đúng hạn (lần gửi đầu tiên trước 23:59:59 ngày 10 tháng sau)"),
         ("completeness_pct", PCT, "Tỷ lệ đầy đủ = đã gửi / phải gửi × 100"),
         ("timeliness_pct", PCT, "Tỷ lệ đúng hạn = đúng hạn / phải gửi × 100")),
    build,
)
