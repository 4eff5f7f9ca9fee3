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
    from leadscore.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("synthetic"), rows=20_000, seed=7)


@pytest.fixture(scope="session")
def small_model(mlflow_home: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """`small_models.train_small` once per session (seed 31, as "small-leads"); tests register it under their own
    name with `small_models.registered_as`."""
    from small_models import train_small

    return train_small(tmp_path_factory.mktemp("small-model"), "small-leads", seed=31)


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should `leadscore serve` ever get past the checks a test expects to refuse it, fail instead of serving."""
    import uvicorn

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("leadscore serve started a server it should have refused")

    monkeypatch.setattr(uvicorn, "run", refuse)


@pytest.fixture(scope="session", autouse=True)
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Servers and apps started by tests keep their local model copies here, never in the home directory."""
    cache = tmp_path_factory.mktemp("model-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEADSCORE_MODEL_CACHE_DIR", str(cache))
        yield cache


# Folders whose conftest.py trains a model (or starts servers) for the whole session. Under `--dist loadfile` each
# goes to one worker as one unit, which makes it once; split across workers, every worker would make its own.
SESSION_FOLDERS = ("tests/e2e/", "tests/integration/serving/", "tests/unit/serving/")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadfile`, with each of SESSION_FOLDERS as one unit of work."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SessionFoldersTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            folder = next((f for f in SESSION_FOLDERS if nodeid.startswith(f)), None)
            return folder or super()._split_scope(nodeid)

    return SessionFoldersTogether(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with a `slow` test first: with `--no-loadscope-reorder` xdist hands out work in this order, so the
    long files start early and the short ones even out the end (the order within a file is kept)."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)
