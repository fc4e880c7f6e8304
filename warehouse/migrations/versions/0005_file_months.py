"""ops.file_months: each monthly-report file's staged rows per month (count, sum of row numbers),
so that a run fingerprints the months from this small table instead of scanning staging.

Revision ID: 0005
"""

from alembic import op
from sqlalchemy import MetaData, func, insert, select

from warehouse.schema import file_months, table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:      # checkfirst: 0001 already builds the current schema on a new warehouse
    bind = op.get_bind()
    target = file_months(MetaData(), bind.dialect.name)
    target.create(bind, checkfirst=True)
    if bind.execute(select(func.count()).select_from(target)).scalar():
        return
    staged = table(bind.dialect.name, "staging", "monthly_report")
    counted = select(staged.c.file_id, staged.c.period, func.count(), func.sum(staged.c.row_number)) \
        .where(staged.c.period.is_not(None)).group_by(staged.c.file_id, staged.c.period)
    bind.execute(insert(target).from_select(["file_id", "period", "rows", "row_numbers"], counted))


def downgrade() -> None:
    bind = op.get_bind()
    file_months(MetaData(), bind.dialect.name).drop(bind, checkfirst=True)
