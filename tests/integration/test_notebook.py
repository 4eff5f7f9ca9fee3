"""The X Education notebook runs top to bottom in a fresh kernel and shows what it promises."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "x_education_leads.ipynb"
X_EDUCATION = REPO.parent / "shared" / "data" / "x_education_leads" / "Leads.csv"
CELL_TIMEOUT_SECONDS = 600  # a slow, shared CI machine; the notebook takes about 80 s here


def _text(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed, as one string."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif "data" in output:
                parts += [str(output.data.get("text/plain", "")), str(output.data.get("text/html", ""))]
    return "\n".join(parts)


def test_committed_notebook_has_no_outputs_and_defines_nothing() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert not [c.source for c in code if re.search(r"^\s*(def|class) ", c.source, re.MULTILINE)]


@pytest.mark.slow
@pytest.mark.skipif(
    not X_EDUCATION.is_file(), reason=f"{X_EDUCATION} not found (../shared is not beside the checkout)"
)
def test_notebook_runs_and_shows_leakage_training_and_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv(
        "TMPDIR", str(tmp_path)
    )  # the notebook's throw-away MLflow lands here, removed with it
    monkeypatch.chdir(tmp_path)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, when any cell fails

    text = _text(notebook)
    assert "9,240 leads, 37 columns, 38.5% converted" in text
    leaky = float(re.search(r"naive model ROC AUC with post-outcome columns: (0\.\d+)", text)[1])  # type: ignore[index]
    honest = float(re.search(r"naive model ROC AUC without post-outcome columns: (0\.\d+)", text)[1])  # type: ignore[index]
    assert leaky > 0.95 > 0.90 > honest > 0.80
    assert "'Tags'" in text  # the guard names the column
    holdout = float(re.search(r"holdout ROC AUC (0\.\d{4})", text)[1])  # type: ignore[index]
    assert 0.85 < holdout < leaky
    assert "Model report: x-education version 1" in text
    assert re.search(
        r"report: .*model_report\.html \(\d+ KiB, 9 plots embedded\)", text
    )  # drift, reference scores too
    assert list(tmp_path.glob("x-education-*/mlflow.db"))  # trained in its own temporary MLflow
