"""The award criteria of contract.md section 5, each a pass/fail with a Vietnamese reason.

Rule parameters come from the year's plan (`awards:` in config/plans/<year>.yaml).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from warehouse.marts.measures import exact
from warehouse.marts.reporting_completeness import monthly_status
from tasks.transform import micro


@dataclass
class Verdict:
    passed: bool | None
    reason: str | None = None      # why it failed, or a note when it passed


def _months(months) -> str:
    return ", ".join(str(int(m)) for m in sorted(months))


def _vnd(value: float) -> str:
    return f"{value:,.3f}".replace(",", " ").replace(".", ",").replace(" ", ".").rstrip("0").rstrip(",")


class EnterpriseYear:
    """Everything the enterprise criteria read for one year, indexed by tax code."""

    def __init__(self, facts):
        self.facts, self.year, self.plan = facts, facts.year, facts.plan
        monthly = facts.monthly
        # Grouped once: criteria are asked per enterprise, tens of thousands of times nationally.
        self._status = _by_tax(monthly_status(facts))
        self._this_year = _by_tax(monthly[monthly["year"] == self.year] if not monthly.empty else monthly)
        self._last_year = _by_tax(monthly[monthly["year"] == self.year - 1] if not monthly.empty else monthly)
        self._events = _by_tax(facts.compliance)
        self._nominations = _by_tax(facts.nominations)
        self._empty = {"status": monthly_status(facts).iloc[:0], "monthly": monthly.iloc[:0],
                       "events": facts.compliance.iloc[:0], "nominations": facts.nominations.iloc[:0]}

    def rule(self, name):
        return self.plan.rule("flag", name)

    def reporting(self, tax: str) -> Verdict:
        rows = self._status.get(tax, self._empty["status"])
        rows = rows[rows["expected"]]
        missing = rows.loc[~rows["received"], "month"]
        late = rows.loc[rows["reported_late"], "month"]
        allowed = int(self.rule("late_reports_allowed"))
        problems = []
        if len(missing):
            problems.append(f"thiếu báo cáo tháng {_months(missing)}/{self.year}")
        if len(late) > allowed:
            problems.append(f"{len(late)} báo cáo trễ hạn (tháng {_months(late)}/{self.year}), "
                            f"chỉ cho phép tối đa {allowed}")
        return Verdict(not problems, "; ".join(problems) or None)

    def budget(self, tax: str) -> Verdict:
        paid = self._this_year.get(tax, self._empty["monthly"])["budget_paid"]
        total = exact(int(micro(paid).sum()), "budget_paid")
        if total > Decimal(str(self.rule("min_budget_paid"))):
            return Verdict(True)
        return Verdict(False, f"tổng nộp ngân sách năm {self.year} là {_vnd(float(total))} tỷ đồng")

    def social_insurance(self, tax: str) -> Verdict:
        rows = self._this_year.get(tax, self._empty["monthly"])
        if rows.empty:
            return Verdict(False, f"không có báo cáo tháng nào trong năm {self.year} để xác định nợ BHXH")
        latest = rows.sort_values("period").iloc[-1]
        arrears = float(latest["si_arrears"] or 0)
        if arrears <= float(self.rule("max_si_arrears")):
            return Verdict(True)
        return Verdict(False, f"còn nợ BHXH {_vnd(arrears)} triệu đồng tại kỳ {latest['period'][5:]}/{self.year}")

    def compliance(self, tax: str) -> Verdict:
        events = self._events.get(tax, self._empty["events"])
        if events.empty:
            return Verdict(True)
        serious = self.rule("serious_severity")
        incident = events["event_type"].isin(["vi phạm", "sự cố"])
        bad = events[(incident & (events["severity"] == serious))
                     | ((events["event_type"] == "vi phạm") & events["domain"].isin(self.rule("any_severity_domains")))]
        if bad.empty:
            return Verdict(True)
        listed = "; ".join(f"{e.event_type} {e.severity or ''} lĩnh vực {e.domain} ngày "
                           f"{e.event_date:%d/%m/%Y} (biên bản {e.record_id})".replace("  ", " ")
                           for e in bad.sort_values("event_date").itertuples())
        return Verdict(False, listed)

    def growth(self, tax: str) -> tuple[Verdict, float | None]:
        now = self._this_year.get(tax, self._empty["monthly"]).set_index("month")["production_value"]
        before = self._last_year.get(tax, self._empty["monthly"]).set_index("month")["production_value"]
        common = now.index.intersection(before.index)
        if common.empty:
            return Verdict(True, "không có số liệu năm trước"), None
        a, b = int(micro(now[common]).sum()), int(micro(before[common]).sum())
        if b == 0:
            return Verdict(True, "không có số liệu năm trước (sản xuất năm trước bằng 0)"), None
        growth = float((Decimal(a - b) * 100 / Decimal(b)).quantize(Decimal("0.0001")))
        minimum = float(self.rule("min_growth_pct"))
        if growth >= minimum:
            return Verdict(True), growth
        return Verdict(False, f"sản xuất giảm {abs(growth):.2f}% so với cùng kỳ {self.year - 1} "
                              f"(tháng {_months(common)})"), growth

    def initiative(self, tax: str) -> Verdict:
        noms = self._nominations.get(tax, self._empty["nominations"])
        mine = noms[noms["award"] == "cờ thi đua"]
        if mine.empty:
            return Verdict(False, f"không có hồ sơ đề nghị Cờ thi đua năm {self.year}")
        if (mine["initiatives"].fillna(0) >= int(self.rule("min_initiatives"))).any():
            return Verdict(True)
        return Verdict(False, "hồ sơ đề nghị Cờ thi đua không có sáng kiến, mô hình mới được công nhận")

    def production(self, tax: str) -> Decimal:
        values = self._this_year.get(tax, self._empty["monthly"])["production_value"]
        return exact(int(micro(values).sum()), "production")

    def enterprise_standing(self, tax: str) -> Verdict:
        """k_enterprise / i_enterprise: compliance and social insurance of the nominee's enterprise."""
        verdicts = [self.compliance(tax), self.social_insurance(tax)]
        failed = [v.reason for v in verdicts if not v.passed]
        return Verdict(not failed, f"doanh nghiệp {tax}: " + "; ".join(failed) if failed else None)


def _by_tax(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame.empty or "tax_code" not in frame:
        return {}
    return dict(tuple(frame.groupby("tax_code", sort=False)))


def join_reasons(named: list[tuple[str, Verdict]]) -> str | None:
    parts = [f"{name}: {v.reason}" for name, v in named if v.reason]
    return " | ".join(parts) or None


def frame_or_empty(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
