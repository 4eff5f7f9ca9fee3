"""Each report figure draws data, saves to PNG and leaves no pyplot state behind."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from training import plots
from training.evaluate import evaluate


def _leads(n: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Simulated holdout: labels, probabilities, 0-100 scores and grades."""
    rng = np.random.default_rng(0)
    p = 1.0 / (1.0 + np.exp(-rng.normal(-2.0, 1.2, n)))
    y = (rng.random(n) < p).astype(int)
    scores = np.rint(100.0 * np.argsort(np.argsort(p)) / (n - 1))
    grades = np.select([scores >= 90, scores >= 70, scores >= 40], ["A", "B", "C"], "D")
    return y, p, scores, grades


NAMES = ("roc", "precision_recall", "calibration", "gains", "importance", "score_distribution", "grade")


@pytest.fixture(scope="module")
def figures() -> dict[str, Callable[[], Figure]]:
    """One way to build each figure from the same simulated holdout."""
    y, p, scores, grades = _leads()
    result = evaluate(y, p, grades)
    names = [f"feature_{i}" for i in range(30)]
    return {
        "roc": lambda: plots.roc_figure(y, p, label="lgbm"),
        "precision_recall": lambda: plots.precision_recall_figure(y, p),
        "calibration": lambda: plots.calibration_figure(y, p),
        "gains": lambda: plots.gains_figure(result.gains),
        "importance": lambda: plots.importance_figure(names, np.arange(30.0)),
        "score_distribution": lambda: plots.score_distribution_figure(
            scores, y, {"A": 90.0, "B": 70.0, "C": 40.0}
        ),
        "grade": lambda: plots.grade_figure(result.grades),
    }


@pytest.mark.parametrize("name", NAMES)
def test_figure_has_data_labels_and_saves_to_png(
    name: str, figures: dict[str, Callable[[], Figure]], tmp_path: Path
) -> None:
    assert set(figures) == set(NAMES)
    before = plt.get_fignums()
    fig = figures[name]()
    assert isinstance(fig, Figure)
    assert any(ax.has_data() for ax in fig.axes)
    assert any(ax.get_title() for ax in fig.axes)
    assert any(ax.get_xlabel() for ax in fig.axes)
    assert all(ax.get_xlabel() or ax.get_ylabel() for ax in fig.axes)
    out = tmp_path / f"{name}.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert plt.get_fignums() == before


def test_importance_shows_largest_on_top_and_only_top_n() -> None:
    fig = plots.importance_figure(["small", "big", "medium"], np.array([1.0, 3.0, 2.0]), top=2)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["big", "medium"]
    assert ax.yaxis_inverted()


def test_calibration_title_reports_ece() -> None:
    y = np.array([1, 0] * 50)
    fig = plots.calibration_figure(y, np.full(100, 0.9))
    assert "ECE = 0.400" in fig.axes[0].get_title()


def test_grade_figure_annotates_lead_counts_including_empty_grades() -> None:
    y, p, _, _ = _leads(200)
    grades = evaluate(y, p, np.where(p > 0.2, "A", "C")).grades
    ax = plots.grade_figure(grades).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "0 leads" in texts
    assert sum(int(t.split()[0].replace(",", "")) for t in texts) == 200


def test_roc_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="single class"):
        plots.roc_figure(np.zeros(10, dtype=int), np.linspace(0, 1, 10))


def test_drift_shows_top_features_largest_first_against_the_bands(tmp_path: Path) -> None:
    import pandas as pd  # the one test here that builds a table
    from matplotlib.colors import to_rgba

    psi = np.array([0.02, 0.4, 0.15, 0.05] + [0.01] * 16)
    band = np.select([psi > 0.25, psi >= 0.1], ["alert", "watch"], "stable")
    features = pd.DataFrame(
        {"feature": [f"f{i}" for i in range(20)], "psi": psi, "band": band, "flagged": psi >= 0.1}
    )
    before = plt.get_fignums()
    fig = plots.drift_figure(features, {"watch": 0.1, "alert": 0.25})
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["f1", "f2", "f3"] and len(labels) == 15
    assert ax.yaxis_inverted() and "top 15 of 20" in ax.get_title() and ax.get_xlabel()
    assert sorted(line.get_xdata()[0] for line in ax.get_lines()) == [0.1, 0.25]
    assert [bar.get_facecolor() for bar in ax.patches[:3]] == [
        to_rgba("tab:red"),
        to_rgba(plots._POSITIVE),
        to_rgba(plots._MODEL),
    ]
    out = tmp_path / "drift.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == before
