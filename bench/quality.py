"""Model quality: the default pipeline against the baselines a data scientist would try, on the same split.

    .venv/bin/python bench/quality.py --data LEADS.csv --schema SCHEMA.yaml [--holdout-fraction 0.25] [--truth truth.csv]
        [--budget-seconds 60] [--seed 0 1 2]

Prints ROC AUC, PR AUC, Brier, ECE, lift@10% and fit seconds per model, and each model's ROC AUC as a difference from
the best baseline (and from the oracle when a truth file with true probabilities is given). Several `--seed`s repeat
it on that many stratified holdout splits (a time split is the same for every seed) and add the mean table.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from features.clean import LeadCleaner
from features.schema import LeadSchema, load_schema
from training.config import TrainConfig
from training.data import LabeledLeads, validate_leads
from training.evaluate import expected_calibration_error, lift_at
from training.fit import build_preprocessor, fit_model
from training.split import holdout_split
from training.table_file import load_table

Fitter = Callable[
    [pd.DataFrame, np.ndarray, pd.Series | None, LeadSchema], Callable[[pd.DataFrame], np.ndarray]
]


def _typed(schema: LeadSchema, frame: pd.DataFrame) -> pd.DataFrame:
    return LeadCleaner(schema.to_dict()).fit(frame).transform(frame)


def naive_bayes(frame: pd.DataFrame, y: np.ndarray, ts: pd.Series | None, schema: LeadSchema):  # type: ignore[no-untyped-def]
    """Odoo-style: per-field won/lost frequency tables, 0.1 smoothing, unseen values ignored; numbers in deciles."""
    typed = _typed(schema, frame)
    edges = {c: np.unique(np.nanquantile(typed[c], np.linspace(0.1, 0.9, 9))) for c in schema.numeric}

    def values(data: pd.DataFrame) -> pd.DataFrame:
        out = data.astype(object).where(data.notna(), "(missing)")
        for c in schema.numeric:
            out[c] = np.where(data[c].isna(), "(missing)", np.searchsorted(edges[c], data[c]).astype(str))
        return out.astype(str)

    v, won, lost = values(typed), y == 1, y == 0
    tables = {}
    for c in schema.features:
        counts = pd.crosstab(v[c], y).reindex(columns=[0, 1], fill_value=0) + 0.1
        tables[c] = np.log(counts[1] / won.sum()) - np.log(counts[0] / lost.sum())
    prior = np.log(won.mean() / lost.mean())

    def predict(data: pd.DataFrame) -> np.ndarray:
        vd = values(_typed(schema, data))
        z = prior + sum(vd[c].map(tables[c]).fillna(0.0).to_numpy(dtype=float) for c in schema.features)
        return np.asarray(1 / (1 + np.exp(-z)))

    return predict


def logistic(  # type: ignore[no-untyped-def]
    frame: pd.DataFrame, y: np.ndarray, ts: pd.Series | None, schema: LeadSchema, log1p: bool = False
):
    """One-hot logistic regression: standardised numbers (log1p first if asked) with missing indicators."""
    numbers = [SimpleImputer(strategy="median", add_indicator=True), StandardScaler()]
    if log1p:
        numbers.insert(0, FunctionTransformer(lambda x: np.sign(x) * np.log1p(np.abs(x))))
    columns = ColumnTransformer(
        [
            ("num", make_pipeline(*numbers), [*schema.numeric, *schema.boolean]),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10),
                ),
                schema.categorical,
            ),
        ]
    )
    model = make_pipeline(columns, LogisticRegression(C=1.0, max_iter=2000))
    typed = _typed(schema, frame)
    typed[schema.categorical] = typed[schema.categorical].astype(object)
    model.fit(typed, y)

    def predict(data: pd.DataFrame) -> np.ndarray:
        d = _typed(schema, data)
        d[schema.categorical] = d[schema.categorical].astype(object)
        return np.asarray(model.predict_proba(d)[:, 1])

    return predict


def lightgbm_defaults(frame: pd.DataFrame, y: np.ndarray, ts: pd.Series | None, schema: LeadSchema):  # type: ignore[no-untyped-def]
    """LGBMClassifier with its default settings on the same encoded features (native categoricals)."""
    pre = build_preprocessor(schema, len(frame)).fit(frame)
    cats = [i for i, c in enumerate(schema.features) if c in schema.categorical]
    model = lgb.LGBMClassifier(verbosity=-1, n_jobs=1).fit(pre.transform(frame), y, categorical_feature=cats)
    return lambda data: np.asarray(model.predict_proba(pre.transform(data))[:, 1])


def leadscore_default(  # type: ignore[no-untyped-def]
    frame: pd.DataFrame,
    y: np.ndarray,
    ts: pd.Series | None,
    schema: LeadSchema,
    budget_seconds: float | None = None,
):
    """What `leadscore train` fits, with its default search budget unless one is given."""
    defaults = TrainConfig.model_fields
    model = fit_model(
        frame,
        y,
        ts,
        schema,
        folds=defaults["folds"].default,
        budget_seconds=defaults["budget_seconds"].default if budget_seconds is None else budget_seconds,
        max_trials=defaults["max_trials"].default,
        progress=False,
    ).model
    print(f"leadscore default chose {model.family}: {model.info['selection_reason']}")
    return model.probability


MODELS: dict[str, Fitter] = {
    "naive Bayes (Odoo-style)": naive_bayes,
    "logistic regression": logistic,
    "logistic regression, log1p": partial(logistic, log1p=True),
    "LightGBM defaults": lightgbm_defaults,
    "leadscore default": leadscore_default,
}


BASELINES = [name for name in MODELS if name != "leadscore default"]
ORACLE = "oracle (true probability)"


def quality_table(
    leads: LabeledLeads, schema: LeadSchema, models: dict[str, Fitter], args: argparse.Namespace, seed: int
) -> pd.DataFrame:
    """One holdout split (by `seed` when the split is stratified): every model fitted on the rest, scored on it."""
    train, hold, how = holdout_split(leads.y, leads.timestamps, args.holdout_fraction, seed)
    ts = None if leads.timestamps is None else leads.timestamps.iloc[train].reset_index(drop=True)
    x_train, x_hold = (
        leads.frame.iloc[train].reset_index(drop=True),
        leads.frame.iloc[hold].reset_index(drop=True),
    )
    y_train, y_hold = leads.y[train], leads.y[hold]
    print(
        f"{args.data.name}, seed {seed}: {len(train)} train / {len(hold)} holdout leads ({how} split), "
        f"{y_hold.mean():.1%} converted"
    )
    rows: list[dict[str, Any]] = []
    if args.truth:
        truth = pd.read_csv(args.truth).set_index(schema.id)["true_probability"]
        oracle = truth.loc[x_hold[schema.id].to_numpy()].to_numpy()
        rows.append({"model": ORACLE, "p": oracle, "seconds": 0.0})
    for name, fitter in models.items():
        start = time.perf_counter()
        predict = fitter(x_train, y_train, ts, schema)
        seconds = time.perf_counter() - start
        rows.append({"model": name, "p": predict(x_hold), "seconds": seconds})
    table = pd.DataFrame(
        [
            {
                "model": r["model"],
                "roc_auc": roc_auc_score(y_hold, r["p"]),
                "pr_auc": average_precision_score(y_hold, r["p"]),
                "brier": brier_score_loss(y_hold, r["p"]),
                "ece": expected_calibration_error(y_hold, r["p"]),
                "lift@10%": lift_at(y_hold, r["p"], 0.1),
                "fit_s": r["seconds"],
            }
            for r in rows
        ]
    ).set_index("model")
    table["auc_vs_best_baseline"] = table["roc_auc"] - float(table.loc[BASELINES, "roc_auc"].max())
    if args.truth:
        table["auc_vs_oracle"] = table["roc_auc"] - float(table.loc[ORACLE, "roc_auc"])
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--schema", type=Path, required=True)
    parser.add_argument("--holdout-fraction", type=float, default=0.2)
    parser.add_argument(
        "--seed", type=int, nargs="+", default=[0], help="holdout split seeds; several print a mean table too"
    )
    parser.add_argument(
        "--truth", type=Path, help="CSV with the id column and true_probability (synthetic data)"
    )
    parser.add_argument("--budget-seconds", type=int, help="search budget of the default pipeline")
    args = parser.parse_args()
    models: dict[str, Fitter] = {
        **MODELS,
        "leadscore default": partial(leadscore_default, budget_seconds=args.budget_seconds),
    }

    schema = load_schema(args.schema)
    leads = validate_leads(load_table(args.data), schema)
    tables = []
    for seed in args.seed:
        tables.append(quality_table(leads, schema, models, args, seed))
        print(tables[-1].to_string(float_format=lambda v: f"{v:.4f}"), flush=True)
    if len(tables) > 1:
        print(f"\nmean over seeds {', '.join(map(str, args.seed))}")
        mean = pd.concat(tables).groupby(level=0, sort=False).mean()
        print(mean.to_string(float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
