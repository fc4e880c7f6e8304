"""The first warehouse: raw, staging, mart and ops, and the read-only BI role.

Revision ID: 0001
"""

from alembic import op

from warehouse.schema import build_metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BI_ROLE = "thidua_bi"


def upgrade() -> None:
    bind = op.get_bind()
    build_metadata(bind.dialect.name).create_all(bind)
    if bind.dialect.name == "postgresql":
        # BI reads mart and nothing else; grant the role to the dashboards' login.
        op.execute(f"""
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{BI_ROLE}') THEN
                    CREATE ROLE {BI_ROLE} NOLOGIN;
                END IF;
            END $$;
            GRANT USAGE ON SCHEMA mart TO {BI_ROLE};
            GRANT SELECT ON ALL TABLES IN SCHEMA mart TO {BI_ROLE};
            ALTER DEFAULT PRIVILEGES IN SCHEMA mart GRANT SELECT ON TABLES TO {BI_ROLE};
        """)


def downgrade() -> None:
    bind = op.get_bind()
    build_metadata(bind.dialect.name).drop_all(bind)
