"""What a run tells people: the printed summary, the Prefect artifact, the CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from flows.pipeline import RunSummary, phase_table
from flows.settings import Settings
from tasks.plan import config_dir


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def progress_markdown(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_(no phase progress yet)_"
    lines = ["| year | phase | indicator | unit | actual | cumulative | target | % of target |",
             "|---|---|---|---|---:|---:|---:|---:|"]
    for r in frame.sort_values(["year", "phase", "indicator"]).itertuples():
        lines.append(f"| {r.year} | {r.phase} | {r.indicator} | {r.unit} | {_fmt(r.actual)} | "
                     f"{_fmt(r.cumulative_actual)} | {_fmt(r.target)} | {_fmt(r.pct_of_target)} |")
    return "\n".join(lines)


def plan_years() -> list[int]:
    return sorted(int(p.stem) for p in (config_dir() / "plans").glob("*.yaml") if p.stem.isdigit())


def summary_text(settings: Settings, summary: RunSummary) -> str:
    lines = [f"thidua {summary.kind} run {summary.run_id}: {summary.files_new} new of {summary.files_seen} "
             f"files in {summary.seconds:.1f} s"]
    if summary.steps:
        lines.append("steps: " + step_seconds(summary))
    if summary.nothing_new:
        lines.append("nothing new under the landing folder; marts unchanged")
    for path, code in summary.files_rejected:
        lines.append(f"  file rejected: {path} ({code})")
    if summary.rows_accepted:
        lines.append("rows accepted: " + ", ".join(f"{k} {v}" for k, v in summary.rows_accepted.items()))
    if summary.rows_rejected:
        lines.append("rejected by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.rows_rejected.items())))
    frame = phase_table(settings)
    years = [y for y in plan_years() if y in set(frame["year"])] if not frame.empty else []
    if years:
        lines += ["", f"phase progress {years[-1]}:", progress_markdown(frame[frame["year"] == years[-1]])]
    return "\n".join(lines)


def step_seconds(summary: RunSummary) -> str:
    """Seconds per kind of step, in the order they first ran (validate:monthly_report and
    validate:investment count as validate): where a run's time went, in the summary and in the
    Prefect artifact (ops.steps has each step)."""
    kinds: dict[str, float] = {}
    for name, seconds in summary.steps:
        kind = name.split(":")[0]
        kinds[kind] = kinds.get(kind, 0.0) + seconds
    return ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in kinds.items())


def publish_artifact(settings: Settings, summary: RunSummary) -> None:
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(key=f"thidua-{summary.kind}", markdown=summary_text(settings, summary).replace("\n", "  \n", 1),
                             description=f"thidua {summary.kind} run summary")


def export_marts(warehouse_url: str, out: Path) -> list[Path]:
    from warehouse.dialect import make_engine, read_table
    from warehouse.marts import MARTS
    from warehouse.schema import table

    out.mkdir(parents=True, exist_ok=True)
    engine = make_engine(warehouse_url)
    written = []
    try:
        with engine.connect() as conn:
            for name, mart in MARTS.items():
                frame = read_table(conn, table(conn.dialect.name, "mart", name))
                path = out / f"{name}.csv"
                frame[mart.column_names].to_csv(path, index=False, encoding="utf-8", quoting=csv.QUOTE_MINIMAL)
                written.append(path)
    finally:
        engine.dispose()
    return written
