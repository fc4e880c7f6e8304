"""ops.files.stat: each landing file's size, times and inode when it was registered, so that a run
re-hashes only the files that changed since (tasks/discover.py).

Revision ID: 0008
"""

import sqlalchemy as sa
from alembic import op

from warehouse.schema import qualified

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:      # 0001 already builds the current schema on a new warehouse
    schema, name = qualified(op.get_bind().dialect.name, "ops", "files")
    if "stat" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(name, schema=schema)}:
        op.add_column(name, sa.Column("stat", sa.String(96)), schema=schema)


def downgrade() -> None:
    schema, name = qualified(op.get_bind().dialect.name, "ops", "files")
    op.drop_column(name, "stat", schema=schema)
