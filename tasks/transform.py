"""Staging (every version) -> the facts one year's marts read: current versions,
the roster and zones with history, and the zone each row counts for.

Marts are built year by year so that memory stays flat as history grows: a
year's facts hold that year and the one before (for growth), never more.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, String, and_, cast, false, select, union

from tasks.coerce import fold, local_deadline, month_end
from tasks.forms import FORM_ORDER, FORMS
from tasks.plan import Plan, load_plan, load_zones
from warehouse.dialect import read_frame, read_frame_later
from warehouse.schema import table

FAR_PAST, FAR_FUTURE = pd.Timestamp("1900-01-01"), pd.Timestamp("2999-12-31")
MICRO = 1_000_000
NEVER = np.iinfo(np.int64).max        # a missing submitted_at, as an integer time stamp


def current_versions(frame: pd.DataFrame, key: tuple[str, ...], first_by: str | None = None) -> pd.DataFrame:
    """The version with the latest submitted_at per key (a tie goes to the file taken later), with the
    key's first submitted_at; in the order of a stable sort by (submitted_at, file_id, row_number),
    or with `first_by` (a key column) by that column first.

    Integer group codes and one lexsort, not a sort of the whole frame and two group-bys on text."""
    if frame.empty:
        return frame
    codes = np.zeros(len(frame), dtype=np.int64)
    for column in key:
        part, values = pd.factorize(frame[column])           # a blank key is -1, so +1
        codes = codes * (len(values) + 1) + part + 1
    codes, groups = pd.factorize(codes)
    when = _stamps(frame["submitted_at"])
    order = _version_order(frame, when, first_by)
    last = np.empty(len(groups), dtype=np.int64)
    last[codes[order]] = np.arange(len(order))          # later positions overwrite earlier ones
    pick = order[np.sort(last)]
    first = np.full(len(groups), NEVER)
    np.minimum.at(first, codes, when)
    current = frame.take(pick).reset_index(drop=True)
    first = first[codes[pick]]
    current["first_submitted_at"] = np.where(first == NEVER, np.datetime64("NaT"), first.astype("datetime64[us]"))
    return current


def _stamps(submitted_at: pd.Series) -> np.ndarray:
    stamps = submitted_at.to_numpy("datetime64[us]")
    return np.where(np.isnat(stamps), NEVER, stamps.view(np.int64))      # unknown sorts last, as in pandas


def _version_order(frame: pd.DataFrame, when: np.ndarray, first_by: str | None = None) -> np.ndarray:
    keys = [frame["row_number"].to_numpy(), frame["file_id"].to_numpy(), when]
    if first_by is not None:               # a key column: versions of one key stay in version order
        keys.append(pd.factorize(frame[first_by], sort=True)[0])
    return np.lexsort(keys)


def months_in_order(stored: pd.DataFrame | None, fresh: pd.DataFrame) -> pd.DataFrame:
    """Stored months (snapshot.py), then the later months read from staging: each part is in
    (period, version) order, so together they are too, whichever way a month was made."""
    parts = [f for f in (stored, fresh) if f is not None and not f.empty] or [fresh]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def load_current(conn: Connection, form: str, where=None, columns: tuple[str, ...] | None = None,
                 first_by: str | None = None) -> pd.DataFrame:
    """Current versions of a form's staged rows (all columns, or provenance, key, submitted_at and
    `columns`), in version order (with `first_by`: ordered by that key column first)."""
    return current_of(form, read_frame(conn, staged(conn, form, where, columns)), first_by)


def staged(conn: Connection, form: str, where=None, columns: tuple[str, ...] | None = None):
    """The SELECT of a form's staged rows that load_current reads."""
    tab = table(conn.dialect.name, "staging", form)
    keep = tab.c if columns is None else [tab.c[c] for c in dict.fromkeys(
        ("file_id", "row_number", *FORMS[form].key, "submitted_at", *columns))]
    statement = select(*keep)
    return statement if where is None else statement.where(where(tab.c))


def current_of(form: str, frame: pd.DataFrame, first_by: str | None = None) -> pd.DataFrame:
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"])
    return current_versions(frame, FORMS[form].key, first_by)


def micro(values: pd.Series) -> pd.Series:
    """An amount as an exact integer count of millionths of its unit (for exact sums)."""
    return (values.astype("float64") * MICRO).round().fillna(0).astype("int64")


# --- dimensions with history -------------------------------------------------------------

def _with_valid_to(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    frame = frame.sort_values([key, "valid_from"]).reset_index(drop=True)
    nxt = frame.groupby(key)["valid_from"].shift(-1)
    frame["valid_to"] = (nxt - pd.Timedelta(days=1)).fillna(FAR_FUTURE)
    return frame


def roster_versions(conn: Connection) -> pd.DataFrame:
    roster = load_current(conn, "enterprises")
    cols = ["tax_code", "valid_from", "name", "zone_code", "cluster", "ownership", "country", "status"]
    if roster.empty:
        return pd.DataFrame(columns=[*cols, "valid_to"])
    roster = roster[cols].copy()
    roster["valid_from"] = pd.to_datetime(roster["valid_from"])
    return _with_valid_to(roster, "tax_code")


def zone_versions(conn: Connection) -> pd.DataFrame:
    """Zones from config, changed by zone decisions and the province merger."""
    config = load_zones()
    events = load_current(conn, "zone_events")
    changes = []
    for z in config.zones:
        changes.append({"zone_code": z["code"], "valid_from": FAR_PAST, "zone_name": z["name"],
                        "area_ha": float(z["area_ha"]), "set_area": True, "province": None})
    for e in events.sort_values("decision_date").itertuples():
        changes.append({"zone_code": e.zone_code, "valid_from": pd.Timestamp(e.decision_date),
                        "zone_name": e.zone_name, "area_ha": float(e.area_ha),
                        "set_area": e.event != "mở rộng", "province": e.province})
    for when, province in config.province_changes:
        for code in {c["zone_code"] for c in changes}:
            changes.append({"zone_code": code, "valid_from": pd.Timestamp(when), "zone_name": None,
                            "area_ha": None, "set_area": None, "province": province})
    return _fold_zone_changes(pd.DataFrame(changes))


def _fold_zone_changes(changes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for code, group in changes.sort_values("valid_from", kind="stable").groupby("zone_code", sort=True):
        name, area, province = None, 0.0, None
        for c in group.itertuples():
            name = c.zone_name if pd.notna(c.zone_name) else name
            if pd.notna(c.area_ha):
                area = c.area_ha if c.set_area else area + c.area_ha
            province = c.province if pd.notna(c.province) else province
            rows.append({"zone_code": code, "valid_from": c.valid_from, "zone_name": name,
                         "area_ha": round(area, 6), "province": province})
    frame = pd.DataFrame(rows).drop_duplicates(["zone_code", "valid_from"], keep="last")
    frame = frame[frame["zone_name"].notna()]
    return _with_valid_to(frame, "zone_code")


def zone_lookup(zones: pd.DataFrame) -> tuple[set[str], dict[str, str], dict[str, float]]:
    """Known codes, folded names (and aliases) -> code, latest area per code."""
    names = {fold(n): c for c, n in zip(zones["zone_code"], zones["zone_name"])}
    for z in load_zones().zones:
        for alias in z.get("aliases", []):
            names[fold(alias)] = z["code"]
    latest = zones.sort_values("valid_from").drop_duplicates("zone_code", keep="last")
    return set(zones["zone_code"]), names, dict(zip(latest["zone_code"], latest["area_ha"]))


def positions(known: pd.Index, probes) -> np.ndarray:
    """Where each probe is in `known` (unique values; -1: absent or blank): Index.get_indexer,
    by Arrow's hash kernel, several times faster on the text keys here."""
    probes = pa.array(probes.array if isinstance(probes, (pd.Series, pd.Index)) else probes, from_pandas=True)
    values = pa.array(known.array, from_pandas=True)
    if pa.types.is_null(probes.type) or pa.types.is_null(values.type):     # nothing to find, or nothing known
        return np.full(len(probes), -1, dtype=np.intp)
    return pc.index_in(probes, value_set=values).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)


def sorted_union(*columns) -> pd.Index:
    """The distinct values of text columns together, sorted: Arrow's hash and sort, a third of the
    time of Python sets and sorted() on the tens of thousands of tax codes here."""
    arrays = [pa.array(c.array if isinstance(c, (pd.Series, pd.Index)) else c, from_pandas=True) for c in columns]
    both = pc.unique(pa.chunked_array([a.cast(pa.large_string()) for a in arrays], type=pa.large_string()))
    return pd.Index(both.take(pc.array_sort_indices(both)).to_pandas())


def match_months(codes: np.ndarray, months: np.ndarray, split: int, keys: int) -> np.ndarray:
    """For each of the first `split` rows, the position among the rows after them of the row with
    the same (code, month); -1 when there is none or the code is -1. Codes are integer keys below
    `keys`, months 1..12, and the later rows hold each (code, month) once: a slot table, not a sort
    or a merge on text."""
    pair = np.where(codes >= 0, codes * 16 + months, -1)
    slot = np.full(keys * 16, -1)
    later = pair[split:]
    slot[later[later >= 0]] = np.flatnonzero(later >= 0)
    first = pair[:split]
    return np.where(first >= 0, slot[np.maximum(first, 0)], -1)


@dataclass(frozen=True)
class Versions:
    """Versions of a key sorted by (key, valid_from), with the arrays `as_of` searches: made once
    for a roster that many frames look up (YearFacts.roster, prepared once per refresh)."""
    key: str
    ordered: pd.DataFrame
    codes: np.ndarray         # each version's key as a position in `known`: non-decreasing
    known: pd.Index
    starts: np.ndarray        # valid_from as int64 nanoseconds
    first_of: np.ndarray      # per key in `known`: the position of its first version, and of its last
    last_of: np.ndarray

    @classmethod
    def of(cls, versions: pd.DataFrame, key: str) -> "Versions":
        ordered = versions.sort_values([key, "valid_from"], kind="stable").reset_index(drop=True)
        codes, known = pd.factorize(ordered[key])
        starts = pd.to_datetime(ordered["valid_from"]).to_numpy("datetime64[ns]").view(np.int64)
        keys = np.arange(len(known))
        return cls(key, ordered, codes, known, starts, np.searchsorted(codes, keys, side="left"),
                   np.searchsorted(codes, keys, side="right") - 1)


def as_of(frame: pd.DataFrame, key: str, when: str, versions: pd.DataFrame | Versions, fields: list[str],
          fallback_first: bool = True) -> pd.DataFrame:
    """Attach `fields` of the version of `key` valid on `when` (before the first, or where that
    version leaves a field blank: the first version's)."""
    if frame.empty:
        return frame.assign(**{f: pd.Series(dtype=object) for f in fields})
    versions = versions if isinstance(versions, Versions) else Versions.of(versions, key)
    found, first = _version_at(frame[key], pd.to_datetime(frame[when]), versions)
    out = frame.reset_index(drop=True)
    for f in fields:
        values = versions.ordered[f].array.take(found, allow_fill=True)
        if fallback_first:
            values = pd.Series(values).fillna(pd.Series(versions.ordered[f].array.take(first, allow_fill=True))).array
        out[f] = values
    return out


def _version_at(keys: pd.Series, when: pd.Series, versions: Versions) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the position in `versions.ordered` of the key's last version from on or before
    `when`, and of its first version; -1 where there is none. Each row starts at its key's last
    version and steps back while that one starts after `when`: nearly every key has one version,
    so the first look settles nearly every row, and the steps back run on the few left."""
    codes = positions(versions.known, keys)
    if not len(versions.known):
        return codes, codes.copy()
    known, key = codes >= 0, np.maximum(codes, 0)
    first, at = np.where(known, versions.first_of[key], -1), np.where(known, versions.last_of[key], -1)
    times = when.to_numpy("datetime64[ns]").view(np.int64)    # NaT is the smallest: before every version
    rows = np.flatnonzero(known & (versions.starts[np.maximum(at, 0)] > times))
    while len(rows):
        at[rows] -= 1
        none = at[rows] < first[rows]
        at[rows[none]] = -1
        rows = rows[~none]
        rows = rows[versions.starts[at[rows]] > times[rows]]
    return at, first


# --- one year's facts ------------------------------------------------------------------------

@dataclass
class YearFacts:
    year: int
    plan: Plan
    roster: Versions              # every roster version, prepared for as_of lookups by tax code
    zones: pd.DataFrame           # every zone version, with valid_to
    reports: pd.DataFrame         # current reports of the year (+ month, zone_code, late): what snapshot.py stores;
                                  # in (period, version) order, from staging or snapshots alike
    prior: pd.DataFrame           # current reports of the year before (PRIOR_YEAR_COLUMNS)
    operating: pd.DataFrame       # tax_code x month of the year with the roster status then
    investment: pd.DataFrame
    land: pd.DataFrame
    admin: pd.DataFrame
    compliance: pd.DataFrame
    zone_events: pd.DataFrame
    nominations: pd.DataFrame
    prior_nominations: pd.DataFrame | None = None
    phases: tuple[str, ...] | None = None    # the phases the per-phase marts rebuild (None: every phase)
    derived: dict = field(default_factory=dict, repr=False)   # frames several marts read, built once

    @property
    def changed_phases(self) -> tuple[str, ...]:
        return tuple(self.plan.phases) if self.phases is None else self.phases

    def phase_months(self, phase: str) -> range:
        return self.plan.months(phase)


@dataclass(frozen=True)
class TaxCodes:
    """The tax codes of a year's reports, the year before's and the operating grid as integer keys
    into one index (-1: blank). A hash of every text code, made once per year for all the marts
    that group or match by enterprise, instead of a factorize of the same columns in each."""
    keys: pd.Index
    reports: np.ndarray
    prior: np.ndarray
    operating: np.ndarray


def tax_codes(facts: YearFacts) -> TaxCodes:
    """The year's TaxCodes (built once per year; read-only): the roster's codes first, then any
    code of a report that the roster lacks."""
    if "tax_codes" not in facts.derived:
        columns = [f["tax_code"] for f in (facts.reports, facts.prior, facts.operating)]
        keys = facts.roster.known
        codes = [positions(keys, column) for column in columns]
        strays = [column[(found < 0) & column.notna().to_numpy()] for column, found in zip(columns, codes)]
        if any(len(s) for s in strays):
            extra = pd.Index(pd.unique(pd.concat(strays, ignore_index=True)))
            for found, column in zip(codes, columns):
                more = positions(extra, column)
                found[(found < 0) & (more >= 0)] = more[(found < 0) & (more >= 0)] + len(keys)
            keys = keys.append(extra)
        facts.derived["tax_codes"] = TaxCodes(keys, *codes)
    return facts.derived["tax_codes"]


def _month_ends(year: int) -> pd.DataFrame:
    return pd.DataFrame({"month": range(1, 13),
                         "month_end": [pd.Timestamp(year, m, 1) + pd.offsets.MonthEnd(0) for m in range(1, 13)]})


def _operating(roster: pd.DataFrame | Versions, year: int) -> pd.DataFrame:
    """Each enterprise x month of the year with its status on the month's last day (the marts that
    show names and zones look them up for their own rows: the grid has 12 rows per enterprise)."""
    versions = roster if isinstance(roster, Versions) else Versions.of(roster, "tax_code")
    if versions.ordered.empty:
        return pd.DataFrame(columns=["tax_code", "month", "month_end", "status"])
    taxes, ends = versions.known, _month_ends(year)["month_end"].to_numpy()
    # Each version counts from the first month whose last day it has started by; per enterprise and
    # month, the latest such version (positions rise with valid_from within an enterprise).
    starts = np.searchsorted(ends, pd.to_datetime(versions.ordered["valid_from"]).to_numpy(ends.dtype), side="left")
    latest = np.full((len(taxes), 13), -1)
    np.maximum.at(latest, (versions.codes, starts), np.arange(len(versions.ordered)))
    latest = np.maximum.accumulate(latest, axis=1)[:, :12].ravel()
    return pd.DataFrame({"tax_code": taxes.take(np.repeat(np.arange(len(taxes)), 12)),
                         "month": np.tile(np.arange(1, 13, dtype=np.int64), len(taxes)),
                         "month_end": np.tile(ends, len(taxes)),
                         "status": versions.ordered["status"].array.take(latest, allow_fill=True)})


OUTLIER_COLUMNS = ("production_value", "revenue", "export_value", "import_value", "budget_paid")
MONTHLY_FIGURES = ("workers_hired", "si_arrears", *OUTLIER_COLUMNS)
# All the year before gives: production for growth, and the figures outlier warnings look back at.
PRIOR_YEAR_COLUMNS = ["tax_code", "period", "year", "month", *OUTLIER_COLUMNS]


def monthly_of_year(conn: Connection, year: int, roster: pd.DataFrame | Versions, stored: pd.DataFrame | None = None,
                    start: str | None = None, ahead: Future | None = None) -> pd.DataFrame:
    """A year's current monthly reports with month, zone (as on the month's last day) and lateness
    (the first accepted version came after the 10th of the next month): the months from `start`
    on built from staging (as read by `ahead`, when given: reports_ahead), those before taken from
    `stored` (snapshot.py)."""
    frame = _reports_of_year(conn, year, MONTHLY_FIGURES, start, ahead)
    if frame.empty:
        frame = frame.assign(zone_code=None, late=None)
    else:
        parts = period_parts(frame["period"])
        frame["month_end"], frame["late"] = parts["month_end"], frame["first_submitted_at"] > parts["deadline"]
        frame = as_of(frame, "tax_code", "month_end", roster, ["zone_code"])
    return months_in_order(stored, frame)


def reports_ahead(conn: Connection, year: int, snapshots, figures: tuple[str, ...] = MONTHLY_FIGURES,
                  columns: list[str] | None = None) -> tuple[pd.DataFrame | None, str | None, Future]:
    """What monthly_of_year takes for a year (with OUTLIER_COLUMNS and PRIOR_YEAR_COLUMNS: what
    prior_year takes): its stored months that can be reused (`snapshots`: snapshot.Snapshots, or
    None: none), and the staged reports of the later months, read while Python goes on (on
    PostgreSQL they are queued on the connection behind the work in flight)."""
    stored, start = snapshots.reusable(year, columns) if snapshots is not None else (None, None)
    return stored, start, read_frame_later(conn, _staged_reports(conn, year, figures, start))


def prior_year(conn: Connection, year: int, stored: pd.DataFrame | None = None, start: str | None = None,
               ahead: Future | None = None) -> pd.DataFrame:
    """A year's current reports as the next year reads them (PRIOR_YEAR_COLUMNS), months before
    `start` taken from `stored`, the others from staging (as read by `ahead`, when given: reports_ahead)."""
    fresh = _reports_of_year(conn, year, OUTLIER_COLUMNS, start, ahead)[PRIOR_YEAR_COLUMNS]
    return months_in_order(None if stored is None else stored[PRIOR_YEAR_COLUMNS], fresh)


def _staged_reports(conn: Connection, year: int, figures: tuple[str, ...], start: str | None = None):
    start, end = start or f"{year}-01", f"{year}-12"
    # nothing to read when every month is reused: WHERE false, which PostgreSQL answers without a scan
    return staged(conn, "monthly_report", lambda c: and_(c.period >= start, c.period <= end) if start <= end
                  else false(), figures)


def _reports_of_year(conn: Connection, year: int, figures: tuple[str, ...], start: str | None = None,
                     ahead: Future | None = None) -> pd.DataFrame:
    rows = ahead.result() if ahead is not None else read_frame(conn, _staged_reports(conn, year, figures, start))
    frame = current_of("monthly_report", rows, first_by="period")
    parts = period_parts(frame["period"])
    frame["year"], frame["month"] = parts["year"], parts["month"]
    return frame


def period_parts(period: pd.Series) -> pd.DataFrame:
    """Year, month, last day and report deadline of YYYY-MM periods, worked out once per distinct
    period (a year of reports has twelve) and spread over the rows."""
    codes, distinct = pd.factorize(period)
    parts = pd.DataFrame({"year": [int(p[:4]) for p in distinct], "month": [int(p[5:7]) for p in distinct],
                          "month_end": pd.to_datetime([month_end(p) for p in distinct]),
                          "deadline": pd.to_datetime([local_deadline(p) for p in distinct])})
    return parts.astype({"year": "int64", "month": "int64"}).take(codes).set_axis(period.index)


def _in_year(column: str, year: int):
    return lambda c: and_(getattr(c, column) >= date(year, 1, 1), getattr(c, column) <= date(year, 12, 31))


def _dated(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column])
    frame["month"] = frame[column].dt.month
    return frame


def year_facts(conn: Connection, year: int, roster: Versions, zones: pd.DataFrame,
               last_year_monthly: pd.DataFrame | None = None, snapshots=None,
               reports: tuple[pd.DataFrame | None, str, Future] | None = None, then=None) -> YearFacts:
    """One year's facts; the year before's reports (PRIOR_YEAR_COLUMNS) are read unless given.
    With `snapshots` (snapshot.Snapshots), months stored by an earlier run are reused where still valid.
    `reports`: the year's reports as started earlier (months reused, first month read, reports_ahead).
    `then()`: called once every read is queued, before any is made into facts (a refresh queues
    the year's DELETEs there: PostgreSQL goes on to them while Python works on the rows)."""
    def read(form: str, where) -> Future:
        return read_frame_later(conn, staged(conn, form, where))

    # The other forms' reads go first: on PostgreSQL the stored months the reports reuse are still
    # being read and decoded on a second connection (snapshot.read_ahead) while these are answered.
    reads = {"compliance": read("compliance", _in_year("event_date", year)),
             "nominations": read("nominations", lambda c: c.year.in_([year, year - 1])),
             "investment": read("investment", _in_year("decision_date", year)),
             "land_clearance": read("land_clearance", lambda c: and_(c.period >= f"{year}-01", c.period <= f"{year}-12")),
             "admin_procedures": read("admin_procedures", _in_year("due_on", year)),
             "zone_events": read("zone_events", _in_year("decision_date", year))}
    prior = (reports_ahead(conn, year - 1, snapshots, OUTLIER_COLUMNS, PRIOR_YEAR_COLUMNS)
             if last_year_monthly is None else None)
    reports = reports or reports_ahead(conn, year, snapshots)
    if then is not None:
        then()
    current = {form: current_of(form, future.result()) for form, future in reads.items()}
    compliance = as_of(_dated(current["compliance"], "event_date"), "tax_code", "event_date", roster, ["zone_code"])
    land = current["land_clearance"]
    nominations = current["nominations"]
    return YearFacts(
        year=year, plan=load_plan(year), roster=roster, zones=zones, compliance=compliance,
        operating=_operating(roster, year),
        investment=_dated(current["investment"], "decision_date"),
        land=land.assign(month=land["period"].str[5:7].astype(int) if len(land) else []),
        admin=_dated(current["admin_procedures"], "due_on"),
        zone_events=_dated(current["zone_events"], "decision_date"),
        prior=last_year_monthly if prior is None else prior_year(conn, year - 1, *prior),
        reports=monthly_of_year(conn, year, roster, *reports),
        nominations=nominations[nominations["year"] == year].reset_index(drop=True),
    )


def data_years(conn: Connection, monthly_years: set[int]) -> list[int]:
    """Every year that some staged row falls in (distinct values only, never whole tables, in one
    statement); the monthly reports' years are given (snapshot.month_prints has them)."""
    distinct = []
    for form in FORM_ORDER:
        if form in ("enterprises", "monthly_report"):   # the roster has versions, not years; monthly: given
            continue
        tab, column = table(conn.dialect.name, "staging", form), FORMS[form].period_column
        distinct.append(select(cast(tab.c[column], String).label("v")).where(tab.c[column].is_not(None)).distinct())
    values = conn.execute(union(*distinct)).scalars() if distinct else []
    return sorted(set(monthly_years) | {int(str(v)[:4]) for v in values})
