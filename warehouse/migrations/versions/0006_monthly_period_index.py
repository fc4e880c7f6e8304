"""An index on staging.monthly_report(period): a run reads only the months it changed, which
without it is a scan of every staged report of every year.

Revision ID: 0006
"""

from alembic import op

from warehouse.schema import qualified

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX = "ix_staging_monthly_report_period"


def upgrade() -> None:      # IF NOT EXISTS: 0001 already builds the current schema on a new warehouse
    schema, name = qualified(op.get_bind().dialect.name, "staging", "monthly_report")
    target = f'"{schema}"."{name}"' if schema else f'"{name}"'
    op.execute(f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON {target} (period)')


def downgrade() -> None:
    schema, _ = qualified(op.get_bind().dialect.name, "staging", "monthly_report")
    prefix = f'"{schema}".' if schema else ""
    op.execute(f'DROP INDEX IF EXISTS {prefix}"{INDEX}"')
