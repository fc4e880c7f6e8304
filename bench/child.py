"""The pipeline runs of the benchmark, in one process (one Prefect start-up for all): for each
warehouse, a full nightly run, then the held-back month added and an incremental run, on
INCREMENTAL_TRIES copies of the warehouse as the full run left it (the fastest is kept: one
incremental run is a few seconds, which this machine's drift moves by a quarter).

    child.py LANDING AS_OF EXTRA URL=ARCHIVE [URL=ARCHIVE ...]   -> one JSON line
"""

import json
import os
import re
import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

INCREMENTAL_TRIES = 3
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")      # the unit of /proc's CPU counters

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from run import drop_pg_database, pg_checkpoint, pg_database, pg_statement_seconds  # noqa: E402  (bench/run.py, this script's folder)


def _on_sqlite(url: str) -> bool:
    return url.startswith("sqlite:///")


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets the process's peak RSS (VmHWM), so each run has its own.
    Where that is not allowed, the peak stays the process's so far (an upper bound)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mib() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024


def _ticks(pid: str) -> tuple[str, int] | None:
    """A process's name and the CPU it and its ended children used so far (clock ticks), from
    /proc; None when it is gone or cannot be read."""
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return name, sum(int(f) for f in fields[11:15])          # utime, stime, cutime, cstime


def _postgres_cpu() -> float | None:
    """CPU seconds used so far by the local PostgreSQL's processes (backends, writers, and through
    the postmaster's counters for its children that ended, parallel workers and closed
    connections); None where no such process can be read (another OS, a remote server)."""
    seen = [t for t in map(_ticks, filter(str.isdigit, os.listdir("/proc"))) if t and t[0] == "postgres"]
    return sum(ticks for _, ticks in seen) / TICKS_PER_SECOND if seen else None


def _prefect_cpu() -> float | None:
    """CPU seconds used so far by the bench's Prefect server (bench/run.py gives its process id):
    it records every flow and task run, on the same cores."""
    pid = os.environ.get("THIDUA_BENCH_PREFECT_PID")
    found = _ticks(pid) if pid else None
    return found[1] / TICKS_PER_SECOND if found else None


def _measured(url: str, run) -> dict:
    """`run()`'s result, with its peak RSS and the CPU seconds the servers used meanwhile: the
    Prefect server's (the flow run's start and end included, which the run's own time is not) and,
    on PostgreSQL, the database's (the flow's start and end touch no warehouse: that is the run's),
    with the time it spent running the run's statements (read outside the CPU's window: the
    session that reads it is not the run's work)."""
    readers = {"prefect_cpu_seconds": _prefect_cpu} | ({} if _on_sqlite(url) else {"pg_cpu_seconds": _postgres_cpu})
    database = None if _on_sqlite(url) else url.rsplit("/", 1)[1]
    statements = pg_statement_seconds(database) if database else None
    before = {key: read() for key, read in readers.items()}
    _reset_peak()
    result = run()
    result["max_rss_mib"] = _peak_mib()
    for key, read in readers.items():          # None where a server's CPU could not be read
        after = read()
        result[key] = None if before[key] is None or after is None else after - before[key]
    if statements is not None:
        after = pg_statement_seconds(database)
        result["pg_statement_seconds"] = None if after is None else after - statements
    return result


def _with_month(landing: str, extra: Path, run):
    """Run with the held-back month's files in the landing folder, then take them out again."""
    added = []
    for path in sorted(extra.rglob("*.csv")):
        target = Path(landing) / path.relative_to(extra)
        target.parent.mkdir(parents=True, exist_ok=True)
        added.append(shutil.copy(path, target))
    try:
        return run()
    finally:
        for path in added:
            Path(path).unlink()


def _copy_of(url: str, name: str) -> str:
    """A copy of the warehouse at `url` (a PostgreSQL database made from it as a template; an
    SQLite backup), for one incremental run."""
    if not _on_sqlite(url):
        return pg_database(name, template=url.rsplit("/", 1)[1])
    source = Path(url.removeprefix("sqlite:///"))
    target = source.with_name(f"{name}.db")
    target.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)                    # the WAL's pages too, unlike a file copy
    return f"sqlite:///{target}"


def _settled(url: str) -> None:
    """PostgreSQL: a checkpoint first, so that a measured run does not share the disk and cores with
    the writing out of what the run or copy before it left in the server's buffers (a nightly run
    comes a day after the last one; the first incremental try here came seconds after a full run
    that wrote a gigabyte of WAL, and was a third slower than the last)."""
    if not _on_sqlite(url):
        pg_checkpoint()


def _drop(url: str) -> None:
    if not _on_sqlite(url):
        return drop_pg_database(url.rsplit("/", 1)[1])
    for suffix in ("", "-wal", "-shm"):
        Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)


def _incremental(landing: str, extra: Path, url: str, as_of: str) -> dict:
    """The fastest of INCREMENTAL_TRIES incremental runs, each on its own copy of the warehouse."""
    from flows.nightly import nightly

    tries = []
    for attempt in range(INCREMENTAL_TRIES):
        copy = _copy_of(url, "thidua_bench_incremental")
        _settled(copy)
        tries.append(_measured(copy, lambda: _with_month(landing, extra, lambda: nightly(landing, copy, as_of))))
    _drop(copy)
    best = min(tries, key=lambda t: t["seconds"])
    best["tries"] = [t["seconds"] for t in tries]
    return best


def main() -> None:
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from flows.nightly import nightly

    landing, as_of, extra = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    results = {}
    for target in sys.argv[4:]:
        url, archive = target.rsplit("=", 1)
        os.environ["THIDUA_ARCHIVE"] = archive
        _settled(url)
        full = _measured(url, lambda: nightly(landing, url, as_of))
        full["rows_accepted_total"] = sum(full["rows_accepted"].values())
        results[url] = {"full": full, "incremental": _incremental(landing, extra, url, as_of)}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
