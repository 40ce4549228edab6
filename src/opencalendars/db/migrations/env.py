"""Alembic environment: migrations run on the connection that `db.migrate` hands in."""

from alembic import context

from opencalendars.db.migrations.models import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
