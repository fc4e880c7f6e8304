"""ops.month_facts: each month's monthly-report facts as the last refresh built them, so that a run
reads from staging only the months that changed (tasks/snapshot.py).

Revision ID: 0003
"""

from alembic import op
from sqlalchemy import MetaData

from warehouse.schema import month_facts

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:      # checkfirst: 0001 already builds the current schema on a new warehouse
    bind = op.get_bind()
    facts = month_facts(MetaData(), bind.dialect.name)
    facts.create(bind, checkfirst=True)
    if bind.dialect.name == "postgresql":     # the data is compressed already: no second try at it (TOAST's pglz)
        op.execute(f'ALTER TABLE "{facts.schema}"."{facts.name}" ALTER COLUMN data SET STORAGE EXTERNAL')


def downgrade() -> None:
    bind = op.get_bind()
    month_facts(MetaData(), bind.dialect.name).drop(bind, checkfirst=True)
