"""Lead models of every scorer family, made by hand in a fraction of a second, and awkward leads to score with them."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from features.clean import LeadCleaner
from features.encode import CategoryEncoder
from features.families import AdditiveScorer, BlendScorer, LightGBMScorer, Scorer, SplineTerm, TableTerm, Term
from features.model import Calibration, LeadModel
from features.scale import ScoreScale
from features.schema import parse_schema

SCHEMA = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits", "seconds"],
        "boolean": ["demo"],
        "categorical": ["city", "source"],
        "na_values": ["Select", "-1"],
        "groups": {"fit": ["city"], "engagement": ["visits", "demo"]},
    }
)
FAMILIES = ("lightgbm", "lightgbm-best-iteration", "logistic", "naive_bayes", "blend")
CITIES = ["Zürich", "Köln", "São Paulo", "Lyon", "Oslo", "rare town", "Select"]


def leads(rows: int, seed: int, unseen: bool = False) -> pd.DataFrame:
    """Leads as a file gives them: text, gaps, placeholders, a rare city and (`unseen`) a city never fitted."""
    rng = np.random.default_rng(seed)
    city = rng.choice(CITIES, rows, p=[0.3, 0.2, 0.2, 0.14, 0.1, 0.01, 0.05])
    if unseen:
        city[rng.random(rows) < 0.05] = "Atlantis"
    visits = rng.poisson(3, rows).astype(object)
    visits[rng.random(rows) < 0.1] = None
    seconds = np.round(rng.exponential(200, rows), 1).astype(object)
    seconds[rng.random(rows) < 0.05] = "-1"
    return pd.DataFrame(
        {
            "lead_id": [f"L{seed}-{i}" for i in range(rows)],
            "visits": visits,
            "seconds": seconds,
            "demo": rng.choice(["yes", "no", "", "maybe"], rows, p=[0.3, 0.6, 0.05, 0.05]),
            "city": city,
            "source": rng.choice(np.array(["ads", "web", None], dtype=object), rows),
        }
    )


def _lightgbm(matrix: np.ndarray, y: np.ndarray, best_iteration: int = 0) -> LightGBMScorer:
    params = {
        "objective": "binary",
        "verbosity": -1,
        "num_threads": 1,
        "num_leaves": 7,
        "min_data_in_leaf": 5,
    }
    data = lgb.Dataset(matrix, label=y, categorical_feature=[3, 4], params={"verbosity": -1})
    booster = lgb.train(params, data, num_boost_round=30)
    booster.best_iteration = best_iteration  # as early stopping leaves it: `predict` uses that many trees
    return LightGBMScorer(booster)


def _logistic(matrix: np.ndarray) -> AdditiveScorer:
    """Splines on the numbers (one clipped, one not: infinite bounds), tables on the flag and the codes."""
    terms: list[Term] = [
        SplineTerm(0.4, np.array([0.7, 1.6]), np.array([-0.1, 0.25]), missing=-0.3, low=0.0, high=2.8),
        SplineTerm(0.05, np.array([3.0]), np.array([0.02]), missing=0.0),
        TableTerm(np.array([-0.2, 0.6]), missing=0.05),
        TableTerm(np.array([0.3, -0.1, 0.2, 0.0, -0.4, 0.1, 0.05]), missing=-0.2),
        TableTerm(np.array([0.1, -0.15]), missing=0.0),
    ]
    return AdditiveScorer("logistic", -1.7, terms).centered(matrix)


def _naive_bayes(matrix: np.ndarray) -> AdditiveScorer:
    """Numbers read by bin, as the naive Bayes family stores them."""
    terms: list[Term] = [
        TableTerm(np.array([-0.5, 0.1, 0.6]), missing=-0.1, edges=np.array([1.0, 4.0])),
        TableTerm(np.array([-0.2, 0.0, 0.3]), missing=0.0, edges=np.array([60.0, 300.0])),
        TableTerm(np.array([-0.3, 0.5]), missing=0.0),
        TableTerm(np.array([0.2, -0.2, 0.1, 0.0, -0.3, 0.4, 0.0]), missing=0.0),
        TableTerm(np.array([0.05, -0.05]), missing=0.1),
    ]
    return AdditiveScorer("naive_bayes", -1.9, terms).centered(matrix)


def lead_model(family: str, seed: int = 0) -> LeadModel:
    """A LeadModel of `family` fitted on 600 leads, with an info dict holding what training's holds."""
    train = leads(600, seed)
    preprocessor = Pipeline(
        [
            ("clean", LeadCleaner(SCHEMA.to_dict())),
            ("encode", CategoryEncoder(SCHEMA.categorical, min_count=10)),
        ]
    )
    matrix = preprocessor.fit_transform(train)
    rng = np.random.default_rng(seed + 1)
    logit = (
        -2.0
        + 0.3 * np.nan_to_num(matrix[:, 0])
        + 1.2 * np.nan_to_num(matrix[:, 2])
        + 0.4 * (matrix[:, 3] == 0)
    )
    y = (rng.random(len(matrix)) < 1 / (1 + np.exp(-logit))).astype(int)
    scorers: dict[str, Scorer] = {
        "lightgbm": _lightgbm(matrix, y),
        "lightgbm-best-iteration": _lightgbm(matrix, y, best_iteration=12),
        "logistic": _logistic(matrix),
        "naive_bayes": _naive_bayes(matrix),
    }
    scorers["blend"] = BlendScorer([scorers["logistic"], scorers["lightgbm"]], [0.55, 0.45], offset=0.02)
    scorer = scorers[family]
    calibration = Calibration(slope=0.93, intercept=-0.11)
    info = {
        "run_id": "0123abc",
        "family": scorer.family,
        "selection": {"lightgbm": {"cv_roc_auc": 0.8123456789012345, "cv_roc_auc_sd": float("nan")}},
        "recency": {"half_life_days": None, "cv_roc_auc": {"none": 0.79, "274 days": 0.78}},
        "holdout_metrics": {"roc_auc": np.float64(0.8), "n": np.int64(120)},
        "drift_warnings": ["utm_campaign moved (PSI 1.21)"],
        "cold_start": False,
    }
    return LeadModel(
        schema=SCHEMA,
        preprocessor=preprocessor,
        scorer=scorer,
        calibration=calibration,
        scale=ScoreScale.fit(calibration(scorer.raw(matrix))),
        info=info,
    )
