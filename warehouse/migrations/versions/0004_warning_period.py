"""staging.warnings.period: the month of a derived warning's report (late_report, outlier), so that
a refresh drops the warnings of the months it recomputes without a join to the monthly reports.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

from warehouse.schema import qualified

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _names():
    dialect = op.get_bind().dialect.name
    (schema, warnings), (_, reports) = qualified(dialect, "staging", "warnings"), qualified(dialect, "staging", "monthly_report")
    prefix = f'"{schema}".' if schema else ""
    return schema, warnings, f'{prefix}"{warnings}"', f'{prefix}"{reports}"'


def upgrade() -> None:      # 0001 already builds the current schema on a new warehouse
    schema, name, warnings, reports = _names()
    if "period" in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(name, schema=schema)}:
        return
    op.add_column(name, sa.Column("period", sa.String(7)), schema=schema)
    op.execute(f"""UPDATE {warnings} SET period = (SELECT r.period FROM {reports} r
                   WHERE r.file_id = {warnings}.file_id AND r.row_number = {warnings}.row_number)
                   WHERE code IN ('late_report', 'outlier')""")


def downgrade() -> None:
    schema, name, _, _ = _names()
    op.drop_column(name, "period", schema=schema)
