"""The local model cache: a served version is kept whole; with the registry unreachable at startup the service
serves the cached copy and says it is degraded, and without a copy it is not ready and says why."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import mlflow
import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.model_cache import ModelCache
from serving.model_store import ModelRefused, load, resolve
from serving.settings import Settings

URI = "models:/serving-leads@champion"
LEAD = {"lead_id": "C-1", "page_views": 4, "requested_demo": "no"}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """A registry address that accepts connections and never answers (MLflow gives up after 2 s, no retries);
    the process's tracking URI is put back afterwards (the app's startup sets it)."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    before = mlflow.get_tracking_uri()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        yield silent
    mlflow.set_tracking_uri(before)


def point_at(silent: socket.socket, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make the silent socket the service's tracking URI (MLflow's own variable, as in production)."""
    registry = f"http://127.0.0.1:{silent.getsockname()[1]}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", registry)
    return registry


def test_a_served_version_is_cached_whole(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(model_uri=URI, watch_seconds=0, model_cache_dir=tmp_path)
    with TestClient(create_app(settings)) as api:
        info = api.get("/v1/model").json()
        assert (info["served_from"], info["degraded"]) == ("registry", None)
        assert api.get("/readyz").json()["status"] == "ready"
    version = info["version"]
    folder = ModelCache(tmp_path, settings.tracking_uri).folder("serving-leads")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [version, "champion.json"]
    )  # no partial download
    assert (folder / version / "MLmodel").is_file()
    recalled = ModelCache(tmp_path, settings.tracking_uri).recall("serving-leads", "champion")
    assert recalled is not None and recalled.version == version


def test_registry_unreachable_at_startup_serves_the_cached_copy_degraded(  # type: ignore[no-untyped-def]
    trained, tmp_path: Path, offline: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = resolve(URI)  # still the session's registry
    registry = point_at(offline, monkeypatch)
    load(target, 100, cache=ModelCache(tmp_path, registry))  # what an earlier run against that registry left
    settings = Settings(model_uri=URI, watch_seconds=0.3, registry_timeout=1, model_cache_dir=tmp_path)
    assert settings.tracking_uri == registry
    with TestClient(create_app(settings)) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert "did not answer within 1 s" in ready.json()["detail"]
        assert f"cached copy of version {target.version}" in ready.json()["detail"]
        info = api.get("/v1/model").json()
        assert info["version"] == target.version and info["served_from"] == "cache"
        assert info["degraded"] == ready.json()["detail"] and f"cannot resolve {URI}" in info["last_error"]
        scored = api.post("/v1/score", json=LEAD)
        assert scored.status_code == 200 and scored.json()["model_version"] == target.version


def test_registry_unreachable_without_a_cached_copy_is_not_ready(  # type: ignore[no-untyped-def]
    tmp_path: Path, offline: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(offline, monkeypatch)
    settings = Settings(
        model_uri=URI, watch_seconds=0, registry_timeout=1, model_cache_dir=tmp_path / "empty"
    )
    with TestClient(create_app(settings)) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "not ready"
        detail = ready.json()["detail"]
        assert "did not answer within 1 s" in detail and f"no cached copy of {URI}" in detail
        assert api.post("/v1/score", json=LEAD).status_code == 503


def test_an_alias_the_registry_says_is_gone_is_not_served_from_the_cache(  # type: ignore[no-untyped-def]
    trained, tmp_path: Path
) -> None:
    """The registry answered (no such alias): that is not an outage, so no stale copy is served."""
    settings = Settings(model_uri="models:/serving-leads@gone", watch_seconds=0, model_cache_dir=tmp_path)
    target = replace(resolve(URI), alias="gone")
    load(target, 100, cache=ModelCache(tmp_path, settings.tracking_uri))  # a copy the alias named once
    with TestClient(create_app(settings)) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 503 and "alias gone not found" in ready.json()["detail"]


def test_a_download_that_fails_leaves_nothing_behind(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Versions appear only by renaming a finished download: a failed one leaves no folder and no pointer."""
    cache = ModelCache(tmp_path, mlflow.get_tracking_uri())
    missing = replace(resolve(URI), load_uri="models:/serving-leads/999", version="999")
    with pytest.raises(ModelRefused, match="serving-leads/999"):
        load(missing, 100, cache=cache)
    assert list(cache.folder("serving-leads").iterdir()) == []
    assert cache.recall("serving-leads", "champion") is None
