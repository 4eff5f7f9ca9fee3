"""Alembic migrations of the lead store on both backends: head from empty, matching the ORM, down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from serving.store import LeadStore, migrate
from serving.store.migrate import VERSION_TABLE
from serving.store.tables import Base

TABLES = {"leads", "lead_scores", "lead_outcomes", VERSION_TABLE}


def test_migrate_builds_every_table_at_head(fresh_database_url: str) -> None:
    store = LeadStore(fresh_database_url)
    assert migrate.current(store.engine) is None
    store.migrate()
    assert migrate.current(store.engine) == migrate.head()
    assert set(inspect(store.engine).get_table_names()) == TABLES
    store.migrate()  # a second start changes nothing
    assert migrate.current(store.engine) == migrate.head()
    store.close()


def test_migrations_match_the_orm_models(fresh_database_url: str) -> None:
    """What Alembic builds is what the typed models describe: autogenerate finds nothing to add or change."""
    store = LeadStore(fresh_database_url)
    store.migrate()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert [d for d in differences if "alembic_version" not in str(d)] == []
    store.close()


def test_downgrade_to_base_and_up_again(fresh_database_url: str) -> None:
    store = LeadStore(fresh_database_url)
    store.migrate()
    migrate.downgrade(store.engine, "base")
    assert set(inspect(store.engine).get_table_names()) == {VERSION_TABLE}
    migrate.upgrade(store.engine)
    assert set(inspect(store.engine).get_table_names()) == TABLES
    store.close()


def test_store_shares_a_database_with_mlflow_tables(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Its own version table, so pointing the store at MLflow's database leaves MLflow's migrations alone."""
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    store = LeadStore(url)
    with store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('mlflow-head')"))
    store.migrate()
    with store.engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "mlflow-head"
        )
    assert migrate.current(store.engine) == migrate.head()
    store.close()
