"""Bring a warehouse to the current schema with Alembic (warehouse/migrations)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from warehouse.schema import LAYERS

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def version_table(dialect: str) -> tuple[str, str | None]:
    return ("ops_alembic_version", None) if dialect == "sqlite" else ("alembic_version", "ops")


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two runs may start on an empty warehouse together: let one create the schema.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('thidua.migrate'))"))
            for layer in LAYERS:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{layer}"'))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
