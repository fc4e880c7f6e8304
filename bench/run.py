"""National-scale benchmark: the whole pipeline against the machine's floor on the same files.

    make bench                 # 20,000 enterprises, 2021-2023: about 720,000 monthly reports
    make bench ROWS=1000000    # about 1,000,000
    make bench-small           # 100,000 rows, for repeated checks

Steps: generate a landing set with the demo generator (CSV monthly files, the
last month held back); measure the floor (pyarrow CSV read, COPY of the same
rows into a bare table, one GROUP BY); run the pipeline into SQLite and into
PostgreSQL in a child process each (wall time per step from ops.steps, peak
RSS); add the held-back month and time the incremental run; load a subset with
pandas `to_sql` for comparison. Prints one table per warehouse.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PG_ADMIN = os.environ.get("THIDUA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AS_OF = "2026-11-27"
HELD_BACK = "2023-12"


def generate(out: Path, enterprises: int) -> float:
    t0 = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    subprocess.run([str(REPO / ".venv/bin/thidua"), "demo", "--out", str(out / "landing"), "--enterprises",
                    str(enterprises), "--years", "2021-2023", "--csv-only"], check=True, stdout=subprocess.DEVNULL)
    extra = out / "extra"
    for path in (out / "landing" / "monthly_report").rglob(f"*{HELD_BACK}*"):
        target = extra / path.relative_to(out / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    return time.perf_counter() - t0


# --- the floor ----------------------------------------------------------------------------------

def read_floor(landing: Path):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    t0 = time.perf_counter()
    tables = []
    for path in sorted((landing / "monthly_report").rglob("*.csv")):
        data = path.read_bytes()
        delimiter = ";" if data.split(b"\n", 1)[0].count(b";") > 1 else ","
        names = data.split(b"\n", 1)[0].decode("utf-8-sig").strip().split(delimiter)
        table = pacsv.read_csv(io.BytesIO(data), parse_options=pacsv.ParseOptions(delimiter=delimiter),
                               convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}))
        if table.num_columns == 12:          # the demo's deliberately short file is left out
            tables.append(table.rename_columns([f"c{i}" for i in range(12)]))
    table = pa.concat_tables(tables)
    return table, time.perf_counter() - t0


def copy_floor_pg(url: str, table) -> tuple[float, float]:
    import psycopg
    import pyarrow.csv as pacsv

    buffer = io.BytesIO()
    pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False))
    payload = buffer.getvalue()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        cols = ", ".join(f"c{i} text" for i in range(table.num_columns))
        conn.execute(f"DROP TABLE IF EXISTS bench_floor; CREATE TABLE bench_floor ({cols})")
        t0 = time.perf_counter()
        with conn.cursor().copy("COPY bench_floor FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(payload)
        conn.commit()
        t_copy = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("SELECT c0, substr(c1, 1, 4), count(*) FROM bench_floor GROUP BY 1, 2").fetchall()
        t_group = time.perf_counter() - t0
        conn.execute("DROP TABLE bench_floor")
    return t_copy, t_group


def copy_floor_sqlite(path: Path, table) -> tuple[float, float]:
    import sqlite3

    rows = list(zip(*(col.to_pylist() for col in table.columns)))
    conn = sqlite3.connect(path)
    conn.execute(f"CREATE TABLE bench_floor ({', '.join(f'c{i} text' for i in range(table.num_columns))})")
    t0 = time.perf_counter()
    conn.executemany(f"INSERT INTO bench_floor VALUES ({', '.join('?' * table.num_columns)})", rows)
    conn.commit()
    t_insert = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.execute("SELECT c0, substr(c1, 1, 4), count(*) FROM bench_floor GROUP BY 1, 2").fetchall()
    t_group = time.perf_counter() - t0
    conn.close()
    path.unlink()
    return t_insert, t_group


def to_sql_rate(url: str, table, rows: int) -> float:
    """Rows per second of pandas to_sql(method="multi") on a subset."""
    from sqlalchemy import create_engine

    frame = table.slice(0, rows).to_pandas()
    engine = create_engine(url)
    t0 = time.perf_counter()
    frame.to_sql("bench_to_sql", engine, if_exists="replace", index=False, method="multi", chunksize=1000)
    seconds = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_to_sql")
    engine.dispose()
    return rows / seconds


# --- the pipeline ----------------------------------------------------------------------------------

def run_child(landing: Path, warehouse: str, archive: Path) -> dict:
    env = {**os.environ, "THIDUA_PII_KEY": "bench", "THIDUA_ARCHIVE": str(archive),
           "PREFECT_HOME": str(archive.parent / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    out = subprocess.run([str(REPO / ".venv/bin/python"), str(REPO / "bench/child.py"), str(landing), warehouse, AS_OF],
                         env=env, capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"pipeline run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def steps(warehouse: str, run_id: int) -> list[tuple[str, float]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(warehouse)
    name = "ops_steps" if warehouse.startswith("sqlite") else "ops.steps"
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT step, seconds FROM {name} WHERE run_id = :r ORDER BY started_at"),
                            {"r": run_id}).all()
    engine.dispose()
    return [(s, float(t)) for s, t in rows]


def pg_database(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def report(label: str, floor: dict, full: dict, incremental: dict, rows: int, to_sql: float) -> None:
    print(f"\n== {label}: {rows:,} monthly rows ({full['rows_accepted_total']:,} rows accepted in all forms)")
    print(f"{'step (summed over batches)':<34}{'seconds':>10}")
    summed: dict[str, float] = {}
    for step, seconds in full["steps"]:
        summed[step] = summed.get(step, 0.0) + seconds
    for step, seconds in summed.items():
        if seconds >= 0.05:
            print(f"  {step:<32}{seconds:>10.2f}")
    wall = full["seconds"]
    floor_total = sum(floor.values())
    print(f"{'pipeline wall (run)':<34}{wall:>10.2f}   {rows / wall:>12,.0f} monthly rows/s")
    print(f"{'floor: ' + ' + '.join(floor):<34}{floor_total:>10.2f}   "
          + "  ".join(f"{k} {v:.2f}" for k, v in floor.items()))
    print(f"{'ratio pipeline / floor':<34}{wall / floor_total:>10.1f}")
    print(f"{'pandas to_sql rows/s (subset)':<34}{to_sql:>10,.0f}   pipeline is {rows / wall / to_sql:,.1f}x faster")
    print(f"{'peak RSS (MiB)':<34}{full['max_rss_mib']:>10.0f}")
    print(f"{'incremental run, one new month':<34}{incremental['seconds']:>10.2f}   "
          f"{100 * incremental['seconds'] / wall:.1f}% of the full run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=720_000, help="monthly reports to generate (about)")
    parser.add_argument("--enterprises", type=int, default=None, help="default: rows / 36")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--skip-pg", action="store_true")
    args = parser.parse_args()
    enterprises = args.enterprises or max(500, args.rows // 36)
    out = args.out.resolve()

    print(f"generating {enterprises:,} enterprises x 36 months ...", flush=True)
    print(f"  generated in {generate(out, enterprises):.1f} s", flush=True)
    table, t_read = read_floor(out / "landing")
    rows = table.num_rows
    targets = [("SQLite", f"sqlite:///{out / 'bench.db'}")]
    if not args.skip_pg:
        targets.append(("PostgreSQL", pg_database("thidua_bench")))
    for label, url in targets:
        if label == "SQLite":
            t_load, t_group = copy_floor_sqlite(out / "floor.db", table)
            floor = {"csv read": t_read, "insert": t_load, "group by": t_group}
        else:
            t_load, t_group = copy_floor_pg(url, table)
            floor = {"csv read": t_read, "COPY": t_load, "group by": t_group}
        to_sql = to_sql_rate(url, table, min(rows, 20_000 if label == "PostgreSQL" else 100_000))
        print(f"running the pipeline into {label} ...", flush=True)
        full = run_child(out / "landing", url, out / "archive")
        full["steps"] = steps(url, full["run_id"])
        for path in (out / "extra").rglob("*.csv"):
            target = out / "landing" / path.relative_to(out / "extra")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        incremental = run_child(out / "landing", url, out / "archive")
        for path in (out / "extra").rglob("*.csv"):
            (out / "landing" / path.relative_to(out / "extra")).unlink()
        report(label, floor, full, incremental, rows, to_sql)


if __name__ == "__main__":
    main()
