"""The database out of reach: StoreUnavailable (nothing written), and recovery without a new store or restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from store_cases import scored

from serving.store import IncomingLead, LeadStore, QueueFilters, StoreUnavailable, get_lead, ingest, queue

LEAD = [IncomingLead("L1", {"lead_id": "L1"}, scored(0.5, 60, "C"))]


def test_sqlite_file_out_of_reach_then_back(tmp_path: Path) -> None:
    """A database in a directory that is not there (an unmounted volume): 503-worthy, then fine once it appears."""
    folder = tmp_path / "volume"
    store = LeadStore(f"sqlite:///{folder / 'leads.db'}")
    with pytest.raises(StoreUnavailable, match="lead store unreachable: unable to open database file"):
        store.migrate()
    with pytest.raises(StoreUnavailable):
        ingest(store, LEAD)
    folder.mkdir()
    [stored] = ingest(store, LEAD)  # migrates on first use, same store object
    assert stored.created and get_lead(store, "L1") is not None
    store.close()


def test_postgresql_refusing_connections(postgres_databases) -> None:  # type: ignore[no-untyped-def]
    store = LeadStore("postgresql+psycopg://postgres@127.0.0.1:1/test", connect_timeout=2)
    with pytest.raises(StoreUnavailable, match="lead store unreachable"):
        queue(store, QueueFilters(), {})
    assert store.last_error and "127.0.0.1" in store.last_error
    store.close()


def test_postgresql_connections_killed_under_the_pool_are_replaced(postgres_databases) -> None:  # type: ignore[no-untyped-def]
    """A database restart kills every pooled connection; pool_pre_ping notices and the next call just works."""
    url = postgres_databases.create()
    store = LeadStore(url)
    ingest(store, LEAD)
    assert store.engine.pool.checkedin() >= 1  # type: ignore[attr-defined]
    database = store.engine.url.database
    with postgres_databases.engine.connect() as admin:
        killed = admin.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": database},
        ).scalar_one()
    assert killed >= 1
    lead = get_lead(store, "L1")
    assert lead is not None and lead.score == 60
    store.close()
