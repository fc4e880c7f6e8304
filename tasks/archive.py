"""The archive of raw batches: each accepted landing file's rows, as text, in Parquet.

Written once a batch is validated, while the database copies its staged rows in
(keyed by content hash, so a retry rewrites the same file); read by backfills,
so that periods can be re-processed after the landing folder was cleaned.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def batch_path(root: Path, form: str, sha256: str) -> Path:
    return Path(root) / form / f"{sha256}.parquet"


def write_batch(root: Path, form: str, sha256: str, rel_path: str, rows: pa.Table) -> Path:
    """Rows as stored in the raw layer (file_id, row_number, the form's columns as text)."""
    path = batch_path(root, form, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = rows.drop_columns([c for c in ("file_id",) if c in rows.column_names])
    table = table.rename_columns(["_row_number" if c == "row_number" else c for c in table.column_names])
    table = table.replace_schema_metadata({"thidua.path": rel_path, "thidua.form": form, "thidua.sha256": sha256})
    tmp = path.with_suffix(".tmp")
    # No dictionary pages: a file's cells are nearly all distinct (figures, tax codes, stamps), so
    # building dictionaries only to drop them cost a third of the write. No min/max statistics
    # either: a backfill reads a file whole, never filters it (14 % of a write). Snappy, Parquet's
    # default codec, not zstd: a 17 MiB batch of monthly CSV writes in 103 ms instead of 160 ms,
    # on the run's main thread, into 10.8 MiB instead of 6.3 (files written with zstd still read).
    pq.write_table(table, tmp, compression="snappy", use_dictionary=False, write_statistics=False)
    tmp.replace(path)
    return path


def archive_files(root: Path, form: str, files: list) -> None:
    """Each (landing file, its raw rows) of a batch."""
    for landing_file, rows in files:
        write_batch(root, form, landing_file.sha256, landing_file.rel_path, rows)


def read_batch(root: Path, form: str, sha256: str) -> pd.DataFrame | None:
    """A stored file's rows as the Arrow CSV reader gives them: Arrow-backed text, blanks missing."""
    path = batch_path(root, form, sha256)
    return pq.read_table(path).to_pandas() if path.exists() else None
