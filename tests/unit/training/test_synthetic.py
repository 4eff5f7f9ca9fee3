"""The synthetic lead generator: deterministic, realistic in the ways training relies on, with its own schema."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from features.schema import load_schema
from training.synthetic import generate_leads, write_synthetic


@pytest.fixture(scope="module")
def leads() -> tuple[pd.DataFrame, pd.Series]:
    return generate_leads(5000, seed=3)


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    a = write_synthetic(tmp_path / "a", rows=500, seed=1)
    b = write_synthetic(tmp_path / "b", rows=500, seed=1)
    c = write_synthetic(tmp_path / "c", rows=500, seed=2)
    for name in ("leads", "schema", "truth"):
        assert getattr(a, name).read_bytes() == getattr(b, name).read_bytes()
    assert a.leads.read_bytes() != c.leads.read_bytes()


def test_schema_file_matches_the_table(tmp_path: Path) -> None:
    files = write_synthetic(tmp_path, rows=300, seed=0)
    schema = load_schema(files.schema)
    table = pd.read_csv(files.leads)
    for column in [schema.id, schema.label_column, schema.timestamp, *schema.features, *schema.drop]:
        assert column in table.columns
    assert "lead_status" in schema.drop and "lead_status" not in schema.features
    truth = pd.read_csv(files.truth)
    assert list(truth["lead_id"]) == list(table["lead_id"])
    assert truth["true_probability"].between(0, 1).all()


def test_ids_unique_rate_realistic_and_campaigns_many(leads: tuple[pd.DataFrame, pd.Series]) -> None:
    table, _ = leads
    assert table["lead_id"].is_unique
    assert 0.05 < table["converted"].mean() < 0.2
    assert table["utm_campaign"].nunique() > 100
    assert pd.to_datetime(table["created_at"]).dt.to_period("M").nunique() >= 17


def test_weak_leads_leave_more_blanks(leads: tuple[pd.DataFrame, pd.Series]) -> None:
    table, probability = leads
    blank = (
        table[["industry", "company_size", "seniority"]].isin(["", "Select"])
        | table[["industry", "company_size", "seniority"]].isna()
    )
    weak = probability < probability.quantile(0.25)
    strong = probability > probability.quantile(0.75)
    assert blank[weak].to_numpy().mean() > 1.5 * blank[strong].to_numpy().mean()


def test_oracle_is_informative_and_status_leaks(leads: tuple[pd.DataFrame, pd.Series]) -> None:
    table, probability = leads
    assert 0.75 < roc_auc_score(table["converted"], probability) < 0.92
    won = table["lead_status"].isin(["Closed Won", "Contract Sent"])
    assert roc_auc_score(table["converted"], won) > 0.99


def test_too_few_rows_rejected() -> None:
    with pytest.raises(ValueError, match="at least 100"):
        generate_leads(99, seed=0)
