"""What load records per file, against a plain loop over the same rows."""

import random

import pandas as pd
import pytest

from tasks.load import _file_counts


@pytest.mark.parametrize("form,kind", [("monthly_report", "period"), ("investment", "date"), ("nominations", "year")])
def test_file_counts_and_spans_match_a_plain_loop(form, kind):
    """Rows accepted, distinct rows rejected and the first and last month of each file; a file with
    nothing accepted, or nothing dated, has no span."""
    rng = random.Random(kind)
    column = {"period": "period", "date": "decision_date", "year": "year"}[kind]

    def when(fid):
        if rng.random() < 0.1:
            return None
        year, month = rng.choice([2023] if fid == 13 else [2021, 2022, 2023]), rng.randint(1, 12)   # 13: late
        return {"period": f"{year}-{month:02d}", "date": pd.Timestamp(year, month, rng.randint(1, 28)),
                "year": year}[kind]

    file_ids = [11, 12, 13, 14, 15]
    rows = [(rng.choice([11, 12, 13, 15]), n) for n in range(2, 400)]
    accepted = pd.DataFrame([{"_file_id": fid, "_row_number": n, column: when(fid)} for fid, n in rows])
    accepted.loc[accepted["_file_id"] == 15, column] = None          # file 15: rows, but none dated
    if kind == "year":
        accepted[column] = accepted[column].astype("Int64")          # as validation types a year
    rejections = pd.DataFrame([{"_file_id": rng.choice(file_ids), "_row_number": rng.randint(2, 60)}
                               for _ in range(80)])
    got = _file_counts(form, file_ids, accepted, rejections).set_index("file_id")
    assert list(got.index) == file_ids
    for fid in file_ids:
        mine = accepted[accepted["_file_id"] == fid][column].dropna()
        months = sorted(f"{v}-12" if kind == "year" else str(v)[:7] for v in mine)
        assert got.loc[fid, "rows_accepted"] == (accepted["_file_id"] == fid).sum()
        assert got.loc[fid, "rows_rejected"] == len(set(rejections.loc[rejections["_file_id"] == fid, "_row_number"]))
        assert (got.loc[fid, "min_month"], got.loc[fid, "max_month"]) == ((months[0], months[-1]) if months else (None, None))


def test_an_archived_file_reads_back_whatever_codec_wrote_it(tmp_path):
    """Archives are written with Snappy now and were written with zstd before: a backfill reads
    either back as the rows stored, text with blanks missing, provenance renamed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tasks.archive import batch_path, read_batch, write_batch

    rows = pa.table({"file_id": [7, 7, 7], "row_number": [2, 3, 4], "tax_code": ["0101234567", None, "0312345678"],
                     "period": ["2023-01", "01/2023", None]})
    write_batch(tmp_path, "monthly_report", "new", "a.csv", rows)
    older = batch_path(tmp_path, "monthly_report", "old")
    pq.write_table(rows.drop_columns(["file_id"]).rename_columns(["_row_number", "tax_code", "period"]), older,
                   compression="zstd")
    expected = {"_row_number": [2, 3, 4], "tax_code": ["0101234567", None, "0312345678"], "period": ["2023-01", "01/2023", None]}
    for sha in ("new", "old"):
        got = read_batch(tmp_path, "monthly_report", sha)
        assert {c: [None if pd.isna(v) else v for v in got[c]] for c in got.columns} == expected, sha
