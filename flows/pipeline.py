"""One run of the pipeline: landing -> raw -> staging -> marts, in one transaction.

The whole run is one database transaction taken under the run lock, so the
warehouse holds either all of a run or none of it. Its steps (read, ingest,
validate, archive, refresh) run in the flow and are timed in ops.steps and the
run's summary. The one Prefect task reads a chunk of files on a task runner's
worker processes (Dask): every other step works on the run's connection, and a
task run would only cost the Prefect server 35-60 ms of CPU on the same cores
(a full 720k run's 12 validations and refresh as task runs: about half a
core-second).
"""

from __future__ import annotations

import gc
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from sqlalchemy import Connection, insert, update
from sqlalchemy.exc import DBAPIError, OperationalError

from flows.settings import Settings
from tasks import load
from tasks.archive import archive_files
from tasks.discover import LandingFile, discover
from tasks.forms import FORM_ORDER, FORMS
from tasks.ingest import FileRejected, read_submission
from tasks.refresh import ALL_MONTHS, Reference, refresh_findings, refresh_marts
from tasks.transform import zone_lookup
from tasks.validate import Context, prepare_validation, validate_form
from warehouse.dialect import WarehouseBusy, acquire_run_lock, make_engine
from warehouse.migrate import migrate
from warehouse.schema import table


@dataclass
class RunSummary:
    run_id: int | None = None
    kind: str = "nightly"
    files_seen: int = 0
    files_new: int = 0
    files_rejected: list[tuple[str, str]] = field(default_factory=list)
    rows_accepted: Counter = field(default_factory=Counter)
    rows_rejected: Counter = field(default_factory=Counter)   # by reason code
    years: list[int] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0            # the run's process, every thread (PostgreSQL's work not included)
    steps: list[tuple[str, float]] = field(default_factory=list)
    nothing_new: bool = False
    monthly_since: str | None = None    # earliest month whose monthly reports changed (YYYY-MM)
    monthly_restaged: bool = False      # a stored monthly file was validated again: rows may have left staging

    def monthly_changed_from(self, periods) -> None:
        known = [p for p in periods if isinstance(p, str)] + ([self.monthly_since] if self.monthly_since else [])
        self.monthly_since = min(known, default=None)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def run_date(settings: Settings) -> date:
    return settings.as_of or datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


# --- steps -------------------------------------------------------------------------------

READ_CHUNK_BYTES = 8 * 1024 * 1024    # on worker processes, a read task takes files up to about this size


def _read_one(landing_file: LandingFile):
    try:
        return read_submission(landing_file.path, landing_file.form, landing_file.rel_path)
    except FileRejected as exc:           # a whole-file rejection is returned, not raised
        return exc


@task(name="read-files", cache_policy=NONE)
def read_chunk(files: list[LandingFile]) -> list:
    """Read landing files (pure: no database, so it runs on any task runner's worker)."""
    return [_read_one(f) for f in files]


def read_files(files: list[LandingFile]) -> list[tuple[LandingFile, object]]:
    """A batch of new files; results in file order. Worker processes (Dask) share a batch in chunks,
    one task each. On threads the flow reads it itself: they share one interpreter, Arrow reads each
    CSV on every core anyway, the flow would only wait for the task, and a task run costs the Prefect
    server 40-60 ms of CPU, which a local server takes from the run's own two cores."""
    context = FlowRunContext.get()
    if context is None or isinstance(context.task_runner, ThreadPoolTaskRunner):
        return [(f, _read_one(f)) for f in files]
    chunks = _batches(files, lambda f: f.size, READ_CHUNK_BYTES)
    futures = [read_chunk.submit(chunk) for chunk in chunks]
    return [(f, result) for chunk, future in zip(chunks, futures) for f, result in zip(chunk, future.result())]


@dataclass
class Ingested:
    """A batch's new files whose rows were kept, with their rows: validation need not read them
    back, and runs while the raw rows are still being copied in."""
    files: list[dict] = field(default_factory=list)      # ops.files rows, written once validated
    rows: pd.DataFrame | None = None
    raw: list[tuple[LandingFile, pa.Table]] = field(default_factory=list)    # archived once validated

    @property
    def file_ids(self) -> list[int]:
        return [f["file_id"] for f in self.files]

    def first_seen(self) -> dict[int, pd.Timestamp]:
        return {f["file_id"]: pd.Timestamp(f["first_seen_at"]) for f in self.files}


def ingest_form(conn: Connection, form: str, read: list, file_ids: dict[str, int], run_id: int,
                summary: RunSummary) -> Ingested:
    """Keep each new file's raw rows under the id reserved for it. A file rejected whole is
    registered here; the others once their rows are validated. Nothing here waits for the
    database: every write is a bulk one, queued behind the COPY in flight."""
    ingested, stored, warnings, rejected, reasons = Ingested(), [], [], [], []
    for landing_file, result in read:
        file_id = file_ids[landing_file.sha256]
        rows_read = 0 if isinstance(result, FileRejected) else result.text.num_rows
        record = load.file_record(landing_file, file_id, run_id, _now(), rows_read)
        if isinstance(result, FileRejected):
            rejected.append(record)
            reasons.append((result.code, result.message_vi))
            summary.files_rejected.append((landing_file.rel_path, result.code))
            summary.rows_rejected[result.code] += 1
            continue
        stored.append(load.raw_table(conn, form, result.text, file_id))
        ingested.raw.append((landing_file, stored[-1]))
        warnings += [dict(w, file_id=file_id) for w in result.warnings]
        ingested.files.append(record)
    ingested.rows = load.store_raw(conn, form, stored)      # one COPY, and one conversion, for the batch
    load.store_file_warnings(conn, form, warnings)
    load.reject_files(conn, form, rejected, reasons)
    return ingested


def _context(reference: Reference, as_of: date) -> Context:
    """The roster's tax codes (from its versions as stored for the refresh: one blob, not a
    DISTINCT over every staged version) and the zones."""
    codes, names, areas = zone_lookup(reference.zones)
    return Context(set(reference.roster["tax_code"].tolist()), codes, names, areas, as_of.year * 100 + as_of.month)


def validate_and_load(conn: Connection, form: str, file_ids: list[int], run_id: int, ctx: Context,
                      summary: RunSummary, archive: Path | None = None,
                      fresh: Ingested | None = None) -> set[int] | None:
    """Validate and load the rows of stored files (read back from the archive or raw layer), or
    of a batch just ingested; returns the years they touch (None: every year)."""
    if fresh is None:
        raw, first_seen = load.read_raw(conn, form, file_ids, archive), load.first_seen(conn, file_ids)
    else:
        raw, first_seen = fresh.rows, fresh.first_seen()
    result = validate_form(form, raw, first_seen, ctx)
    if form == "monthly_report":     # the months these files covered before (a new file: none), and cover now
        summary.monthly_changed_from([*(load.min_months(conn, file_ids) if fresh is None else []),
                                      result.accepted["period"].min()])
        summary.monthly_restaged |= fresh is None
    load.replace_staging(conn, form, file_ids, result.accepted, result.rejections, run_id,
                         None if fresh is None else fresh.files)
    summary.rows_accepted[form] += len(result.accepted)
    summary.rows_rejected.update(result.rejections["reason_code"].tolist())
    return touched_years(form, result.accepted)


REFERENCE_FORMS = ("zone_events", "enterprises")     # a change here can turn any row, any year


def touched_years(form: str, accepted: pd.DataFrame) -> set[int] | None:
    """Years whose marts the rows can change; a report of year Y also counts for Y+1's growth."""
    if form in REFERENCE_FORMS:
        return None
    if accepted.empty:
        return set()
    column = FORMS[form].period_column
    years = {int(str(v)[:4]) for v in accepted[column].dropna().unique()}
    return years | {y + 1 for y in years} if form == "monthly_report" else years


def refresh(conn: Connection, years: set[int] | None, summary: RunSummary, monthly_only: bool,
            run_id: int, reference: Reference | None = None) -> list[int]:
    """The marts of the years touched and the derived warnings from the earliest changed month on
    (everything when the roster or zones moved); when only monthly reports changed, the phases
    that end before the earliest changed month are kept. `reference`: the roster and zones as the
    run read them, when no roster or zones file was validated since. Rejections and warnings: of
    the run's files."""
    since, restaged = summary.monthly_since, summary.monthly_restaged
    if years is None:
        return refresh_marts(conn, None, warnings_since=ALL_MONTHS, reference=reference, restaged=restaged)
    if since:              # an outlier window (6 months) reaches at most into the next year
        years = years | {int(since[:4]), int(since[:4]) + 1}
    return refresh_marts(conn, sorted(years), warnings_since=since, monthly_only=monthly_only, run_id=run_id,
                         reference=reference, restaged=restaged)


# --- the run --------------------------------------------------------------------------------

class StepClock:
    def __init__(self, conn: Connection, run_id: int, summary: RunSummary):
        self.conn, self.run_id, self.summary = conn, run_id, summary
        self.rows: list[dict] = []

    def __call__(self, name: str, fn, *args):
        started, t0 = _now(), time.perf_counter()
        try:
            return fn(*args)
        except Exception as exc:
            exc.add_note(f"thidua: step «{name}» failed")
            raise
        finally:
            seconds = time.perf_counter() - t0
            self.summary.steps.append((name, seconds))
            self.rows.append({"run_id": self.run_id, "step": name, "started_at": started, "seconds": seconds})

    def save(self) -> None:
        """ops.steps, written once at the end of the run (a statement between steps would wait for a
        COPY still running in the background)."""
        if self.rows:
            self.conn.execute(insert(table(self.conn.dialect.name, "ops", "steps")), self.rows)


def _start_run(conn: Connection, kind: str, as_of: date, period: tuple[str, str] | None) -> int:
    runs = table(conn.dialect.name, "ops", "runs")
    result = conn.execute(insert(runs).values(kind=kind, started_at=_now(), status="running", as_of=as_of,
                                              period_from=period[0] if period else None,
                                              period_to=period[1] if period else None))
    return result.inserted_primary_key[0]


def _finish_run(conn: Connection, run_id: int, summary: RunSummary) -> None:
    runs = table(conn.dialect.name, "ops", "runs")
    conn.execute(update(runs).where(runs.c.run_id == run_id).values(
        finished_at=_now(), status="completed", files_new=summary.files_new,
        rows_accepted=sum(summary.rows_accepted.values()), rows_rejected=sum(summary.rows_rejected.values()),
        message="nothing new" if summary.nothing_new else None))


def _record_failure(engine, kind: str, as_of: date, message: str) -> None:
    """After a rollback, say in ops.runs that a run failed and why (best effort)."""
    try:
        with engine.begin() as conn:
            runs = table(conn.dialect.name, "ops", "runs")
            conn.execute(insert(runs).values(kind=kind, started_at=_now(), finished_at=_now(), status="failed",
                                             as_of=as_of, message=message[:2000]))
    except Exception:  # the failure being reported matters more than this note
        pass


def execute(settings: Settings, kind: str = "nightly", period: tuple[str, str] | None = None,
            reprocess=None) -> RunSummary:
    """Run once. `reprocess(conn, form) -> file ids` adds stored files to re-validate (backfill)."""
    engine = make_engine(settings.warehouse_url, settings.lock_wait_seconds)
    try:
        _busy_is_busy(settings, migrate, engine)
        prepare_validation()          # GX's import (seconds) happens before the lock is taken, not under it
        as_of = run_date(settings)
        for attempt in range(settings.db_retries + 1):
            try:
                with _start_up_objects_frozen():
                    return _busy_is_busy(settings, _execute_once, engine, settings, kind, period, reprocess, as_of)
            except DBAPIError as exc:
                if not _transient(exc) or attempt == settings.db_retries:
                    _record_failure(engine, kind, as_of, f"{type(exc).__name__}: {exc}")
                    raise
                time.sleep(2 ** attempt)
            except WarehouseBusy:
                raise
            except Exception as exc:
                _record_failure(engine, kind, as_of, f"{type(exc).__name__}: {exc}; {' '.join(getattr(exc, '__notes__', []))}")
                raise
    finally:
        engine.dispose()


@contextmanager
def _start_up_objects_frozen():
    """During a run, the collector leaves alone the objects that exist when it starts (GX's, Prefect's
    and pandas' half a million): each full collection walked them all, 0.33 s of a 720k run. They
    are handed back at the end, so garbage among them is still freed by a later collection."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _busy_is_busy(settings: Settings, fn, *args):
    """SQLite says 'database is locked' when another run kept the write lock past the wait."""
    try:
        return fn(*args)
    except OperationalError as exc:
        if "database is locked" in str(exc.orig):
            raise WarehouseBusy(f"another thidua run holds the warehouse; waited {settings.lock_wait_seconds:g} s") from exc
        raise


def _transient(exc: DBAPIError) -> bool:
    """Lost connections, serialisation failures and deadlocks are worth another try."""
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlstate", None) or ""
    return code.startswith("08") or code in ("40001", "40P01")


def _execute_once(engine, settings: Settings, kind, period, reprocess, as_of: date) -> RunSummary:
    t0, cpu0 = time.perf_counter(), time.process_time()
    summary = RunSummary(kind=kind)
    archive = Path(settings.archive) if settings.archive else None
    with engine.begin() as conn:
        acquire_run_lock(conn, settings.lock_wait_seconds)
        run_id = summary.run_id = _start_run(conn, kind, as_of, period)
        step = StepClock(conn, run_id, summary)
        landing = Path(settings.landing)
        known, hashed = load.registered_files(conn)
        # A backfill hashes every landing file: the way to take one whose stat did not move (a
        # share that reports no change time), as it re-reads every stored file of its period.
        trusted = hashed if kind != "backfill" else {}
        found = step("discover", lambda: discover(landing, trusted) if landing.is_dir() else [])
        load.remember_stats(conn, found, hashed, known)
        new = _unique_new(found, known)
        summary.files_seen, summary.files_new = len(found), len(new)
        file_ids = _reserve_ids(conn, new)
        years: set[int] | None = set()
        changed: set[str] = set()
        # The roster and zones as read for validation, and validation's context built from them; both
        # dropped when a roster or zones file is validated, so what is kept is what the refresh would read.
        loaded: tuple[Reference, Context] | None = None

        def current_context() -> Context:
            nonlocal loaded
            if loaded is None:
                reference = Reference.read(conn)
                loaded = reference, _context(reference, as_of)
            return loaded[1]

        def validate(form: str, ids: list[int], archive_=None, fresh: Ingested | None = None) -> None:
            nonlocal years, loaded
            touched = step(f"validate:{form}", validate_and_load, conn, form, ids, run_id, current_context(),
                           summary, archive_, fresh)
            if form in REFERENCE_FORMS:
                loaded = None
            changed.add(form)
            years = None if years is None or touched is None else years | touched

        waiting = None
        for form in FORM_ORDER:
            fresh_all: list[int] = []
            batches = _batches([f for f in new if f.form == form], lambda f: f.size, settings.batch_bytes)
            deferred = load.defer_indexes(conn, form) if len(batches) > 1 else []     # many files, empty tables
            # Files waiting for a roster or zone change, asked once both are loaded, for every other
            # form at once: the answer holds until each form retries its own (fresh files are not
            # retried), and the forms after this one go on while its COPYs and index builds run.
            if waiting is None and form not in REFERENCE_FORMS and changed & set(REFERENCE_FORMS):
                waiting = load.files_to_retry(conn)
            for batch in batches:
                read = step(f"read:{form}", read_files, batch)
                current_context()     # read before ingest: a query after it would wait for the raw rows' COPY
                fresh = step(f"ingest:{form}", ingest_form, conn, form, read, file_ids, run_id, summary)
                if fresh.files:
                    validate(form, fresh.file_ids, None, fresh)
                if archive is not None and fresh.raw:      # while PostgreSQL copies the staged rows in
                    step(f"archive:{form}", archive_files, archive, form, fresh.raw)
                fresh_all += fresh.file_ids
            load.rebuild_indexes(conn, deferred)
            again = set(reprocess(conn, form)) if reprocess else set()
            if changed & set(REFERENCE_FORMS):          # the roster or the zones moved: retry waiting rows
                asked = waiting if form not in REFERENCE_FORMS else load.files_to_retry(conn)
                again |= load.waiting_in(asked.result(), form)
            # Fresh files were validated against today's roster and zones, unless a later batch of
            # the roster or zones itself changed them.
            done = set() if form in REFERENCE_FORMS and len(batches) > 1 else set(fresh_all)
            sizes = load.file_sizes(conn, sorted(again - done)) if again - done else {}
            for batch in _batches(sorted(sizes), sizes.get, settings.batch_bytes):
                validate(form, batch, archive)
        summary.nothing_new = not new and not reprocess
        if changed:
            summary.years = step("refresh", refresh, conn, years, summary, changed == {"monthly_report"},
                                 run_id, loaded[0] if loaded else None)
        elif summary.files_new:         # every new file was rejected whole: it still shows in rejections
            step("refresh", refresh_findings, conn, run_id)
        step.save()
        _finish_run(conn, run_id, summary)
    summary.seconds, summary.cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    return summary


def _batches(items: list, size_of, limit: int) -> list[list]:
    """Consecutive groups of items whose sizes add up to about `limit`: memory follows a batch,
    never the whole history."""
    groups, current, total = [], [], 0
    for item in items:
        if current and total + (size_of(item) or 0) > limit:
            groups.append(current)
            current, total = [], 0
        current.append(item)
        total += size_of(item) or 0
    return groups + ([current] if current else [])


def _reserve_ids(conn: Connection, new: list[LandingFile]) -> dict[str, int]:
    """content hash -> file id, in the order the files are processed (discover lists them form by
    form, in FORM_ORDER)."""
    return dict(zip((f.sha256 for f in new), sorted(load.reserve_file_ids(conn, len(new)))))


def _unique_new(found: list[LandingFile], known: set[str]) -> list[LandingFile]:
    """Files whose content has not been seen; the same content twice in one run counts once."""
    seen, new = set(known), []
    for f in found:
        if f.sha256 not in seen:
            seen.add(f.sha256)
            new.append(f)
    return new


def phase_table(settings: Settings, year: int | None = None) -> pd.DataFrame:
    from warehouse.dialect import read_table

    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            mart = table(conn.dialect.name, "mart", "phase_progress")
            frame = read_table(conn, mart, mart.c.year == year if year else None)
    finally:
        engine.dispose()
    return frame
