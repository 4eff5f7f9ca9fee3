"""Figures for MLflow artifacts and the model report: standalone Figures that leave no pyplot state behind."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

from training.evaluate import GRADES, check_inputs, check_labels, expected_calibration_error

FIGSIZE = (6.0, 4.5)
_MODEL = "tab:blue"
_BASELINE = "0.5"
_NEGATIVE = "tab:gray"
_POSITIVE = "tab:orange"


def new_figure() -> Figure:
    """A 6x4.5 inch figure with constrained layout so labels and legends are never clipped on save."""
    return Figure(figsize=FIGSIZE, layout="constrained")


def _both_classes(y: np.ndarray, what: str) -> None:
    """Refuse curves that need converted and unconverted leads when only one class is present."""
    if y.min() == y.max():
        raise ValueError(f"{what} needs both converted and unconverted leads; y_true has a single class")


def roc_figure(y_true: ArrayLike, y_prob: ArrayLike, label: str = "model") -> Figure:
    """ROC curve with its AUC against the random-ranking diagonal."""
    y, p = check_inputs(y_true, y_prob)
    _both_classes(y, "the ROC curve")
    fpr, tpr, _ = roc_curve(y, p)
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(fpr, tpr, color=_MODEL, lw=2, label=f"{label} (AUC = {auc(fpr, tpr):.3f})")
    ax.plot([0, 1], [0, 1], color=_BASELINE, ls="--", lw=1, label="random (AUC = 0.500)")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), aspect="equal")
    ax.set_xlabel("False positive rate (unconverted leads flagged)")
    ax.set_ylabel("True positive rate (conversions caught)")
    ax.set_title("ROC curve")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def precision_recall_figure(y_true: ArrayLike, y_prob: ArrayLike, label: str = "model") -> Figure:
    """Precision-recall curve with average precision, against the base rate a random ranking would reach."""
    y, p = check_inputs(y_true, y_prob)
    _both_classes(y, "the precision-recall curve")
    precision, recall, _ = precision_recall_curve(y, p, drop_intermediate=True)
    ap = average_precision_score(y, p)
    base = float(y.mean())
    fig = new_figure()
    ax = fig.add_subplot()
    ax.step(recall, precision, where="post", color=_MODEL, lw=2, label=f"{label} (AP = {ap:.3f})")
    ax.axhline(base, color=_BASELINE, ls="--", lw=1, label=f"base rate = {base:.3f}")
    ax.set(xlim=(0, 1), ylim=(0, 1.01))
    ax.set_xlabel("Recall (share of conversions caught)")
    ax.set_ylabel("Precision (conversion rate of flagged leads)")
    ax.set_title("Precision-recall curve")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    return fig


def _reliability(y: np.ndarray, p: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean predicted and observed rate per equal-count bin, so sparse high-probability bins are not noise."""
    order = np.argsort(p, kind="stable")
    bins = min(bins, len(y))
    group = np.arange(len(y), dtype=np.int64) * bins // len(y)
    counts = np.bincount(group, minlength=bins)
    predicted = np.bincount(group, weights=p[order], minlength=bins) / counts
    observed = np.bincount(group, weights=y[order], minlength=bins) / counts
    return predicted, observed


def calibration_figure(y_true: ArrayLike, y_prob: ArrayLike, bins: int = 10) -> Figure:
    """Reliability diagram (equal-count bins) over a histogram of predictions, with ECE in the title."""
    y, p = check_inputs(y_true, y_prob)
    if bins < 1:
        raise ValueError(f"bins must be at least 1; got {bins}")
    predicted, observed = _reliability(y, p, bins)
    ece = expected_calibration_error(y, p, bins)
    fig = new_figure()
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.plot([0, 1], [0, 1], color=_BASELINE, ls="--", lw=1, label="perfectly calibrated")
    top.plot(
        predicted, observed, "o-", color=_MODEL, lw=2, label=f"model ({len(predicted)} equal-count bins)"
    )
    top.set(xlim=(0, 1), ylim=(0, 1.01))
    top.set_ylabel("Observed conversion rate")
    top.set_title(f"Calibration (ECE = {ece:.3f}, {bins} equal-width bins)")
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    bottom.hist(p, bins=np.linspace(0, 1, 41).tolist(), color=_MODEL, alpha=0.7)
    bottom.set_xlabel("Predicted probability of conversion")
    bottom.set_ylabel("Leads")
    bottom.grid(alpha=0.3)
    return fig


def gains_figure(gains: pd.DataFrame) -> Figure:
    """Cumulative gains curve against the random baseline, next to lift per decile, from gains_table."""
    fig = new_figure()
    curve, bars = fig.subplots(1, 2)
    x = np.concatenate([[0.0], gains["cumulative_leads_pct"].to_numpy(dtype=float)])
    y = np.concatenate([[0.0], gains["cumulative_conversions_pct"].to_numpy(dtype=float)])
    curve.plot(x, y, "o-", color=_MODEL, lw=2, ms=4, label="model")
    curve.plot([0, 100], [0, 100], color=_BASELINE, ls="--", lw=1, label="random")
    curve.set(xlim=(0, 100), ylim=(0, 101))
    curve.set_xlabel("Leads contacted (%, best first)")
    curve.set_ylabel("Conversions captured (%)")
    curve.set_title("Cumulative gains")
    curve.legend(loc="lower right")
    curve.grid(alpha=0.3)
    deciles = gains["decile"].to_numpy()
    bars.bar(deciles, gains["lift"].to_numpy(dtype=float), color=_MODEL)
    bars.axhline(1.0, color=_BASELINE, ls="--", lw=1, label="random (lift 1)")
    bars.set_xticks(deciles)
    bars.set_xlabel("Decile (1 = highest scores)")
    bars.set_ylabel("Lift (decile rate / overall rate)")
    bars.set_title("Lift per decile")
    bars.legend(loc="upper right")
    bars.grid(alpha=0.3, axis="y")
    return fig


def importance_figure(names: list[str], values: ArrayLike, top: int = 20) -> Figure:
    """Horizontal bars of the `top` most important features, largest on top."""
    v = np.asarray(values, dtype=float)
    if len(names) != len(v):
        raise ValueError(
            f"names has {len(names)} entries but values has {len(v)}; pass one value per feature"
        )
    order = np.argsort(-v, kind="stable")[:top]
    fig = new_figure()
    ax = fig.add_subplot()
    positions = np.arange(len(order))
    ax.barh(positions, v[order], color=_MODEL)
    ax.set_yticks(positions, [names[i] for i in order], fontsize=8 if len(order) > 12 else 10)
    ax.invert_yaxis()
    ax.set_xlabel("Importance")
    ax.set_title(f"Feature importance (top {len(order)} of {len(names)})")
    ax.grid(alpha=0.3, axis="x")
    return fig


def grade_cut_lines(ax: Axes, thresholds: dict[str, float]) -> None:
    """Dashed vertical line at each grade's lower score bound, labelled with the grade."""
    for grade, score in thresholds.items():
        ax.axvline(score, color="black", ls=":", lw=1)
        ax.annotate(
            f"{grade} ≥ {score:g}",
            xy=(score, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -2),
            textcoords="offset points",
            va="top",
            fontsize=8,
        )


def score_distribution_figure(
    scores: ArrayLike, y_true: ArrayLike, thresholds: dict[str, float] | None = None
) -> Figure:
    """Score histograms for converted and unconverted leads, each as % of its group, with grade cut-offs."""
    y = check_labels(y_true)
    s = np.asarray(scores, dtype=float)
    if s.shape != y.shape:
        raise ValueError(f"scores has shape {s.shape} but y_true has {len(y)} rows; pass one score per lead")
    if not np.isfinite(s).all() or s.min() < 0 or s.max() > 100:
        raise ValueError("scores must be finite values in [0, 100]")
    edges = np.linspace(0, 100, 21).tolist()  # width 5, so integer scores do not alias
    fig = new_figure()
    ax = fig.add_subplot()
    for value, name, color in ((0, "not converted", _NEGATIVE), (1, "converted", _POSITIVE)):
        group = s[y == value]
        if len(group):
            weights = np.full(len(group), 100.0 / len(group))
            ax.hist(
                group, bins=edges, weights=weights, color=color, alpha=0.6, label=f"{name} (n={len(group):,})"
            )
    grade_cut_lines(ax, thresholds or {})
    ax.set_xlim(0, 100)
    ax.set_xlabel("Lead score (0-100)")
    ax.set_ylabel("Share of group (%)")
    ax.set_title("Score distribution by outcome")
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.9))
    ax.grid(alpha=0.3, axis="y")
    return fig


def grade_figure(grades: pd.DataFrame) -> Figure:
    """Conversion rate per grade as bars, each annotated with its lead count, against the overall rate."""
    table = grades.set_index("grade").reindex(list(GRADES))
    leads = table["leads"].fillna(0).to_numpy(dtype=float)
    rate_pct = 100.0 * table["conversion_rate"].fillna(0).to_numpy(dtype=float)
    fig = new_figure()
    ax = fig.add_subplot()
    bars = ax.bar(list(GRADES), rate_pct, color=_MODEL)
    ax.bar_label(bars, labels=[f"{int(n):,} leads" for n in leads], padding=2, fontsize=9)
    total = leads.sum()
    if total > 0:
        overall = 100.0 * table["conversions"].fillna(0).sum() / total
        ax.axhline(overall, color=_BASELINE, ls="--", lw=1, label=f"overall = {overall:.1f}%")
        ax.legend(loc="upper right")
    ax.set_ylim(0, max(float(rate_pct.max()), 1.0) * 1.15)
    ax.set_xlabel("Grade")
    ax.set_ylabel("Conversion rate (%)")
    ax.set_title("Conversion rate by grade")
    ax.grid(alpha=0.3, axis="y")
    return fig


def drift_figure(
    features: pd.DataFrame,
    bands: dict[str, float],
    top: int = 15,
    against: str = "newest leads against older ones",
) -> Figure:
    """PSI per feature (DriftReport.features: by default of the newest leads `against` the older ones), largest on
    top, with a line at each band's lower bound; flagged features take their band's colour, the rest blue."""
    shown = features.sort_values("psi", ascending=False, kind="stable").head(top)
    psi = shown["psi"].to_numpy(dtype=float)
    band = shown["band"].where(shown["flagged"].astype(bool), "")
    colors = band.map({"alert": "tab:red", "watch": _POSITIVE}).fillna(_MODEL).tolist()
    fig = new_figure()
    ax = fig.add_subplot()
    positions = np.arange(len(shown))
    bars = ax.barh(positions, psi, color=colors)
    ax.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
    ax.set_yticks(positions, shown["feature"].astype(str).tolist(), fontsize=8 if len(shown) > 12 else 10)
    ax.invert_yaxis()
    for i, (name, value) in enumerate(sorted(bands.items(), key=lambda b: b[1])):
        ax.axvline(value, color="black", ls=":" if i == 0 else "--", lw=1, label=f"{name} (PSI {value:g})")
    ax.set_xlim(0, max([*bands.values(), *psi, 0.01]) * 1.15)
    ax.set_xlabel(f"PSI, {against}")
    ax.set_title(f"Drift per feature (top {len(shown)} of {len(features)})")
    if bands:
        ax.legend(loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    return fig
