"""Fitting each candidate family on the encoded matrix: regularised LightGBM, spline logistic, Odoo-style naive Bayes.

Each fitter takes the fitted preprocessor's matrix (category codes with rare and unseen values pooled, NaN for
missing), the labels and the feature kinds, and returns a `features.families` scorer that serving can load.
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from features.families import AdditiveScorer, LightGBMScorer, SplineTerm, TableTerm, Term, log_scale

FAMILIES = ("lightgbm", "logistic", "naive_bayes")
# Strongly regularised, shallow trees: lead tables are small and noisy, and most effects are close to additive.
LIGHTGBM_DEFAULTS: dict[str, Any] = {
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.5,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 50.0,
    "cat_smooth": 100.0,
    "cat_l2": 10.0,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
}
LOGISTIC_DEFAULTS: dict[str, Any] = {"C": 0.3, "knots": 4}
NAIVE_BAYES_SMOOTHING = 0.1  # Odoo's: a value seen only among won leads still gets a finite lost frequency
NAIVE_BAYES_BINS = 10
STD_COLUMNS = 16  # design columns per sd pass: a temporary of 16 columns, not of the whole design
POINT_MASS_SHARE = 0.05  # a minimum shared by this share of leads (no visits, 0 s on site) gets its own jump


def lightgbm_params(params: dict[str, Any], seed: int, threads: int) -> dict[str, Any]:
    """LightGBM's settings for one fit: the same trees whatever the thread count (deterministic, column-wise)."""
    return {
        "objective": "binary",
        "verbosity": -1,
        "seed": seed,
        "num_threads": threads,
        "deterministic": True,
        "force_col_wise": True,
        **params,
    }


def lightgbm_dataset(
    matrix: np.ndarray,
    y: np.ndarray,
    kinds: list[str],
    reference: lgb.Dataset | None = None,
    weight: np.ndarray | None = None,
) -> lgb.Dataset:
    return lgb.Dataset(
        matrix,
        label=y,
        weight=weight,
        feature_name=[f"f{i}" for i in range(len(kinds))],
        categorical_feature=[i for i, kind in enumerate(kinds) if kind == "categorical"],
        reference=reference,
        free_raw_data=False,
    )


def fit_lightgbm(
    matrix: np.ndarray,
    y: np.ndarray,
    kinds: list[str],
    params: dict[str, Any],
    rounds: int,
    weight: np.ndarray | None = None,
) -> LightGBMScorer:
    booster = lgb.train(params, lightgbm_dataset(matrix, y, kinds, weight=weight), num_boost_round=rounds)
    return LightGBMScorer(booster)


def _levels(column: np.ndarray, kind: str, size: int) -> int:
    """How many table levels a code or 0/1 column needs."""
    observed = column[~np.isnan(column)]
    top = int(observed.max()) + 1 if len(observed) else 1
    return max(top, size, 2 if kind == "boolean" else 1)


def _above_point_mass(observed: np.ndarray) -> float | None:
    """The smallest value above a heavy minimum (zero visits, zero seconds on site), or None without such a pile."""
    lowest = observed.min()
    above = observed[observed > lowest]
    if not len(above) or np.mean(observed == lowest) < POINT_MASS_SHARE:
        return None
    return float(above.min())


def _design_spec(column: np.ndarray, kind: str, knots: int) -> dict[str, Any]:
    """How one feature becomes logistic design columns (one-hot levels, or a spline in log1p), and how many.

    Counts and durations often pile up at their minimum (no visit, zero seconds on site), and those leads can behave
    unlike any others (they came in through another channel). Then the spline starts with an indicator of the pile
    and the number clamped to the next value seen: the jump between them is one coefficient, shrunk as such, rather
    than two steep opposing slopes that the penalty flattens.
    """
    absent = np.isnan(column)
    if kind in ("categorical", "boolean"):
        levels = _levels(column, kind, 0)
        return {"type": "table", "levels": levels, "width": levels + 1}
    t = log_scale(np.where(absent, 0.0, column))
    observed = t[~absent]
    fill = float(np.median(observed)) if len(observed) else 0.0
    t = np.where(absent, fill, t)
    jump = _above_point_mass(observed) if knots and len(observed) else None
    inner = np.zeros(0)
    if knots and len(observed):
        inner = np.unique(np.quantile(observed, np.linspace(0, 1, knots + 2)[1:-1]))
        inner = inner[inner > (observed.min() if jump is None else jump)]  # earlier hinges repeat a column
    hinge_knots = np.array([k for k in inner if np.sum(t > k) >= 10], dtype=float)
    return {
        "type": "spline",
        "knots": hinge_knots,
        "jump": None if jump is None else (float(observed.min()), jump),
        "fill": fill,
        "range": (t.min(), t.max()),
        "width": (1 if jump is None else 2) + len(hinge_knots) + 1,
    }


def _fill_design(column: np.ndarray, spec: dict[str, Any], out: np.ndarray) -> None:
    """Write one feature's design columns (`spec["width"]` of them) into `out`, a column slice of the design."""
    absent = np.isnan(column)
    if spec["type"] == "table":
        levels = spec["levels"]
        index = np.where(absent, levels, np.where(absent, 0, column)).astype(np.int64)
        out[:] = 0.0
        out[np.arange(len(column)), index] = 1.0
        return
    t = np.where(absent, spec["fill"], log_scale(np.where(absent, 0.0, column)))
    if spec["jump"] is None:
        out[:, 0] = t
        j = 1
    else:
        jump = spec["jump"][1]
        out[:, 0] = np.maximum(t, jump)
        out[:, 1] = (t < jump).astype(float)
        j = 2
    for k in spec["knots"]:
        out[:, j] = np.maximum(t - k, 0.0)
        j += 1
    out[:, j] = absent.astype(float)


def _design_block(column: np.ndarray, kind: str, knots: int) -> tuple[np.ndarray, dict[str, Any]]:
    """One feature's logistic design columns and how to read them back (see `_design_spec`)."""
    spec = _design_spec(column, kind, knots)
    block = np.empty((len(column), spec["width"]))
    _fill_design(column, spec, block)
    return block, spec


def _standardize(design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale the design's columns to mean 0 and sd 1 in place; returns the means and sds (0 sd counted as 1).

    The design is the largest array of a training run (leads x one-hot levels): no copy of it is made. The sds are
    computed over a few columns at a time, which gives exactly `design.std(axis=0)` without its full-size temporary.
    """
    mean = design.mean(axis=0)
    std = np.concatenate(
        [design[:, a : a + STD_COLUMNS].std(axis=0) for a in range(0, design.shape[1], STD_COLUMNS)]
    )
    std[std == 0] = 1.0
    design -= mean
    design /= std
    return mean, std


def _spline_term(w: np.ndarray, spec: dict[str, Any]) -> tuple[SplineTerm, float]:
    """A spline block's weights as a `SplineTerm`, and the constant to add to the intercept so raw is unchanged."""
    knots, fill = spec["knots"], spec["fill"]
    jump = spec["jump"]
    first = 1 if jump is None else 2
    hinges = w[first : first + len(knots)]
    at_fill = float(np.sum(hinges * np.maximum(fill - knots, 0.0))) + float(w[-1])
    low, high = (float(v) for v in spec["range"])
    if jump is None:
        return SplineTerm(float(w[0]), knots, hinges.copy(), at_fill + float(w[0]) * fill, low, high), 0.0
    # w0 * max(t, k) + w1 * [t < k] as slope * t + h * max(t - k, 0) + c, where the two agree at the pile and beyond k
    lowest, k = jump
    slope = -float(w[1]) / (k - lowest)
    h = float(w[0]) - slope
    shift = -h * k  # the spline is the design's value plus this
    at_fill += float(w[0]) * max(fill, k) + float(w[1]) * (fill < k) + shift
    term = SplineTerm(slope, np.concatenate([[k], knots]), np.concatenate([[h], hinges]), at_fill, low, high)
    return term, -shift


def fit_logistic(
    matrix: np.ndarray,
    y: np.ndarray,
    kinds: list[str],
    params: dict[str, Any],
    seed: int = 0,
    weight: np.ndarray | None = None,
) -> AdditiveScorer:
    """L2 logistic regression on one-hot categories and linear splines of log1p numbers, as per-feature terms.

    Weights (recent leads counting more) are rescaled to average 1, so `C` means the same with or without them.
    """
    specs = [_design_spec(matrix[:, j], kind, int(params["knots"])) for j, kind in enumerate(kinds)]
    ends = np.cumsum([spec["width"] for spec in specs])
    design = np.empty((len(matrix), int(ends[-1])))  # filled block by block: no per-feature copies
    for j, (spec, end) in enumerate(zip(specs, ends, strict=True)):
        _fill_design(matrix[:, j], spec, design[:, end - spec["width"] : end])
    mean, std = _standardize(design)
    fitted = LogisticRegression(C=float(params["C"]), max_iter=2000, random_state=seed)
    with threadpool_limits(1):  # BLAS threads fighting over two busy cores made this fit 20x slower
        fitted.fit(design, y, sample_weight=None if weight is None else weight / weight.mean())
    del design
    weights = fitted.coef_[0] / std
    intercept = float(fitted.intercept_[0] - np.sum(weights * mean))
    terms: list[Term] = []
    start = 0
    for spec in specs:
        w = weights[start : start + spec["width"]]
        start += spec["width"]
        if spec["type"] == "table":
            terms.append(TableTerm(table=w[:-1].copy(), missing=float(w[-1])))
            continue
        term, shift = _spline_term(w, spec)
        terms.append(term)
        intercept += shift
    return AdditiveScorer("logistic", intercept, terms).centered(matrix)


def _bin_edges(column: np.ndarray) -> np.ndarray:
    observed = column[~np.isnan(column)]
    if not len(observed):
        return np.zeros(0)
    return np.unique(np.quantile(observed, np.linspace(0, 1, NAIVE_BAYES_BINS + 1)[1:-1]))


def fit_naive_bayes(
    matrix: np.ndarray, y: np.ndarray, kinds: list[str], weight: np.ndarray | None = None
) -> AdditiveScorer:
    """Odoo-style: per field, won and lost frequency of each value (numbers in deciles), 0.1 smoothing.

    A value's term is log P(value | won) - log P(value | lost); values never seen in training are ignored (0).
    Weights (recent leads counting more, averaging 1) make the frequencies weighted counts.
    """
    w = np.ones(len(y)) if weight is None else weight / weight.mean()
    won, lost = y == 1, y == 0
    n_won, n_lost = max(float(w[won].sum()), 1.0), max(float(w[lost].sum()), 1.0)
    terms: list[Term] = []
    for j, kind in enumerate(kinds):
        column = matrix[:, j]
        absent = np.isnan(column)
        edges = _bin_edges(column) if kind == "numeric" else None
        if edges is None:
            levels = _levels(column, kind, 0)
            level = np.where(absent, 0, column).astype(np.int64)
        else:
            levels = len(edges) + 1
            level = np.searchsorted(edges, np.where(absent, 0.0, column), side="right")
        level = np.where(absent, levels, level)  # missing is a value of its own
        counts_won = np.bincount(level[won], weights=w[won], minlength=levels + 1)
        counts_lost = np.bincount(level[lost], weights=w[lost], minlength=levels + 1)
        seen = (counts_won + counts_lost) > 0
        ratio = np.log((counts_won + NAIVE_BAYES_SMOOTHING) / n_won) - np.log(
            (counts_lost + NAIVE_BAYES_SMOOTHING) / n_lost
        )
        ratio = np.where(seen, ratio, 0.0)
        terms.append(TableTerm(table=ratio[:-1], missing=float(ratio[-1]), edges=edges))
    prior = float(np.log(n_won / n_lost))
    return AdditiveScorer("naive_bayes", prior, terms).centered(matrix)
