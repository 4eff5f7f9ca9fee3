"""A fitted LeadModel as plain files and back: JSON, numpy arrays without pickle, and LightGBM's own text model.

MLflow logs the folder as the registered model's artifact and `LeadModel.load_context` reads it (models from code,
features/logged_model.py): loading a model unpickles nothing; the only code it runs is features/ itself. It holds:

    model.json   format, schema, fitted preprocessor, scorer, calibration, score scale, info and the reference
                 profile (features/profile.py; absent in folders written before it existed); each array and
                 booster in it is a reference ({"$array": name} or {"$lightgbm": file})
    arrays.npz   the numpy arrays by name (the place they come from, e.g. "scorer.parts.0.terms.3.table")
    *.txt        each LightGBM booster, all iterations, as `Booster.model_to_string` writes it

Floats go through JSON exactly (Python writes the shortest text that reads back to the same double; infinities
and NaN as Infinity and NaN), so a reloaded model scores exactly as the trained one. Only the classes in CLASSES
can be named in a folder, each rebuilt from its dataclass fields.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from features.clean import LeadCleaner
from features.encode import CategoryEncoder
from features.families import AdditiveScorer, BlendScorer, LightGBMScorer, SplineTerm, TableTerm
from features.model import Calibration, LeadModel
from features.profile import ReferenceProfile
from features.scale import ScoreScale
from features.schema import parse_schema

ARTIFACT = "lead_model"  # the artifact's name in the logged MLflow model
FORMAT = 1
MANIFEST, ARRAYS = "model.json", "arrays.npz"
CLASSES: dict[str, type] = {
    c.__name__: c
    for c in (LightGBMScorer, AdditiveScorer, BlendScorer, TableTerm, SplineTerm, Calibration, ScoreScale)
}


class ModelFilesError(ValueError):
    """A model folder this code cannot read; the message is one line naming the problem."""


def write_model(model: LeadModel, folder: Path) -> Path:
    """Write the model's fitted state into `folder` (created if needed); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = _Writer(folder)
    manifest = {
        "format": FORMAT,
        "schema": writer.value(model.schema_dict, "schema"),
        "preprocessor": writer.value(_preprocessor_state(model.preprocessor), "preprocessor"),
        "scorer": writer.value(model.scorer, "scorer"),
        "calibration": writer.value(model.calibration, "calibration"),
        "scale": writer.value(model.scale, "scale"),
        "info": writer.value(model.info, "info"),
    }
    if model.profile is not None:
        manifest["profile"] = writer.value(model.profile.to_dict(), "profile")
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    # named after their place ("scale.reference", ...): never one of savez's own `file` or `allow_pickle`
    arrays: dict[str, Any] = writer.arrays
    with open(folder / ARRAYS, "wb") as out:
        np.savez(out, allow_pickle=False, **arrays)
    return folder


def read_model(folder: Path) -> LeadModel:
    """The model `write_model` wrote into `folder`."""
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ModelFilesError(
            f"{folder / MANIFEST}: format {manifest.get('format')!r}, this code reads format {FORMAT}; "
            "load the model with the leadscore version that trained it"
        )
    with np.load(folder / ARRAYS, allow_pickle=False) as stored:
        reader = _Reader(folder, {name: stored[name] for name in stored.files})
    return LeadModel(
        schema=parse_schema(reader.value(manifest["schema"]), source=str(folder / MANIFEST)),
        preprocessor=_preprocessor(reader.value(manifest["preprocessor"])),
        scorer=reader.value(manifest["scorer"]),
        calibration=reader.value(manifest["calibration"]),
        scale=reader.value(manifest["scale"]),
        info=reader.value(manifest["info"]),
        profile=_profile(folder, manifest.get("profile")),
    )


def _profile(folder: Path, data: Any) -> ReferenceProfile | None:
    if data is None:
        return None
    try:
        return ReferenceProfile.from_dict(data)
    except (TypeError, ValueError, KeyError) as error:
        raise ModelFilesError(f"{folder / MANIFEST}: unreadable reference profile: {error}") from None


def _preprocessor_state(pipeline: Pipeline) -> dict[str, Any]:
    """The cleaner's parameters (the schema) and the encoder's parameters and learned categories."""
    steps = dict(pipeline.steps)
    clean, encode = steps.get("clean"), steps.get("encode")
    if list(steps) != ["clean", "encode"] or not (
        isinstance(clean, LeadCleaner) and isinstance(encode, CategoryEncoder)
    ):
        raise TypeError(
            f"cannot store a preprocessor with steps {list(steps)}: features/model_files.py knows "
            "('clean', LeadCleaner) then ('encode', CategoryEncoder)"
        )
    return {
        "clean": clean.get_params(deep=False),
        "encode": {
            "params": encode.get_params(deep=False),
            "columns": list(encode.feature_names_in_),
            "categories": encode.categories_,
        },
    }


def _preprocessor(state: dict[str, Any]) -> Pipeline:
    encode = state["encode"]
    return Pipeline(
        [
            ("clean", LeadCleaner(**state["clean"]).fit(pd.DataFrame())),  # its fit reads the schema only
            (
                "encode",
                CategoryEncoder(**encode["params"]).with_categories(encode["columns"], encode["categories"]),
            ),
        ]
    )


class _Writer:
    """Values to JSON, collecting arrays for arrays.npz and writing boosters as text files on the way."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.arrays: dict[str, np.ndarray] = {}

    def value(self, value: Any, where: str) -> Any:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise TypeError(f"{where}: an array of Python objects cannot be stored without pickle")
            self.arrays[where] = value
            return {"$array": where}
        if isinstance(value, list | tuple):
            return [self.value(v, f"{where}.{i}") for i, v in enumerate(value)]
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or key.startswith("$"):
                    raise TypeError(f"{where}: key {key!r} (keys are text and do not start with '$')")
            return {k: self.value(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, lgb.Booster):
            name = re.sub(r"[^A-Za-z0-9._-]", "_", where) + ".txt"
            (self.folder / name).write_text(value.model_to_string(num_iteration=-1), encoding="utf-8")
            return {"$lightgbm": name, "best_iteration": value.best_iteration}
        name = type(value).__name__
        if CLASSES.get(name) is type(value) and dataclasses.is_dataclass(value):
            fields = dataclasses.fields(value)
            return {"$class": name} | {
                f.name: self.value(getattr(value, f.name), f"{where}.{f.name}") for f in fields
            }
        raise TypeError(f"{where}: cannot store a {name} as plain files; add it to features/model_files.py")


class _Reader:
    """JSON values back to objects: arrays from arrays.npz, boosters from their text files, listed classes only."""

    def __init__(self, folder: Path, arrays: dict[str, np.ndarray]) -> None:
        self.folder = folder
        self.arrays = arrays

    def value(self, data: Any) -> Any:
        if isinstance(data, list):
            return [self.value(v) for v in data]
        if not isinstance(data, dict):
            return data
        if "$array" in data:
            return self.arrays[data["$array"]]
        if "$lightgbm" in data:
            name = str(data["$lightgbm"])
            if Path(name).name != name:
                raise ModelFilesError(f"{self.folder / MANIFEST}: booster file {name!r} is not in the folder")
            booster = lgb.Booster(model_str=(self.folder / name).read_text(encoding="utf-8"))
            booster.best_iteration = int(data["best_iteration"])
            return booster
        if "$class" in data:
            cls = CLASSES.get(data["$class"])
            if cls is None:
                raise ModelFilesError(f"{self.folder / MANIFEST}: unknown class {data['$class']!r}")
            return cls(**{k: self.value(v) for k, v in data.items() if k != "$class"})
        return {k: self.value(v) for k, v in data.items()}
