"""The nightly flow: ingest every new landing file, validate, load, refresh the marts."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.pipeline import RunSummary, execute
from flows.report import publish_artifact
from flows.settings import resolve


@flow(name="nightly", log_prints=False)
def nightly(landing: str | None = None, warehouse: str | None = None, as_of: str | None = None) -> dict:
    settings = resolve(landing, warehouse, as_of=as_of)
    summary = execute(settings, "nightly")
    _log(summary)
    publish_artifact(settings, summary)
    return summary_dict(summary)


def _log(summary: RunSummary) -> None:
    logger = get_run_logger()
    if summary.nothing_new:
        logger.info("nothing new under the landing folder; %d files already processed", summary.files_seen)
    else:
        logger.info("run %s: %d new files, %d rows accepted, %d rejected", summary.run_id, summary.files_new,
                    sum(summary.rows_accepted.values()), sum(summary.rows_rejected.values()))


def summary_dict(summary: RunSummary) -> dict:
    return {"run_id": summary.run_id, "files_new": summary.files_new, "files_seen": summary.files_seen,
            "rows_accepted": dict(summary.rows_accepted), "rows_rejected": dict(summary.rows_rejected),
            "years": summary.years, "seconds": round(summary.seconds, 3), "nothing_new": summary.nothing_new}
