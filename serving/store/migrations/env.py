"""Alembic environment for the lead store: runs on the connection `serving.store.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from serving.store.migrate import VERSION_TABLE
from serving.store.tables import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,  # not alembic_version: the store may share a database with MLflow's tables
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("error: the lead store migrates online only; run it with a database URL")
given: Connection | None = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:  # the `alembic` command line, with -x url=... or sqlalchemy.url set
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("error: give the database with -x url=... (see serving/store/migrate.py)")
    with create_engine(url).begin() as connection:
        run(connection)
