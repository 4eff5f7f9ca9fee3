"""Training configuration: one object from the command line to `mlflow.log_params`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


def tracking_uri() -> str:
    """MLflow's tracking URI: MLFLOW_TRACKING_URI when set, else a SQLite file in the working directory."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


class TrainSettings(BaseModel):
    """How to train, whatever the data: each setting declared once, here (type, default, range, help); `train` and
    `retrain` make one command-line flag of each (leadscore/options.py), and MLproject maps its parameters onto them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment: str = Field("lead-scoring", description="MLflow experiment name.")
    model_name: str = Field("lead-scoring", description="Registered model name.")
    holdout_fraction: float = Field(
        0.2,
        gt=0.0,
        lt=0.5,
        description="Share of leads held out to judge the model (the newest when there is a timestamp).",
    )
    folds: int = Field(4, ge=2, le=10, description="Cross-validation folds on the training part.")
    budget_seconds: float = Field(
        0.0,
        ge=0,
        description="Optional wall-clock cap in seconds on the hyperparameter search (0, the default: no cap). The "
        "search is counted in trials, so the same data and seed give the same model on any machine; a cap gives "
        "that up.",
    )
    max_trials: int = Field(
        40,
        ge=1,
        description="Most search trials per model family (fewer on big tables; 1: each family's defaults).",
    )
    seed: int = Field(0, description="Random seed.")
    allow_leaky: bool = Field(
        False, description="Train even when a feature alone nearly decides the label (warns instead)."
    )


class TrainConfig(TrainSettings):
    """Everything a training run depends on besides the data itself: the settings, the files, and progress bars."""

    data: Path
    schema_path: Path
    progress: bool = True

    @property
    def search_cap(self) -> float | None:
        """The optional wall-clock cap on the search, None when there is none."""
        return self.budget_seconds or None

    def loggable(self) -> dict[str, str]:
        """Parameters for `mlflow.log_params` (paths as given, booleans as text)."""
        return {k: str(v) for k, v in self.model_dump().items() if k != "progress"}
