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


def _vn_pct(value: float) -> str:
    return f"{value:.2f}".replace(".", ",") + "%"


def _vnd(value: float) -> str:
    return f"{value:,.3f}".replace(",", " ").replace(".", ",").replace(" ", ".").rstrip("0").rstrip(",")


class EnterpriseYear:
    """Everything the enterprise criteria read for one year, aggregated once per enterprise.

    Criteria are asked per enterprise, tens of thousands of times nationally, so
    every figure is computed here with one group-by and then looked up.
    """

    def __init__(self, facts):
        self.year, self.plan = facts.year, facts.plan
        monthly = facts.monthly
        this = monthly[monthly["year"] == self.year] if not monthly.empty else monthly
        last = monthly[monthly["year"] == self.year - 1] if not monthly.empty else monthly
        self._reporting_problems(monthly_status(facts))
        self._budget = _sum_micro(this, "budget_paid")
        self._production = _sum_micro(this, "production_value")
        latest = this.sort_values("period").drop_duplicates("tax_code", keep="last") if not this.empty else this
        columns = [_values(latest, c) for c in ("tax_code", "period", "si_arrears")]
        self._latest = {t: (p, float(a or 0)) for t, p, a in zip(*columns)}
        self._growth_base(this, last)
        self._bad_events(facts.compliance)
        noms = facts.nominations
        flags = noms[noms["award"] == "cờ thi đua"] if not noms.empty else noms
        self._flag_initiatives = flags.groupby("tax_code")["initiatives"].max().fillna(0).to_dict() \
            if not flags.empty else {}

    def _reporting_problems(self, status: pd.DataFrame) -> None:
        expected = status[status["expected"]]
        self._missing = _months_by_tax(expected[~expected["received"]])
        self._late = _months_by_tax(expected[expected["reported_late"]])

    def _growth_base(self, this: pd.DataFrame, last: pd.DataFrame) -> None:
        if this.empty or last.empty:
            self._common = {}
            return
        both = this[["tax_code", "month", "production_value"]].merge(
            last[["tax_code", "month", "production_value"]], on=["tax_code", "month"], suffixes=("_now", "_before"))
        both = both.assign(now=micro(both["production_value_now"]), before=micro(both["production_value_before"]))
        sums = both.groupby("tax_code")[["now", "before"]].sum()
        months = _months_by_tax(both)
        self._common = {t: (int(n), int(b), months[t]) for t, n, b in zip(sums.index.tolist(), sums["now"].tolist(), sums["before"].tolist())}

    def _bad_events(self, events: pd.DataFrame) -> None:
        if events.empty:
            self._bad = {}
            return
        serious = self.rule("serious_severity")
        incident = events["event_type"].isin(["vi phạm", "sự cố"])
        bad = events[(incident & (events["severity"] == serious))
                     | ((events["event_type"] == "vi phạm") & events["domain"].isin(self.rule("any_severity_domains")))]
        bad = bad.sort_values("event_date")
        self._bad = {t: bad.iloc[i] for t, i in bad.groupby("tax_code").indices.items()} if not bad.empty else {}

    def rule(self, name):
        return self.plan.rule("flag", name)

    def reporting(self, tax: str) -> Verdict:
        missing, late = self._missing.get(tax, []), self._late.get(tax, [])
        allowed = int(self.rule("late_reports_allowed"))
        problems = []
        if missing:
            problems.append(f"thiếu báo cáo tháng {_months(missing)}/{self.year}")
        if len(late) > allowed:
            problems.append(f"{len(late)} báo cáo trễ hạn (tháng {_months(late)}/{self.year}), "
                            f"chỉ cho phép tối đa {allowed}")
        return Verdict(not problems, "; ".join(problems) or None)

    def budget(self, tax: str) -> Verdict:
        total = exact(self._budget.get(tax, 0), "budget_paid")
        if total > Decimal(str(self.rule("min_budget_paid"))):
            return Verdict(True)
        return Verdict(False, f"tổng nộp ngân sách năm {self.year} là {_vnd(float(total))} tỷ đồng")

    def social_insurance(self, tax: str) -> Verdict:
        if tax not in self._latest:
            return Verdict(False, f"không có báo cáo tháng nào trong năm {self.year} để xác định nợ BHXH")
        period, arrears = self._latest[tax]
        if arrears <= float(self.rule("max_si_arrears")):
            return Verdict(True)
        return Verdict(False, f"còn nợ BHXH {_vnd(arrears)} triệu đồng tại kỳ {period[5:]}/{self.year}")

    def compliance(self, tax: str) -> Verdict:
        bad = self._bad.get(tax)
        if bad is None:
            return Verdict(True)
        listed = "; ".join(" ".join(f"{e.event_type} {e.severity or ''} lĩnh vực {e.domain} ngày "
                                    f"{e.event_date:%d/%m/%Y} (biên bản {e.record_id})".split())
                           for e in bad.itertuples())
        return Verdict(False, listed)

    def growth(self, tax: str) -> tuple[Verdict, float | None]:
        if tax not in self._common:
            return Verdict(True, "không có số liệu năm trước"), None
        now, before, months = self._common[tax]
        if before == 0:
            return Verdict(True, "không có số liệu năm trước (sản xuất năm trước bằng 0)"), None
        growth = float((Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.0001")))
        if growth >= float(self.rule("min_growth_pct")):
            return Verdict(True), growth
        return Verdict(False, f"sản xuất giảm {_vn_pct(abs(growth))} so với cùng kỳ {self.year - 1} "
                              f"(tháng {_months(months)})"), growth

    def initiative(self, tax: str) -> Verdict:
        if tax not in self._flag_initiatives:
            return Verdict(False, f"không có hồ sơ đề nghị Cờ thi đua năm {self.year}")
        if self._flag_initiatives[tax] >= int(self.rule("min_initiatives")):
            return Verdict(True)
        return Verdict(False, "hồ sơ đề nghị Cờ thi đua không có sáng kiến, mô hình mới được công nhận")

    def production(self, tax: str) -> Decimal:
        return exact(self._production.get(tax, 0), "production")

    def enterprise_standing(self, tax: str) -> Verdict:
        """k_enterprise / i_enterprise: compliance and social insurance of the nominee's enterprise."""
        verdicts = [self.compliance(tax), self.social_insurance(tax)]
        failed = [v.reason for v in verdicts if not v.passed]
        return Verdict(not failed, f"doanh nghiệp {tax}: " + "; ".join(failed) if failed else None)


def _values(frame: pd.DataFrame, column: str) -> list:
    """A column as a Python list (one conversion; iterating an Arrow-backed column is per cell)."""
    return frame[column].tolist() if column in frame else []


def _months_by_tax(frame: pd.DataFrame) -> dict[str, list[int]]:
    """tax_code -> the months of its rows, without a per-group Python call."""
    months: dict[str, list[int]] = {}
    for tax, month in zip(frame["tax_code"].tolist(), frame["month"].tolist()):
        months.setdefault(tax, []).append(month)
    return months


def judge(facts) -> "EnterpriseYear":
    """One EnterpriseYear per year's facts, shared by the award marts."""
    if "judge" not in facts.derived:
        facts.derived["judge"] = EnterpriseYear(facts)
    return facts.derived["judge"]


def _sum_micro(frame: pd.DataFrame, column: str) -> dict[str, int]:
    if frame.empty:
        return {}
    return frame.assign(_v=micro(frame[column])).groupby("tax_code")["_v"].sum().to_dict()


def _by_tax(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame.empty or "tax_code" not in frame:
        return {}
    return dict(tuple(frame.groupby("tax_code", sort=False)))


def join_reasons(named: list[tuple[str, Verdict]]) -> str | None:
    parts = [f"{name}: {v.reason}" for name, v in named if v.reason]
    return " | ".join(parts) or None


def frame_or_empty(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)
