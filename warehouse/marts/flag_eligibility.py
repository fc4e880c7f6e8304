"""flag_eligibility: year x enterprise, the provincial Emulation Flag (Cờ thi đua)."""

from __future__ import annotations

import pandas as pd

from warehouse.marts.award_rules import frame_or_empty, join_reasons, judge as shared_judge
from warehouse.marts.base import (C_CLUSTER, C_ELIGIBLE, C_NAME, C_REASONS, C_TAX, C_YEAR, C_ZONE, COUNT, FLAG,
                                  PCT, VALUE, Mart, cols)

CRITERIA = {
    "c_reporting": "báo cáo", "c_budget": "ngân sách", "c_social_insurance": "BHXH",
    "c_compliance": "chấp hành pháp luật", "c_growth": "tăng trưởng", "c_initiative": "sáng kiến",
}


def candidates(facts) -> pd.DataFrame:
    """Enterprises operating in at least one month of the year, as on its last day."""
    from tasks.transform import as_of

    operating = facts.operating[facts.operating["status"] == "hoạt động"]
    codes = pd.DataFrame({"tax_code": sorted(operating["tax_code"].unique())})
    codes["year_end"] = pd.Timestamp(facts.year, 12, 31)
    return as_of(codes, "tax_code", "year_end", facts.roster, ["name", "zone_code", "cluster"])


def build(facts) -> pd.DataFrame:
    judge = shared_judge(facts)
    rows = []
    for ent in candidates(facts).itertuples():
        growth_verdict, growth = judge.growth(ent.tax_code)
        verdicts = {"c_reporting": judge.reporting(ent.tax_code), "c_budget": judge.budget(ent.tax_code),
                    "c_social_insurance": judge.social_insurance(ent.tax_code),
                    "c_compliance": judge.compliance(ent.tax_code), "c_growth": growth_verdict,
                    "c_initiative": judge.initiative(ent.tax_code)}
        rows.append({"year": facts.year, "tax_code": ent.tax_code, "enterprise_name": ent.name,
                     "zone_code": ent.zone_code, "cluster": ent.cluster,
                     **{k: v.passed for k, v in verdicts.items()},
                     "eligible": all(v.passed for v in verdicts.values()),
                     "growth_pct": growth, "production": judge.production(ent.tax_code),
                     "reasons": join_reasons([(CRITERIA[k], v) for k, v in verdicts.items()])})
    frame = frame_or_empty(rows, MART.column_names)
    return rank(frame, int(facts.plan.rule("flag", "recommended_per_cluster")))


def rank(frame: pd.DataFrame, per_cluster: int) -> pd.DataFrame:
    """Among the eligible of a cluster: growth descending (none last), then production descending."""
    frame = frame.copy()
    frame["cluster_rank"] = pd.Series([None] * len(frame), dtype=object)
    frame["recommended"] = False
    eligible = frame[frame["eligible"] == True]  # noqa: E712
    for _, group in eligible.groupby("cluster"):
        key = list(zip(group["growth_pct"].isna(), -group["growth_pct"].fillna(0), -group["production"].astype(float)))
        frame.loc[group.index, "cluster_rank"] = [1 + sum(other < k for other in key) for k in key]  # ties share
    frame["recommended"] = frame["cluster_rank"].notna() & (frame["cluster_rank"].fillna(10**9) <= per_cluster)
    return frame[MART.column_names]


MART = Mart(
    "flag_eligibility",
    "Xét Cờ thi đua cấp tỉnh cho doanh nghiệp: từng tiêu chí đạt/không đạt, lý do, xếp hạng trong cụm",
    cols(C_YEAR, C_TAX, C_NAME, C_ZONE, C_CLUSTER,
         ("c_reporting", FLAG, "Báo cáo tháng đầy đủ, trễ hạn không quá số lần cho phép"),
         ("c_budget", FLAG, "Có nộp ngân sách trong năm"),
         ("c_social_insurance", FLAG, "Không nợ BHXH ở kỳ báo cáo cuối cùng của năm"),
         ("c_compliance", FLAG, "Không vi phạm, sự cố nghiêm trọng; không vi phạm PCCC"),
         ("c_growth", FLAG, "Sản xuất ổn định hoặc tăng so với cùng kỳ năm trước"),
         ("c_initiative", FLAG, "Có hồ sơ đề nghị Cờ thi đua với sáng kiến, mô hình mới"),
         C_ELIGIBLE,
         ("growth_pct", PCT, "Tăng trưởng sản xuất so với cùng kỳ (%), trên các tháng có số liệu cả hai năm"),
         ("production", VALUE, "Giá trị sản xuất công nghiệp trong năm (tỷ đồng)"),
         ("cluster_rank", COUNT, "Thứ hạng trong cụm thi đua (chỉ doanh nghiệp đủ điều kiện)"),
         ("recommended", FLAG, "Được đề nghị tặng Cờ thi đua (đủ điều kiện và dẫn đầu cụm)"),
         C_REASONS),
    build,
)
