"""National-scale benchmark: the whole pipeline against the machine's floor on the same files.

    make bench                 # 20,000 enterprises, 2021-2023: about 720,000 monthly reports, best of 2
    make bench ROWS=1000000    # about 1,000,000
    make bench-small           # 100,000 rows, one run, for repeated checks
    make bench YEARS=2018-2023 ENTERPRISES=10000   # history: the same enterprises over more years

Steps: generate a landing set with the demo generator (CSV monthly files, the
last month held back); measure the floor (pyarrow CSV read, COPY of the same
rows into a bare table, one GROUP BY: each the fastest of 3 tries or more);
run the pipeline into SQLite and into PostgreSQL in one child process (wall
time per step as the run reports it, peak RSS, CPU seconds);
add the held-back month and time the incremental run (on three copies of the
warehouse the full run left, the fastest kept); load a subset with
pandas `to_sql` for comparison. With --repeat N all of it runs N times, into
empty warehouses, and the fastest of each is reported with the spread of the
full runs: on a shared 2-core machine one run can be 20 % off another.
Prints one table per warehouse.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PG_ADMIN = os.environ.get("THIDUA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
AS_OF = "2026-11-27"
HELD_BACK = "2023-12"
FLOOR_TRIES = 3


def generate(out: Path, enterprises: int, years: range) -> str:
    """The landing set (the held-back month moved to out/extra); kept for the next bench with the
    same size and years, since the generator is deterministic. Warehouses and archive start empty each time."""
    t0 = time.perf_counter()
    span = f"{years[0]}-{years[-1]}"
    stamp, size = out / "landing.stamp", f"{enterprises} {span}"
    empty_warehouses(out)
    if stamp.exists() and stamp.read_text() == size:
        return "reused the landing set generated earlier with the same size"
    stamp.unlink(missing_ok=True)             # written again once the new set is whole
    for stale in ("landing", "extra"):        # not the Prefect server's home, in use already
        shutil.rmtree(out / stale, ignore_errors=True)
    subprocess.run([str(REPO / ".venv/bin/thidua"), "demo", "--out", str(out / "landing"), "--enterprises",
                    str(enterprises), "--years", span, "--csv-only"], check=True, stdout=subprocess.DEVNULL)
    extra = out / "extra"
    for path in (out / "landing" / "monthly_report").rglob(f"*{HELD_BACK}*"):
        target = extra / path.relative_to(out / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
    stamp.write_text(size)
    return f"generated in {time.perf_counter() - t0:.1f} s"


def empty_warehouses(out: Path) -> None:
    """No SQLite warehouse or archive left from an earlier run (PostgreSQL: pg_database)."""
    for stale in ("archive-SQLite", "archive-PostgreSQL", "bench.db", "bench.db-wal", "bench.db-shm"):
        path = out / stale
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


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


def to_sql_rates(url: str, table, rows: int) -> dict[str, float]:
    """Rows per second of pandas `to_sql` on a subset, with each of its methods:
    executemany (the default) and multi-row INSERT statements."""
    from sqlalchemy import create_engine

    frame = table.slice(0, rows).to_pandas()
    engine = create_engine(url)
    rates = {}
    for method in (None, "multi"):
        t0 = time.perf_counter()
        frame.to_sql("bench_to_sql", engine, if_exists="replace", index=False, method=method, chunksize=1000)
        rates[method or "executemany"] = rows / (time.perf_counter() - t0)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_to_sql")
    engine.dispose()
    return rates


# --- the pipeline ----------------------------------------------------------------------------------

@contextmanager
def prefect_server(home: Path):
    """A Prefect API server, with a home of its own, for the child's flow runs. Started first, it
    boots while the landing set is generated and the floor measured, not inside the first run's
    call (the temporary server Prefect would start there takes 8-9 s). Its home is kept for the
    next bench, like the landing set: a server whose database is new first builds it, which took
    24 s on this machine, against 6 s for one that exists (a reduced bench is for repeated checks)."""
    home.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_LOGGING_LEVEL": "WARNING"}
    server = subprocess.Popen([str(REPO / ".venv/bin/prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield {"PREFECT_HOME": str(home), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
               "THIDUA_BENCH_PREFECT_PID": str(server.pid)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def wait_until_up(api_url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the bench's Prefect server at {api_url} did not come up in {seconds:g} s")
            time.sleep(0.5)


def run_child(landing: Path, targets: dict[str, Path], extra: Path, prefect: dict[str, str]) -> dict:
    """Full and incremental runs for every warehouse (url -> its archive), in one child process."""
    wait_until_up(prefect["PREFECT_API_URL"])
    env = {**os.environ, **prefect, "THIDUA_PII_KEY": "bench", "PREFECT_LOGGING_LEVEL": "WARNING"}
    out = subprocess.run([str(REPO / ".venv/bin/python"), str(REPO / "bench/child.py"), str(landing), AS_OF,
                          str(extra), *(f"{url}={archive}" for url, archive in targets.items())],
                         env=env, capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"pipeline run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pg_database(name: str, template: str | None = None) -> str:
    """A new, empty PostgreSQL database (or a copy of `template`) in place of any of that name."""
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
              f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_checkpoint() -> None:
    _pg_admin("CHECKPOINT")


def pg_statement_seconds(name: str) -> float | None:
    """Seconds PostgreSQL has spent running statements in database `name` (pg_stat_database's
    active_time, PostgreSQL 14 on), read once every session in it has ended: a backend adds its
    counters as it exits, before it leaves pg_stat_activity. None where it cannot be read."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with _admin_connection() as conn:          # autocommit: each query sees the counters anew
            for _ in range(250):
                if not conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                                    {"name": name}).scalar():
                    break
                time.sleep(0.02)
            found = conn.execute(text("SELECT active_time FROM pg_stat_database WHERE datname = :name"),
                                 {"name": name}).scalar()
    except DBAPIError:               # an older server has no active_time: the bench goes on without it
        return None
    return None if found is None else found / 1000


def _pg_admin(*statements: str) -> None:
    from sqlalchemy import text

    with _admin_connection() as conn:
        for statement in statements:
            conn.execute(text(statement))


@contextmanager
def _admin_connection():
    """An autocommit connection to the admin database (CREATE DATABASE cannot run in a transaction)."""
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def fastest(runs: list[dict], url: str) -> tuple[dict, dict, str]:
    """The fastest full and incremental runs of one warehouse over the repeats, and the spread."""
    full = min((r[url]["full"] for r in runs), key=lambda f: f["seconds"])
    incremental = min((r[url]["incremental"] for r in runs), key=lambda f: f["seconds"])
    walls = sorted(r[url]["full"]["seconds"] for r in runs)
    spread = f"best of {len(runs)}: " + ", ".join(f"{w:.2f}" for w in walls) + " s" if len(runs) > 1 else ""
    return full, incremental, spread


def report(label: str, floor: dict, full: dict, incremental: dict, rows: int, to_sql: dict[str, float],
           spread: str = "") -> None:
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
    print(f"{'pipeline wall (run)':<34}{wall:>10.2f}   {rows / wall:>12,.0f} monthly rows/s   {spread}")
    print(f"{'floor: ' + ' + '.join(floor):<34}{floor_total:>10.2f}   "
          + "  ".join(f"{k} {v:.2f}" for k, v in floor.items()))
    print(f"{'ratio pipeline / floor':<34}{wall / floor_total:>10.1f}")
    for method, rate in to_sql.items():
        print(f"{'pandas to_sql rows/s, ' + method:<34}{rate:>10,.0f}   pipeline is {rows / wall / rate:,.2f}x its speed")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    used = _cpu(full)
    print(f"{'CPU (core-seconds)':<34}{used[0]:>10.2f}   {used[1]}; at best {used[0] / cores:.2f} s on "
          f"{cores} cores, ratio {used[0] / cores / floor_total:.1f}   (incremental run: {_cpu(incremental)[0]:.2f})")
    if full.get("pg_statement_seconds") is not None:       # one transaction, so one backend, one statement at a time
        print(f"{'PostgreSQL running statements (s)':<34}{full['pg_statement_seconds']:>10.2f}   one after another in the "
              f"run's transaction: by itself ratio {full['pg_statement_seconds'] / floor_total:.1f}   "
              f"(incremental run: {incremental.get('pg_statement_seconds') or 0:.2f})")
    print(f"{'peak RSS (MiB)':<34}{full['max_rss_mib']:>10.0f}   (incremental run: "
          f"{incremental['max_rss_mib']:.0f})")
    print(f"{'incremental run, one new month':<34}{incremental['seconds']:>10.2f}   "
          f"{100 * incremental['seconds'] / wall:.1f}% of the full run   (fastest of "
          + ", ".join(f"{t:.2f}" for t in incremental["tries"]) + " s, each on a copy of the full run's warehouse)")
    print(f"{'  its steps':<34}" + ", ".join(f"{s} {t:.2f}" for s, t in incremental["steps"]))


def _cpu(run: dict) -> tuple[float, str]:
    """A run's CPU seconds: its own process's (SQLite's work included), the local PostgreSQL's and
    the bench's Prefect server's while it ran (each where it could be read); with how they add up."""
    parts = {"the run's process": run["cpu_seconds"], "PostgreSQL": run.get("pg_cpu_seconds"),
             "Prefect server": run.get("prefect_cpu_seconds")}
    parts = {name: seconds for name, seconds in parts.items() if seconds is not None}
    return sum(parts.values()), " + ".join(f"{name} {seconds:.2f}" for name, seconds in parts.items())


def _years(text: str) -> range:
    """--years first-last, ending in the held-back month's year."""
    first, _, last = text.partition("-")
    if not (first.isdigit() and last == HELD_BACK[:4] and int(first) <= int(last)):
        raise argparse.ArgumentTypeError(f"{text!r}: give first-last ending in {HELD_BACK[:4]}, e.g. 2018-{HELD_BACK[:4]}")
    return range(int(first), int(last) + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=720_000, help="monthly reports to generate (about)")
    parser.add_argument("--enterprises", type=int, default=None, help="default: rows / months of the years")
    parser.add_argument("--years", default="2021-2023", type=_years,
                        help="first-last, ending in 2023: more years of history with the same enterprises")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--to-sql-rows", type=int, default=20_000, help="subset loaded with pandas to_sql")
    parser.add_argument("--repeat", type=int, default=1,
                        help="pipeline runs per warehouse, each into an empty one; the fastest is reported")
    args = parser.parse_args()
    started = time.perf_counter()
    enterprises = args.enterprises or max(500, args.rows // (12 * len(args.years)))
    out = args.out.resolve()
    with prefect_server(out / "prefect-home") as prefect:
        measure(args, out, enterprises, prefect)
    print(f"\nbench finished in {time.perf_counter() - started:.0f} s")


def measure(args, out: Path, enterprises: int, prefect: dict[str, str]) -> None:
    print(f"generating {enterprises:,} enterprises x {12 * len(args.years)} months "
          f"({args.years[0]}-{args.years[-1]}) ...", flush=True)
    print(f"  {generate(out, enterprises, args.years)}", flush=True)
    targets = [("SQLite", f"sqlite:///{out / 'bench.db'}")]
    if not args.skip_pg:
        targets.append(("PostgreSQL", pg_database("thidua_bench")))
    floors: dict[str, dict[str, float]] = {}
    # Each part of the floor: its fastest of FLOOR_TRIES at least (a few seconds each, where one
    # measurement on this shared machine came out a third slower than the day before's).
    for _ in range(max(args.repeat, FLOOR_TRIES)):
        table, t_read = read_floor(out / "landing")
        for label, url in targets:
            t_load, t_group = (copy_floor_sqlite(out / "floor.db", table) if label == "SQLite"
                               else copy_floor_pg(url, table))
            measured = {"csv read": t_read, "insert" if label == "SQLite" else "COPY": t_load, "group by": t_group}
            floors[label] = {k: min(v, floors.get(label, {}).get(k, v)) for k, v in measured.items()}
    rows = table.num_rows
    to_sql = {label: to_sql_rates(url, table, min(rows, args.to_sql_rows)) for label, url in targets}
    print(f"running the pipeline into {' and '.join(label for label, _ in targets)} ...", flush=True)
    runs = []
    for attempt in range(args.repeat):
        if attempt:               # every repeat starts from empty warehouses
            empty_warehouses(out)
            targets = [(label, pg_database("thidua_bench") if label == "PostgreSQL" else url) for label, url in targets]
        runs.append(run_child(out / "landing", {url: out / f"archive-{label}" for label, url in targets}, out / "extra",
                              prefect))
    for label, url in targets:
        full, incremental, spread = fastest(runs, url)
        report(label, floors[label], full, incremental, rows, to_sql[label], spread)


if __name__ == "__main__":
    main()
