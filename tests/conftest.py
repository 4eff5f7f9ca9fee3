"""Shared fixtures: a temporary MLflow (SQLite) and synthetic leads, made once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["lead_store_fixtures"]  # databases for the lead store (SQLite and PostgreSQL)


@pytest.fixture(scope="session")
def mlflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh MLflow tracking store and registry in a temporary SQLite file, for the whole session."""
    import mlflow

    home = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{home / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", uri)
        patch.chdir(home)  # artifacts of new experiments land beside the database
        mlflow.set_tracking_uri(uri)
        yield home


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A 20,000-lead synthetic table with its schema and oracle probabilities."""
    from training.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("synthetic"), rows=20_000, seed=7)


@pytest.fixture(scope="session", autouse=True)
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Servers and apps started by tests keep their local model copies here, never in the home directory."""
    cache = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEADSCORE_MODEL_CACHE_DIR", str(cache))
        yield cache


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With `--dist loadfile`, the files under tests/e2e/ go to one worker as one unit: they share the model, the
    server processes and the browser that worker starts (each costs seconds of CPU), instead of each worker
    starting its own."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class E2ETogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/e2e/" if nodeid.startswith("tests/e2e/") else super()._split_scope(nodeid)

    return E2ETogether(config, log)
