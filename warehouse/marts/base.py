"""What every mart declares: its columns with Vietnamese descriptions, and how it is built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, Numeric, String, Text

YEAR = Integer()
VALUE = Numeric(30, 9, asdecimal=False)
PCT = Numeric(12, 4, asdecimal=False)
COUNT = BigInteger()
TEXT = Text()
CODE = String(32)
FLAG = Boolean()
STAMP = DateTime()


@dataclass(frozen=True)
class MartColumn:
    name: str
    type: object
    comment_vi: str


@dataclass(frozen=True)
class Mart:
    name: str
    comment_vi: str
    columns: tuple[MartColumn, ...]
    build: Callable | None = None     # facts -> DataFrame with the columns above; whole marts:
    per_year: bool = True             # (conn, roster, zones) -> DataFrame; rejections.FINDINGS: conn -> SELECT

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def cols(*spec: tuple[str, object, str]) -> tuple[MartColumn, ...]:
    return tuple(MartColumn(*s) for s in spec)


# Columns many marts share, described once.
C_YEAR = ("year", YEAR, "Năm")
C_PHASE = ("phase", CODE, "Đợt thi đua: P1 (tháng 1–6), P2 (tháng 7–12), Y (cả năm)")
C_ZONE = ("zone_code", CODE, "Mã KCN")
C_ZONE_NAME = ("zone_name", TEXT, "Tên KCN")
C_TAX = ("tax_code", CODE, "Mã số thuế doanh nghiệp")
C_NAME = ("enterprise_name", TEXT, "Tên doanh nghiệp")
C_CLUSTER = ("cluster", TEXT, "Cụm thi đua")
C_INDICATOR = ("indicator", CODE, "Chỉ tiêu (production, export, new_jobs, ...)")
C_UNIT = ("unit", TEXT, "Đơn vị tính")
C_ELIGIBLE = ("eligible", FLAG, "Đủ điều kiện: mọi tiêu chí đều đạt")
C_REASONS = ("reasons", TEXT, "Lý do không đạt và ghi chú, bằng tiếng Việt")
