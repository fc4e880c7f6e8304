"""The deterministic demo landing folder: all eight forms, realistic size and messiness.

Calibrated to domain.md: about 450 enterprises in the six operating zones,
about 196,000 workers at the end of 2023, first-half 2023 production near
211,000 bn VND. Years 2022 and 2023.

Besides the files it writes `.demo/record.json` (a hidden folder, which the
pipeline ignores): the truth it meant (current versions of every form) and
every row it broke on purpose with the reason expected. Tests compute the
marts from that record, independently of the pipeline.
"""

from __future__ import annotations

import csv
import io
import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from stdnum.vn import mst

from tasks.forms import FORMS

SEED = 20230215
OPERATING_ZONES = {"DT": 127.4, "QC": 426, "SKNH": 158.7, "VT": 350.3, "HP": 207.45, "VH": 197.31}
ZONE_NAMES = {"DT": "Đình Trám", "QC": "Quang Châu", "SKNH": "Song Khê – Nội Hoàng", "VT": "Vân Trung",
              "HP": "Hòa Phú", "VH": "Việt Hàn", "TH": "Tân Hưng", "YL": "Yên Lư", "HY": "Hòa Yên"}
CLUSTER_OF_ZONE = {"DT": "Cụm thi đua số 1", "SKNH": "Cụm thi đua số 1", "QC": "Cụm thi đua số 2",
                   "VT": "Cụm thi đua số 3", "HP": "Cụm thi đua số 4", "VH": "Cụm thi đua số 4"}
COUNTRIES = ["Hàn Quốc", "Trung Quốc", "Nhật Bản", "Đài Loan", "Singapore", "Hoa Kỳ", "Hồng Kông"]
WORDS = ["Sao Vàng", "Hoàng Long", "Minh Phát", "Thành Công", "Đại Dương", "Phú Thịnh", "Bắc Á", "Kim Sơn",
         "Hưng Thịnh", "Việt Tiến", "An Phát", "Tân Long", "Quang Minh", "Đức Anh", "Hải Đăng", "Trường Sơn",
         "Fuhong", "Luxshare", "Hosiden", "Crystal", "Foxconn", "Vina Cell", "Jinko", "Shinsung", "Bumjin",
         "Yokohama", "Nichirin", "Sewon", "Anam", "Chiahsin", "Wintek", "Ever Glory", "Umec", "Nexus"]
KINDS = ["Điện tử", "May mặc", "Cơ khí", "Linh kiện", "Nhựa", "Bao bì", "Quang học", "Năng lượng", "Thực phẩm"]
PERIOD_STYLES = ["{y}-{m:02d}", "{m:02d}/{y}", "{m}/{y}", "T{m}/{y}", "Tháng {m}/{y}", "tháng {m:02d} năm {y}"]
YEARS = (2022, 2023)
MONTHLY_AMOUNTS = ("production_value", "revenue", "export_value", "import_value", "budget_paid", "si_arrears")
MONTHLY_COUNTS = ("workers_total", "workers_hired", "workers_left")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Windows-1258 as legacy Vietnamese tools write it: vowels with hat, breve or horn
    precomposed, the five tone marks as combining characters."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if not unicodedata.combining(ch) or not out:
            out.append(ch)
        elif ch in _TONES:
            out[-1] += ch
        else:      # hat, breve, horn: onto the base letter, ahead of any tone mark already there
            base, tones = out[-1][0], out[-1][1:]
            out[-1] = unicodedata.normalize("NFC", base + ch) + tones
    return "".join(out).encode("cp1258")


def make_tax_code(rng: random.Random, branch: bool = False) -> str:
    weights = (31, 29, 23, 19, 17, 13, 7, 5, 3)
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        digits[0], digits[1] = 2, rng.choice([3, 4, 3])        # Bắc Giang codes start 23..
        remainder = sum(d * w for d, w in zip(digits, weights)) % 11
        if remainder == 0 or not any(digits[2:9]):
            continue
        code = "".join(map(str, digits)) + str(10 - remainder)
        if code[-1] == "0" and remainder != 10:
            continue
        if mst.is_valid(code):
            return code + (f"-{rng.randint(1, 30):03d}" if branch else "")


def bad_tax_code(code: str) -> str:
    last = int(code[9])
    return code[:9] + str((last + 1) % 10) + code[10:]


def dec(value: float, places: int) -> Decimal:
    return Decimal(f"{value:.{places}f}")


# --- number and date spellings -----------------------------------------------------

def vn_number(value: Decimal) -> str:
    """Vietnamese: dot groups thousands, comma is the decimal mark: 78.123,456."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    return sign + groups + ("," + frac if frac and int(frac) else "")


def en_number(value: Decimal) -> str:
    """English style, written so the contract's rule reads it back: 78,123.456 or 123.4560, never 78,123."""
    sign = "-" if value < 0 else ""
    whole, _, frac = f"{abs(value):f}".partition(".")
    frac = frac.rstrip("0")
    if not frac:
        return sign + whole
    if len(whole) > 3:
        return sign + f"{int(whole):,}.{frac}"
    return sign + whole + "." + (frac + "0" if len(frac) == 3 else frac)


def local_stamp(moment: datetime, style: int) -> str:
    if style % 3 == 0:
        return moment.strftime("%d/%m/%Y %H:%M")
    if style % 3 == 1:
        return moment.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M:%S}"


def vn_date(day: date, style: int) -> str:
    return [f"{day.day}/{day.month}/{day.year}", day.strftime("%d/%m/%Y"), day.isoformat()][style % 3]


# --- writing files -------------------------------------------------------------------

@dataclass
class Sheet:
    """One file to write: header names (canonical or Vietnamese) and rows of cells."""
    path: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    vietnamese_headers: bool = False
    style: str = "csv"          # csv, csv_semicolon, csv_cp1258, xlsx, json_list, json_rows
    title_rows: int = 0
    stt: bool = False

    def header_cells(self, form: str) -> list[str]:
        spec = FORMS[form]
        names = []
        for c in self.columns:
            if c in spec.column_names and self.vietnamese_headers:
                col = spec.column(c)
                names.append(f"{col.header_vi} ({col.unit})" if col.unit and c != "workers_total" else col.header_vi)
            else:
                names.append(c)
        return names


def _cell_text(value) -> str:
    if value is None:
        return ""
    return str(value)


def write_sheet(root: Path, form: str, sheet: Sheet) -> Path:
    path = root / form / sheet.path
    path.parent.mkdir(parents=True, exist_ok=True)
    headers = sheet.header_cells(form)
    if sheet.style.startswith("csv"):
        delimiter = ";" if sheet.style in ("csv_semicolon", "csv_cp1258") else ","
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow((["STT"] if sheet.stt else []) + headers)
        for i, row in enumerate(sheet.rows, 1):
            writer.writerow(([i] if sheet.stt else []) + [_cell_text(v) for v in row])
        text = buffer.getvalue()
        if sheet.style == "csv_cp1258":
            path.write_bytes(to_cp1258(text))
        elif sheet.style == "csv_semicolon":
            path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        else:
            path.write_bytes(text.encode("utf-8"))
    elif sheet.style == "xlsx":
        _write_xlsx(path, form, sheet, headers)
    else:
        records = [{h: v for h, v in zip(headers, row) if v is not None} for row in sheet.rows]
        doc = {"rows": records} if sheet.style == "json_rows" else records
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


def _write_xlsx(path: Path, form: str, sheet: Sheet, headers: list[str]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet(form)
    for i in range(sheet.title_rows):
        ws.append([["BAN QUẢN LÝ CÁC KCN TỈNH BẮC GIANG", FORMS[form].title_vi.upper(), ""][i % 3]])
    ws.append((["STT"] if sheet.stt else []) + headers)
    for i, row in enumerate(sheet.rows, 1):
        ws.append(([i] if sheet.stt else []) + [v for v in row])
    book.save(path)
    _freeze_zip(path)


def _freeze_zip(path: Path) -> None:
    """Same content, same bytes: fixed zip timestamps and document dates, so that
    rewriting the demo does not look like new submissions."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2023-01-01T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(name, date_time=(2023, 1, 1, 0, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)


def xlsx_row_number(sheet: Sheet, index: int) -> int:
    return sheet.title_rows + 1 + index + 1


def row_number(sheet: Sheet, index: int) -> int:
    """The row as the submitter sees it, for the index-th data row (0-based)."""
    if sheet.style == "xlsx":
        return xlsx_row_number(sheet, index)
    if sheet.style.startswith("json"):
        return index + 1
    return index + 2


# --- the truth -----------------------------------------------------------------------



@dataclass
class Enterprise:
    tax_code: str
    name: str
    zone: str
    ownership: str
    country: str | None
    start: date
    workers: float
    production: float           # triệu đồng per month, 2022 level
    growth: float               # 2023 over 2022
    lateness: float             # chance a report comes late
    arrears: bool


class DemoBuilder:
    STYLES = ("xlsx", "csv_semicolon", "csv", "json_list", "json_rows")

    def __init__(self, root: Path, seed: int = SEED, years: tuple[int, ...] = YEARS, styles: tuple[str, ...] = STYLES):
        self.root, self.rng, self.years, self.styles = root, random.Random(seed), years, list(styles)
        self.record: dict = {"roster": [], "monthly": {}, "broken": [], "files": 0, "outliers": [],
                             "investment": {}, "land_clearance": {}, "admin_procedures": {}, "compliance": {},
                             "zone_events": {}, "nominations": {}, "unknown_enterprise": [], "late": []}
        self.enterprises: list[Enterprise] = []
        self.sheets: list[tuple[str, Sheet]] = []

    # -- helpers --
    def add(self, form: str, sheet: Sheet) -> Sheet:
        self.sheets.append((form, sheet))
        return sheet

    def broken(self, form: str, sheet: Sheet, index: int, reason: str, column: str | None) -> None:
        self.record["broken"].append({"file": f"{form}/{sheet.path}", "row_number": row_number(sheet, index),
                                      "reason_code": reason, "column": column})

    def period_text(self, year: int, month: int, k: int) -> str:
        return PERIOD_STYLES[k % len(PERIOD_STYLES)].format(y=year, m=month)

    # -- roster --
    def make_enterprises(self, count: int = 452) -> None:
        rng = self.rng
        zones = list(OPERATING_ZONES)
        weights = [OPERATING_ZONES[z] for z in zones]
        used = set()
        for i in range(count):
            code = make_tax_code(rng, branch=(i % 37 == 5))
            while code in used:
                code = make_tax_code(rng)
            used.add(code)
            fdi = rng.random() < 0.72
            name = (f"Công ty TNHH {rng.choice(KINDS)} {rng.choice(WORDS)} {'Việt Nam' if fdi else 'Bắc Giang'}"
                    f" {i + 1:03d}")
            start = date(rng.randint(2012, 2021), rng.randint(1, 12), 1) if i < count * 420 // 452 else \
                date(2023, rng.randint(2, 9), rng.choice([1, 15]))
            workers = max(30.0, rng.lognormvariate(5.75, 0.9))
            self.enterprises.append(Enterprise(
                code, name, rng.choices(zones, weights)[0], "FDI" if fdi else "trong nước",
                rng.choice(COUNTRIES) if fdi else None, start, workers,
                production=workers * rng.uniform(120, 240), growth=rng.gauss(1.06, 0.12),
                lateness=rng.choice([0, 0, 0, 0, 0, 0, 0.08, 0.15, 0.4]), arrears=rng.random() < 0.08))
        total = sum(e.workers for e in self.enterprises)
        for e in self.enterprises:                   # about 196,000 workers in all (per 452 enterprises)
            e.workers *= 190_000 / total * count / 452
        h1 = sum(e.production * e.growth * 6 for e in self.enterprises if e.start <= date(2023, 1, 1))
        for e in self.enterprises:                   # first-half 2023 production near 211,000 bn VND
            e.production *= 211_000_000 / h1 * count / 452

    def roster_versions(self) -> list[dict]:
        """Every version of the roster: first registration, plus a few changes in 2023."""
        versions = []
        for e in self.enterprises:
            versions.append({"tax_code": e.tax_code, "name": e.name, "zone_code": e.zone,
                             "cluster": CLUSTER_OF_ZONE[e.zone], "ownership": e.ownership, "country": e.country,
                             "status": "hoạt động", "valid_from": max(e.start, date(2018, 1, 1))})
        old = [e for e in self.enterprises if e.start < date(2022, 1, 1)]
        movers, closers, pausers = old[3:6], old[10:12], old[20:21]
        for e in movers:                 # cluster change mid-year
            versions.append({**self._first(versions, e), "cluster": "Cụm thi đua số 5", "valid_from": date(2023, 7, 1)})
        for e in closers:                # closure mid-year
            versions.append({**self._first(versions, e), "status": "giải thể", "valid_from": date(2023, 9, 1)})
        for e in pausers:                # paused for a quarter
            versions.append({**self._first(versions, e), "status": "tạm dừng", "valid_from": date(2023, 4, 1)})
            versions.append({**self._first(versions, e), "status": "hoạt động", "valid_from": date(2023, 7, 1)})
        return versions

    @staticmethod
    def _first(versions: list[dict], e: Enterprise) -> dict:
        return next(v for v in versions if v["tax_code"] == e.tax_code)

    # -- rendering cells by file style --
    @staticmethod
    def num(value, style: str):
        if value is None:
            return None
        if isinstance(value, int):
            return value if style in ("xlsx", "json_list") else str(value)
        if style in ("xlsx", "json_list"):
            return float(value)
        if style in ("csv_semicolon", "csv_cp1258", "json_rows"):
            return vn_number(value)
        return en_number(value)

    @staticmethod
    def stamp(moment: datetime, style: str, k: int):
        if style == "xlsx":
            return moment
        return local_stamp(moment, k)

    def write_roster(self) -> None:
        versions = self.roster_versions()
        self.record["roster"] = versions
        self.versions_by_tax: dict[str, list[dict]] = {}
        for v in sorted(versions, key=lambda v: v["valid_from"]):
            self.versions_by_tax.setdefault(v["tax_code"], []).append(v)
        cols = ["tax_code", "name", "zone_code", "cluster", "ownership", "country", "status", "valid_from"]
        first = Sheet("2022/danh_ba_doanh_nghiep_2022.xlsx", cols, vietnamese_headers=True, style="xlsx",
                      title_rows=3, stt=True)
        later = Sheet("2023/bo_sung_danh_ba_2023.csv", cols, vietnamese_headers=True, style="csv_semicolon")
        for k, v in enumerate(versions):
            zone = v["zone_code"] if k % 3 else ("KCN " + ZONE_NAMES[v["zone_code"]] if k % 2 else ZONE_NAMES[v["zone_code"]])
            name = nfd(v["name"]) if k % 5 == 0 else v["name"]
            status = v["status"].capitalize() if k % 4 == 0 else v["status"]
            target = first if v["valid_from"] < date(2023, 1, 1) else later
            target.rows.append([v["tax_code"], name, zone, v["cluster"], v["ownership"], v["country"], status,
                                vn_date(v["valid_from"], k) if target is later else v["valid_from"]])
        sample = versions[7]
        for reason, column, row in (
            ("invalid_tax_code", "tax_code", [bad_tax_code(sample["tax_code"]), "Công ty lỗi MST", "QC", "Cụm thi đua số 2", "FDI", "Hàn Quốc", "hoạt động", date(2020, 1, 1)]),
            ("unknown_zone", "zone_code", [make_tax_code(random.Random(7)), "Công ty KCN lạ", "KCN Hà Nội", "Cụm thi đua số 2", "FDI", "Nhật Bản", "hoạt động", date(2020, 1, 1)]),
            ("invalid_choice", "status", [make_tax_code(random.Random(8)), "Công ty trạng thái lạ", "QC", "Cụm thi đua số 2", "trong nước", None, "đang hoạt động", date(2020, 1, 1)]),
        ):
            first.rows.append(row)
            self.broken("enterprises", first, len(first.rows) - 1, reason, column)
        self.add("enterprises", first)
        self.add("enterprises", later)

    def version_on(self, tax: str, day: date) -> dict | None:
        current = None
        for v in self.versions_by_tax.get(tax, []):
            if v["valid_from"] <= day:
                current = v
        return current

    # -- monthly reports --
    def report_values(self, e: Enterprise, year: int, month: int) -> dict:
        rng = random.Random(f"{e.tax_code}-{year}-{month}")
        season = 0.92 + 0.16 * ((month + 2) % 12) / 11
        level = e.production * season * rng.uniform(0.93, 1.07) * (e.growth if year == 2023 else 1.0)
        production = dec(level, 3)
        export_share = 1.15 if e.ownership == "FDI" else 0.3
        export = dec(level / 23.6 * export_share * rng.uniform(0.9, 1.1), 2)
        months_in = (year - self.years[0]) * 12 + month
        total = max(10, round(e.workers * (0.9 + 0.005 * months_in) * rng.uniform(0.97, 1.03)))
        arrears = dec(rng.uniform(10, 480), 1) if e.arrears and rng.random() < 0.6 else Decimal("0")
        return {"production_value": production, "revenue": dec(level * rng.uniform(1.0, 1.15), 3),
                "export_value": export, "import_value": dec(float(export) * rng.uniform(0.5, 0.8), 2),
                "workers_total": total, "workers_hired": round(total * rng.uniform(0.003, 0.008)),
                "workers_left": round(total * rng.uniform(0.002, 0.007)),
                "budget_paid": dec(level * rng.uniform(0.001, 0.003), 3), "si_arrears": arrears}

    def on_time_stamp(self, year: int, month: int, rng: random.Random) -> datetime:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return datetime(nxt.year, nxt.month, rng.randint(2, 10), rng.randint(7, 16), rng.choice([0, 15, 30, 45]))

    def write_monthly(self) -> None:
        rng = random.Random(SEED + 2)
        cols = ["tax_code", "period", *MONTHLY_AMOUNTS[:4], *MONTHLY_COUNTS, "budget_paid", "si_arrears", "submitted_at"]
        styles = self.styles
        missing = {(e.tax_code, 2023, rng.randint(1, 12)) for e in rng.sample(self.enterprises, 18)}
        for year in self.years[:-1]:
            missing |= {(e.tax_code, year, rng.randint(1, 12)) for e in rng.sample(self.enterprises, 10)}
        self.missing = missing
        late_rows: dict[str, list] = {}
        k = 0
        for year in self.years:
            for month in range(1, 13):
                month_end = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
                for z_index, zone in enumerate(OPERATING_ZONES):
                    style = styles[(month + z_index + year) % len(styles)]
                    if (year, month, zone) == (2022, 3, "HP") and "xlsx" in styles:
                        style = "csv_cp1258"
                    sheet = Sheet(f"{year}/{zone}/bao_cao_{zone}_{year}-{month:02d}.{_ext(style)}", cols,
                                  vietnamese_headers=style in ("xlsx", "csv_semicolon", "json_rows", "csv_cp1258"),
                                  style=style, title_rows=2 if style == "xlsx" else 0, stt=style == "xlsx")
                    for e in self.enterprises:
                        v = self.version_on(e.tax_code, month_end)
                        if v is None or v["zone_code"] != zone or v["status"] != "hoạt động":
                            continue
                        if (e.tax_code, year, month) in missing:
                            continue
                        values = self.report_values(e, year, month)
                        late = rng.random() < e.lateness
                        moment = self.on_time_stamp(year, month, rng)
                        if late:
                            moment = moment.replace(day=rng.randint(12, 27))
                        period = f"{year}-{month:02d}"
                        self.record["monthly"][f"{e.tax_code}|{period}"] = {
                            **{c: str(values[c]) for c in values}, "first_submitted": moment.isoformat(),
                            "zone_file": f"monthly_report/{sheet.path}"}
                        def cells(style=style, k=k):
                            return [e.tax_code, self.period_text(year, month, k),
                                    *[self.num(values[c], style) for c in cols[2:-1]], self.stamp(moment, style, k)]
                        k += 1
                        if late:
                            late_rows.setdefault(period, []).append(cells("csv"))
                            self.record["late"].append([e.tax_code, period])
                        else:
                            sheet.rows.append(cells())
                    self.add("monthly_report", sheet)
        for period, rows in sorted(late_rows.items()):
            self.add("monthly_report", Sheet(f"{period[:4]}/tre_han/bao_cao_tre_han_{period}.csv", cols,
                                             rows=rows, style="csv"))
        self.add_monthly_messiness(cols)

    def sheet_for(self, form: str, path_part: str) -> Sheet:
        return next(s for f, s in self.sheets if f == form and path_part in s.path)

    def add_monthly_messiness(self, cols: list[str]) -> None:
        rng = random.Random(SEED + 3)
        rec = self.record["monthly"]
        keys = sorted(k for k, v in rec.items() if k.split("|")[1].startswith("2023"))
        target = self.sheet_for("monthly_report", "2023/QC/bao_cao_QC_2023-05")
        style = target.style

        def row_for(key: str, **changes) -> list:
            tax, period = key.split("|")
            values = {c: Decimal(rec[key][c]) if c in MONTHLY_AMOUNTS else int(rec[key][c]) for c in cols[2:-1]}
            values.update(changes)
            stamp = datetime.fromisoformat(rec[key]["first_submitted"])
            return [tax, period, *[v if isinstance(v, str) else self.num(v, style) for v in (values[c] for c in cols[2:-1])],
                    self.stamp(stamp, style, 0)]

        late = {f"{t}|{p}" for t, p in self.record["late"]}
        qc = [k for k in keys if rec[k]["zone_file"].endswith("bao_cao_QC_2023-05." + _ext(style)) and k not in late]
        def broken(reason, column, row):
            target.rows.append(row)
            self.broken("monthly_report", target, len(target.rows) - 1, reason, column)

        for key in qc[:3]:
            row = row_for(key)
            row[0] = bad_tax_code(row[0])
            broken("invalid_tax_code", "tax_code", row)
        broken("negative_value", "production_value", row_for(qc[3], production_value=Decimal("-1250.5")))
        broken("negative_value", "export_value", row_for(qc[4], export_value=Decimal("-3.25")))
        for key in qc[5:8]:
            total = int(rec[key]["workers_total"])
            broken("exceeds_limit", "workers_hired", row_for(key, workers_hired=total + 7))
        row = row_for(qc[8])
        row[1] = "T1/2031"
        broken("future_period", "period", row)
        row = row_for(qc[9])
        row[1] = "13/2023"
        broken("invalid_period", "period", row)
        broken("invalid_number", "revenue", row_for(qc[10], revenue="12a,5"))
        row = row_for(qc[11])
        row[cols.index("revenue")] = None
        broken("missing_value", "revenue", row)
        # two faults in one row: two records
        row = row_for(qc[12], production_value=Decimal("-1"), workers_hired=10**6)
        broken("negative_value", "production_value", row)
        self.record["broken"].append({**self.record["broken"][-1], "reason_code": "exceeds_limit", "column": "workers_hired"})
        # exact duplicates count once
        for key in qc[13:15]:
            target.rows.append(row_for(key))
        # conflicting duplicates: same key and time, other values -> both rejected (a month nobody else reported)
        gap = sorted(t for t in self.missing if t[1] == 2023)[0]
        e = next(x for x in self.enterprises if x.tax_code == gap[0])
        vals = self.report_values(e, 2023, gap[2])
        stamp = self.on_time_stamp(2023, gap[2], rng)
        for factor in (Decimal(1), Decimal("1.5")):
            changed = {**vals, "production_value": vals["production_value"] * factor}
            row = [e.tax_code, f"{gap[2]}/2023", *[self.num(changed[c], style) for c in cols[2:-1]], self.stamp(stamp, style, 0)]
            broken("conflicting_duplicate", "tax_code", row)
        # an enterprise not (yet) in the roster
        stranger = make_tax_code(random.Random(99))
        self.record["unknown_enterprise"].append(stranger)
        for m in (3, 4):
            row = row_for(qc[15])
            row[0], row[1] = stranger, f"2023-{m:02d}"
            broken("unknown_enterprise", "tax_code", row)
        self.add_corrections(cols, rng)
        self.add_outliers()
        self.add_bad_files(cols)

    def add_corrections(self, cols: list[str], rng: random.Random) -> None:
        """Later files restate some months; the record keeps the corrected values."""
        rec = self.record["monthly"]
        late = {f"{t}|{p}" for t, p in self.record["late"]}
        keys = [k for k in sorted(rec) if k.split("|")[1] in ("2023-03", "2023-08") and k not in late]
        chosen = random.Random(SEED + 4).sample(keys, 12)
        sheet = Sheet("2023/dieu_chinh/dieu_chinh_2023.xlsx", cols, vietnamese_headers=True, style="xlsx", title_rows=1)
        for key in chosen:
            tax, period = key.split("|")
            first = datetime.fromisoformat(rec[key]["first_submitted"])
            new_prod = dec(float(rec[key]["production_value"]) * rng.uniform(0.85, 1.15), 3)
            new_budget = dec(float(rec[key]["budget_paid"]) * rng.uniform(0.9, 1.1), 3)
            rec[key].update(production_value=str(new_prod), budget_paid=str(new_budget), corrected=True)
            values = {c: rec[key][c] for c in cols[2:-1]}
            sheet.rows.append([tax, period, *[self.num(Decimal(values[c]) if c in MONTHLY_AMOUNTS else int(values[c]), "xlsx")
                                              for c in cols[2:-1]], first + timedelta(days=20)])
        self.add("monthly_report", sheet)

    def add_outliers(self) -> None:
        """A few months reported far above the enterprise's usual level: accepted, with a warning."""
        rec = self.record["monthly"]
        for key in sorted(rec)[100:2000:400]:
            tax, period = key.split("|")
            if period < "2022-08" or rec[key].get("corrected"):
                continue
            sheet = next(s for f, s in self.sheets if f"monthly_report/{s.path}" == rec[key]["zone_file"])
            for row in sheet.rows:
                if row[0] == tax and _period_of(row[1]) == period:
                    value = Decimal(rec[key]["production_value"]) * 8
                    row[2] = self.num(value, sheet.style)
                    rec[key]["production_value"] = str(value)
                    self.record["outliers"].append(key)
                    break

    def add_bad_files(self, cols: list[str]) -> None:
        sample = self.sheet_for("monthly_report", "2023/DT/bao_cao_DT_2023-02")
        short = Sheet("2023/thieu_cot/bao_cao_thieu_cot.csv", [c for c in cols if c != "revenue"], style="csv",
                      rows=[[r[0], r[1], r[2], *r[4:]] for r in sample.rows[:3]])
        self.add("monthly_report", short)
        self.record["broken"].append({"file": f"monthly_report/{short.path}", "row_number": None,
                                      "reason_code": "missing_column", "column": None})
        self.record["bad_files"] = [("monthly_report/2023/hong/bao_cao_hong.xlsx", "unreadable_file")]
        self.record["broken"].append({"file": "monthly_report/2023/hong/bao_cao_hong.xlsx", "row_number": None,
                                      "reason_code": "unreadable_file", "column": None})


def _ext(style: str) -> str:
    return {"xlsx": "xlsx", "json_list": "json", "json_rows": "json"}.get(style, "csv")


def _period_of(text: str) -> str:
    from tasks.coerce import _to_month

    return _to_month(text)


class OtherForms:
    """The board's own registers: zones, investment, land, procedures, inspections, nominations."""

    def __init__(self, demo: DemoBuilder):
        self.demo, self.rng = demo, random.Random(SEED + 10)

    def keep(self, form: str, key: str, row: dict) -> None:
        self.demo.record[form][key] = {k: (str(v) if v is not None else None) for k, v in row.items()}

    def sheet(self, form: str, path: str, style: str, **kw) -> Sheet:
        return self.demo.add(form, Sheet(path, FORMS[form].column_names[:-1], style=style, **kw))

    def broken(self, form: str, sheet: Sheet, row: list, reason: str, column: str) -> None:
        sheet.rows.append(row)
        self.demo.broken(form, sheet, len(sheet.rows) - 1, reason, column)

    def zone_events(self) -> None:
        sheet = self.sheet("zone_events", "quyet_dinh_kcn.xlsx", "xlsx", title_rows=2, vietnamese_headers=True)
        for code, name, event, area, day in (
            ("DT", "Đình Trám", "điều chỉnh", Decimal("127.4"), date(2022, 6, 10)),
            ("HY", "Hòa Yên", "thành lập mới", Decimal("250.5"), date(2023, 5, 20)),
            ("VH", "Việt Hàn", "mở rộng", Decimal("116.85"), date(2023, 9, 18)),
        ):
            sheet.rows.append([code, name, event, float(area), "Bắc Giang", day])
            self.keep("zone_events", f"{code}|{day}", {"zone_code": code, "zone_name": name, "event": event,
                                                       "area_ha": area, "decision_date": day})
        self.broken("zone_events", sheet, ["QC", "Quang Châu", "điều chỉnh", 0, "Bắc Giang", date(2023, 2, 1)],
                    "out_of_range", "area_ha")
        self.broken("zone_events", sheet, ["ZZ", "KCN chưa có", "mở rộng", 50, "Bắc Giang", date(2023, 3, 1)],
                    "unknown_zone", "zone_code")
        self.broken("zone_events", sheet, ["YL", None, "điều chỉnh", 377, "Bắc Giang", date(2023, 4, 1)],
                    "missing_value", "zone_name")

    def investment(self) -> None:
        rng = self.rng
        zones = ["DT", "QC", "SKNH", "VT", "HP", "VH", "TH", "YL"]
        for year, count in [(y, 45) for y in self.demo.years[:-1]] + [(2023, 72)]:
            sheet = self.sheet("investment", f"{year}/giay_chung_nhan_dau_tu_{year}.csv", "csv_semicolon",
                               vietnamese_headers=True)
            for i in range(count):
                action = rng.choices(["cấp mới", "tăng vốn", "giảm vốn", "chấm dứt"], [60, 28, 7, 5])[0]
                capital = dec(rng.lognormvariate(16.4, 0.8), 0 if i % 4 else 2)
                if action == "chấm dứt":
                    capital = Decimal(0)
                day = date(year, rng.randint(1, 12), rng.randint(1, 28))
                zone = rng.choice(zones + (["HY"] if year == 2023 and day > date(2023, 5, 20) else []))
                investor = rng.choice(self.demo.enterprises).tax_code if rng.random() < 0.4 else None
                code = f"DA-{year}-{i + 1:03d}"
                sheet.rows.append([code, f"Dự án {rng.choice(KINDS).lower()} {rng.choice(WORDS)}", investor, zone,
                                   action, vn_number(capital), vn_date(day, i)])
                self.keep("investment", f"{code}|{day}", {"project_code": code, "zone_code": zone, "action": action,
                                                          "capital_change": capital, "decision_date": day})
        sheet = self.sheet("investment", "2023/bo_sung_loi.json", "json_list")
        day = date(2023, 6, 1)
        self.broken("investment", sheet, ["DA-X-1", "Dự án âm", None, "QC", "tăng vốn", -5000000, day.isoformat()], "negative_value", "capital_change")
        self.broken("investment", sheet, ["DA-X-2", "Dự án lạ", None, "QC", "cấp lại", 5000000, day.isoformat()], "invalid_choice", "action")
        self.broken("investment", sheet, ["DA-X-3", "Dự án KCN lạ", None, "ZZ", "cấp mới", 5000000, day.isoformat()], "unknown_zone", "zone_code")
        self.broken("investment", sheet, ["DA-X-4", "Dự án MST sai", "0100109107", "QC", "cấp mới", 5000000, day.isoformat()], "invalid_tax_code", "investor_tax_code")
        self.broken("investment", sheet, [None, "Dự án không mã", None, "QC", "cấp mới", 5000000, day.isoformat()], "missing_value", "project_code")

    def land(self) -> None:
        rng = self.rng
        developers = {"TH": "Công ty CP Đầu tư Tân Hưng", "YL": "Công ty CP Phát triển KCN Yên Lư",
                      "VH": "Công ty CP Fuji Bắc Giang", "HP": "Công ty CP Hòa Phú", "HY": "Công ty CP Hòa Yên"}
        sheet = self.sheet("land_clearance", "giai_phong_mat_bang.xlsx", "xlsx", vietnamese_headers=True, stt=True)
        for year in self.demo.years:
            for month in range(1, 13):
                for zone, developer in developers.items():
                    if zone == "HY" and (year, month) < (2023, 6):
                        continue
                    cleared = dec(rng.uniform(0, 7.5), 2) if rng.random() < 0.75 else Decimal(0)
                    sheet.rows.append([zone, developer, f"{month:02d}/{year}", float(cleared)])
                    self.keep("land_clearance", f"{zone}|{developer}|{year}-{month:02d}",
                              {"zone_code": zone, "period": f"{year}-{month:02d}", "cleared_ha": cleared})
        self.broken("land_clearance", sheet, ["TH", developers["TH"], "T13/2023", 1.0], "invalid_period", "period")
        self.broken("land_clearance", sheet, ["TH", "Công ty khác", "03/2023", 500.0], "exceeds_limit", "cleared_ha")
        self.broken("land_clearance", sheet, ["YL", "Công ty khác", "03/2023", -2.5], "negative_value", "cleared_ha")
        self.broken("land_clearance", sheet, ["YL", "Công ty khác", "05/2031", 2.5], "future_period", "period")

    def admin(self) -> None:
        rng = self.rng
        procedures = ["Cấp giấy chứng nhận đăng ký đầu tư", "Điều chỉnh dự án đầu tư", "Cấp giấy phép lao động",
                      "Thẩm định thiết kế xây dựng", "Xác nhận ưu đãi đầu tư"]
        for year in self.demo.years:
            sheet = self.sheet("admin_procedures", f"{year}/so_theo_doi_ho_so_{year}.csv", "csv",
                               vietnamese_headers=year == 2023)
            for i in range(640):
                received = date(year, 1, 1) + timedelta(days=rng.randint(0, 350))
                due = received + timedelta(days=rng.randint(3, 15))
                roll = rng.random()
                resolved = None if roll < 0.006 else (due + timedelta(days=rng.randint(1, 6)) if roll < 0.02
                                                      else received + timedelta(days=rng.randint(0, (due - received).days)))
                dossier = f"HS{year}{i + 1:05d}"
                sheet.rows.append([dossier, rng.choice(procedures), rng.choice(self.demo.enterprises).tax_code if i % 3 else None,
                                   vn_date(received, i), vn_date(due, i + 1), vn_date(resolved, i) if resolved else None])
                self.keep("admin_procedures", dossier, {"dossier_id": dossier, "received_on": received, "due_on": due,
                                                        "resolved_on": resolved})
            if year == 2023:
                self.broken("admin_procedures", sheet, ["HSX1", procedures[0], None, "10/05/2023", "01/05/2023", None], "before_start", "due_on")
                self.broken("admin_procedures", sheet, ["HSX2", procedures[0], None, "31/02/2023", "10/03/2023", None], "invalid_date", "received_on")
                self.broken("admin_procedures", sheet, [None, procedures[0], None, "01/03/2023", "10/03/2023", None], "missing_value", "dossier_id")
                self.broken("admin_procedures", sheet, ["HSX3", procedures[0], None, "10/05/2023", "20/05/2023", "01/05/2023"], "before_start", "resolved_on")

    def compliance(self, protected: set[str]) -> None:
        rng = self.rng
        domains = ["PCCC", "môi trường", "lao động", "ANTT", "ATGT", "BHXH"]
        pool = [e for e in self.demo.enterprises if e.tax_code not in protected and e.start < date(2023, 1, 1)]
        for year in self.demo.years:
            sheet = self.sheet("compliance", f"{year}/bien_ban_kiem_tra_{year}.json", "json_rows",
                               vietnamese_headers=True)
            for i in range(160):
                kind = rng.choices(["kiểm tra", "vi phạm", "sự cố"], [74, 20, 6])[0]
                severity = None if kind == "kiểm tra" else rng.choices(["nhẹ", "nghiêm trọng"], [82, 18])[0]
                target = rng.choice(pool if kind != "kiểm tra" else self.demo.enterprises)
                day = date(year, rng.randint(1, 12), rng.randint(1, 28))
                fine = dec(rng.randint(5, 80) * 1_000_000, 0) if kind == "vi phạm" else None
                record_id = f"BB-{year}-{i + 1:04d}"
                sheet.rows.append([record_id, target.tax_code, vn_date(day, i), rng.choice(domains), kind, severity,
                                   vn_number(fine) if fine is not None else None])
                self.keep("compliance", record_id, {"record_id": record_id, "tax_code": target.tax_code,
                                                    "event_date": day, "domain": sheet.rows[-1][3],
                                                    "event_type": kind, "severity": severity})
            if year == 2023:
                tax = pool[0].tax_code
                self.broken("compliance", sheet, ["BB-X1", tax, "5/6/2023", "PCCN", "kiểm tra", None, None], "invalid_choice", "domain")
                self.broken("compliance", sheet, ["BB-X2", tax, "5/6/2023", "PCCC", "vi phạm", None, "1.000.000"], "missing_value", "severity")
                self.broken("compliance", sheet, ["BB-X3", make_tax_code(random.Random(98)), "5/6/2023", "ATGT", "kiểm tra", None, None], "unknown_enterprise", "tax_code")
                self.broken("compliance", sheet, ["BB-X4", tax, "5/6/2023", "ATGT", "vi phạm", "nhẹ", "-500.000"], "negative_value", "fine")

    def flag_nominees(self) -> list[Enterprise]:
        demo = self.demo
        missed = {t for t, y, _ in demo.missing if y == 2023}
        late = {t for t, p in demo.record["late"] if p.startswith("2023")}
        good = [e for e in demo.enterprises if e.start < date(2022, 1, 1) and e.tax_code not in missed | late
                and not e.arrears and e.growth >= 1.0 and demo.version_on(e.tax_code, date(2023, 12, 31))["status"] == "hoạt động"]
        by_cluster: dict[str, list[Enterprise]] = {}
        for e in good:
            by_cluster.setdefault(demo.version_on(e.tax_code, date(2023, 12, 31))["cluster"], []).append(e)
        return [e for cluster in sorted(by_cluster) for e in by_cluster[cluster][:3]]

    def nominations(self, flag: list[Enterprise]) -> None:
        rng = self.rng
        cols = FORMS["nominations"].column_names[:-1]
        sheet = self.demo.add("nominations", Sheet("2023/de_nghi_khen_thuong_2023.xlsx", cols, style="xlsx",
                                                   vietnamese_headers=True, title_rows=2, stt=True))
        self.demo.record["person_ids"] = []

        def add(row: dict) -> None:
            sheet.rows.append([row.get(c) for c in cols])
            self.keep("nominations", row["nomination_id"], {k: v for k, v in row.items() if k != "person_id"})

        for i, e in enumerate(flag):
            add({"nomination_id": f"CTD-2023-{i + 1:02d}", "year": 2023, "award": "cờ thi đua",
                 "nominee_type": "doanh nghiệp", "nominee_name": e.name, "tax_code": e.tax_code,
                 "excellent_years": rng.randint(1, 4), "cstdcs_years": 0, "initiatives": 0 if i == 4 else rng.randint(1, 3),
                 "discipline": "không"})
        companies = rng.sample(self.demo.enterprises[:400], 40)
        for i, e in enumerate(companies[:24]):
            total = rng.randint(8, 60)
            completed = total if rng.random() < 0.85 else total - 1
            advanced = max(0, round(total * rng.uniform(0.6, 0.95)))
            add({"nomination_id": f"BK-TT-2023-{i + 1:02d}", "year": 2023, "award": "bằng khen",
                 "nominee_type": "tập thể", "nominee_name": f"Phòng Sản xuất {i + 1} – {e.name}", "tax_code": e.tax_code,
                 "members_total": total, "members_completed": completed, "members_advanced": advanced,
                 "members_cstdcs": rng.randint(0, 3), "excellent_years": rng.randint(1, 4), "cstdcs_years": 0,
                 "initiatives": rng.randint(0, 3), "discipline": rng.choices(["không", "khiển trách", "cảnh cáo"], [85, 10, 5])[0]})
        for i, e in enumerate(companies[24:26]):
            add({"nomination_id": f"BK-DN-2023-{i + 1:02d}", "year": 2023, "award": "bằng khen",
                 "nominee_type": "doanh nghiệp", "nominee_name": e.name, "tax_code": e.tax_code,
                 "excellent_years": rng.randint(1, 3), "cstdcs_years": 0, "initiatives": 1, "discipline": "không"})
        for i, e in enumerate(companies[26:40] + companies[:12]):
            person = f"0{rng.randint(24, 99)}{rng.randint(0, 1)}{rng.randint(10**7, 10**8 - 1)}"[:12].ljust(12, "7")
            self.demo.record["person_ids"].append(person)
            add({"nomination_id": f"BK-CN-2023-{i + 1:02d}", "year": 2023, "award": "bằng khen",
                 "nominee_type": "cá nhân", "nominee_name": f"Nguyễn Văn {WORDS[i % len(WORDS)]}", "tax_code": e.tax_code,
                 "person_id": person if i % 2 else f"{person[:4]} {person[4:8]} {person[8:]}",
                 "excellent_years": rng.randint(0, 4), "cstdcs_years": rng.randint(0, 3), "initiatives": rng.randint(0, 3),
                 "discipline": rng.choices(["không", "khiển trách"], [90, 10])[0]})
        base = {"year": 2023, "award": "bằng khen", "nominee_type": "tập thể", "nominee_name": "Tổ lỗi",
                "tax_code": companies[0].tax_code, "members_total": 10, "members_completed": 10, "members_advanced": 8,
                "members_cstdcs": 1, "excellent_years": 2, "cstdcs_years": 0, "initiatives": 0, "discipline": "không"}
        person = "001099000123"
        self.demo.record["person_ids"].append(person)
        for nid, changes, reason, column in (
            ("X1", {"award": "cờ thi đua", "nominee_type": "cá nhân", "person_id": person, "members_total": None,
                    "members_completed": None, "members_advanced": None, "members_cstdcs": None}, "award_not_allowed", "nominee_type"),
            ("X2", {"members_total": None}, "missing_value", "members_total"),
            ("X3", {"nominee_type": "cá nhân", "person_id": "001099000124", "members_completed": None,
                    "members_advanced": None, "members_cstdcs": None}, "must_be_blank", "members_total"),
            ("X4", {"nominee_type": "cá nhân", "person_id": "00109900012", "members_total": None, "members_completed": None,
                    "members_advanced": None, "members_cstdcs": None}, "invalid_person_id", "person_id"),
            ("X5", {"members_completed": 12}, "exceeds_limit", "members_completed"),
            ("X6", {"tax_code": make_tax_code(random.Random(97))}, "unknown_enterprise", "tax_code"),
        ):
            row = {**base, **changes, "nomination_id": f"LOI-{nid}"}
            if nid == "X3":
                self.demo.record["person_ids"].append("001099000124")
            self.broken("nominations", sheet, [row.get(c) for c in cols], reason, column)


MIN_ENTERPRISES = 40        # fewer leave some planted error or award case without an enterprise of its own


def write_demo(out: Path, enterprises: int = 452, years: tuple[int, ...] = YEARS, csv_only: bool = False) -> dict:
    """Write the demo landing folder under `out`; returns the record (also in out/.demo/record.json).

    The defaults are the province's demo; the benchmark asks for a national scale
    (tens of thousands of enterprises, several years, CSV monthly files)."""
    out = Path(out)
    demo = DemoBuilder(out, years=years, styles=("csv_semicolon", "csv") if csv_only else DemoBuilder.STYLES)
    demo.make_enterprises(enterprises)
    demo.write_roster()
    demo.write_monthly()
    others = OtherForms(demo)
    flag = others.flag_nominees()
    others.zone_events()
    others.investment()
    others.land()
    others.admin()
    others.compliance({e.tax_code for e in flag})
    others.nominations(flag)
    for form, sheet in demo.sheets:
        write_sheet(out, form, sheet)
    broken_xlsx = out / "monthly_report/2023/hong/bao_cao_hong.xlsx"
    broken_xlsx.parent.mkdir(parents=True, exist_ok=True)
    broken_xlsx.write_bytes(b"PK\x03\x04" + bytes(random.Random(5).randrange(256) for _ in range(600)))
    demo.record["files"] = len(demo.sheets) + 1
    demo.record["roster"] = [{**v, "valid_from": v["valid_from"].isoformat()} for v in demo.record["roster"]]
    demo.record["flag_nominees"] = [e.tax_code for e in flag]
    (out / ".demo").mkdir(parents=True, exist_ok=True)
    (out / ".demo" / "record.json").write_text(json.dumps(demo.record, ensure_ascii=False, indent=0, default=str),
                                               encoding="utf-8")
    return demo.record
