"""Alembic migrations of the lead store on both backends: head from empty, matching the ORM, down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from serving.store import LeadStore, migrate
from serving.store.migrate import VERSION_TABLE
from serving.store.tables import Base

TABLES = {"leads", "lead_scores", "lead_outcomes", "api_keys", VERSION_TABLE}


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


def test_score_rows_from_before_0003_keep_no_reasons(fresh_database_url: str) -> None:
    """Upgrading a store with history from 0002 adds `lead_scores.reasons` as null; the detail still reads them."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from serving.store import lead_detail

    store = LeadStore(fresh_database_url)
    migrate.upgrade(store.engine, "0002")
    at = datetime(2026, 3, 2, tzinfo=UTC)
    lead = {"lead_id": "L1", "payload": '{"lead_id": "L1"}', "status": "new", "probability": 0.5, "score": 50}
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO leads (lead_id, payload, status, status_at, created_at, updated_at, probability,"
                " score, grade, model_version, scored_at) VALUES (:lead_id, :payload, :status, :at, :at, :at,"
                " :probability, :score, 'C', '1', :at)"
            ).bindparams(at=at),
            lead,
        )
        connection.execute(
            text(
                "INSERT INTO lead_scores (lead_id, probability, score, grade, model_version, scored_at)"
                " VALUES ('L1', 0.5, 50, 'C', '1', :at)"
            ),
            {"at": at},
        )
    migrate.upgrade(store.engine)
    assert "reasons" in {c["name"] for c in inspect(store.engine).get_columns("lead_scores")}
    detail = lead_detail(store, "L1")
    assert [(s.score, s.reasons, s.moves) for s in detail.history] == [(50, None, None)]
    migrate.downgrade(store.engine, "0002")
    assert "reasons" not in {c["name"] for c in inspect(store.engine).get_columns("lead_scores")}
    store.close()


def test_replicas_starting_together_on_postgresql_migrate_one_after_the_other(postgres_databases) -> None:  # type: ignore[no-untyped-def]
    """A replica that starts while another is midway through migrating a fresh database waits for it (a PostgreSQL
    advisory lock), then finds the database at head; without the lock it would create the tables again and fail."""
    import threading
    import time

    from alembic import command
    from sqlalchemy import text

    from serving.store.migrate import ADVISORY_LOCK, alembic_config

    url = postgres_databases.create()
    first, second = LeadStore(url), LeadStore(url)
    errors: list[BaseException] = []

    def start_second() -> None:
        try:
            second.migrate()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    with first.engine.connect() as connection:
        midway = connection.begin()  # the first replica: tables made, not committed yet
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        command.upgrade(alembic_config(connection), "head")
        thread = threading.Thread(target=start_second)
        thread.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        deadline = time.monotonic() + 30
        with first.engine.connect() as probe:
            while probe.execute(text(waiting)).scalar_one() == 0:
                assert not errors, errors
                assert time.monotonic() < deadline, "the second replica never waited for the first"
                time.sleep(0.05)
        midway.commit()
    thread.join()
    assert errors == [] and second.migrated and migrate.current(second.engine) == migrate.head()
    first.close()
    second.close()
