"""Registering a trained model in MLflow: log as pyfunc, prove it reloads, register, set aliases (gate: gate.py).

The model is logged as code (features/logged_model.py) with its fitted state as plain files (features/model_files.py):
MLflow's recommended way for a custom pyfunc, with no pickle to trust when the model is loaded.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.models.model import ModelInfo
from mlflow.tracking import MlflowClient
from mlflow.types.schema import ColSpec, Schema, TensorSpec

import features
from features.clean import as_signature_types
from features.model import LeadModel
from features.model_files import ARTIFACT, write_model
from features.schema import LeadSchema
from training.report import quiet_downloads

CHAMPION, CHALLENGER = "champion", "challenger"
RUNTIME_PACKAGES = ("mlflow", "lightgbm", "scikit-learn", "pandas", "numpy", "pydantic", "pyyaml")
MODEL_CODE = Path(features.__file__).parent / "logged_model.py"


class RegistrationError(RuntimeError):
    """The logged model failed to reload or to score its own input example; nothing was registered."""


@dataclass(frozen=True)
class Registered:
    name: str
    version: str
    promoted: bool
    reason: str

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


def signature(schema: LeadSchema) -> ModelSignature:
    """Input: the lead id and features, all optional (missing fields count as missing); output: the score columns."""
    kinds = {"numeric": "double", "boolean": "string", "categorical": "string"}
    inputs: list[ColSpec | TensorSpec] = [ColSpec("string", schema.id, required=False)]
    inputs += [ColSpec(kinds[schema.kind(c)], c, required=False) for c in schema.features]
    outputs: list[ColSpec | TensorSpec] = [
        ColSpec("string", schema.id),
        ColSpec("double", "probability"),
        ColSpec("long", "score"),
        ColSpec("string", "grade"),
    ]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


def input_example(model: LeadModel, leads: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
    """A few real leads typed as the signature says."""
    return as_signature_types(leads.head(rows), model.schema)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


def verify_reload(model_uri: str, model: LeadModel, example: pd.DataFrame) -> None:
    """Load the logged pyfunc back and score its input example: finite, in [0, 1] and equal to the trained model."""
    try:
        loaded = mlflow.pyfunc.load_model(model_uri)
    except Exception as error:  # any failure to load means the artifact is unusable
        raise RegistrationError(f"the logged model does not load back ({_first_line(error)})") from error
    try:
        scored = loaded.predict(example)
        got = np.asarray(scored["probability"], dtype=float)
    except Exception as error:
        raise RegistrationError(
            f"the reloaded model cannot score its input example ({_first_line(error)})"
        ) from error
    expected = model.score_frame(example)["probability"].to_numpy(dtype=float)
    if got.shape != expected.shape:
        raise RegistrationError(
            f"the reloaded model gives {got.size} probabilities for {len(example)} example leads"
        )
    for who, values in (("reloaded", got), ("trained", expected)):
        wrong = ~np.isfinite(values) | (values < 0) | (values > 1)
        if wrong.any():
            raise RegistrationError(
                f"the {who} model gives {int(wrong.sum())} probabilities that are not in [0, 1] "
                f"(e.g. {values[wrong][0]!r}) for its input example"
            )
    if not np.allclose(got, expected, rtol=0, atol=1e-12):
        raise RegistrationError(
            "the reloaded model scores its input example differently from the trained one "
            f"(by up to {np.abs(got - expected).max():.3g})"
        )


def log_model(model: LeadModel, example: pd.DataFrame) -> ModelInfo:
    """Log the model to the active run: features/ as code, its fitted state as files, a signature and an example."""
    with tempfile.TemporaryDirectory(prefix="leadscore-model-") as temporary, quiet_downloads():
        return mlflow.pyfunc.log_model(name="model", **_pyfunc(model, example, Path(temporary)))


def save_model(model: LeadModel, example: pd.DataFrame, path: Path) -> Path:
    """The same model folder as `log_model` logs, written to `path` outside any run (benchmarks, tests)."""
    with tempfile.TemporaryDirectory(prefix="leadscore-model-") as temporary:
        mlflow.pyfunc.save_model(path=str(path), **_pyfunc(model, example, Path(temporary)))
    return path


def _pyfunc(model: LeadModel, example: pd.DataFrame, scratch: Path) -> dict[str, Any]:
    return {
        "python_model": str(MODEL_CODE),
        "artifacts": {ARTIFACT: str(write_model(model, scratch / ARTIFACT))},
        "code_paths": [str(MODEL_CODE.parent)],
        "signature": signature(model.schema),
        "input_example": example,
        "pip_requirements": [f"{p}=={version(p)}" for p in RUNTIME_PACKAGES],
    }


def log_and_register(model: LeadModel, example: pd.DataFrame, name: str) -> str:
    """Log the model to the active run, reload it, check it scores its example exactly, then register it.

    Nothing is registered (no version, no alias moved) when the check fails: RegistrationError, one line.
    """
    info = log_model(model, example)
    try:
        verify_reload(info.model_uri, model, example)
    except RegistrationError as error:
        raise RegistrationError(f"{error}; nothing registered (run {info.run_id})") from error
    registered = mlflow.register_model(info.model_uri, name)
    return str(registered.version)


def champion_version(client: MlflowClient, name: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, CHAMPION).version)
    except MlflowException:
        return None


def set_champion(name: str, version: str) -> None:
    """Point @champion at a version by hand (`leadscore promote`)."""
    client = MlflowClient()
    client.get_model_version(name, version)  # raises a clear MlflowException when it does not exist
    client.set_registered_model_alias(name, CHAMPION, version)
