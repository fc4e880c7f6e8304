"""The nightly flow: ingest every new landing file, validate, load, refresh the marts."""

from __future__ import annotations

import os

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
            "years": summary.years, "seconds": round(summary.seconds, 3),
            "cpu_seconds": round(summary.cpu_seconds, 3), "nothing_new": summary.nothing_new,
            "steps": [(name, round(seconds, 3)) for name, seconds in summary.steps]}


def task_runner(name: str | None = None, address: str | None = None):
    """The flows' task runner: Prefect's threads by default; `dask` for prefect-dask's DaskTaskRunner
    on a LocalCluster, or on an existing Dask cluster at THIDUA_DASK_ADDRESS (tcp://scheduler:8786)."""
    name = name or os.environ.get("THIDUA_TASK_RUNNER", "threads")
    address = address or os.environ.get("THIDUA_DASK_ADDRESS")
    if name == "threads":
        return None
    if name != "dask":
        from flows.settings import ConfigError
        raise ConfigError(f"task runner {name!r}: use threads or dask")
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": os.cpu_count() or 2, "threads_per_worker": 1,
                                          "dashboard_address": None})


def with_runner(flow_fn, name: str | None = None):
    runner = task_runner(name)
    return flow_fn if runner is None else flow_fn.with_options(task_runner=runner)
