"""Hot swap: the service follows the registry alias, refuses a broken version, and starts without a model."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import mlflow
import numpy as np
import pytest
from fastapi.testclient import TestClient
from mlflow.tracking import MlflowClient

from features.model import Calibration, LeadModel
from serving.app import create_app
from serving.settings import Settings
from training.register import log_model

LEAD = {"lead_id": "L-9", "page_views": 9, "requested_demo": "yes", "industry": "Software"}


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the watcher did not act in time"
        time.sleep(0.1)


def register(model: LeadModel, name: str, example: Any) -> str:
    """Log a LeadModel as training does (code, fitted files, signature, example) and register it."""
    with mlflow.start_run():
        info = log_model(model, example)
    return str(mlflow.register_model(info.model_uri, name).version)


@pytest.fixture(scope="module")
def champion(trained) -> tuple[LeadModel, Any]:  # type: ignore[no-untyped-def]
    pyfunc = mlflow.pyfunc.load_model(f"models:/serving-leads/{trained.registered.version}")
    return pyfunc.unwrap_python_model(), pyfunc.input_example


def shifted(model: LeadModel, by: float) -> LeadModel:
    """The same model with its calibration moved: every probability changes."""
    other = copy.deepcopy(model)
    other.calibration = Calibration(model.calibration.slope, model.calibration.intercept + by)
    return other


def broken(model: LeadModel) -> LeadModel:
    """A model whose booster expects two features: it loads, but cannot score its input example."""
    other = copy.deepcopy(model)
    rng = np.random.default_rng(0)
    data = lgb.Dataset(rng.random((200, 2)), label=rng.integers(0, 2, 200))
    other.booster = lgb.train({"objective": "binary", "verbosity": -1}, data, num_boost_round=2)
    return other


def test_the_watcher_swaps_versions_and_refuses_a_broken_one(champion) -> None:  # type: ignore[no-untyped-def]
    model, example = champion
    name, client = "serving-swap", MlflowClient()
    first = register(model, name, example)
    client.set_registered_model_alias(name, "champion", first)
    settings = Settings(model_uri=f"models:/{name}@champion", watch_seconds=0.2)
    with TestClient(create_app(settings)) as api:
        before = api.post("/v1/score", json=LEAD).json()
        assert before["model_version"] == first

        statuses: list[int] = []
        stop = threading.Event()

        def keep_scoring() -> None:
            while not stop.is_set():
                statuses.append(api.post("/v1/score", json=LEAD).status_code)

        hammer = threading.Thread(target=keep_scoring)
        hammer.start()
        try:
            second = register(shifted(model, 1.0), name, example)
            client.set_registered_model_alias(name, "champion", second)
            wait_for(lambda: api.get("/v1/model").json()["version"] == second)
        finally:
            stop.set()
            hammer.join()
        assert statuses and set(statuses) == {200}, "requests in flight failed during the swap"
        after = api.post("/v1/score", json=LEAD).json()
        assert after["model_version"] == second and after["probability"] > before["probability"]

        third = register(broken(model), name, example)
        client.set_registered_model_alias(name, "champion", third)
        wait_for(lambda: api.get("/v1/model").json()["last_error"] is not None)
        info = api.get("/v1/model").json()
        assert info["version"] == second
        assert f"models:/{name}/{third}" in info["last_error"] and "input example" in info["last_error"]
        assert api.post("/v1/score", json=LEAD).json()["model_version"] == second
        assert api.get("/readyz").status_code == 200
        assert "leadscore_model_load_failures_total 1.0" in api.get("/metrics").text

        client.set_registered_model_alias(
            name, "champion", first
        )  # a good version again: served, error cleared
        wait_for(lambda: api.get("/v1/model").json()["version"] == first)
        assert api.get("/v1/model").json()["last_error"] is None


def test_no_model_at_startup_then_one_appears(champion) -> None:  # type: ignore[no-untyped-def]
    model, example = champion
    name = "serving-late"
    settings = Settings(model_uri=f"models:/{name}@champion", watch_seconds=0.2)
    with TestClient(create_app(settings)) as api:
        assert api.get("/healthz").status_code == 200
        ready = api.get("/readyz")
        assert ready.status_code == 503 and name in ready.json()["detail"]
        for response in (api.post("/v1/score", json=LEAD), api.get("/v1/model")):
            assert response.status_code == 503 and "no model loaded" in response.json()["detail"]
        assert api.post("/invocations", json={"dataframe_records": [LEAD]}).status_code == 503
        assert api.get("/ping").status_code == 404
        assert (
            "no model is loaded yet"
            in api.get("/openapi.json").json()["components"]["schemas"]["Lead"]["description"]
        )

        version = register(model, name, example)
        MlflowClient().set_registered_model_alias(name, "champion", version)
        wait_for(lambda: api.get("/readyz").status_code == 200)
        assert api.post("/v1/score", json=LEAD).json()["model_version"] == version
        assert "page_views" in api.get("/openapi.json").json()["components"]["schemas"]["Lead"]["properties"]
