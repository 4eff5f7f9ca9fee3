"""`leadscore score` on files that do not quite match the model: absent feature columns are announced, or refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from small_models import registered_as
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.synthetic import write_synthetic
from training.train import TrainOutcome

MODEL = "score-leads"
URI = f"models:/{MODEL}@champion"
runner = CliRunner()


@pytest.fixture(scope="module")
def champion(small_model) -> TrainOutcome:  # type: ignore[no-untyped-def]
    return registered_as(small_model[1], MODEL)


@pytest.fixture(scope="module")
def new_leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """500 new leads (another synthetic draw than the training one), as a CRM export has them."""
    files = write_synthetic(tmp_path_factory.mktemp("score-new"), rows=500, seed=32)
    return pd.read_csv(files.leads, dtype=str, keep_default_na=False)


def score(data: Path, out: Path, *args: str) -> Any:
    return runner.invoke(app, ["score", "--model", URI, "--data", str(data), "--out", str(out), *args])


def lines(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def test_absent_feature_columns_are_named_once_and_scored_as_missing(
    champion: TrainOutcome, new_leads: pd.DataFrame, tmp_path: Path
) -> None:
    # 3 of the model's 15 features left out of the export, one renamed by the CRM
    export = new_leads.drop(columns=["email_opens", "requested_demo", "utm_campaign"])
    export.rename(columns={"country": "Country"}).to_csv(tmp_path / "export.csv", index=False)
    result = score(tmp_path / "export.csv", tmp_path / "scored.csv")
    assert result.exit_code == 0, result.output
    assert "scored 500 leads" in result.stdout
    [warning] = lines(result.stderr, "warning:")
    assert warning == (
        f"warning: {tmp_path / 'export.csv'} lacks 4 of the model's 15 feature columns: 'email_opens', "
        "'requested_demo', 'utm_campaign', 'country' (did you mean 'Country'?); all 500 leads are scored as if "
        "those were missing (--strict refuses such a file)"
    )
    assert not lines(result.stderr, "error:")
    # scored as if those columns were there and empty
    blanked = new_leads.assign(email_opens="", requested_demo="", utm_campaign="", country="")
    blanked.to_csv(tmp_path / "blanked.csv", index=False)
    assert score(tmp_path / "blanked.csv", tmp_path / "expected.csv").exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "scored.csv"), pd.read_csv(tmp_path / "expected.csv")
    )

    new_leads.to_csv(tmp_path / "complete.csv", index=False)
    complete = score(tmp_path / "complete.csv", tmp_path / "complete-scored.csv")
    assert complete.exit_code == 0, complete.output
    assert not lines(complete.stderr, "warning:")


def test_strict_refuses_any_absent_feature_column_and_writes_nothing(
    champion: TrainOutcome, new_leads: pd.DataFrame, tmp_path: Path
) -> None:
    new_leads.drop(columns=["page_views"]).to_csv(tmp_path / "export.csv", index=False)
    result = score(tmp_path / "export.csv", tmp_path / "scored.csv", "--strict")
    assert result.exit_code == 2, result.output
    [error] = lines(result.stderr, "error:")
    assert error == (
        f"error: {tmp_path / 'export.csv'} lacks 1 of the model's 15 feature columns: 'page_views'; "
        "--strict refuses a file without every feature column"
    )
    assert not (tmp_path / "scored.csv").exists()

    new_leads.to_csv(tmp_path / "complete.csv", index=False)
    complete = score(tmp_path / "complete.csv", tmp_path / "scored.csv", "--strict")
    assert complete.exit_code == 0, complete.output
    assert "scored 500 leads" in complete.stdout


def test_a_file_with_none_of_the_features_is_refused_and_nothing_written(
    champion: TrainOutcome, new_leads: pd.DataFrame, tmp_path: Path
) -> None:
    outcomes = new_leads[["lead_id", "lead_status", "converted"]]
    outcomes.to_csv(tmp_path / "outcomes.csv", index=False)
    (tmp_path / "scored.csv").write_text("yesterday's answer\n")
    result = score(tmp_path / "outcomes.csv", tmp_path / "scored.csv")
    assert result.exit_code == 2, result.output
    [error] = lines(result.stderr, "error:")
    assert error.startswith(
        f"error: {tmp_path / 'outcomes.csv'} has none of the model's 15 feature columns ('page_views', "
    )
    assert error.endswith("and 7 more); wrong file or model?")
    assert (tmp_path / "scored.csv").read_text() == "yesterday's answer\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outcomes.csv", "scored.csv"]


def test_the_output_carries_the_fit_and_engagement_sub_scores(
    champion: TrainOutcome, new_leads: pd.DataFrame, tmp_path: Path
) -> None:
    new_leads.to_csv(tmp_path / "leads.csv", index=False)
    assert score(tmp_path / "leads.csv", tmp_path / "scored.csv").exit_code == 0
    scored = pd.read_csv(tmp_path / "scored.csv")
    groups = [
        f"{group}_{part}" for group in ("fit", "engagement") for part in ("probability", "score", "impact")
    ]
    assert list(scored.columns) == [
        "lead_id",
        "probability",
        "score",
        "grade",
        "reasons_positive",
        "reasons_negative",
        *groups,
    ]
    assert scored[groups].notna().all().all()
    assert scored["fit_score"].between(0, 100).all() and scored["engagement_score"].between(0, 100).all()
    # each group differs from lead to lead, and the two groups are not the same numbers
    assert scored["fit_impact"].nunique() > 10 and scored["engagement_impact"].nunique() > 10
    assert not scored["fit_probability"].equals(scored["engagement_probability"])

    assert score(tmp_path / "leads.csv", tmp_path / "bare.csv", "--no-reasons").exit_code == 0
    assert list(pd.read_csv(tmp_path / "bare.csv").columns) == ["lead_id", "probability", "score", "grade"]
