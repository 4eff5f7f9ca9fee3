"""API keys over HTTP: 401 without or with a wrong key, 403 with the wrong role, open probes and docs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.keys import ROLES, FileKeyStore
from serving.settings import Settings

MODEL = "serving-leads"
LEAD = {"lead_id": "L-1", "page_views": 4, "requested_demo": "yes", "industry": "Software"}

# (method, path, body) of every guarded route this module owns, and the roles that may call it
GUARDED: list[tuple[str, str, object, set[str]]] = [
    ("POST", "/v1/score", LEAD, {"score", "admin"}),
    ("POST", "/v1/score/batch", {"leads": [LEAD]}, {"score", "admin"}),
    ("POST", "/invocations", {"dataframe_records": [LEAD]}, {"score", "admin"}),
    ("GET", "/v1/model", None, {"score", "sales", "admin"}),
    ("GET", "/metrics", None, {"admin"}),
    ("GET", "/v1/monitor", None, {"admin"}),
    ("GET", "/v1/queue", None, {"sales", "admin"}),
    ("GET", "/v1/reports/sources", None, {"marketing", "admin"}),
    ("GET", "/v1/dashboard", None, {"marketing", "admin"}),
    ("GET", "/v1/dashboard/funnel.csv", None, {"marketing", "admin"}),
]
TEMPLATES = {"/v1/dashboard/funnel.csv": "/v1/dashboard/{table}.csv"}  # as OpenAPI names the path
OPEN = ["/healthz", "/readyz", "/ping", "/health", "/version", "/docs", "/redoc", "/openapi.json"]


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("auth") / "keys.json"
    store = FileKeyStore(path)
    return path, {role: store.create(role, f"test {role}")[1] for role in ROLES}


@pytest.fixture(scope="module")
def guarded(trained, keyring, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(
        model_uri=f"models:/{MODEL}@champion",
        watch_seconds=0,
        keys_file=keyring[0],
        database_url=f"sqlite:///{tmp_path_factory.mktemp('auth-db') / 'leads.db'}",
    )
    with TestClient(create_app(settings)) as client:
        yield client


def call(client: TestClient, method: str, path: str, body: object, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.request(method, path, json=body, headers=headers)


def test_probes_and_docs_stay_open(guarded: TestClient) -> None:
    for path in OPEN:
        assert guarded.get(path).status_code == 200, path


def test_no_key_is_401_with_a_challenge_naming_both_headers(guarded: TestClient) -> None:
    for method, path, body, _ in GUARDED:
        response = call(guarded, method, path, body, {})
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        detail = response.json()["detail"]
        assert "API key required" in detail and "Authorization: Bearer" in detail and "X-API-Key" in detail


def test_a_wrong_or_malformed_key_is_401(guarded: TestClient, keyring) -> None:  # type: ignore[no-untyped-def]
    real = keyring[1]["admin"]
    for headers in (
        {"X-API-Key": real[:-1] + ("A" if real[-1] != "A" else "B")},
        {"Authorization": "Bearer lsk_00000000_guess"},
        {"Authorization": f"Basic {real}"},
        {"Authorization": "Bearer"},
        {"X-API-Key": ""},
    ):
        response = guarded.post("/v1/score", json=LEAD, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert (
            'error="invalid' in response.headers["www-authenticate"]
            or "required" in response.json()["detail"]
        )
        assert real not in response.text


def test_each_role_reaches_its_routes_and_gets_403_elsewhere(guarded: TestClient, keyring) -> None:  # type: ignore[no-untyped-def]
    keys: dict[str, str] = keyring[1]
    for method, path, body, allowed in GUARDED:
        for role, key in keys.items():
            header = {"X-API-Key": key} if role == "sales" else {"Authorization": f"Bearer {key}"}
            response = call(guarded, method, path, body, header)
            if role in allowed:
                assert response.status_code == 200, (role, path, response.text)
            else:
                assert response.status_code == 403, (role, path, response.text)
                detail = response.json()["detail"]
                assert f"has role '{role}'" in detail and path in detail and "admin" in detail, detail


def test_marketing_reads_the_dashboard_and_reports_only(guarded: TestClient, keyring) -> None:  # type: ignore[no-untyped-def]
    marketing = {"X-API-Key": keyring[1]["marketing"]}
    assert guarded.get("/v1/dashboard/trend.csv", headers=marketing).status_code == 200
    assert guarded.get("/v1/reports/sources", params={"format": "csv"}, headers=marketing).status_code == 200
    for method, path, body in (
        ("POST", "/v1/leads/L-1/outcome", {"outcome": "accepted"}),
        ("GET", "/v1/leads/L-1", None),
        ("POST", "/v1/leads", {"leads": [LEAD]}),
        ("GET", "/v1/queue/options", None),
    ):
        response = call(guarded, method, path, body, marketing)
        assert response.status_code == 403, (path, response.text)
        assert "has role 'marketing'" in response.json()["detail"]
    sales = guarded.get("/v1/dashboard", headers={"X-API-Key": keyring[1]["sales"]})
    assert sales.status_code == 403 and "needs role marketing or admin" in sales.json()["detail"]


def test_revoking_a_key_takes_effect_without_a_restart(guarded: TestClient, keyring) -> None:  # type: ignore[no-untyped-def]
    path, _ = keyring
    store = FileKeyStore(path)
    record, key = store.create("score", "short-lived")
    assert guarded.post("/v1/score", json=LEAD, headers={"X-API-Key": key}).status_code == 200
    store.revoke(record.id)
    response = guarded.post("/v1/score", json=LEAD, headers={"X-API-Key": key})
    assert response.status_code == 401 and "unknown or revoked" in response.json()["detail"]


def test_openapi_declares_the_keys_and_their_errors(guarded: TestClient) -> None:
    schema = guarded.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"apiKey", "bearer"}
    for method, path, _, _ in GUARDED:
        operation = schema["paths"][TEMPLATES.get(path, path)][method.lower()]
        assert operation["security"] == [{"apiKey": []}, {"bearer": []}], path
        assert {"401", "403"} <= set(operation["responses"]), path
    for path in ("/healthz", "/readyz", "/ping", "/version"):
        assert "security" not in schema["paths"][path]["get"], path


def test_without_keys_routes_are_open_and_the_schema_says_so(client: TestClient) -> None:
    assert client.post("/v1/score", json=LEAD).status_code == 200
    assert client.get("/metrics").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "securitySchemes" not in schema.get("components", {})
    assert "security" not in schema["paths"]["/v1/score"]["post"]


def test_without_keys_the_app_refuses_to_face_a_network(tmp_path: Path) -> None:
    from serving.auth import ExposureError

    with pytest.raises(ExposureError, match=r"refusing to listen on 0\.0\.0\.0: no API keys are configured"):
        create_app(Settings(host="0.0.0.0", watch_seconds=0))
    with pytest.raises(ExposureError, match="holds no key"):
        create_app(Settings(host="0.0.0.0", watch_seconds=0, keys_file=tmp_path / "keys.json"))
    FileKeyStore(tmp_path / "keys.json").create("admin", "")
    assert create_app(Settings(host="0.0.0.0", watch_seconds=0, keys_file=tmp_path / "keys.json"))
    assert create_app(Settings(host="::1", watch_seconds=0))
