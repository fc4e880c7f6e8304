"""The pipeline runs of the benchmark, in one process (one Prefect start-up for all): for each
warehouse, a full nightly run, then the held-back month added and an incremental run.

    child.py LANDING AS_OF EXTRA URL=ARCHIVE [URL=ARCHIVE ...]   -> one JSON line
"""

import json
import os
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


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


def main() -> None:
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from flows.nightly import nightly

    landing, as_of, extra = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    results = {}
    for target in sys.argv[4:]:
        url, archive = target.rsplit("=", 1)
        os.environ["THIDUA_ARCHIVE"] = archive
        _reset_peak()
        full = nightly(landing, url, as_of)
        full["rows_accepted_total"] = sum(full["rows_accepted"].values())
        full["max_rss_mib"] = _peak_mib()
        _reset_peak()
        incremental = _with_month(landing, extra, lambda: nightly(landing, url, as_of))
        incremental["max_rss_mib"] = _peak_mib()
        results[url] = {"full": full, "incremental": incremental}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
