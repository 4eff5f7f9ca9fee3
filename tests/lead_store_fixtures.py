"""Lead store databases for the tests (a plugin: tests/conftest.py names it): SQLite and a real PostgreSQL server.

PostgreSQL is a throwaway server started for the session (tests/postgres_server.py), or the server whose admin URL
LEADSCORE_TEST_POSTGRES gives; each session gets its own temporary databases, dropped at the end. No server is a
test error, never a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from postgres_server import throwaway_server
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from serving.store import LeadStore

BACKENDS = ["sqlite", "postgresql"]


class PostgresDatabases:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.engine = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
        )
        self.created: list[str] = []

    def check(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("select 1"))
        except Exception as error:
            pytest.fail(
                f"PostgreSQL at {make_url(self.admin_url).render_as_string(hide_password=True)} is unreachable "
                f"({str(error).splitlines()[0]}); fix LEADSCORE_TEST_POSTGRES or unset it to use a throwaway server",
                pytrace=False,
            )

    def create(self) -> str:
        name = f"leadscore_test_{os.getpid()}_{secrets.token_hex(4)}"
        with self.engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.engine.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """The test server's admin URL: LEADSCORE_TEST_POSTGRES, else a throwaway server that lives for the session."""
    if url := os.environ.get("LEADSCORE_TEST_POSTGRES"):
        return url
    hint = "run `make test` (it installs the postgresql package) or set LEADSCORE_TEST_POSTGRES to a server's URL"
    return throwaway_server(request, hint).url


@pytest.fixture(scope="session")
def postgres_databases(postgres_url: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_url)
    databases.check()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One database per backend for the whole session (tests empty it through `lead_store`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('lead-store') / 'leads.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create()


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database nobody migrated yet (for migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('fresh-store') / 'leads.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create()


def empty(store: LeadStore) -> None:
    """Delete every stored row (the schema stays)."""
    with store.engine.begin() as connection:
        for table in ("lead_outcomes", "lead_scores", "leads", "api_keys"):
            connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(name="empty_store")
def empty_store_fixture() -> Callable[[LeadStore], None]:
    """`empty` for tests in other folders (conftest modules cannot be imported by name)."""
    return empty


@pytest.fixture
def lead_store(database_url: str) -> Iterator[LeadStore]:
    """A migrated, empty lead store on each backend."""
    store = LeadStore(database_url)
    store.migrate()
    empty(store)
    yield store
    store.close()
