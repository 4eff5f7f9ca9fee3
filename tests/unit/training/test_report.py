"""The model report's content: metrics, family and why, tables, embedded plots, leakage; and model URI parsing."""

from __future__ import annotations

import base64
import functools
import io
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from training import plots
from training.evaluate import Evaluation, evaluate
from training.report import ReportError, ReportInputs, parse_model_uri
from training.report_render import to_html, to_markdown

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


@functools.cache
def _scored_holdout() -> tuple[Evaluation, dict[str, bytes]]:
    """A small scored holdout's evaluation and plots, as a training run logs them (made once: plots are slow)."""
    rng = np.random.default_rng(0)
    probability = rng.uniform(0.01, 0.99, 600)
    y = (rng.uniform(size=600) < probability).astype(int)
    grades = np.select([probability > 0.8, probability > 0.5, probability > 0.2], ["A", "B", "C"], "D")
    evaluation = evaluate(y, probability, grades)
    figures = {
        "calibration.png": plots.calibration_figure(y, probability),
        "gains.png": plots.gains_figure(evaluation.gains),
        "conversion_by_grade.png": plots.grade_figure(evaluation.grades),
    }
    return evaluation, {name: _png(figure) for name, figure in figures.items()}


def _inputs(info: dict[str, Any] | None = None, **overrides: Any) -> ReportInputs:
    """A report's inputs as a real training run would log them."""
    evaluation, pngs = _scored_holdout()
    importance = pd.DataFrame({"feature": ["visits", "source", "unused"], "gain": [30.0, 10.0, 0.0]})
    power = pd.DataFrame({"feature": ["status", "visits"], "single_feature_auc": [0.985, 0.71]})
    fields: dict[str, Any] = {
        "name": "lead-scoring",
        "version": "3",
        "aliases": ["champion"],
        "run_id": "abc123",
        "params": {"data_sha256": "f" * 64, "rows": "600", "train_rows": "480", "split": "time"},
        "metrics": evaluation.flat_metrics(),
        "tags": {"promoted": "True", "promotion_reason": "no champion yet"},
        "info": info or {},
        "grade_cuts": {"A": 90.0, "B": 70.0, "C": 40.0},
        "tables": {
            "gains": evaluation.gains,
            "grades": evaluation.grades,
            "importance": importance,
            "single_feature_auc": power,
        },
        "plots": dict(pngs),
    }
    fields.update(overrides)
    return ReportInputs(**fields)


def test_html_shows_every_holdout_metric_with_its_value() -> None:
    inputs = _inputs()
    page = to_html(inputs)
    for label in ("ROC AUC", "PR AUC", "Log loss", "Brier score", "ECE", "Lift@10%"):
        assert f"<td>{label}</td>" in page, label
    assert f"<td>{inputs.metrics['holdout_roc_auc']:.4f}</td>" in page
    assert f"<td>{inputs.metrics['holdout_ece']:.4f}</td>" in page
    assert f"<td>{inputs.metrics['holdout_lift_top_decile']:.2f}</td>" in page
    assert "lead-scoring version 3" in page and "@champion" in page and "abc123" in page
    assert "f" * 64 in page  # the data digest names exactly the data the run saw


def test_plots_are_embedded_as_png_and_nothing_is_fetched_from_outside() -> None:
    inputs = _inputs()
    page = to_html(inputs)
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(embedded) == len(inputs.plots)
    assert {base64.b64decode(data) for data in embedded} == set(inputs.plots.values())
    assert all(base64.b64decode(data).startswith(PNG_MAGIC) for data in embedded)
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "plots/roc.png was not logged" in page  # a plot the run lacks is named, not silently skipped


def test_family_defaults_gracefully_when_the_model_does_not_record_it() -> None:
    page = to_html(_inputs())
    assert "chosen family: lightgbm" in page
    assert "why: not recorded" in page
    assert "Cross-validation comparison of families: not recorded." in page


def test_family_selection_table_marks_the_chosen_family_and_gives_the_reason() -> None:
    info = {
        "family": "logistic",
        "selection": {
            "lightgbm": {"cv_roc_auc": 0.861, "cv_log_loss": 0.45},
            "logistic": {"cv_roc_auc": 0.874, "cv_log_loss": 0.43},
            "naive_bayes": {"cv_roc_auc": 0.80, "cv_log_loss": 0.52},
        },
        "selection_reason": "best cross-validated ROC AUC",
    }
    page = to_html(_inputs(info))
    assert "chosen family: logistic" in page
    assert "why: best cross-validated ROC AUC" in page
    rows = re.findall(r"<tr>\s*<td>(\w+)</td>\s*<td>(yes|)</td>\s*<td>([\d.]+)</td>", page)
    assert rows == [("logistic", "yes", "0.8740"), ("lightgbm", "", "0.8610"), ("naive_bayes", "", "0.8000")]


def test_grades_gains_features_and_leakage_are_reported() -> None:
    inputs = _inputs(tags={"leakage_warnings": "feature 'status' alone reaches ROC AUC 0.985"})
    page = to_html(inputs)
    grades = inputs.tables["grades"].set_index("grade")
    assert f"<td>{grades.loc['A', 'conversion_rate']:.1%}</td>" in page
    assert "<td>90</td>" in page  # grade A's score cut
    assert "<th>conversions captured (cumulative)</th>" in page
    assert "<td>visits</td>" in page and "<td>unused</td>" not in page  # zero-gain features are left out
    assert "feature &#x27;status&#x27; alone reaches ROC AUC 0.985" in page
    assert "refused unless --allow-leaky" in page


def test_text_from_the_run_is_escaped() -> None:
    page = to_html(_inputs(name="<script>alert(1)</script>"))
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


def test_a_run_without_tables_or_plots_still_reports_what_it_has() -> None:
    page = to_html(_inputs(tables={}, plots={}, metrics={}, info={"holdout_metrics": {"roc_auc": 0.8123}}))
    assert "<td>0.8123</td>" in page  # from the model's own record when the run has no metrics
    assert page.count("was not logged by this run") == 8  # the drift plot too
    assert "data:image" not in page


def test_markdown_links_the_run_plots_and_renders_tables() -> None:
    text = to_markdown(_inputs())
    assert text.startswith("# Model report: lead-scoring version 3")
    assert "![calibration](../plots/calibration.png)" in text
    assert "| ROC AUC |" in text
    assert "data:image" not in text


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/lead-scoring@champion", ("lead-scoring", None, "champion")),
        ("models:/lead-scoring/12", ("lead-scoring", "12", None)),
        (" models:/x_edu@challenger ", ("x_edu", None, "challenger")),
    ],
)
def test_model_uris_name_a_version_or_an_alias(
    uri: str, expected: tuple[str, str | None, str | None]
) -> None:
    assert parse_model_uri(uri) == expected


@pytest.mark.parametrize(
    "uri",
    ["lead-scoring", "models:/", "models:/lead-scoring", "runs:/abc/model", "models:/a/b/c", "models:/a@"],
)
def test_other_uris_are_one_line_errors(uri: str) -> None:
    with pytest.raises(ReportError, match=r"^--model .*expected models:/NAME@ALIAS or models:/NAME/VERSION$"):
        parse_model_uri(uri)
