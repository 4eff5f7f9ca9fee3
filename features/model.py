"""The registered lead-scoring model: fitted features, scorer family, calibration, score scale and grades in one pyfunc."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext
from sklearn.pipeline import Pipeline

from features.encode import CategoryEncoder
from features.families import LightGBMScorer, Scorer
from features.scale import ScoreScale
from features.schema import LeadSchema, parse_schema


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class Calibration:
    """Platt scaling on the scorer's log-odds: p = sigmoid(slope * raw + intercept)."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        return sigmoid(self.slope * raw + self.intercept)


class LeadModel(PythonModel):
    """A trained lead scorer; `predict` returns probability, score (0-100) and grade (A-D) per lead."""

    def __init__(
        self,
        schema: LeadSchema,
        preprocessor: Pipeline,
        scorer: Scorer,
        calibration: Calibration,
        scale: ScoreScale,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.schema_dict = schema.to_dict()
        self.preprocessor = preprocessor
        self.scorer = scorer
        self.calibration = calibration
        self.scale = scale
        self.info = dict(info or {})

    @classmethod
    def unloaded(cls) -> LeadModel:
        """An empty model for MLflow to fill through `load_context` (features/logged_model.py)."""
        return cls.__new__(cls)

    def load_context(self, context: PythonModelContext) -> None:
        """Fill the model from its logged files (features/model_files.py); one logged as a pickle arrives filled."""
        from features import model_files  # it builds LeadModels, so it imports this module

        folder = context.artifacts.get(model_files.ARTIFACT)
        if folder is None:
            return
        if "scorer" in self.__dict__:
            # MLflow reads the model a code file sets from one module global, so two loads racing in one process
            # could get this same object: refuse the second rather than mix two models' files
            raise RuntimeError("this LeadModel is loaded already; load models one at a time per process")
        self.__dict__.update(vars(model_files.read_model(Path(folder))))

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Models pickled before families existed carried a bare booster: they load as the LightGBM family."""
        if "scorer" not in state and "booster" in state:
            state["scorer"] = LightGBMScorer(state.pop("booster"))
        self.__dict__.update(state)

    @property
    def booster(self) -> lgb.Booster:
        """The LightGBM booster, when that family scores this model."""
        if not isinstance(self.scorer, LightGBMScorer):
            raise AttributeError(f"the {self.scorer.family} family has no booster")
        return self.scorer.booster

    @booster.setter
    def booster(self, booster: lgb.Booster) -> None:
        self.scorer = LightGBMScorer(booster)

    @property
    def family(self) -> str:
        return self.scorer.family

    @cached_property
    def schema(self) -> LeadSchema:
        """Parsed once per loaded model: `contributions` and the API read it per request."""
        return parse_schema(self.schema_dict)

    @property
    def encoder(self) -> CategoryEncoder:
        encoder: CategoryEncoder = self.preprocessor.named_steps["encode"]
        return encoder

    def matrix(self, leads: pd.DataFrame) -> np.ndarray:
        """Raw lead rows to the model's feature matrix, through the fitted pipeline."""
        matrix: np.ndarray = self.preprocessor.transform(leads)
        return matrix

    def probability(self, leads: pd.DataFrame, threads: int | None = None) -> np.ndarray:
        """Calibrated conversion probability per lead; `threads` caps the scorer's threads (None: all cores)."""
        return self.calibration(self.scorer.raw(self.matrix(leads), threads))

    def score_frame(self, leads: pd.DataFrame, threads: int | None = None) -> pd.DataFrame:
        """Lead id (when given), probability, score and grade per lead, in input order."""
        probability = self.probability(leads, threads)
        scores = self.scale.score(probability)
        out = pd.DataFrame(
            {"probability": probability, "score": scores, "grade": self.scale.grade(scores)},
            index=leads.index,
        )
        id_column = self.schema_dict["id"]
        if id_column in leads.columns:
            out.insert(0, id_column, leads[id_column].to_numpy())
        return out.reset_index(drop=True)

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.score_frame(model_input)

    def contributions(self, leads: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Each feature's push on the calibrated log-odds per lead, and the cleaned values they came from."""
        impacts, cleaned, _ = self.explain(leads)
        return impacts, cleaned

    def explain(
        self, leads: pd.DataFrame, threads: int | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
        """`contributions` and the baseline they add to (scaled likewise), from one pass of the scorer.

        Reasons and sub-scores (features/groups.py) both read them; `threads` caps the scorer's threads (None: all).
        """
        cleaned: pd.DataFrame = self.preprocessor.named_steps["clean"].transform(leads)
        contributions, baseline = self.scorer.explain(self.encoder.transform(cleaned), threads)
        slope = self.calibration.slope
        impacts = pd.DataFrame(contributions * slope, columns=self.schema.features, index=leads.index)
        return impacts, cleaned, baseline * slope
