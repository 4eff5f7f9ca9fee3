"""A small fitted LeadModel (no MLflow) and the raw leads it learned from, for pure scoring tests."""

from __future__ import annotations

import pandas as pd
import pytest

from features.model import LeadModel


@pytest.fixture(scope="session")
def raw_leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """3,000 synthetic leads read back from CSV as `leadscore score` reads them: text, placeholders included."""
    from features.tables import load_table
    from leadscore.synthetic import generate_leads

    table, _ = generate_leads(3000, seed=11)
    path = tmp_path_factory.mktemp("rows") / "leads.csv"
    table.to_csv(path, index=False)
    return load_table(path)


@pytest.fixture(scope="session")
def lead_model(raw_leads: pd.DataFrame) -> LeadModel:
    from leadscore.synthetic import synthetic_schema
    from training.fit import fit_model

    y = raw_leads["converted"].astype(int).to_numpy()
    stamps = pd.to_datetime(raw_leads["created_at"])
    return fit_model(raw_leads, y, stamps, synthetic_schema(), folds=2, max_trials=1, progress=False).model
