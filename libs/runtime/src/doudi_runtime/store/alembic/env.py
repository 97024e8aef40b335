"""The one Alembic environment every service's migrations run in."""

from alembic import context

config = context.config
engine = config.attributes["engine"]
version_table = config.attributes.get("version_table", "alembic_version")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        version_table=version_table,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    context.run_migrations()
