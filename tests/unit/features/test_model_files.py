"""A model written as plain files (JSON, numpy without pickle, LightGBM text) reads back scoring exactly as before."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hand_made_models import FAMILIES, lead_model, leads
from mlflow.pyfunc import PythonModelContext

from features.families import BlendScorer, LightGBMScorer
from features.model import LeadModel
from features.model_files import ARTIFACT, MANIFEST, ModelFilesError, read_model, write_model


def _same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN (info holds NaN where a metric has none)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _assert_scores_alike(got: LeadModel, want: LeadModel, frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.score_frame(frame), want.score_frame(frame), check_exact=True)
    for i in range(0, len(frame), 37):  # one lead at a time takes the one-row specialisations
        one = frame.iloc[[i]]
        pd.testing.assert_frame_equal(got.score_frame(one), want.score_frame(one), check_exact=True)
    pd.testing.assert_frame_equal(got.contributions(frame), want.contributions(frame), check_exact=True)
    assert got.score(frame, reasons=True).reasons == want.score(frame, reasons=True).reasons


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_reads_back_scoring_and_explaining_exactly(family: str, tmp_path: Path) -> None:
    model = lead_model(family)
    again = read_model(write_model(model, tmp_path / "model"))
    assert type(again) is LeadModel and again.family == model.family
    _assert_scores_alike(again, model, leads(400, seed=9, unseen=True))
    assert again.schema_dict == model.schema_dict and again.schema == model.schema
    assert again.encoder.categories_ == model.encoder.categories_
    assert list(again.encoder.feature_names_in_) == list(model.encoder.feature_names_in_)
    assert again.calibration == model.calibration
    np.testing.assert_array_equal(again.scale.reference, model.scale.reference)
    assert again.scale.grade_cuts == model.scale.grade_cuts
    assert _same(again.info, model.info)


def test_the_booster_keeps_its_trees_and_its_best_iteration(tmp_path: Path) -> None:
    model = lead_model("lightgbm-best-iteration")
    again = read_model(write_model(model, tmp_path / "model"))
    assert isinstance(again.scorer, LightGBMScorer) and isinstance(model.scorer, LightGBMScorer)
    assert again.scorer.booster.best_iteration == model.scorer.booster.best_iteration == 12
    assert again.scorer.booster.num_trees() == model.scorer.booster.num_trees() == 30


def test_the_folder_holds_json_numpy_and_lightgbm_text_and_no_pickle(tmp_path: Path) -> None:
    folder = write_model(lead_model("blend"), tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == [
        "arrays.npz",
        "model.json",
        "scorer.parts.1.booster.txt",
    ]
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format"] == 1
    assert manifest["scorer"]["$class"] == "BlendScorer"
    assert manifest["scorer"]["parts"][1]["booster"] == {
        "$lightgbm": "scorer.parts.1.booster.txt",
        "best_iteration": 0,
    }
    assert (folder / "scorer.parts.1.booster.txt").read_text().startswith("tree\n")
    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:  # object arrays would need pickle
        assert "scale.reference" in arrays.files
        assert all(arrays[name].dtype.kind in "fiub" for name in arrays.files)


def _edit_manifest(folder: Path, change: Any) -> None:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda m: m.update(format=2), "format 2, this code reads format 1"),
        (lambda m: m["calibration"].update({"$class": "os.system"}), "unknown class 'os.system'"),
        (
            lambda m: m["scorer"].update(booster={"$lightgbm": "../x.txt", "best_iteration": 0}),
            "not in the folder",
        ),
    ],
    ids=["format", "class", "booster-path"],
)
def test_a_folder_it_cannot_trust_or_read_is_one_clear_error(tmp_path: Path, change: Any, words: str) -> None:
    folder = write_model(lead_model("lightgbm"), tmp_path / "model")
    _edit_manifest(folder, change)
    with pytest.raises(ModelFilesError) as caught:
        read_model(folder)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_a_scorer_it_does_not_know_is_refused_when_writing(tmp_path: Path) -> None:
    model = lead_model("blend")
    assert isinstance(model.scorer, BlendScorer)
    model.scorer.parts.append(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"scorer\.parts\.2: cannot store a object as plain files"):
        write_model(model, tmp_path / "model")


def test_load_context_fills_an_empty_model_once_and_leaves_a_pickled_one_alone(tmp_path: Path) -> None:
    model = lead_model("logistic")
    folder = write_model(model, tmp_path / "model")
    empty = LeadModel.unloaded()
    context = PythonModelContext(artifacts={ARTIFACT: str(folder)}, model_config=None)
    empty.load_context(context)
    _assert_scores_alike(empty, model, leads(100, seed=4, unseen=True))
    with pytest.raises(RuntimeError, match="loaded already"):  # two loads sharing MLflow's one model object
        empty.load_context(context)
    before = dict(vars(model))
    model.load_context(PythonModelContext(artifacts={}, model_config=None))  # logged as a pickle: no files
    assert vars(model) == before
