"""The monitoring section's figures: every interval in view, pending groups told apart, no pyplot state left."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from training.monitoring_plots import conversion_figure, score_mix_figure

COLUMNS = ["key", "observed", "low", "high", "expected", "pending"]


def test_conversion_keeps_every_interval_and_expected_rate_in_view() -> None:
    weeks = pd.DataFrame(
        [("2026-W22", 0.2, 0.1, 0.3, 0.18, False), ("2026-W23", 0.1, 0.02, 0.4, 0.2, True)], columns=COLUMNS
    )
    grades = pd.DataFrame(
        [("A", 0.5, 0.35, 0.62, 0.7, False), ("D", 0.0, 0.0, 0.05, 0.04, False)], columns=COLUMNS
    )
    before = plt.get_fignums()
    fig = conversion_figure(weeks, grades, confidence=0.9)
    left, right = fig.axes[:2]
    assert left.get_ylim()[0] == 0 and left.get_ylim()[1] > 70.0 and right.get_ylim() == left.get_ylim()
    assert [t.get_text() for t in right.get_xticklabels()] == ["A", "D"]
    labels = left.get_legend_handles_labels()[1]
    assert "observed (90% interval)" in labels and "observed, pending" in labels
    assert plt.get_fignums() == before


def test_conversion_leaves_out_an_empty_panel_and_refuses_nothing_to_plot() -> None:
    grades = pd.DataFrame([("B", 0.2, 0.1, 0.3, 0.2, False)], columns=COLUMNS)
    fig = conversion_figure(pd.DataFrame(columns=COLUMNS), grades)
    assert [ax.get_title() for ax in fig.axes] == ["per grade"]
    with pytest.raises(ValueError, match="no group with a final outcome"):
        conversion_figure(pd.DataFrame(columns=COLUMNS), pd.DataFrame(columns=COLUMNS))


def test_score_mix_shows_training_alone_or_beside_now() -> None:
    alone = score_mix_figure([0.1] * 10, thresholds={"A": 90.0})
    assert len(alone.axes[0].patches) == 10 and alone.axes[0].get_title() == "Training leads' scores"
    both = score_mix_figure([0.1] * 10, [0.05] * 5 + [0.15] * 5)
    assert len(both.axes[0].patches) == 20 and both.axes[0].get_ylim()[1] > 15.0
    with pytest.raises(ValueError, match="one share per score bin"):
        score_mix_figure([0.5, 0.5])
