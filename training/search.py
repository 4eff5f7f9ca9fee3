"""Hyperparameter search per family (Optuna, TPE), each trial an MLflow child run.

The budget is counted in work, never in seconds, so the same data and seed give the same model on a fast or a busy
machine: each tuned family gets `max_trials`, fewer on big tables (about `WORK_ROWS[family]` lead-fits per family),
and stops early when `PATIENCE` trials in a row did not improve by `MIN_GAIN`. The first trial of every family is
its default setting (the logistic's second its simplest, `SIMPLE`), so both are always candidates. Of the trials the best one is not clearly better than (training.crossval's noise
rule), the simplest is kept, as glmnet's lambda.1se does: what CV cannot tell apart, the future usually favours the
simpler. An optional wall-clock cap (`budget_seconds`) exists for impatient users; with it, results depend on the
machine's speed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import optuna

from training.candidates import LIGHTGBM_DEFAULTS, LOGISTIC_DEFAULTS
from training.crossval import CVResult, Fold, clearly_better, cross_validate

log = logging.getLogger(__name__)
# Lead-fits per tuned family: trials = WORK_ROWS / training rows (at least 1, at most max_trials). Boosting is
# slower per lead and gains more from tuning; on 60k leads this gives LightGBM 8 trials and the logistic 5.
WORK_ROWS = {"lightgbm": 500_000, "logistic": 300_000}
# Share of an optional wall-clock cap per tuned family.
BUDGET_SHARE = {"lightgbm": 0.7, "logistic": 0.3}
PATIENCE = 8
MIN_GAIN = 5e-4  # smaller gains in mean fold ROC AUC are mostly fold noise


@dataclass
class Candidate:
    """A family's best setting found and its cross-validation."""

    family: str
    params: dict[str, Any]
    cv: CVResult
    trials: int


def suggest(family: str, trial: optuna.Trial, rows: int) -> dict[str, Any]:
    """The search space: regularisation first, since lead tables are small and noisy.

    Big tables keep the fast learning rate of their defaults: a slow one there costs thousands of rounds per fit
    for a gain in the fourth decimal.
    """
    if family == "lightgbm":
        return {
            **defaults(family, rows),
            "learning_rate": (
                FAST_LEARNING_RATE
                if rows >= FAST_FROM_ROWS
                else trial.suggest_float("learning_rate", 0.02, 0.1, log=True)
            ),
            "num_leaves": trial.suggest_int("num_leaves", 3, 63, log=True),
            "min_data_in_leaf": trial.suggest_int("min_data_in_leaf", 10, 300, log=True),
            "feature_fraction": trial.suggest_float("feature_fraction", 0.2, 1.0),
            "lambda_l2": trial.suggest_float("lambda_l2", 0.1, 100.0, log=True),
            "cat_smooth": trial.suggest_float("cat_smooth", 1.0, 200.0, log=True),
            "min_data_per_group": trial.suggest_int("min_data_per_group", 10, 200, log=True),
        }
    if family == "logistic":
        return {
            "C": trial.suggest_float("C", 0.003, 10.0, log=True),
            "knots": trial.suggest_int("knots", 0, 8),
        }
    raise ValueError(f"family {family!r} has no hyperparameters to search")


DEFAULTS = {"lightgbm": LIGHTGBM_DEFAULTS, "logistic": LOGISTIC_DEFAULTS}
# The simplest setting a family tries early: straight lines in log1p for the logistic (no spline knots).
SIMPLE = {"logistic": {"C": LOGISTIC_DEFAULTS["C"], "knots": 0}}


def complexity(family: str, params: dict[str, Any]) -> tuple[float, ...]:
    """Orders a family's settings from simplest: fewer knots, fewer leaves, more regularisation first."""
    if family == "logistic":
        return (float(params["knots"]), float(params["C"]))
    return (
        float(params["num_leaves"]),
        -float(params["min_data_in_leaf"]),
        -float(params["lambda_l2"]),
        float(params["feature_fraction"]),
    )


def simplest_within_noise(
    family: str, results: dict[int, tuple[dict[str, Any], CVResult]]
) -> tuple[int, int]:
    """The best trial, and the simplest trial the best one is not clearly better than (the one-standard-error
    habit of glmnet's lambda.1se, with the noise rule the families are chosen by)."""
    best = max(results, key=lambda t: results[t][1].roc_auc)
    top = results[best][1]
    weights = top.fold_weight or [1.0] * len(top.fold_auc)
    close = [t for t, (_, cv) in results.items() if not clearly_better(top.fold_auc, cv.fold_auc, weights)[0]]
    return best, min(close, key=lambda t: (complexity(family, results[t][0]), t))


# Big tables need fewer, larger boosting steps for the first (default) trial to fit in a couple of minutes.
FAST_FROM_ROWS = 50_000
FAST_LEARNING_RATE = 0.1


def defaults(family: str, rows: int) -> dict[str, Any]:
    """A family's first trial: its defaults, with a faster learning rate on big tables."""
    params = {**DEFAULTS[family]}
    if family == "lightgbm" and rows >= FAST_FROM_ROWS:
        params["learning_rate"] = FAST_LEARNING_RATE
    return params


class _Patience:
    """Stops a study once `PATIENCE` trials in a row did not beat the best by `MIN_GAIN`."""

    def __init__(self) -> None:
        self.best = -np.inf
        self.stale = 0

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        value = trial.value if trial.value is not None else -np.inf
        if value > self.best + MIN_GAIN:
            self.best, self.stale = value, 0
        else:
            self.stale += 1
        if self.stale >= PATIENCE:
            study.stop()


def trials_for(family: str, rows: int, max_trials: int) -> int:
    """A family's trial budget on this many training rows (see WORK_ROWS)."""
    return max(1, min(max_trials, WORK_ROWS[family] // max(rows, 1)))


def search_family(
    family: str,
    folds: list[Fold],
    y: np.ndarray,
    kinds: list[str],
    *,
    seconds: float | None,
    max_trials: int,
    seed: int,
    threads: int,
    weight: np.ndarray | None = None,
    log_level: int = logging.INFO,
) -> Candidate:
    """Best setting of one family by mean out-of-fold ROC AUC; trials logged as nested MLflow runs when one is active."""
    results: dict[int, tuple[dict[str, Any], CVResult]] = {}
    start = time.monotonic()

    def objective(trial: optuna.Trial) -> float:
        params = suggest(family, trial, len(y))  # the first trials are enqueued: the defaults, then SIMPLE
        cv = cross_validate(family, params, folds, y, kinds, seed, threads, weight)
        results[trial.number] = (params, cv)
        if mlflow.active_run() is not None:
            with mlflow.start_run(run_name=f"{family}-{trial.number}", nested=True):
                mlflow.log_params({"family": family, **params})
                mlflow.log_metric("cv_roc_auc", cv.roc_auc)
        return cv.roc_auc

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.enqueue_trial(defaults(family, len(y)))  # settings the space does not search are ignored
    if family in SIMPLE:
        study.enqueue_trial(SIMPLE[family])
    trials = trials_for(family, len(y), max_trials)
    timeout = None if seconds is None else max(seconds, 1e-3)
    study.optimize(objective, n_trials=trials, timeout=timeout, callbacks=[_Patience()])
    best, kept = simplest_within_noise(family, results)
    params, cv = results[kept]
    log.log(
        log_level,
        "%s: %d trials in %.0f s, best CV ROC AUC %.4f (defaults %.4f), kept %s: %.4f, the simplest within noise",
        family,
        len(results),
        time.monotonic() - start,
        results[best][1].roc_auc,
        results[0][1].roc_auc,
        "it" if kept == best else f"trial {kept}",
        cv.roc_auc,
    )
    return Candidate(family, params, cv, len(results))


def search(
    families: list[str],
    folds: list[Fold],
    y: np.ndarray,
    kinds: list[str],
    *,
    budget_seconds: float | None,
    max_trials: int,
    seed: int,
    threads: int,
    weight: np.ndarray | None = None,
    log_level: int = logging.INFO,
) -> dict[str, Candidate]:
    """Every family's best candidate; naive Bayes has nothing to tune and is cross-validated once."""
    out: dict[str, Candidate] = {}
    for family in families:
        if family not in BUDGET_SHARE:
            cv = cross_validate(family, {}, folds, y, kinds, seed, threads, weight)
            out[family] = Candidate(family, {}, cv, 1)
            continue
        out[family] = search_family(
            family,
            folds,
            y,
            kinds,
            seconds=None if budget_seconds is None else budget_seconds * BUDGET_SHARE[family],
            max_trials=max_trials,
            seed=seed,
            threads=threads,
            weight=weight,
            log_level=log_level,
        )
    return out
