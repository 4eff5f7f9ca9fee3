"""What a trained model depends on, as one digest: the data, the schema file, the settings and the training code.

Training is deterministic, so two runs with the same fingerprint register the same model; `leadscore train
--if-changed` uses it to leave an unchanged champion alone instead of registering a copy.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

import features
import training
from features.tables import file_digest
from training.config import TrainConfig

TAG = "training_fingerprint"
LIBRARIES = ("lightgbm", "scikit-learn", "numpy", "pandas", "optuna")
SETTINGS = ("holdout_fraction", "folds", "budget_seconds", "max_trials", "seed", "allow_leaky")


def _code_digest() -> str:
    digest = hashlib.sha256()
    for package in (features, training):
        folder = Path(str(package.__file__)).parent
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder.parent).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(config: TrainConfig, data_sha256: str) -> str:
    """sha256 over the data file's (its `file_digest`), the schema file's bytes, the settings that shape the model,
    the code and the libraries."""
    parts = {
        "data": data_sha256,
        "schema": file_digest(config.schema_path),
        "settings": {name: getattr(config, name) for name in SETTINGS},
        "code": _code_digest(),
        "libraries": {name: version(name) for name in LIBRARIES},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def unchanged_champion(model_name: str, alias: str, digest: str) -> str | None:
    """The version `alias` names when it was trained with this very fingerprint, else None."""
    try:
        champion = MlflowClient().get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None
    return str(champion.version) if champion.tags.get(TAG) == digest else None


def tag_version(model_name: str, version: str, digest: str) -> None:
    MlflowClient().set_model_version_tag(model_name, version, TAG, digest)
