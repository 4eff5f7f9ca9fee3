"""A real model trained into the session's temporary MLflow, and the scoring app serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import Settings

MODEL = "serving-leads"


@pytest.fixture(scope="session")
def lead_files(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """3,000 synthetic leads, their schema and oracle (small: these tests are about serving, not quality)."""
    from leadscore.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("serving-data"), rows=3000, seed=5)


@pytest.fixture(scope="session")
def trained(mlflow_home: Path, lead_files):  # type: ignore[no-untyped-def]
    """Version 1 of MODEL, registered and aliased @champion by the real training pipeline."""
    from training.config import TrainConfig
    from training.train import train

    config = TrainConfig(
        data=lead_files.leads, schema_path=lead_files.schema, model_name=MODEL, folds=2, progress=False
    )
    return train(config)


@pytest.fixture(scope="session")
def leads(lead_files) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The leads as `leadscore score` reads them (text cells, placeholders included)."""
    from features.tables import load_table

    return load_table(lead_files.leads)


@pytest.fixture(scope="module")
def client(trained) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The app serving MODEL@champion, not watching (swap tests make their own)."""
    settings = Settings(
        model_uri=f"models:/{MODEL}@champion", watch_seconds=0, max_batch=500, max_body_bytes=1_000_000
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client
