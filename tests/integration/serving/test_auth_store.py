"""The app with LEADSCORE_KEYS=store: keys made or revoked elsewhere (another replica, `leadscore keys`) take effect
without a restart: a new key at once, a revoke at the next refresh."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import Settings
from serving.store import LeadStore, add_key, revoke_key


def test_keys_in_the_store_guard_the_routes_and_follow_changes_made_elsewhere(
    lead_store: LeadStore,
) -> None:
    settings = Settings(
        keys="store",
        database_url=lead_store.url,
        keys_refresh_seconds=0.2,
        watch_seconds=0,
        model_uri="models:/no-model-needed@champion",  # the queue needs the store, not a model
        model_cache_dir=None,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/queue").status_code == 401
        record, key = add_key(lead_store, "sales", "made elsewhere")
        headers = {"X-API-Key": key}
        assert client.get("/v1/queue", headers=headers).status_code == 200  # at once: a miss reads the store
        assert client.get("/v1/monitor", headers=headers).status_code == 403  # the role still counts
        revoke_key(lead_store, record.id)
        deadline = time.monotonic() + 30
        while client.get("/v1/queue", headers=headers).status_code == 200:
            assert time.monotonic() < deadline, "the revoked key was still accepted after 30 s"
            time.sleep(0.05)
        assert client.get("/v1/queue", headers=headers).status_code == 401
