"""The backfill flow: re-process the stored files and rollups of a period range.

Files are re-validated from their raw rows in the warehouse, so a backfill
works also after the landing folder was cleaned; new landing files are taken too.
"""

from __future__ import annotations

from prefect import flow
from sqlalchemy import Connection, and_, or_, select

from flows.nightly import summary_dict
from flows.pipeline import execute
from flows.report import publish_artifact
from flows.settings import check_range, resolve
from warehouse.schema import table

def files_in_range(period: tuple[str, str]):
    def pick(conn: Connection, form: str) -> list[int]:
        files = table(conn.dialect.name, "ops", "files")
        query = select(files.c.file_id).where(
            files.c.form == form, files.c.status == "loaded",
            or_(files.c.min_month.is_(None),
                and_(files.c.min_month <= period[1], files.c.max_month >= period[0])))
        return list(conn.execute(query).scalars())
    return pick


@flow(name="backfill")
def backfill(period_from: str, period_to: str, landing: str | None = None, warehouse: str | None = None,
             as_of: str | None = None) -> dict:
    period = check_range(period_from, period_to)
    settings = resolve(landing, warehouse, as_of=as_of)
    summary = execute(settings, "backfill", period, reprocess=files_in_range(period))
    publish_artifact(settings, summary)
    return summary_dict(summary)
