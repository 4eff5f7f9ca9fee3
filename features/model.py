"""The registered lead-scoring model: fitted features, scorer family, calibration, score scale and grades in one pyfunc."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel, PythonModelContext
from sklearn.pipeline import Pipeline

from features.clean import LeadCleaner
from features.encode import CategoryEncoder
from features.families import LightGBMScorer, Scorer, prepare
from features.groups import GroupScores, group_columns, group_index, group_scores
from features.reason_labels import display, worded
from features.reasons import Reasons, rank_reasons
from features.scale import ScoreScale, sigmoid
from features.schema import LeadSchema, parse_schema

if TYPE_CHECKING:
    from features.profile import ReferenceProfile

__all__ = ["Calibration", "Columns", "LeadModel", "Scores", "sigmoid"]


@dataclass(frozen=True)
class Columns:
    """Leads as raw columns: values by column name (lists or arrays), each `rows` long; absent columns are missing."""

    values: Mapping[str, Any]
    rows: int

    @classmethod
    def of(cls, leads: Leads, names: Iterable[str]) -> Columns:
        """A frame's columns, or the named fields of lead mappings (the API's JSON) gathered column by column."""
        if isinstance(leads, Columns):
            return leads
        if isinstance(leads, pd.DataFrame):
            return cls({c: leads[c].to_numpy() for c in names if c in leads.columns}, len(leads))
        return cls({c: [lead.get(c) for lead in leads] for c in names}, len(leads))


Leads = pd.DataFrame | Sequence[Mapping[str, Any]] | Columns


@dataclass(frozen=True)
class Scores:
    """Everything scoring says about a batch of leads, in input order (see `LeadModel.score`)."""

    ids: list[Any] | None  # the id column's raw values; None when the leads have no id column
    probability: np.ndarray
    score: np.ndarray  # int64, 0-100
    grade: np.ndarray  # "A" to "D"
    unseen: list[list[str]]  # per lead, categorical features whose value was rare or new at training time
    reasons: list[Reasons] | None  # with reasons only
    groups: dict[
        str, GroupScores
    ]  # the fit and engagement sub-scores, with reasons only (when the schema has them)


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
        profile: ReferenceProfile | None = None,
    ) -> None:
        self.schema_dict = schema.to_dict()
        self.preprocessor = preprocessor
        self.scorer = scorer
        self.calibration = calibration
        self.scale = scale
        self.info = dict(info or {})
        # the training leads' reference profile (features/profile.py); None for models trained before it existed
        self.profile = profile

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
        state.setdefault("profile", None)  # pickled before reference profiles existed
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

    def reason_label(self, feature: str, value: Any) -> str:
        """A reason in words, by the schema's labels or humanised (features/reason_labels.py)."""
        kind, name, values = self._displays[feature]
        return worded(kind, name, values, value)

    @cached_property
    def _displays(self) -> dict[str, tuple[str, str, Mapping[str, str]]]:
        """Each feature's kind and display names, worked out once: scoring words every reason it returns."""
        schema = self.schema
        return {f: (schema.kind(f), *display(f, schema.labels.get(f))) for f in schema.features}

    @cached_property
    def encoder(self) -> CategoryEncoder:
        encoder: CategoryEncoder = self.preprocessor.named_steps["encode"]
        return encoder

    @cached_property
    def cleaner(self) -> LeadCleaner:
        cleaner: LeadCleaner = self.preprocessor.named_steps["clean"]
        return cleaner

    @cached_property
    def groups(self) -> dict[str, list[int]]:
        """Feature positions of the schema's fit and engagement groups (those with members)."""
        return group_columns(self)

    @cached_property
    def group_index(self) -> np.ndarray:
        return group_index(list(self.groups.values()), len(self.schema.features))

    @cached_property
    def _input_names(self) -> list[str]:
        return [*self.schema.features, self.schema_dict["id"]]

    def prepare(self) -> None:
        """Build the scorer's lookup tables now (when a service loads the model), not on its first lead."""
        prepare(self.scorer)

    def matrix(self, leads: Leads) -> np.ndarray:
        """Raw leads to the model's feature matrix through the fitted pipeline: each cleaned, then encoded."""
        columns = Columns.of(leads, self._input_names)
        return self.encoder.encode_columns(self.cleaner.clean_columns(columns.values, columns.rows))

    def score(
        self, leads: Leads, *, reasons: bool = False, top: int = 3, threads: int | None = None
    ) -> Scores:
        """The one way leads are scored (API, /invocations, pyfunc, command line, ingest): probability, 0-100 score,
        grade and unseen categories per lead; with `reasons`, the `top` reasons each way and the sub-scores.

        One lead is a batch of one. `threads` caps the scorer's threads (None: all cores).
        """
        columns = Columns.of(leads, self._input_names)
        cleaned = self.cleaner.clean_columns(columns.values, columns.rows)
        matrix = self.encoder.encode_columns(cleaned)
        slope = self.calibration.slope
        if reasons:
            raw, contributions, baseline = self.scorer.raw_and_explain(matrix, threads)
        else:
            raw = self.scorer.raw(matrix, threads)
        probability = self.calibration(raw)
        scores = self.scale.score(probability)
        unseen = self.encoder.unseen_rows(matrix)
        found: list[Reasons] | None = None
        groups: dict[str, GroupScores] = {}
        if reasons:
            impacts = contributions * slope
            values = [column.tolist() for column in cleaned]
            found = rank_reasons(self.schema.features, impacts, values, unseen, top, self.reason_label)
            groups = group_scores(self, impacts, baseline * slope)
        ids = columns.values.get(self.schema_dict["id"])
        return Scores(
            ids=None if ids is None else list(ids),
            probability=probability,
            score=scores,
            grade=self.scale.grade(scores),
            unseen=unseen,
            reasons=found,
            groups=groups,
        )

    def score_frame(self, leads: Leads, threads: int | None = None) -> pd.DataFrame:
        """Lead id (when given), probability, score and grade per lead, in input order: what the pyfunc predicts."""
        scored = self.score(leads, threads=threads)
        out = pd.DataFrame({"probability": scored.probability, "score": scored.score, "grade": scored.grade})
        if scored.ids is not None:
            out.insert(0, self.schema_dict["id"], np.asarray(scored.ids))
        return out

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        if not isinstance(model_input, pd.DataFrame):
            model_input = pd.DataFrame(model_input)
        return self.score_frame(model_input)

    def contributions(self, leads: pd.DataFrame) -> pd.DataFrame:
        """Each feature's push on the calibrated log-odds per lead (training's importance plots)."""
        contributions, _ = self.scorer.explain(self.matrix(leads))
        return pd.DataFrame(
            contributions * self.calibration.slope, columns=self.schema.features, index=leads.index
        )
