"""merit_collective_eligibility: year x nomination, the chairman's Certificate of Merit for collectives."""

from __future__ import annotations

import pandas as pd

from warehouse.marts.award_rules import Verdict, frame_or_empty, join_reasons, judge as shared_judge
from warehouse.marts.base import C_ELIGIBLE, C_REASONS, C_TAX, C_YEAR, CODE, FLAG, TEXT, Mart, cols

MEMBER_CRITERIA = ("k_members_completed", "k_advanced_share", "k_cstdcs")


def check(ok: bool, reason: str) -> Verdict:
    return Verdict(bool(ok), None if ok else reason)


def judge_collective(nom, rules: dict, standing: Verdict) -> dict[str, Verdict]:
    need_years = rules["min_excellent_years"]
    verdicts = {"k_excellent_years": check(nom.excellent_years >= need_years,
                                           f"{nom.excellent_years} năm liên tục hoàn thành xuất sắc nhiệm vụ, cần {need_years}")}
    if nom.nominee_type == "tập thể":
        share = 100 * nom.members_advanced / nom.members_total
        need_share, need_cstdcs = rules["min_advanced_share_pct"], rules["min_cstdcs"]
        verdicts["k_members_completed"] = check(nom.members_completed == nom.members_total,
                                                f"{nom.members_completed}/{nom.members_total} thành viên hoàn thành nhiệm vụ")
        verdicts["k_advanced_share"] = check(share >= need_share,
                                             f"{nom.members_advanced}/{nom.members_total} ({share:.1f}%) đạt Lao động "
                                             f"tiên tiến, cần ≥ {need_share}%".replace(".", ","))
        verdicts["k_cstdcs"] = check(nom.members_cstdcs >= need_cstdcs,
                                     f"{nom.members_cstdcs} Chiến sĩ thi đua cơ sở, cần ≥ {need_cstdcs}")
    else:                                    # an enterprise: member criteria do not apply
        for name in MEMBER_CRITERIA:
            verdicts[name] = Verdict(None)
    verdicts["k_discipline"] = _discipline(nom.discipline, rules["allowed_discipline"])
    verdicts["k_enterprise"] = standing
    return verdicts


def _discipline(discipline: str, allowed: list[str]) -> Verdict:
    return check(discipline in allowed, f"có kỷ luật mức «{discipline}»")


LABELS = {"k_excellent_years": "số năm xuất sắc", "k_members_completed": "hoàn thành nhiệm vụ",
          "k_advanced_share": "tỷ lệ LĐTT", "k_cstdcs": "CSTĐCS", "k_discipline": "kỷ luật",
          "k_enterprise": "doanh nghiệp", "i_record": "thành tích", "i_discipline": "kỷ luật",
          "i_enterprise": "doanh nghiệp"}


def nomination_rows(facts, types: tuple[str, ...], judge_one) -> pd.DataFrame:
    noms = facts.nominations
    noms = noms[(noms["award"] == "bằng khen") & noms["nominee_type"].isin(types)] if not noms.empty else noms
    noms = noms.sort_values("nomination_id")
    standings = shared_judge(facts).enterprise_standings(noms["tax_code"].tolist()) if len(noms) else []
    rows = []
    for nom, standing in zip(noms.itertuples(), standings):
        verdicts = judge_one(nom, standing)
        counted = [v.passed for v in verdicts.values() if v.passed is not None]
        rows.append({"year": facts.year, "nomination_id": nom.nomination_id, "nominee_type": nom.nominee_type,
                     "nominee_name": nom.nominee_name, "tax_code": nom.tax_code,
                     **{k: v.passed for k, v in verdicts.items()}, "eligible": all(counted),
                     "reasons": join_reasons([(LABELS[k], v) for k, v in verdicts.items()])})
    return rows


def build(facts) -> pd.DataFrame:
    rules = facts.plan.awards["merit_collective"]
    rows = nomination_rows(facts, ("tập thể", "doanh nghiệp"), lambda nom, standing: judge_collective(nom, rules, standing))
    return frame_or_empty(rows, MART.column_names)


MART = Mart(
    "merit_collective_eligibility",
    "Xét Bằng khen của Chủ tịch UBND tỉnh cho tập thể (và doanh nghiệp): từng tiêu chí, lý do",
    cols(C_YEAR, ("nomination_id", CODE, "Mã hồ sơ đề nghị"),
         ("nominee_type", CODE, "Đối tượng: tập thể hoặc doanh nghiệp"),
         ("nominee_name", TEXT, "Tên tập thể"), C_TAX,
         ("k_excellent_years", FLAG, "Hoàn thành xuất sắc nhiệm vụ ≥ 2 năm liên tục"),
         ("k_members_completed", FLAG, "100% thành viên hoàn thành nhiệm vụ (trống với doanh nghiệp)"),
         ("k_advanced_share", FLAG, "≥ 70% thành viên đạt Lao động tiên tiến (trống với doanh nghiệp)"),
         ("k_cstdcs", FLAG, "Có ít nhất 1 Chiến sĩ thi đua cơ sở (trống với doanh nghiệp)"),
         ("k_discipline", FLAG, "Không có kỷ luật từ cảnh cáo trở lên"),
         ("k_enterprise", FLAG, "Doanh nghiệp không vi phạm nghiêm trọng, không nợ BHXH"),
         C_ELIGIBLE, C_REASONS),
    build,
)
