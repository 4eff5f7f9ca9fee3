"""Logging a model: code plus plain files, no pickle and no warning about one; it reloads scoring exactly as trained.

Models logged as a pickle before (the old way) still load and score the same.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import yaml
from hand_made_models import lead_model, leads
from mlflow.pyfunc import PyFuncModel

import features
from features.clean import as_signature_types
from features.model import LeadModel
from features.model_files import ARTIFACT
from training.register import input_example, log_and_register, signature


class _Lines(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def mlflow_says() -> Iterator[list[str]]:
    """What MLflow logs meanwhile (its logger does not reach the root one, where caplog listens) and warns."""
    lines: list[str] = []
    handler = _Lines(lines)
    logging.getLogger("mlflow").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield lines
        lines += [str(w.message) for w in caught]
    finally:
        logging.getLogger("mlflow").removeHandler(handler)


def _about_pickle(lines: list[str]) -> list[str]:
    return [line for line in lines if "pickle" in line.lower()]


def _assert_same_scores(pyfunc: PyFuncModel, model: LeadModel, frame: pd.DataFrame) -> None:
    reloaded = pyfunc.unwrap_python_model()
    assert isinstance(reloaded, LeadModel) and reloaded is not model
    pd.testing.assert_frame_equal(reloaded.score_frame(frame), model.score_frame(frame), check_exact=True)
    pd.testing.assert_frame_equal(reloaded.contributions(frame), model.contributions(frame), check_exact=True)
    typed = as_signature_types(frame, model.schema)
    served = pd.DataFrame(pyfunc.predict(typed))
    expected = model.score_frame(typed)
    np.testing.assert_array_equal(
        served["probability"].to_numpy(float), expected["probability"].to_numpy(float)
    )
    assert list(served["score"]) == list(expected["score"]) and list(served["grade"]) == list(
        expected["grade"]
    )


def test_a_logged_model_is_code_and_plain_files_and_mlflow_says_nothing_about_pickle(
    mlflow_home: Path, tmp_path: Path
) -> None:
    model = lead_model("blend")
    frame = leads(300, seed=11, unseen=True)
    with mlflow_says() as lines:
        with mlflow.start_run():
            version = log_and_register(model, input_example(model, frame), "register-files")
        pyfunc = mlflow.pyfunc.load_model(f"models:/register-files/{version}")
    assert lines, "nothing captured: the capture is broken"
    assert _about_pickle(lines) == []
    _assert_same_scores(pyfunc, model, frame)

    # the copy a service caches (serving/model_cache.py downloads the version's folder) loads the same
    local = Path(
        mlflow.artifacts.download_artifacts(f"models:/register-files/{version}", dst_path=str(tmp_path))
    )
    flavor = yaml.safe_load((local / "MLmodel").read_text())["flavors"]["python_function"]
    assert flavor["loader_module"] == "mlflow.pyfunc.loaders.code_model" and "python_model" not in flavor
    assert (local / "logged_model.py").is_file() and (
        local / "code" / "features" / "model_files.py"
    ).is_file()
    assert sorted(p.name for p in (local / "artifacts" / ARTIFACT).iterdir()) == [
        "arrays.npz",
        "model.json",
        "scorer.parts.1.booster.txt",
    ]
    assert not [p for p in local.rglob("*") if p.suffix in {".pkl", ".pickle"}]
    _assert_same_scores(mlflow.pyfunc.load_model(str(local)), model, frame)


def test_a_model_logged_as_a_pickle_before_still_loads_and_scores_the_same(mlflow_home: Path) -> None:
    model = lead_model("lightgbm")
    frame = leads(200, seed=12, unseen=True)
    with mlflow_says() as lines, mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=model,  # the way models were logged before: the object, cloudpickled
            code_paths=[str(Path(features.__file__).parent)],
            signature=signature(model.schema),
            input_example=input_example(model, frame),
            pip_requirements=["mlflow", "lightgbm"],
        )
    assert any("serialized using CloudPickle" in line for line in _about_pickle(lines)), (
        lines
    )  # caught when said
    _assert_same_scores(mlflow.pyfunc.load_model(info.model_uri), model, frame)
