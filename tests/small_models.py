"""A small registered model, trained fast, for tests that need a champion rather than a good one."""

from __future__ import annotations

from pathlib import Path

from training.config import TrainConfig
from training.synthetic import SyntheticFiles, write_synthetic
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
