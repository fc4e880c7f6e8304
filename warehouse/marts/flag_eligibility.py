"""flag_eligibility: year x enterprise, the provincial Emulation Flag (Cờ thi đua)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from warehouse.marts.award_rules import join_reason_columns, judge as shared_judge
from warehouse.marts.base import (C_CLUSTER, C_ELIGIBLE, C_NAME, C_REASONS, C_TAX, C_YEAR, C_ZONE, COUNT, FLAG,
                                  PCT, VALUE, Mart, cols)

CRITERIA = {
    "c_reporting": "báo cáo", "c_budget": "ngân sách", "c_social_insurance": "BHXH",
    "c_compliance": "chấp hành pháp luật", "c_growth": "tăng trưởng", "c_initiative": "sáng kiến",
}


def candidates(facts) -> pd.DataFrame:
    """Enterprises operating in at least one month of the year, as on its last day."""
    from tasks.transform import as_of, sorted_union

    active = (facts.operating["status"] == "hoạt động").to_numpy(dtype=bool)
    codes = pd.DataFrame({"tax_code": sorted_union(facts.operating["tax_code"][active]).array})
    codes["year_end"] = pd.Timestamp(facts.year, 12, 31)
    return as_of(codes, "tax_code", "year_end", facts.roster, ["name", "zone_code", "cluster"])


def build(facts) -> pd.DataFrame:
    judge = shared_judge(facts)
    ent = candidates(facts)
    taxes = ent["tax_code"].tolist()
    growth_passed, growth_reasons, growth = judge.growth(taxes)
    verdicts = {"c_reporting": judge.reporting(taxes), "c_budget": judge.budget(taxes),
                "c_social_insurance": judge.social_insurance(taxes), "c_compliance": judge.compliance(taxes),
                "c_growth": (growth_passed, growth_reasons), "c_initiative": judge.initiative(taxes)}
    frame = pd.DataFrame({                # text columns stay Arrow (.array), not Python objects and back
        "year": facts.year, "tax_code": ent["tax_code"].array, "enterprise_name": ent["name"].array,
        "zone_code": ent["zone_code"].array, "cluster": ent["cluster"].array,
        **{k: passed for k, (passed, _) in verdicts.items()},
        "eligible": np.logical_and.reduce([passed for passed, _ in verdicts.values()]),
        "growth_pct": growth, "production": judge.production(taxes).array,
        "reasons": join_reason_columns({CRITERIA[k]: reasons for k, (_, reasons) in verdicts.items()}),
    })
    return rank(frame, int(facts.plan.rule("flag", "recommended_per_cluster")))


def rank(frame: pd.DataFrame, per_cluster: int) -> pd.DataFrame:
    """Among the eligible of a cluster: growth descending (none last), then production descending;
    ties share the better rank (1 + how many rank strictly before). One sort, not a pairwise count."""
    frame = frame.copy()
    eligible = np.flatnonzero((frame["eligible"] == True).to_numpy(dtype=bool)  # noqa: E712
                              & frame["cluster"].notna().to_numpy())           # no cluster: no rank
    part = frame.iloc[eligible]
    growth = part["growth_pct"].to_numpy(dtype=float)
    keys = (pd.factorize(part["cluster"])[0], np.isnan(growth), -np.nan_to_num(growth),
            -part["production"].astype(float).to_numpy())
    order = np.lexsort(keys[::-1])
    ordered = [k[order] for k in keys]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = np.logical_and.reduce([k[1:] == k[:-1] for k in ordered])          # ties the row before
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[0][1:] != ordered[0][:-1]                                # a cluster's first row
    at = np.arange(len(order))
    tie_start, cluster_start = (np.maximum.accumulate(np.where(flag, at, 0)) for flag in (~same, first))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = tie_start - cluster_start + 1
    frame["cluster_rank"] = pd.Series([None] * len(frame), dtype=object)
    frame.iloc[eligible, frame.columns.get_loc("cluster_rank")] = ranks.tolist()
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
