"""Expected mart figures computed straight from the demo generator's record.

Deliberately written without the pipeline's code: plain loops over the record.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

PHASES = {"P1": range(1, 7), "P2": range(7, 13), "Y": range(1, 13)}


def month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def version_on(record: dict, tax: str, day: date, fallback_first: bool = False) -> dict | None:
    mine = sorted((v for v in record["roster"] if v["tax_code"] == tax), key=lambda v: v["valid_from"])
    found = None
    for v in mine:
        if date.fromisoformat(v["valid_from"]) <= day:
            found = v
    return found or (mine[0] if fallback_first and mine else None)


def monthly_sum(record: dict, column: str, year: int, months: range) -> Decimal:
    total = Decimal(0)
    for key, row in record["monthly"].items():
        period = key.split("|")[1]
        if int(period[:4]) == year and int(period[5:]) in months:
            total += Decimal(row[column])
    return total


def on_time(row: dict, period: str) -> bool:
    year, month = int(period[:4]), int(period[5:])
    due = datetime(year + (month == 12), month % 12 + 1, 10, 23, 59, 59)
    return datetime.fromisoformat(row["first_submitted"]) <= due


def reporting(record: dict, year: int) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(tax, phase) -> (expected, received, on_time)."""
    out = {}
    for tax in {v["tax_code"] for v in record["roster"]}:
        for phase, months in PHASES.items():
            exp = rec = ok = 0
            for m in months:
                v = version_on(record, tax, month_end(year, m))
                if v is None or v["status"] != "hoạt động":
                    continue
                exp += 1
                row = record["monthly"].get(f"{tax}|{year}-{m:02d}")
                if row:
                    rec += 1
                    ok += on_time(row, f"{year}-{m:02d}")
            out[(tax, phase)] = (exp, rec, ok)
    return out


def zone_production(record: dict, year: int, months: range) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for key, row in record["monthly"].items():
        tax, period = key.split("|")
        if int(period[:4]) == year and int(period[5:]) in months:
            zone = version_on(record, tax, month_end(year, int(period[5:])), fallback_first=True)["zone_code"]
            sums[zone] += Decimal(row["production_value"])
    return sums


def investment(record: dict, year: int, months: range) -> Decimal:
    return sum((Decimal(r["capital_change"]) for r in record["investment"].values()
                if r["action"] in ("cấp mới", "tăng vốn") and int(r["decision_date"][:4]) == year
                and int(r["decision_date"][5:7]) in months), Decimal(0))


def clean_land(record: dict, year: int, months: range) -> Decimal:
    return sum((Decimal(r["cleared_ha"]) for r in record["land_clearance"].values()
                if int(r["period"][:4]) == year and int(r["period"][5:]) in months), Decimal(0))


def admin_on_time(record: dict, year: int, months: range) -> Decimal | None:
    due = [r for r in record["admin_procedures"].values()
           if int(r["due_on"][:4]) == year and int(r["due_on"][5:7]) in months]
    ok = sum(1 for r in due if r["resolved_on"] and r["resolved_on"] <= r["due_on"])
    return (Decimal(ok) * 100 / Decimal(len(due))).quantize(Decimal("0.0001")) if due else None


def violations(record: dict, year: int, months: range, severity: str) -> int:
    return sum(1 for r in record["compliance"].values()
               if r["event_type"] in ("vi phạm", "sự cố") and r["severity"] == severity
               and int(r["event_date"][:4]) == year and int(r["event_date"][5:7]) in months)


def new_zones(record: dict, year: int, months: range) -> int:
    return sum(1 for r in record["zone_events"].values()
               if r["event"] == "thành lập mới" and int(r["decision_date"][:4]) == year
               and int(r["decision_date"][5:7]) in months)
