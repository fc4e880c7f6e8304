"""Writes to raw, staging and ops. Every write of a file's rows replaces that
file's earlier rows, so re-validating a file (retry, backfill) is idempotent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from tasks.archive import read_batch
from tasks.discover import LandingFile
from tasks.forms import FORMS
from warehouse.dialect import arrow_table, bulk_insert, insert_arrow, read_frame
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


def register_file(conn: Connection, landing_file: LandingFile, run_id: int, seen_at: datetime, rows_read: int) -> int:
    files = _t(conn, "ops", "files")
    result = conn.execute(insert(files).values(
        path=landing_file.rel_path, form=landing_file.form, sha256=landing_file.sha256, size=landing_file.size,
        stat=landing_file.stat or None,
        first_seen_at=seen_at, run_id=run_id, last_run_id=run_id, status="reading", rows_read=rows_read))
    return result.inserted_primary_key[0]


def reject_file(conn: Connection, file_id: int, form: str, code: str, message_vi: str) -> None:
    files = _t(conn, "ops", "files")
    conn.execute(update(files).where(files.c.file_id == file_id).values(
        status="rejected", reason_code=code, message_vi=message_vi, rows_read=0, rows_accepted=0, rows_rejected=0))
    bulk_insert(conn, _t(conn, "staging", "rejections"), pd.DataFrame([{
        "file_id": file_id, "form": form, "row_number": None, "column": None, "value": None,
        "reason_code": code, "retry": False, "message_vi": message_vi}]))


def raw_table(conn: Connection, form: str, rows: pd.DataFrame, file_id: int, text: pa.Table | None = None) -> pa.Table:
    """A file's rows (with their _file_id) as the raw layer keeps them (text, with provenance), in
    Arrow; from the reader's own Arrow copy when it has one."""
    raw = _t(conn, "raw", form)
    if text is None:
        return arrow_table(rows.rename(columns=TO_DB), raw)
    text = text.rename_columns([TO_DB.get(c, c) for c in text.column_names])
    text = text.append_column("file_id", pa.array(np.full(text.num_rows, file_id, dtype=np.int64)))
    return text.select([c.name for c in raw.columns])


def store_raw(conn: Connection, form: str, tables: list[pa.Table]) -> None:
    if tables:
        insert_arrow(conn, _t(conn, "raw", form), pa.concat_tables(tables))


def store_file_warnings(conn: Connection, file_id: int, form: str, warnings: list[dict]) -> None:
    if warnings:
        frame = pd.DataFrame(warnings).assign(file_id=file_id, form=form)
        bulk_insert(conn, _t(conn, "staging", "warnings"), frame)


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


def files_to_retry(conn: Connection, form: str) -> list[int]:
    """Files with rows rejected for an enterprise or zone nobody knew yet."""
    rej = _t(conn, "staging", "rejections")
    query = select(rej.c.file_id).where(rej.c.form == form, rej.c.retry == True).distinct()  # noqa: E712
    return sorted(conn.execute(query).scalars())


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
                    rejections: pd.DataFrame, run_id: int) -> None:
    staged, rej = _t(conn, "staging", form), _t(conn, "staging", "rejections")
    conn.execute(delete(staged).where(staged.c.file_id.in_(file_ids)))
    conn.execute(delete(rej).where(rej.c.file_id.in_(file_ids)))
    _file_counts(conn, form, file_ids, accepted, rejections, run_id)
    if form == "monthly_report":
        _file_months(conn, file_ids, accepted)
    bulk_insert(conn, rej, rejections.rename(columns=TO_DB).assign(form=form))
    bulk_insert(conn, staged, accepted.rename(columns=TO_DB))     # last: PostgreSQL copies it in while we go on


def _file_counts(conn, form, file_ids, accepted, rejections, run_id) -> None:
    """Per file: rows accepted and rejected, and the span of months it covers (for backfills)."""
    files = _t(conn, "ops", "files")
    ids = accepted["_file_id"]
    good = ids.value_counts().to_dict()
    months = pd.DataFrame({"_file_id": ids, "_m": _month_text(accepted[FORMS[form].period_column])}).dropna()
    span = months.groupby("_file_id")["_m"].agg(["min", "max"]) if len(months) else pd.DataFrame(columns=["min", "max"])
    bad = rejections.groupby("_file_id")["_row_number"].nunique().to_dict() if len(rejections) else {}
    spans = {fid: (span.loc[fid, "min"], span.loc[fid, "max"]) if fid in span.index else (None, None) for fid in file_ids}
    conn.execute(update(files).where(files.c.file_id == bindparam("fid")).values(
        status="loaded", last_run_id=run_id, rows_accepted=bindparam("good"), rows_rejected=bindparam("bad"),
        min_month=bindparam("low"), max_month=bindparam("high")),
        [{"fid": fid, "good": int(good.get(fid, 0)), "bad": int(bad.get(fid, 0)), "low": spans[fid][0],
          "high": spans[fid][1]} for fid in file_ids])


def _file_months(conn: Connection, file_ids: list[int], accepted: pd.DataFrame) -> None:
    """ops.file_months of the files, as the staged rows now stand (snapshot.month_prints sums it)."""
    target = _t(conn, "ops", "file_months")
    conn.execute(delete(target).where(target.c.file_id.in_(file_ids)))
    counted = accepted.groupby(["_file_id", "period"])["_row_number"].agg(["size", "sum"]).reset_index()
    bulk_insert(conn, target, counted.set_axis(["file_id", "period", "rows", "row_numbers"], axis=1))


def _month_text(values: pd.Series) -> pd.Series:
    """YYYY-MM of a period, date or year (a year counts as its December)."""
    codes, distinct = pd.factorize(values)          # a few dozen distinct periods in a batch
    texts = np.array([f"{v}-12" if isinstance(v, (int, np.integer)) else str(v)[:7] for v in distinct] + [None],
                     dtype=object)
    return pd.Series(texts[codes], index=values.index)


def count_rows(conn: Connection, layer: str, name: str) -> int:
    tab = _t(conn, layer, name)
    return conn.execute(select(func.count()).select_from(tab)).scalar_one()
