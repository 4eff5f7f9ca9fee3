"""Figures of the model report's monitoring section: the score mix against the training leads' and conversion
observed against expected. Standalone Figures like training/plots.py's (a module of their own to keep both small)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from features.profile import SCORE_BINS
from training.plots import grade_cut_lines, new_figure

TRAINING = "0.6"  # grey: the reference, as on the /monitor page
NOW = "tab:blue"
EXPECTED = "tab:orange"
BIN_WIDTH = 10.0  # SCORE_BINS: 0-9, 10-19, ... 90-100


def score_mix_figure(
    training: Sequence[float], now: Sequence[float] | None = None, thresholds: dict[str, float] | None = None
) -> Figure:
    """Share of leads per score bin (SCORE_BINS) of the training leads, beside the window's when given, with a
    dotted line at each grade's lower score."""
    if len(training) != len(SCORE_BINS) or (now is not None and len(now) != len(SCORE_BINS)):
        raise ValueError(
            f"pass one share per score bin ({len(SCORE_BINS)}: {SCORE_BINS[0]} ... {SCORE_BINS[-1]})"
        )
    left = np.arange(len(SCORE_BINS)) * BIN_WIDTH
    fig = new_figure()
    ax = fig.add_subplot()
    series = [("training leads", training, TRAINING)] + ([("now", now, NOW)] if now is not None else [])
    width = BIN_WIDTH * 0.8 / len(series)
    for i, (label, shares, colour) in enumerate(series):
        x = left + BIN_WIDTH * 0.1 + width * (i + 0.5)
        ax.bar(x, 100.0 * np.asarray(shares, dtype=float), width=width, color=colour, label=label)
    grade_cut_lines(ax, thresholds or {})
    top = max(float(np.max(shares)) for _, shares, _ in series)
    ax.set_ylim(0, 100.0 * max(top, 0.01) * 1.25)  # room above the bars for the legend
    ax.set_xlim(0, 100)
    ax.set_xticks(left + BIN_WIDTH / 2, SCORE_BINS, fontsize=8)
    ax.set_xlabel("Lead score")
    ax.set_ylabel("Share of leads (%)")
    ax.set_title("Score distribution, now against training" if now is not None else "Training leads' scores")
    ax.legend(loc="upper center", ncols=len(series), bbox_to_anchor=(0.5, 0.94))
    ax.grid(alpha=0.3, axis="y")
    return fig


def _conversion_panel(ax: Axes, groups: pd.DataFrame, title: str, confidence: float) -> None:
    """Observed rate with its interval (hollow when the group is pending) and the expected rate, per group."""
    x = np.arange(len(groups))
    observed = 100.0 * groups["observed"].to_numpy(dtype=float)
    errors = np.vstack(
        [
            observed - 100.0 * groups["low"].to_numpy(dtype=float),
            100.0 * groups["high"].to_numpy(dtype=float) - observed,
        ]
    )
    pending = groups["pending"].to_numpy(dtype=bool)
    for mask, face, label in (
        (~pending, NOW, f"observed ({confidence:.0%} interval)"),
        (pending, "white", "observed, pending"),
    ):
        if mask.any():
            ax.errorbar(
                x[mask],
                observed[mask],
                yerr=errors[:, mask],
                fmt="o",
                color=NOW,
                mfc=face,
                capsize=3,
                label=label,
            )
    expected = 100.0 * groups["expected"].to_numpy(dtype=float)
    ax.scatter(x, expected, marker="_", s=300, color=EXPECTED, zorder=3, label="expected (mean probability)")
    ax.set_xticks(x, groups["key"].astype(str).tolist(), fontsize=8, rotation=30 if len(groups) > 6 else 0)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_ylabel("Conversion rate (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")


def conversion_figure(weeks: pd.DataFrame, grades: pd.DataFrame, confidence: float = 0.95) -> Figure:
    """Conversion per week and per grade of the leads with a final outcome: the observed rate with its interval
    against the rate their probabilities expected. Each frame: key, observed, low, high, expected, pending."""
    panels = [
        (frame, title)
        for frame, title in ((weeks, "per week of arrival"), (grades, "per grade"))
        if len(frame)
    ]
    if not panels:
        raise ValueError("no group with a final outcome to plot")
    fig = new_figure()
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for ax, (frame, title) in zip(axes, panels, strict=True):
        _conversion_panel(ax, frame.reset_index(drop=True), title, confidence)
    top = max(float(frame[["high", "expected"]].to_numpy(dtype=float).max()) for frame, _ in panels)
    axes[0].set_ylim(0, 100.0 * max(top, 0.01) * 1.1)  # shared: every interval and expected rate in view
    axes[0].legend(loc="upper left", fontsize=8)
    fig.suptitle("Conversion of leads with a final outcome: observed against expected")
    return fig
