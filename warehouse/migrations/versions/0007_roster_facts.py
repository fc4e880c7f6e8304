"""ops.roster_facts: the roster's versions as the last refresh built them, so that a run whose
roster did not change reads one blob instead of rebuilding them from staging (tasks/snapshot.py).

Revision ID: 0007
"""

from alembic import op
from sqlalchemy import MetaData

from warehouse.schema import roster_facts

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:      # checkfirst: 0001 already builds the current schema on a new warehouse
    bind = op.get_bind()
    facts = roster_facts(MetaData(), bind.dialect.name)
    facts.create(bind, checkfirst=True)
    if bind.dialect.name == "postgresql":     # the data is compressed already (as in 0003)
        op.execute(f'ALTER TABLE "{facts.schema}"."{facts.name}" ALTER COLUMN data SET STORAGE EXTERNAL')


def downgrade() -> None:
    bind = op.get_bind()
    roster_facts(MetaData(), bind.dialect.name).drop(bind, checkfirst=True)
