"""One nightly run in its own process, for the benchmark: prints its summary, wall time and peak RSS."""

import json
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from flows.nightly import nightly

    landing, warehouse, as_of = sys.argv[1:4]
    result = nightly(landing, warehouse, as_of)
    result["rows_accepted_total"] = sum(result["rows_accepted"].values())
    result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
