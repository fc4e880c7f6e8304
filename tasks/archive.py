"""The archive of raw batches: each accepted landing file's rows, as text, in Parquet.

Written at ingest (keyed by content hash, so a retry rewrites the same file);
read by backfills, so that periods can be re-processed after the landing folder
was cleaned.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def batch_path(root: Path, form: str, sha256: str) -> Path:
    return Path(root) / form / f"{sha256}.parquet"


def write_batch(root: Path, form: str, sha256: str, rel_path: str, rows: pd.DataFrame) -> Path:
    path = batch_path(root, form, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = rows.drop(columns=[c for c in rows.columns if c == "_file_id"])
    table = pa.Table.from_pandas(text.astype({c: "string" for c in text.columns if c != "_row_number"}),
                                 preserve_index=False)
    table = table.replace_schema_metadata({"thidua.path": rel_path, "thidua.form": form, "thidua.sha256": sha256})
    tmp = path.with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)
    return path


def read_batch(root: Path, form: str, sha256: str) -> pd.DataFrame | None:
    path = batch_path(root, form, sha256)
    if not path.exists():
        return None
    frame = pq.read_table(path).to_pandas()
    frame = frame.astype(object).where(frame.notna(), None)
    frame["_row_number"] = frame["_row_number"].astype("int64")
    return frame
