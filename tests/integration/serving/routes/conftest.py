"""The scoring app with its lead store on each backend, emptied before every test, and real leads to send."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from route_cases import app_settings

from serving.app import create_app
from serving.store import LeadStore


@pytest.fixture(scope="session")
def store_app(trained, database_url: str) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """One app per backend for the whole session (loading the model is the slow part)."""
    with TestClient(create_app(app_settings(database_url))) as client:
        yield client


@pytest.fixture
def api(store_app: TestClient, empty_store: Callable[[LeadStore], None]) -> TestClient:
    """The app on an empty lead store."""
    empty_store(store_app.app.state.lead_store)  # type: ignore[attr-defined]
    return store_app


@pytest.fixture(scope="session")
def lead_rows(leads: pd.DataFrame) -> list[dict[str, Any]]:
    """The synthetic leads as marketing automation would send them, with an owner each (not a model feature)."""
    records = leads.drop(columns=["converted", "lead_status"]).astype(object)
    rows = records.where(records.notna(), None).to_dict("records")
    owners = ["ana", "bo", "cy"]
    return [{**row, "owner": owners[i % 3]} for i, row in enumerate(rows)]
