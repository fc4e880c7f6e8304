"""Writes to raw, staging and ops. Every write of a file's rows replaces that
file's earlier rows, so re-validating a file (retry, backfill) is idempotent."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, bindparam, delete, exists, func, inspect, select, text, update
from sqlalchemy.schema import CreateIndex, DropIndex

from tasks.archive import read_batch
from tasks.discover import LandingFile
from tasks.forms import FORMS
from warehouse.dialect import bulk_insert, execute_later, insert_arrow, read_frame, read_frame_later, reserve_ids
from warehouse.schema import table


TO_DB = {"_file_id": "file_id", "_row_number": "row_number"}     # a frame's provenance -> the tables' columns
FROM_DB = {column: name for name, column in TO_DB.items()}


def _t(conn: Connection, layer: str, name: str):
    return table(conn.dialect.name, layer, name)


def registered_files(conn: Connection) -> tuple[set[str], dict[str, tuple[str, str]]]:
    """The content hashes of every registered file, and landing path -> (file stat, sha256) of
    those registered with a stat (discover skips re-hashing a file whose stat is the same)."""
    files = _t(conn, "ops", "files")
    rows = conn.execute(select(files.c.path, files.c.stat, files.c.sha256).order_by(files.c.file_id)).all()
    hashed = {path: (stat, sha) for path, stat, sha in rows if stat is not None}   # a path's latest registration wins
    return {sha for _, _, sha in rows}, hashed


def remember_stats(conn: Connection, found: list[LandingFile], hashed: dict[str, tuple[str, str]],
                   known: set[str]) -> None:
    """The stat of files seen before whose stat was not recorded or moved without a change of
    content (a warehouse older than the stat column, a file touched): the next run need not
    hash them again."""
    moved = [{"p": f.rel_path, "h": f.sha256, "s": f.stat} for f in found
             if f.sha256 in known and f.stat and hashed.get(f.rel_path, ("", ""))[0] != f.stat]
    if moved:
        files = _t(conn, "ops", "files")
        conn.execute(update(files).where(files.c.path == bindparam("p"), files.c.sha256 == bindparam("h"))
                     .values(stat=bindparam("s")), moved)


def reserve_file_ids(conn: Connection, count: int) -> list[int]:
    """Ids for the run's new files, taken before any of them is written: a file's raw rows,
    staged rows and registration then all go in by bulk writes, none waiting for another."""
    return reserve_ids(conn, _t(conn, "ops", "files"), "file_id", count)


def defer_indexes(conn: Connection, form: str) -> list:
    """On PostgreSQL, when a form's raw and staging tables are empty (a first run, an initial
    backfill): drop their indexes, and return the statements that build them again once the
    form's rows are in (`rebuild_indexes`). Building an index over every row at once costs a
    fraction of keeping it up row by row, as PostgreSQL's guide on populating a database says:
    the staged rows' COPY took 2.6 times as long with their two indexes as without."""
    raw, staged = _t(conn, "raw", form), _t(conn, "staging", form)
    if conn.dialect.name != "postgresql" or conn.execute(select(exists(select(raw.c.file_id)) | exists(
            select(staged.c.file_id)))).scalar():
        return []
    target = f'"{raw.schema}"."{raw.name}"'
    unique = inspect(conn).get_unique_constraints(raw.name, schema=raw.schema)     # named by PostgreSQL
    for constraint in unique:
        conn.execute(text(f'ALTER TABLE {target} DROP CONSTRAINT "{constraint["name"]}"'))
    for index in staged.indexes:
        conn.execute(DropIndex(index))
    return [*(text(f'ALTER TABLE {target} ADD CONSTRAINT "{c["name"]}" UNIQUE ('
                   + ", ".join(f'"{column}"' for column in c["column_names"]) + ")") for c in unique),
            *(CreateIndex(i) for i in staged.indexes)]


def rebuild_indexes(conn: Connection, statements: list) -> None:
    """The indexes `defer_indexes` dropped, built in the background, queued behind the rows' COPYs
    (the uniqueness of each file's row numbers is checked then). One process each, not PostgreSQL's
    parallel build: the run's Python goes on with the next forms on the other core meanwhile."""
    if statements:
        execute_later(conn, text("SET LOCAL max_parallel_maintenance_workers = 0"))
    for statement in statements:
        execute_later(conn, statement)


def file_record(landing_file: LandingFile, file_id: int, run_id: int, seen_at: datetime, rows_read: int) -> dict:
    """A new file's ops.files row, written once its rows are validated (or it is rejected whole)."""
    return {"file_id": file_id, "path": landing_file.rel_path, "form": landing_file.form,
            "sha256": landing_file.sha256, "size": landing_file.size, "stat": landing_file.stat or None,
            "first_seen_at": seen_at, "run_id": run_id, "last_run_id": run_id, "rows_read": rows_read}


def reject_files(conn: Connection, form: str, records: list[dict], reasons: list[tuple[str, str]]) -> None:
    """Register new files rejected whole, with one rejection each: (reason code, message)."""
    if not records:
        return
    codes = pd.DataFrame(reasons, columns=["reason_code", "message_vi"])
    files = pd.DataFrame(records).assign(status="rejected", rows_read=0, rows_accepted=0, rows_rejected=0)
    bulk_insert(conn, _t(conn, "ops", "files"), pd.concat([files, codes], axis=1))
    bulk_insert(conn, _t(conn, "staging", "rejections"), codes.assign(
        file_id=files["file_id"], form=form, row_number=None, column=None, value=None, retry=False))


def raw_table(conn: Connection, form: str, text: pa.Table, file_id: int) -> pa.Table:
    """A file's rows as the raw layer keeps them (text, with provenance), in Arrow."""
    text = text.rename_columns([TO_DB.get(c, c) for c in text.column_names])
    text = text.append_column("file_id", pa.array(np.full(text.num_rows, file_id, dtype=np.int64)))
    return text.select([c.name for c in _t(conn, "raw", form).columns])


def store_raw(conn: Connection, form: str, tables: list[pa.Table]) -> pd.DataFrame | None:
    """A batch's raw tables in one COPY; returns the batch as validation reads it (as read_raw does)."""
    if not tables:
        return None
    batch = pa.concat_tables(tables)
    insert_arrow(conn, _t(conn, "raw", form), batch)
    return batch.rename_columns([FROM_DB.get(c, c) for c in batch.column_names]).to_pandas()


def store_file_warnings(conn: Connection, form: str, warnings: list[dict]) -> None:
    """Warnings about whole files (unknown columns), each with its file_id."""
    if warnings:
        bulk_insert(conn, _t(conn, "staging", "warnings"), pd.DataFrame(warnings).assign(form=form))


def read_raw(conn: Connection, form: str, file_ids: list[int], archive: Path | None = None) -> pd.DataFrame:
    """Raw rows of stored files: from the Parquet archive when given and present, else from the raw layer."""
    frames, from_db = [], list(file_ids)
    if archive is not None:
        hashes = _per_file(conn, "sha256", file_ids)
        for fid in file_ids:
            batch = read_batch(archive, form, hashes[fid])
            if batch is not None:
                frames.append(batch.assign(_file_id=fid))
                from_db.remove(fid)
    if from_db:
        raw = _t(conn, "raw", form)
        query = select(raw).where(raw.c.file_id.in_(from_db)).order_by(raw.c.file_id, raw.c.row_number)
        frames.append(read_frame(conn, query).rename(columns=FROM_DB))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return frame.sort_values(["_file_id", "_row_number"], kind="stable").reset_index(drop=True)


def files_to_retry(conn: Connection) -> Future:
    """Files with rows rejected for an enterprise or zone nobody knew yet: a future of their (form,
    file_id) rows (on PostgreSQL the query is queued behind the COPYs in flight; the caller goes on)."""
    rej = _t(conn, "staging", "rejections")
    return read_frame_later(conn, select(rej.c.form, rej.c.file_id).where(rej.c.retry == True).distinct())  # noqa: E712


def waiting_in(rows: pd.DataFrame, form: str) -> set[int]:
    """The file ids of one form among files_to_retry's rows."""
    return set(rows.loc[rows["form"] == form, "file_id"].astype(int).tolist())


def _per_file(conn: Connection, column: str, file_ids: list[int]) -> dict:
    """file_id -> one column of ops.files, for the given files."""
    files = _t(conn, "ops", "files")
    return dict(conn.execute(select(files.c.file_id, files.c[column]).where(files.c.file_id.in_(file_ids))).all())


def min_months(conn: Connection, file_ids: list[int]) -> list[str]:
    """The earliest month each file's accepted rows covered when last loaded (none when never)."""
    return [m for m in _per_file(conn, "min_month", file_ids).values() if m]


def file_sizes(conn: Connection, file_ids: list[int]) -> dict[int, int]:
    return _per_file(conn, "size", file_ids)


def first_seen(conn: Connection, file_ids: list[int]) -> dict[int, pd.Timestamp]:
    return {fid: pd.Timestamp(seen) for fid, seen in _per_file(conn, "first_seen_at", file_ids).items()}


def replace_staging(conn: Connection, form: str, file_ids: list[int], accepted: pd.DataFrame,
                    rejections: pd.DataFrame, run_id: int, new_files: list[dict] | None = None) -> None:
    """Stage the files' accepted rows and rejections in place of their earlier ones. New files
    (`new_files`: their ops.files rows, not yet written) have nothing to replace: everything of
    theirs goes in by bulk writes, which on PostgreSQL queue behind the raw rows' COPY."""
    staged, rej, rows = _t(conn, "staging", form), _t(conn, "staging", "rejections"), accepted.rename(columns=TO_DB)
    if new_files is not None:      # nothing to replace: the biggest COPY goes first, and PostgreSQL
        bulk_insert(conn, staged, rows)       # copies the rows in while their counts are worked out
    counts = _file_counts(form, file_ids, accepted, rejections)
    if new_files is None:
        conn.execute(delete(staged).where(staged.c.file_id.in_(file_ids)))
        conn.execute(delete(rej).where(rej.c.file_id.in_(file_ids)))
        _update_counts(conn, counts, run_id)
    else:
        registered = pd.DataFrame(new_files).merge(counts, on="file_id").assign(status="loaded")
        bulk_insert(conn, _t(conn, "ops", "files"), registered)
    if form == "monthly_report":
        _file_months(conn, file_ids, accepted, replace=new_files is None)
    bulk_insert(conn, rej, rejections.rename(columns=TO_DB).assign(form=form))
    if new_files is None:
        bulk_insert(conn, staged, rows)       # after the DELETE of the files' earlier rows


def _file_counts(form: str, file_ids: list[int], accepted: pd.DataFrame, rejections: pd.DataFrame) -> pd.DataFrame:
    """Per file: rows accepted and rejected, and the span of months it covers (for backfills). The
    periods are written YYYY-MM and ranked once per distinct value (a batch has a few dozen); a
    file's span is then the least and greatest rank of its rows."""
    files = pd.Index(file_ids, name="file_id")
    at = files.get_indexer(accepted["_file_id"])             # each accepted row's file, as a position
    codes, distinct = pd.factorize(accepted[FORMS[form].period_column])
    texts = [_month_text(v) for v in distinct]
    months = np.array(sorted(set(texts)), dtype=object)
    rank = np.append(np.searchsorted(months, texts), -1)[codes]      # a row without a period: -1
    dated = rank >= 0
    low, high = np.full(len(files), len(months)), np.full(len(files), -1)
    np.minimum.at(low, at[dated], rank[dated])
    np.maximum.at(high, at[dated], rank[dated])
    spanned = high >= 0
    spans = {}
    for name, end in (("min_month", low), ("max_month", high)):
        text = np.full(len(files), None, dtype=object)
        text[spanned] = months[end[spanned]]
        spans[name] = pd.Series(text, dtype=object)          # no month: NULL, as text, not NaN
    rejected = rejections.groupby("_file_id")["_row_number"].nunique().reindex(files, fill_value=0)
    return pd.DataFrame({"file_id": files, "rows_accepted": np.bincount(at, minlength=len(files)),
                         "rows_rejected": rejected.to_numpy(dtype="int64"), **spans})


def _update_counts(conn: Connection, counts: pd.DataFrame, run_id: int) -> None:
    files = _t(conn, "ops", "files")
    conn.execute(update(files).where(files.c.file_id == bindparam("fid")).values(
        status="loaded", last_run_id=run_id, rows_accepted=bindparam("good"), rows_rejected=bindparam("bad"),
        min_month=bindparam("low"), max_month=bindparam("high")),
        [{"fid": int(r.file_id), "good": int(r.rows_accepted), "bad": int(r.rows_rejected), "low": r.min_month,
          "high": r.max_month} for r in counts.itertuples()])


def _file_months(conn: Connection, file_ids: list[int], accepted: pd.DataFrame, replace: bool) -> None:
    """ops.file_months of the files, as the staged rows now stand (snapshot.month_prints sums it)."""
    target = _t(conn, "ops", "file_months")
    if replace:
        conn.execute(delete(target).where(target.c.file_id.in_(file_ids)))
    counted = accepted.groupby(["_file_id", "period"])["_row_number"].agg(["size", "sum"]).reset_index()
    bulk_insert(conn, target, counted.set_axis(["file_id", "period", "rows", "row_numbers"], axis=1))


def _month_text(value) -> str:
    """YYYY-MM of a period, date or year (a year counts as its December)."""
    return f"{value}-12" if isinstance(value, (int, np.integer)) else str(value)[:7]


def count_rows(conn: Connection, layer: str, name: str) -> int:
    tab = _t(conn, layer, name)
    return conn.execute(select(func.count()).select_from(tab)).scalar_one()
