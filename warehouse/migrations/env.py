"""Alembic environment: always called with a live connection by warehouse.migrate."""

from alembic import context

from warehouse.migrate import version_table
from warehouse.schema import build_metadata

connection = context.config.attributes["connection"]
name, schema = version_table(connection.dialect.name)
context.configure(connection=connection, target_metadata=build_metadata(connection.dialect.name),
                  version_table=name, version_table_schema=schema)
with context.begin_transaction():
    context.run_migrations()
