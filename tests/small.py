"""Tiny landing files written by hand, for pipeline behaviour tests."""

from __future__ import annotations

from pathlib import Path

ROSTER_HEADER = "tax_code,name,zone_code,cluster,ownership,country,status,valid_from"
MONTHLY_HEADER = ("tax_code,period,production_value,revenue,export_value,import_value,workers_total,"
                  "workers_hired,workers_left,budget_paid,si_arrears,submitted_at")
A, B, C = "2300325764", "0100109106", "0100109106-001"


def write(landing: Path, rel: str, lines: list[str]) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def roster(landing: Path, rel: str = "enterprises/roster.csv", rows: list[str] | None = None) -> Path:
    rows = rows if rows is not None else [
        f"{A},Công ty A,QC,Cụm 1,FDI,Hàn Quốc,hoạt động,01/01/2020",
        f"{B},Công ty B,DT,Cụm 1,trong nước,,hoạt động,01/01/2020",
    ]
    return write(landing, rel, [ROSTER_HEADER, *rows])


def monthly_row(tax: str, period: str, production: str = "1000", hired: int = 2, budget: str = "10",
                arrears: str = "0", submitted: str = "05/{next} 09:00") -> str:
    year, month = int(period[:4]), int(period[5:])
    nxt = f"{month % 12 + 1:02d}/{year + (month == 12)}"
    stamp = submitted.replace("{next}", nxt)
    return f'{tax},{period},"{production}",1000,50,20,100,{hired},1,"{budget}",{arrears},{stamp}'


def monthly(landing: Path, rel: str, rows: list[str]) -> Path:
    return write(landing, rel, [MONTHLY_HEADER, *rows])
