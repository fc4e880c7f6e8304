"""merit_individual_eligibility: year x nomination, the chairman's Certificate of Merit for individuals.

The nominee's citizen ID never reaches this mart.
"""

from __future__ import annotations

import pandas as pd

from warehouse.marts.award_rules import Verdict, frame_or_empty
from warehouse.marts.base import C_ELIGIBLE, C_REASONS, C_TAX, C_YEAR, CODE, FLAG, TEXT, Mart, cols
from warehouse.marts.merit_collective_eligibility import _discipline, check, nomination_rows


def judge_individual(nom, rules: dict, standing: Verdict) -> dict[str, Verdict]:
    by_cstdcs = nom.cstdcs_years >= rules["min_cstdcs_years"]
    by_excellence = (nom.excellent_years >= rules["min_excellent_years"]
                     and nom.initiatives >= rules["min_initiatives_with_excellent"])
    record = check(by_cstdcs or by_excellence,
                   f"{nom.cstdcs_years} năm CSTĐCS liên tục (cần {rules['min_cstdcs_years']}), hoặc "
                   f"{nom.excellent_years} năm xuất sắc (cần {rules['min_excellent_years']}) với "
                   f"{nom.initiatives} sáng kiến (cần {rules['min_initiatives_with_excellent']})")
    return {"i_record": record, "i_discipline": _discipline(nom.discipline, rules["allowed_discipline"]),
            "i_enterprise": standing}


def build(facts) -> pd.DataFrame:
    rules = facts.plan.awards["merit_individual"]
    rows = nomination_rows(facts, ("cá nhân",), lambda nom, standing: judge_individual(nom, rules, standing))
    return frame_or_empty(rows, MART.column_names)


MART = Mart(
    "merit_individual_eligibility",
    "Xét Bằng khen của Chủ tịch UBND tỉnh cho cá nhân: từng tiêu chí, lý do (không chứa số CCCD)",
    cols(C_YEAR, ("nomination_id", CODE, "Mã hồ sơ đề nghị"), ("nominee_name", TEXT, "Họ và tên"), C_TAX,
         ("i_record", FLAG, "2 năm liên tục CSTĐCS, hoặc 2 năm xuất sắc với 2 sáng kiến"),
         ("i_discipline", FLAG, "Không bị kỷ luật"),
         ("i_enterprise", FLAG, "Doanh nghiệp không vi phạm nghiêm trọng, không nợ BHXH"),
         C_ELIGIBLE, C_REASONS),
    build,
)
