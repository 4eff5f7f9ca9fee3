"""Alembic migrations of the lead store, run from code (startup) or from `alembic -c` with `-x url=...`."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

VERSION_TABLE = "leadscore_alembic_version"
SCRIPTS = Path(__file__).parent / "migrations"
ADVISORY_LOCK = 0x1EAD5C0E  # PostgreSQL's lock id for the lead store's migrations (any constant of our own)
_ONE_IN_THIS_PROCESS = threading.Lock()  # Alembic's command context is global to the process


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the store's migrations; `connection` is used as is when given."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision the code knows."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, "the store has no migrations"
    return revision


def current(engine: Engine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision`, in one transaction (PostgreSQL rolls the whole step back on error).

    One migration at a time: replicas starting together on a fresh PostgreSQL database would otherwise both create
    the tables and one would fail; the second waits for the first, then finds the database at `revision`.
    """
    with _ONE_IN_THIS_PROCESS, engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # held until this transaction ends
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        command.upgrade(alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to `revision` ("base" empties it)."""
    with _ONE_IN_THIS_PROCESS, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        command.downgrade(alembic_config(connection), revision)
