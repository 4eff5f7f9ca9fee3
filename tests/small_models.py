"""A small registered model, trained fast, for tests that need a champion rather than a good one."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mlflow.tracking import MlflowClient

from leadscore.synthetic import SyntheticFiles, write_synthetic
from training.config import TrainConfig
from training.register import CHALLENGER, CHAMPION, Registered
from training.train import TrainOutcome, train


def train_small(folder: Path, model_name: str, seed: int) -> tuple[SyntheticFiles, TrainOutcome]:
    """3,000 synthetic leads drawn with `seed`, two folds and no search (each family's defaults), registered under `model_name`."""
    files = write_synthetic(folder, rows=3000, seed=seed)
    config = TrainConfig(
        data=files.leads,
        schema_path=files.schema,
        model_name=model_name,
        folds=2,
        max_trials=1,
        progress=False,
    )
    return files, train(config)


def registered_as(trained: TrainOutcome, model_name: str) -> TrainOutcome:
    """The same model as a new version of `model_name`, aliased @challenger and @champion as a first training run
    leaves it: a registry copy (same run, same files), so tests that each need a champion of their own name share
    one training (the `small_model` fixture)."""
    client = MlflowClient()
    version = str(client.copy_model_version(trained.registered.uri, model_name).version)
    for alias in (CHALLENGER, CHAMPION):
        client.set_registered_model_alias(model_name, alias, version)
    return replace(trained, registered=Registered(model_name, version, True, "no champion yet"))
