"""Training configuration: one object from the command line to `mlflow.log_params`."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


def tracking_uri() -> str:
    """MLflow's tracking URI: MLFLOW_TRACKING_URI when set, else a SQLite file in the working directory."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


class TrainConfig(BaseModel):
    """Everything a training run depends on besides the data itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: Path
    schema_path: Path
    experiment: str = "lead-scoring"
    model_name: str = "lead-scoring"
    holdout_fraction: float = Field(0.2, gt=0.0, lt=0.5)
    folds: int = Field(4, ge=2, le=10)
    budget_seconds: float = Field(0.0, ge=0)  # 0: no wall-clock cap (the search is counted in trials)
    max_trials: int = Field(40, ge=1)
    seed: int = 0
    allow_leaky: bool = False
    progress: bool = True

    @property
    def search_cap(self) -> float | None:
        """The optional wall-clock cap on the search, None when there is none."""
        return self.budget_seconds or None

    def loggable(self) -> dict[str, str]:
        """Parameters for `mlflow.log_params` (paths as given, booleans as text)."""
        return {k: str(v) for k, v in self.model_dump().items() if k != "progress"}
