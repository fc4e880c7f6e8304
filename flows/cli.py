"""The `thidua` command (contract.md section 1). Thin: it parses, calls a flow, maps errors to exit codes.

Exit status: 0 the run completed (rows rejected or not); 2 usage or configuration
error; 1 the run failed, and the warehouse holds what it held before.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Without PREFECT_API_URL each command starts Prefect's temporary server; a busy 2-core machine
# needs longer than Prefect's default 20 s for that.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

app = typer.Typer(add_completion=False, no_args_is_help=True, help="thidua: the emulation-programme data pipeline.")
report_app = typer.Typer(no_args_is_help=True, help="Printable reports.")
app.add_typer(report_app, name="report")

LANDING = typer.Option(None, "--landing", help="Landing folder [env THIDUA_LANDING, default ./landing]")
WAREHOUSE = typer.Option(None, "--warehouse", help="Warehouse URL [env THIDUA_WAREHOUSE_URL, default sqlite:///warehouse.db]")
AS_OF = typer.Option(None, "--as-of", help="Run date YYYY-MM-DD (default today, Asia/Ho_Chi_Minh)")
RUNNER = typer.Option(None, "--task-runner", help="threads (default) or dask [env THIDUA_TASK_RUNNER; "
                                                  "THIDUA_DASK_ADDRESS for an existing Dask cluster]")


def _fail(code: int, message: str) -> None:
    typer.echo(f"thidua: {message}", err=True)
    raise typer.Exit(code)


def _guard(fn):
    """Map exceptions to the contract's exit codes with a one-line message."""
    from flows.settings import ConfigError
    from warehouse.errors import WarehouseBusy

    try:
        return fn()
    except ConfigError as exc:
        _fail(2, str(exc).splitlines()[0])
    except WarehouseBusy as exc:
        _fail(1, f"{exc}; nothing was changed. Try again when the other run has finished.")
    except typer.Exit:
        raise
    except Exception as exc:
        notes = " ".join(getattr(exc, "__notes__", []))
        _fail(1, f"run failed, warehouse unchanged: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} {notes}".strip())


def _print_summary(landing, warehouse, as_of, result: dict, kind: str) -> None:
    from flows.pipeline import RunSummary
    from flows.report import summary_text
    from flows.settings import resolve

    summary = RunSummary(run_id=result["run_id"], kind=kind, files_seen=result["files_seen"],
                         files_new=result["files_new"], seconds=result["seconds"], nothing_new=result["nothing_new"],
                         steps=[tuple(step) for step in result["steps"]])
    summary.rows_accepted.update(result["rows_accepted"])
    summary.rows_rejected.update(result["rows_rejected"])
    typer.echo(summary_text(resolve(landing, warehouse, as_of=as_of), summary))


@app.command()
def run(landing: Optional[Path] = LANDING, warehouse: Optional[str] = WAREHOUSE, as_of: Optional[str] = AS_OF,
        task_runner: Optional[str] = RUNNER):
    """The nightly job: ingest new files, validate, load, refresh rollups and eligibility."""
    def go():
        from flows.settings import resolve

        resolve(landing, warehouse, as_of=as_of)        # configuration errors exit 2 before Prefect starts
        from flows.nightly import nightly, with_runner

        result = with_runner(nightly, task_runner)(str(landing) if landing else None, warehouse, as_of)
        _print_summary(landing, warehouse, as_of, result, "nightly")
    _guard(go)


@app.command()
def backfill(period_from: str = typer.Option(..., "--from", help="First month, YYYY-MM"),
             period_to: str = typer.Option(..., "--to", help="Last month, YYYY-MM"),
             landing: Optional[Path] = LANDING, warehouse: Optional[str] = WAREHOUSE, as_of: Optional[str] = AS_OF,
             task_runner: Optional[str] = RUNNER):
    """Re-process the files and rollups of a period range."""
    def go():
        from flows.settings import check_range, resolve

        check_range(period_from, period_to)
        resolve(landing, warehouse, as_of=as_of)
        from flows.backfill import backfill as backfill_flow
        from flows.nightly import with_runner

        run = with_runner(backfill_flow, task_runner)
        result = run(period_from, period_to, str(landing) if landing else None, warehouse, as_of)
        _print_summary(landing, warehouse, as_of, result, "backfill")
    _guard(go)


@app.command()
def demo(out: Path = typer.Option(Path("landing"), "--out", help="Where to write the demo landing folder"),
         enterprises: int = typer.Option(452, "--enterprises", help="How many enterprises (benchmarks: 20000)"),
         years: str = typer.Option("2022-2023", "--years", help="First and last year, e.g. 2021-2023"),
         csv_only: bool = typer.Option(False, "--csv-only", help="Monthly reports as CSV only (benchmarks)")):
    """Write the deterministic demo landing data (all forms, realistic messiness)."""
    def go():
        from flows.settings import ConfigError
        from tasks.demo import MIN_ENTERPRISES, write_demo

        first, _, last = years.partition("-")
        if not (first.isdigit() and last.isdigit() and 2000 <= int(first) <= int(last) <= 2023 and int(last) == 2023):
            raise ConfigError(f"--years {years!r}: give first-last ending in 2023, e.g. 2021-2023")
        if enterprises < MIN_ENTERPRISES:
            raise ConfigError(f"--enterprises {enterprises}: the demo needs at least {MIN_ENTERPRISES} "
                              "(its planted errors and award cases each take enterprises of their own)")
        record = write_demo(out, enterprises, tuple(range(int(first), int(last) + 1)), csv_only)
        typer.echo(f"demo landing data written to {out}: {record['files']} files")
    _guard(go)


@app.command()
def export(out: Path = typer.Option(..., "--out", help="Folder for <mart>.csv"),
           warehouse: Optional[str] = WAREHOUSE):
    """Write every mart as DIR/<mart>.csv (UTF-8, header row)."""
    def go():
        from flows.report import export_marts
        from flows.settings import resolve

        settings = resolve(None, warehouse)
        paths = export_marts(settings.warehouse_url, out)
        typer.echo(f"{len(paths)} marts written to {out}")
    _guard(go)


@app.command()
def serve():
    """Serve the `nightly` (01:00 Asia/Ho_Chi_Minh) and `backfill` deployments from this process.

    Needs a Prefect server: `prefect server start`, then PREFECT_API_URL=http://127.0.0.1:4200/api.
    """
    def go():
        from flows.deployments import serve_all
        from flows.settings import resolve

        resolve()
        serve_all()
    _guard(go)


@report_app.command("awards")
def report_awards(year: int = typer.Option(..., "--year"), out: Path = typer.Option(..., "--out"),
                  warehouse: Optional[str] = WAREHOUSE):
    """The council's award report: one sheet per award, criteria as ✓/✗ with reasons."""
    def go():
        from flows.settings import resolve
        from tasks.awards_report import write_awards_report

        settings = resolve(None, warehouse)
        write_awards_report(settings.warehouse_url, year, out)
        typer.echo(f"award report {year} written to {out}")
    _guard(go)


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        # click uses exit 2 for usage errors already; keep every other code as is
        sys.exit(exc.code)
