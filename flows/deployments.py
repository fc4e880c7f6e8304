"""The two deployments: `nightly` at 01:00 Asia/Ho_Chi_Minh and `backfill` on demand.

`prefect.yaml` declares the same two for a work pool; `thidua serve` serves them
from one long-lived process for a board without a work pool. Either way each
has a concurrency limit of 1, and the warehouse lock keeps any two runs apart.
"""

from __future__ import annotations

from prefect.schedules import Cron

NIGHTLY_CRON, TIMEZONE = "0 1 * * *", "Asia/Ho_Chi_Minh"


def deployments():
    from flows.backfill import backfill
    from flows.nightly import nightly

    return [
        nightly.to_deployment(name="nightly", schedules=[Cron(NIGHTLY_CRON, timezone=TIMEZONE)], concurrency_limit=1,
                              description="Ingest new landing files, validate, load, refresh the marts."),
        backfill.to_deployment(name="backfill", concurrency_limit=1,
                               description="Re-process the files and rollups of a period range (YYYY-MM to YYYY-MM)."),
    ]


def serve_all() -> None:
    from prefect import serve

    serve(*deployments())
