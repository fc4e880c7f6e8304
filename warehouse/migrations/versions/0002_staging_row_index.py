"""Staging rows indexed by (file_id, row_number) instead of file_id alone: the incremental
warnings look rows up by both (SQLite otherwise scans a whole file per warning). Raw rows
lose their file_id index: their unique (file_id, row_number) constraint serves the same look-ups.

Revision ID: 0002
"""

from alembic import op

from tasks.forms import FORMS
from warehouse.schema import qualified

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _tables(layer: str):
    dialect = op.get_bind().dialect.name
    for form in FORMS:
        schema, name = qualified(dialect, layer, form)
        yield form, (f'"{schema}"."{name}"' if schema else f'"{name}"'), (f'"{schema}".' if schema else "")


def upgrade() -> None:      # IF [NOT] EXISTS: 0001 already builds the current schema on a new warehouse
    for form, target, prefix in _tables("staging"):
        op.execute(f'CREATE INDEX IF NOT EXISTS "ix_staging_{form}_file_row" ON {target} (file_id, row_number)')
        op.execute(f'DROP INDEX IF EXISTS {prefix}"ix_staging_{form}_file_id"')
    for form, _, prefix in _tables("raw"):
        op.execute(f'DROP INDEX IF EXISTS {prefix}"ix_raw_{form}_file_id"')


def downgrade() -> None:
    for form, target, prefix in _tables("staging"):
        op.execute(f'CREATE INDEX IF NOT EXISTS "ix_staging_{form}_file_id" ON {target} (file_id)')
        op.execute(f'DROP INDEX IF EXISTS {prefix}"ix_staging_{form}_file_row"')
    for form, target, _ in _tables("raw"):
        op.execute(f'CREATE INDEX IF NOT EXISTS "ix_raw_{form}_file_id" ON {target} (file_id)')
