"""The award criteria of contract.md section 5, each a pass/fail with a Vietnamese reason.

Rule parameters come from the year's plan (`awards:` in config/plans/<year>.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal

import numpy as np
import pandas as pd

from warehouse.marts.measures import DIVISORS, change_pct, exact, exact_series
from warehouse.marts.reporting_completeness import monthly_status
from tasks.transform import TaxCodes, match_months, micro, positions, tax_codes


@dataclass
class Verdict:
    passed: bool | None
    reason: str | None = None      # why it failed, or a note when it passed


def _vn_pct(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "%"


def _vnd(value: float) -> str:
    return f"{value:,.3f}".replace(",", " ").replace(".", ",").replace(" ", ".").rstrip("0").rstrip(",")


class EnterpriseYear:
    """Everything the enterprise criteria read for one year, one row per enterprise.

    Criteria are asked of tens of thousands of enterprises nationally, so every
    figure is one group-by and every criterion is judged for a whole list of
    enterprises at once; only the reasons of those that fail are formatted.
    """

    def __init__(self, facts):
        self.year, self.plan = facts.year, facts.plan
        this, last = facts.reports, facts.prior
        status = monthly_status(facts)
        months, expected = status[["tax_code", "month"]], status["expected"].to_numpy(dtype=bool)   # two columns, not the grid
        taxes = _ReportTaxes(tax_codes(facts))
        self.figures: dict[str, pd.Series] = {      # each by tax_code; amounts as exact integers
            "missing": _month_mask(months[expected & ~status["received"].to_numpy(dtype=bool)]),
            "late": _month_mask(months[expected & status["reported_late"].to_numpy(dtype=bool)]),
            "budget": taxes.sum_this(micro(this["budget_paid"])) if len(this) else pd.Series(dtype="int64"),
            "production": taxes.sum_this(micro(this["production_value"])) if len(this) else pd.Series(dtype="int64"),
            **_latest_arrears(this, taxes), **_growth_base(this, last, taxes),
            "initiatives": _flag_initiatives(facts.nominations),
        }
        self._bad_events(facts.compliance)
        self._looked_up: list[tuple[pd.Index, list[str], np.ndarray]] = []

    def _bad_events(self, events: pd.DataFrame) -> None:
        if events.empty:
            self._bad = {}
            return
        serious = self.rule("serious_severity")
        incident = events["event_type"].isin(["vi phạm", "sự cố"])
        bad = events[(incident & (events["severity"] == serious))
                     | ((events["event_type"] == "vi phạm") & events["domain"].isin(self.rule("any_severity_domains")))]
        bad = bad[bad["tax_code"].notna()].sort_values("event_date")
        self._bad = {}          # tax_code -> its serious events, in date order, as the reason names them
        for tax, kind, severity, domain, day, record in zip(bad["tax_code"], bad["event_type"], bad["severity"],
                                                            bad["domain"], bad["event_date"], bad["record_id"]):
            event = " ".join(f"{kind} {severity or ''} lĩnh vực {domain} ngày {day:%d/%m/%Y} (biên bản {record})".split())
            self._bad[tax] = f"{self._bad[tax]}; {event}" if tax in self._bad else event

    def rule(self, name):
        return self.plan.rule("flag", name)

    def _get(self, taxes: list[str], figure: str, default=0) -> np.ndarray:
        """One figure for these enterprises; `default` for the others (integers stay integers)."""
        series = self.figures[figure]
        if series.empty:
            return series.reindex(taxes, fill_value=default).to_numpy()
        at = self._positions(series.index, taxes)
        return np.where(at >= 0, series.to_numpy()[np.maximum(at, 0)], default)

    def _positions(self, index: pd.Index, taxes: list[str]) -> np.ndarray:
        """Where the enterprises are in a figure's index; figures summed over the reports share
        one index, so the lookup is made once per index and list of enterprises."""
        for known, probes, at in self._looked_up:
            if known is index and probes is taxes:
                return at
        self._looked_up.append((index, taxes, positions(index, taxes)))
        return self._looked_up[-1][2]

    def reporting(self, taxes: list[str]) -> Criterion:
        missing, late = self._get(taxes, "missing"), self._get(taxes, "late")
        allowed = int(self.rule("late_reports_allowed"))
        passed = (missing == 0) & (np.bitwise_count(late) <= allowed)

        def reason(missing: int, late: int) -> str:
            problems = [f"thiếu báo cáo tháng {_months(missing)}/{self.year}"] if missing else []
            if late.bit_count() > allowed:
                problems.append(f"{late.bit_count()} báo cáo trễ hạn (tháng {_months(late)}/{self.year}), "
                                f"chỉ cho phép tối đa {allowed}")
            return "; ".join(problems)
        return passed, _reasons(passed, reason, missing, late)

    def budget(self, taxes: list[str]) -> Criterion:
        total = self._get(taxes, "budget")
        floor = int(Decimal(str(self.rule("min_budget_paid"))) * DIVISORS["budget_paid"] // 1)
        passed = total > floor            # integers: total > floor(min) is total > min
        return passed, _reasons(passed, lambda t: f"tổng nộp ngân sách năm {self.year} là "
                                                  f"{_vnd(float(exact(t, 'budget_paid')))} tỷ đồng", total)

    def social_insurance(self, taxes: list[str]) -> Criterion:
        period, arrears = self._get(taxes, "latest_period", None), self._get(taxes, "arrears", np.nan)
        passed = (pd.notna(period) & (np.nan_to_num(arrears.astype(float), nan=np.inf)
                                      <= float(self.rule("max_si_arrears"))))

        def reason(period, arrears) -> str:
            if period is None or period != period:
                return f"không có báo cáo tháng nào trong năm {self.year} để xác định nợ BHXH"
            return f"còn nợ BHXH {_vnd(arrears)} triệu đồng tại kỳ {period[5:]}/{self.year}"
        return passed, _reasons(passed, reason, period, arrears)

    def compliance(self, taxes: list[str]) -> Criterion:
        passed = np.array([t not in self._bad for t in taxes], dtype=bool)
        return passed, _reasons(passed, self._bad.get, taxes)

    def growth(self, taxes: list[str]) -> tuple[np.ndarray, list[str | None], np.ndarray]:
        """Pass/fail, reason or note, and growth % (NaN without a base) per enterprise."""
        now, before, months = (self._get(taxes, f) for f in ("now", "before", "common_months"))
        based = (months != 0) & (before != 0)
        growth = np.full(len(taxes), np.nan)
        growth[based] = change_pct(now[based], before[based])
        passed = ~(growth < float(self.rule("min_growth_pct")))       # no base: passes, with a note

        def reason(m: int, b: int, g: float) -> str:
            if not m:                  # no month reported in both years
                return "không có số liệu năm trước"
            if b == 0:
                return "không có số liệu năm trước (sản xuất năm trước bằng 0)"
            return f"sản xuất giảm {_vn_pct(abs(g))} so với cùng kỳ {self.year - 1} (tháng {_months(m)})"
        noted = passed & based         # only those without a base carry a note when they pass
        return passed, _reasons(noted, reason, months, before, growth), growth

    def initiative(self, taxes: list[str]) -> Criterion:
        count = self._get(taxes, "initiatives", np.nan).astype(float)
        passed = count >= int(self.rule("min_initiatives"))
        return passed, [None if ok else f"không có hồ sơ đề nghị Cờ thi đua năm {self.year}" if c != c else
                        "hồ sơ đề nghị Cờ thi đua không có sáng kiến, mô hình mới được công nhận"
                        for ok, c in zip(passed.tolist(), count.tolist())]

    def production(self, taxes: list[str]) -> pd.Series:
        return exact_series(self._get(taxes, "production"), "production")

    def enterprise_standings(self, taxes: list[str]) -> list[Verdict]:
        """k_enterprise / i_enterprise: compliance and social insurance of each nominee's enterprise
        (all nominees at once: one lookup per figure, not per nomination)."""
        (compliant, why_not), (insured, why_owed) = self.compliance(taxes), self.social_insurance(taxes)
        verdicts = []
        for tax, ok_c, why_c, ok_s, why_s in zip(taxes, compliant.tolist(), why_not, insured.tolist(), why_owed):
            failed = [why for ok, why in ((ok_c, why_c), (ok_s, why_s)) if not ok]
            verdicts.append(Verdict(not failed, f"doanh nghiệp {tax}: " + "; ".join(failed) if failed else None))
        return verdicts


Criterion = tuple[np.ndarray, list]     # passed per enterprise; the reason (None when passed) per enterprise


def _reasons(passed: np.ndarray, reason, *columns: np.ndarray | list) -> list[str | None]:
    """`reason(*values)` (Python values) for the enterprises that failed, None for the others; only
    the failures are visited."""
    failed = np.flatnonzero(~np.asarray(passed, dtype=bool))
    out: list[str | None] = [None] * len(passed)
    picked = [c[failed].tolist() if isinstance(c, np.ndarray) else [c[i] for i in failed.tolist()] for c in columns]
    for i, *values in zip(failed.tolist(), *picked):
        out[i] = reason(*values)
    return out


def _by_tax(taxes, values: np.ndarray) -> pd.Series:
    """tax_code -> the exact integer sum of its rows' `values` (integer codes and one scatter-add,
    not a group-by on text)."""
    return _scatter_sum(*pd.factorize(taxes), values)


def _month_mask(frame: pd.DataFrame) -> pd.Series:
    """tax_code -> its rows' months as bits (month m is bit m-1; one row per month and enterprise)."""
    if frame.empty:
        return pd.Series(dtype="int64")
    return _by_tax(frame["tax_code"], np.left_shift(1, frame["month"].to_numpy(dtype=np.int64) - 1))


@lru_cache(maxsize=4096)          # one per set of months
def _months(mask: int) -> str:
    return ", ".join(str(m) for m in range(1, 13) if mask >> (m - 1) & 1)


def _latest_arrears(this: pd.DataFrame, taxes: "_ReportTaxes") -> dict[str, pd.Series]:
    """The period and social-insurance arrears of each enterprise's last report of the year (one
    report per enterprise and month: the row whose month is its enterprise's latest)."""
    if this.empty:
        return {"latest_period": pd.Series(dtype=object), "arrears": pd.Series(dtype="float64")}
    codes, month = taxes.codes[:taxes.rows], this["month"].to_numpy(dtype=np.int64)
    latest = np.zeros(len(taxes.keys), dtype=np.int64)
    np.maximum.at(latest, codes[codes >= 0], month[codes >= 0])
    rows = np.flatnonzero((codes >= 0) & (month == latest[codes]))
    index = taxes.keys[codes[rows]]
    latest_rows = this.iloc[rows]            # the rows taken first: the year's columns are not converted whole
    return {"latest_period": pd.Series(latest_rows["period"].to_numpy(dtype=object), index=index),
            "arrears": pd.Series(latest_rows["si_arrears"].to_numpy(dtype="float64", na_value=np.nan), index=index).fillna(0.0)}


class _ReportTaxes:
    """The tax codes of this year's reports and then last year's as integer codes (the year's
    TaxCodes), for every figure summed per enterprise."""

    def __init__(self, taxes: TaxCodes):
        self.rows = len(taxes.reports)
        self.codes, self.keys = np.concatenate([taxes.reports, taxes.prior]), taxes.keys

    def sum_this(self, values: pd.Series) -> pd.Series:
        """tax_code -> exact sum of this year's rows' `values` (0 for an enterprise of last year only)."""
        return _scatter_sum(self.codes[:self.rows], self.keys, values.to_numpy())


def _scatter_sum(codes: np.ndarray, keys: pd.Index, values: np.ndarray) -> pd.Series:
    sums = np.zeros(len(keys), dtype=np.int64)
    np.add.at(sums, codes, np.asarray(values, dtype=np.int64))
    return pd.Series(sums, index=keys)


def _growth_base(this: pd.DataFrame, last: pd.DataFrame, taxes: _ReportTaxes) -> dict[str, pd.Series]:
    """Production of the months both years reported, this year and the year before, in micro-units."""
    if this.empty or last.empty:
        return {c: pd.Series(dtype="int64") for c in ("now", "before", "common_months")}
    months = np.concatenate([this["month"].to_numpy(dtype=np.int64), last["month"].to_numpy(dtype=np.int64)])
    before = match_months(taxes.codes, months, len(this), len(taxes.keys))
    now = np.flatnonzero(before >= 0)
    before, code = before[now], taxes.codes[now]
    return {"now": _scatter_sum(code, taxes.keys, micro(this["production_value"]).to_numpy()[now]),
            "before": _scatter_sum(code, taxes.keys, micro(last["production_value"]).to_numpy()[before]),
            "common_months": _scatter_sum(code, taxes.keys, np.left_shift(1, months[now] - 1))}


def _flag_initiatives(noms: pd.DataFrame) -> pd.Series:
    flags = noms[noms["award"] == "cờ thi đua"] if not noms.empty else noms
    return flags.groupby("tax_code")["initiatives"].max().fillna(0) if not flags.empty else pd.Series(dtype="float64")


def judge(facts) -> "EnterpriseYear":
    """One EnterpriseYear per year's facts, shared by the award marts."""
    if "judge" not in facts.derived:
        facts.derived["judge"] = EnterpriseYear(facts)
    return facts.derived["judge"]


def join_reasons(named: list[tuple[str, Verdict]]) -> str | None:
    parts = [f"{name}: {v.reason}" for name, v in named if v.reason]
    return " | ".join(parts) or None


def join_reason_columns(named: dict[str, list[str | None]]) -> list[str | None]:
    """`join_reasons` for whole columns: criterion label -> the reason (or None) per row; only the
    rows with some reason are visited."""
    parts: dict[int, list[str]] = {}
    for label, reasons in named.items():
        for i, reason in enumerate(reasons):
            if reason:
                parts.setdefault(i, []).append(f"{label}: {reason}")
    out: list[str | None] = [None] * len(next(iter(named.values()), []))
    for i, found in parts.items():
        out[i] = " | ".join(found)
    return out


def frame_or_empty(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
