"""Staging -> marts: every mart and the derived warnings (late reports, outliers), year by year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, insert, select

from tasks.plan import Plan, load_plan
from tasks.snapshot import Snapshots, drop_other_years, month_prints, read_ahead, stored_roster
from tasks.transform import (OUTLIER_COLUMNS, PRIOR_YEAR_COLUMNS, Versions, YearFacts, data_years, period_parts,
                             reports_ahead, roster_versions, tax_codes, year_facts, zone_versions)
from warehouse.dialect import bulk_insert, execute_later
from warehouse.marts import MARTS
from warehouse.marts.award_quota import build_from
from warehouse.marts.dimensions import ROSTER_DIMENSION
from warehouse.marts.rejections import FINDINGS
from warehouse.schema import table

OUTLIER_FACTOR, OUTLIER_WINDOW, OUTLIER_MIN_MONTHS = 5, 6, 3
DERIVED_WARNINGS = ("late_report", "outlier")
WARNED_COLUMNS = ["file_id", "row_number", "tax_code", "period", "year", "month", "late", *OUTLIER_COLUMNS]   # read
ALL_MONTHS = "0000-01"     # warnings_since for a refresh of every month


def _month_index(reports: pd.DataFrame) -> np.ndarray:
    """Each report's month counted from year 0 (year * 12 + month - 1): from the facts' year and
    month columns (integers), else from the period's text."""
    if "year" in reports and "month" in reports:
        return reports["year"].to_numpy(dtype=np.int64) * 12 + reports["month"].to_numpy(dtype=np.int64) - 1
    parts = period_parts(reports["period"])
    return (parts["year"] * 12 + parts["month"] - 1).to_numpy()


def _period_index(period: str) -> int:
    """_month_index of one YYYY-MM."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def trailing_median_at(wide: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Per cell (rows[i], cols[i]) of `wide` (enterprise x month): the median of the previous
    OUTLIER_WINDOW months that have a value, when at least OUTLIER_MIN_MONTHS do; else NaN."""
    back = cols[:, None] - np.arange(1, OUTLIER_WINDOW + 1)
    window = np.where(back >= 0, wide[rows[:, None], np.maximum(back, 0)], np.nan)
    count = np.isfinite(window).sum(axis=1)
    ordered = np.sort(window, axis=1)                                   # blanks sort last
    low = np.take_along_axis(ordered, (np.maximum(count - 1, 0) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(ordered, (count // 2)[:, None], axis=1)[:, 0]
    high = np.where(count % 2 == 1, low, high)
    return np.where(count >= OUTLIER_MIN_MONTHS, (low + high) / 2, np.nan)


def _trailing_least(wide: np.ndarray, first: int) -> np.ndarray:
    """Per row and column from `first` on: the least value of the previous OUTLIER_WINDOW months
    (NaN when none has one)."""
    n, months = wide.shape
    least = np.full((n, months - first), np.nan)
    for k in range(1, OUTLIER_WINDOW + 1):
        start = max(first, k)                                   # columns with a month k back
        if start < months:
            least[:, start - first:] = np.fmin(least[:, start - first:], wide[:, start - k:months - k])
    return least


def outliers(current: pd.DataFrame, start: str | None = None, taxes: tuple[np.ndarray, int] | None = None) -> pd.DataFrame:
    """Values over 5x the enterprise's median of its previous 6 months (when it has >= 3), of the
    months from `start` on (default: all; the earlier rows are only the window). A median is never
    below the least value it is taken over, so only the values over 5x their window's least value
    can be outliers: the medians (a sort of each window) are worked out for those alone.
    `taxes`: the rows' tax codes as integer keys and how many keys there are (default: factorized here)."""
    if current.empty:
        return pd.DataFrame()
    m = _month_index(current)
    first = m.min()
    target = max(_period_index(start) - first, 0) if start else 0
    if taxes is None:
        row, distinct = pd.factorize(current["tax_code"])
        taxes = row, len(distinct)
    row, keys = taxes
    judged = np.flatnonzero(m - first >= target)
    if not len(judged):
        return pd.DataFrame()
    found = []
    for column in OUTLIER_COLUMNS:
        wide = np.full((keys, m.max() - first + 1), np.nan)
        values = current[column].to_numpy(dtype="float64")
        wide[row, m - first] = values
        least = _trailing_least(wide, target)[row[judged], m[judged] - first - target]
        with np.errstate(invalid="ignore"):
            maybe = judged[values[judged] > OUTLIER_FACTOR * least]
        median = np.full(len(current), np.nan)
        median[maybe] = trailing_median_at(wide, row[maybe], m[maybe] - first)
        with np.errstate(invalid="ignore"):
            hit = (values > OUTLIER_FACTOR * median) & (median > 0)
        if not hit.any():
            continue
        rows, med = current[["file_id", "row_number", "period", column]].iloc[np.flatnonzero(hit)], median[hit]
        found.append(pd.DataFrame({
            "file_id": rows["file_id"], "row_number": rows["row_number"], "period": rows["period"],
            "form": "monthly_report", "code": "outlier", "column": column, "value": rows[column].map(lambda v: f"{v:g}"),
            "message_vi": [f"Kỳ {p}: {column} = {v:g}, gấp {v / m:.1f} lần trung vị 6 tháng trước ({m:g}); "
                           f"hãy kiểm tra lại số liệu." for p, v, m in zip(rows["period"], rows[column], med)],
        }))
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame()


def late_reports(late: pd.DataFrame) -> pd.DataFrame:
    """The warnings of reports whose first version came after the 10th of the next month (the rows
    given: derived_warnings picks them by their `late` flag)."""
    return pd.DataFrame({"file_id": late["file_id"], "row_number": late["row_number"], "period": late["period"],
                         "form": "monthly_report",
                         "code": "late_report", "column": "submitted_at", "value": late["period"],
                         "message_vi": [f"Báo cáo kỳ {p} gửi lần đầu sau hạn 23:59:59 ngày 10 tháng sau."
                                        for p in late["period"]]})


def _late(reports: pd.DataFrame) -> np.ndarray:
    """Each report's lateness (False where unknown or not kept)."""
    if "late" not in reports:
        return np.zeros(len(reports), dtype=bool)
    return reports["late"].eq(True).fillna(False).to_numpy(dtype=bool)      # a nullable column's NA too


def derived_warnings(facts: YearFacts, start: str) -> pd.DataFrame:
    """Late-report and outlier warnings of the year's reports from month `start` on, with the
    6 months before it (reaching into the year before) that the outliers' window looks back at."""
    window, codes = _period_index(start) - OUTLIER_WINDOW, tax_codes(facts)
    parts, keys, flagged = [], [], []
    for frame, coded in ((facts.prior, codes.prior), (facts.reports, codes.reports)):
        recent = _month_index(frame) >= window
        if recent.any():
            parts.append(frame.loc[recent, [c for c in WARNED_COLUMNS if c in frame]])   # only the columns read below
            keys.append(coded[recent])
            flagged.append(_late(parts[-1]))    # before the year before's rows (no lateness) make it objects
    monthly = pd.concat(parts, ignore_index=True).reindex(columns=WARNED_COLUMNS) if parts else facts.reports
    taxes = np.concatenate(keys) if keys else codes.reports, len(codes.keys)
    late = (_month_index(monthly) >= _period_index(start)) & (np.concatenate(flagged) if parts else _late(monthly))
    frames = [f for f in (late_reports(monthly[late]), outliers(monthly, start, taxes)) if not f.empty]   # late rows only taken
    found = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["period"])
    return found[found["period"] >= start]


def _derived(conn: Connection):
    """The warnings table, and 'is a derived warning'."""
    warnings = table(conn.dialect.name, "staging", "warnings")
    return warnings, warnings.c.code.in_(DERIVED_WARNINGS)


def _drop_orphan_warnings(conn: Connection, since: str) -> None:
    """Derived warnings of rows that are no longer staged (their file was re-validated). Such rows
    are of months from `since` on: the run's earliest changed month counts the months the
    re-validated files covered before, so older warnings need not be joined to staging."""
    warnings, derived = _derived(conn)
    staged = table(conn.dialect.name, "staging", "monthly_report")
    row = select(staged.c.file_id).where(staged.c.file_id == warnings.c.file_id, staged.c.row_number == warnings.c.row_number)
    recent = (warnings.c.period >= since) | warnings.c.period.is_(None)
    conn.execute(delete(warnings).where(derived & recent & ~row.exists()))


def _delete_warnings(conn: Connection, year: int, start: str) -> None:
    """The year's derived warnings from month `start` on."""
    warnings, derived = _derived(conn)
    execute_later(conn, delete(warnings).where(derived, warnings.c.period >= start, warnings.c.period <= f"{year}-12"))


def _delete_year(conn: Connection, name: str, year: int, phases: tuple[str, ...]) -> None:
    """The year's rows of a mart; of a per-phase mart, the rows of the phases rebuilt."""
    mart = table(conn.dialect.name, "mart", name)
    rows = mart.c.year == year
    if "phase" in mart.c:
        rows &= mart.c.phase.in_(phases)
    execute_later(conn, delete(mart).where(rows))


# A year is written in an order that keeps Python busy while PostgreSQL works. Each DELETE and
# COPY runs in the background, queued on the connection, and the next statement waits for all of
# them, so: the year's DELETEs go first, once the reads of its facts are queued (they scan the marts
# while Python makes the facts, the month snapshots are encoded and the first mart is built); the
# marts with big COPYs (tens of thousands of rows) are written as they are built, the quickest
# build first (PostgreSQL starts writing soonest) and the biggest COPY, the scorecard's, next, so
# that it runs while the flag and the merits (the award rules, judged once) are built; the small
# marts and the derived warnings are built while the last big COPY runs, and written after it.
WRITTEN_AS_BUILT = ("reporting_completeness", "enterprise_scorecard", "flag_eligibility",
                    "merit_collective_eligibility", "merit_individual_eligibility")
WRITTEN_LAST = ("phase_progress", "zone_phase_rollup", "award_quota")


def _rebuilt(phases: tuple[str, ...]) -> list[str]:
    """The year's marts to rebuild: all but the per-phase ones when no phase of it changed."""
    return [n for n in (*WRITTEN_AS_BUILT, *WRITTEN_LAST) if phases or "phase" not in MARTS[n].column_names]


def delete_rebuilt(conn: Connection, year: int, phases: tuple[str, ...], warnings_from: str | None = None) -> None:
    """Queue the DELETEs of what `write_year` rewrites: the year's rows of its marts (of a per-phase
    mart, the `phases` rebuilt) and, with `warnings_from`, its derived warnings from that month on."""
    for name in _rebuilt(phases):
        _delete_year(conn, name, year, phases)
    if warnings_from:
        _delete_warnings(conn, year, warnings_from)


def write_year(conn: Connection, facts: YearFacts, warnings_from: str | None = None) -> dict[str, int]:
    """The year's marts and, with `warnings_from` (YYYY-MM), its derived warnings from that month
    on, recomputed from its facts (after `delete_rebuilt`)."""
    names = _rebuilt(facts.changed_phases)
    built = {}
    for name in names:
        if name == "award_quota":
            built[name] = build_from(facts.year, facts.plan.quotas, built["flag_eligibility"],
                                     built["merit_collective_eligibility"], built["merit_individual_eligibility"])
        else:
            built[name] = MARTS[name].build(facts)
        if name in WRITTEN_AS_BUILT:
            bulk_insert(conn, table(conn.dialect.name, "mart", name), built[name])
    found = derived_warnings(facts, warnings_from) if warnings_from else None
    for name in WRITTEN_LAST:
        if name in built:
            bulk_insert(conn, table(conn.dialect.name, "mart", name), built[name])
    if found is not None:
        bulk_insert(conn, _derived(conn)[0], found)
    return {name: len(frame) for name, frame in built.items()}


def changed_phases(plan: Plan, year: int, since: str) -> tuple[str, ...]:
    """The phases of the year with a month from `since` on (none in another year's refresh: a
    per-phase mart reads its own year only)."""
    if since[:4] != str(year):
        return ()
    return tuple(p for p in plan.phases if plan.months(p)[-1] >= int(since[5:7]))


@dataclass(frozen=True)
class Reference:
    """The roster's versions (with the staged roster's fingerprint) and the zones' versions."""
    roster: pd.DataFrame
    fingerprint: str
    zones: pd.DataFrame

    @classmethod
    def read(cls, conn: Connection) -> Reference:
        (roster, fingerprint), zones = stored_roster(conn, roster_versions), zone_versions(conn)
        return cls(roster, fingerprint, zones)


def refresh_marts(conn: Connection, years: list[int] | None = None, warnings_since: str | None = None,
                  monthly_only: bool = False, run_id: int | None = None,
                  reference: Reference | None = None, restaged: bool = True) -> list[int]:
    """Rebuild the given years (default: every year with data) and the whole-warehouse marts; with
    `warnings_since` (YYYY-MM, or ALL_MONTHS) also the derived warnings of those years from that month on.

    `warnings_since` is also the earliest month whose monthly reports changed (None: none did):
    the yearly facts stored by an earlier run are reused for the months before it (snapshot.py).
    `monthly_only`: no other form changed, so the per-phase marts keep the phases that end before it.
    `run_id`: the run whose files alone can have changed rejections and warnings (None: rebuild them whole).
    `reference`: the roster and zones as the run read them, when none of their files changed since.
    `restaged`: False when no stored monthly file was validated again, so no staged row (and its
    derived warnings) can have gone."""
    ahead = read_ahead(conn, warnings_since)          # before the first wait for the run's COPYs
    # The roster's lookups, prepared once for every year: while the run's last COPYs land when the
    # run read the roster already (the first query below waits for them), else once it is read.
    by_tax = Versions.of(reference.roster, "tax_code") if reference else None
    prints = month_prints(conn)
    all_years = data_years(conn, {int(period[:4]) for period in prints})
    years = all_years if years is None else sorted(set(years) & set(all_years))
    _drop_vanished_years(conn, all_years)
    if warnings_since and restaged:
        _drop_orphan_warnings(conn, warnings_since)
    if reference is None:
        reference = Reference.read(conn)
        by_tax = Versions.of(reference.roster, "tax_code")
    roster, zones = reference.roster, reference.zones
    snapshots = Snapshots(conn, warnings_since, prints, reference.fingerprint, ahead)
    kept: tuple[int, pd.DataFrame] | None = None      # the last year's reports serve the next year
    upcoming = None                                   # the next year's reports, read ahead
    for year, next_year in zip(years, [*years[1:], None]):
        plan = load_plan(year)
        phases = (changed_phases(plan, year, warnings_since) if monthly_only and warnings_since
                  and warnings_since != ALL_MONTHS else tuple(plan.phases))
        warnings_from = max(warnings_since, f"{year}-01") if warnings_since and warnings_since <= f"{year}-12" else None

        def then():
            # Once the year's reads are queued: the next year's reports (read from staging while this
            # year's marts are built), then the DELETEs (PostgreSQL deletes while Python makes the facts).
            nonlocal upcoming
            upcoming = reports_ahead(conn, next_year, snapshots) if next_year else None
            delete_rebuilt(conn, year, phases, warnings_from)
        facts = year_facts(conn, year, by_tax, zones, kept[1] if kept and kept[0] == year - 1 else None, snapshots,
                           upcoming, then)
        facts.phases = phases
        snapshots.save(year, facts.reports)             # queued behind the DELETEs
        write_year(conn, facts, warnings_from)
        kept = (year, facts.reports[PRIOR_YEAR_COLUMNS])
    refresh_whole(conn, roster, zones, roster_moved=not monthly_only, files=touched_files(conn, run_id, warnings_since))
    return years


def refresh_whole(conn: Connection, roster: pd.DataFrame, zones: pd.DataFrame, roster_moved: bool = True,
                  files=None) -> None:
    """The marts not split by year: zones (config can change them), enterprises unless the staged
    roster is known not to have moved, and the findings (of `files` only, when given)."""
    findings = {mart.name for mart in FINDINGS}
    for name, mart in MARTS.items():
        if not mart.per_year and name not in findings and (roster_moved or name != ROSTER_DIMENSION):
            target = table(conn.dialect.name, "mart", name)
            conn.execute(delete(target))
            bulk_insert(conn, target, mart.build(conn, roster, zones))
    _refill_findings(conn, files)


def _refill_findings(conn: Connection, files) -> None:
    """Rejections and warnings, filled inside the warehouse (INSERT ... SELECT): whole, or only the
    rows of `files` (a SELECT of landing paths)."""
    for mart in FINDINGS:
        target, rows = table(conn.dialect.name, "mart", mart.name), mart.build(conn)
        if files is None:
            conn.execute(delete(target))
        else:
            conn.execute(delete(target).where(target.c.file.in_(files)))
            rows = rows.where(table(conn.dialect.name, "ops", "files").c.path.in_(files))
        conn.execute(insert(target).from_select(mart.column_names, rows))


def touched_files(conn: Connection, run_id: int | None, since: str | None):
    """The landing paths whose rejections and warnings a run can have changed (None: any): every
    file it registered or validated, and when monthly reports changed from `since` on, every
    monthly file with rows from then on (their late-report and outlier warnings are recomputed).
    Paths, not file ids: the marts show the path, which a newer version of a file shares."""
    if run_id is None or since == ALL_MONTHS:
        return None
    files = table(conn.dialect.name, "ops", "files")
    touched = files.c.last_run_id == run_id
    if since:
        touched |= (files.c.form == "monthly_report") & (files.c.max_month >= since)
    return select(files.c.path).where(touched)


def refresh_findings(conn: Connection, run_id: int) -> None:
    """Only the rejections and warnings of the run's files: it loaded no row (each new file was
    rejected whole), so no other mart can have changed."""
    _refill_findings(conn, touched_files(conn, run_id, None))


def _drop_vanished_years(conn: Connection, years: list[int]) -> None:
    """Marts of years that no staged row falls in any more. Every refreshed year has its three
    award_quota rows, so that small mart tells whether any year vanished."""
    quota = table(conn.dialect.name, "mart", "award_quota")
    if not set(conn.execute(select(quota.c.year).distinct()).scalars()) - set(years):
        return
    drop_other_years(conn, years)
    for name, mart in MARTS.items():
        if mart.per_year:
            target = table(conn.dialect.name, "mart", name)
            conn.execute(delete(target).where(target.c.year.notin_(years or [np.int64(-1).item()])))
