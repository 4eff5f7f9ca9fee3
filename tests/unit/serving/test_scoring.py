"""Scoring leads for the API: one lead alone and in a batch get the same answer, sub-scores included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest
from test_rows import messy_leads, typed_leads

from features.model import LeadModel
from serving.model_store import LoadedModel, Target
from serving.requests import request_models
from serving.scoring import score_leads


def loaded_model(model: LeadModel) -> LoadedModel:
    return LoadedModel(
        target=Target(load_uri="memory", version="7"),
        model=model,
        pyfunc=None,  # type: ignore[arg-type]  # scoring never calls it
        requests=request_models(model.schema, max_batch=1000),
        loaded_at=datetime.now(UTC),
    )


@pytest.mark.parametrize("with_reasons", [True, False])
def test_a_lead_scores_the_same_alone_and_in_a_batch(
    lead_model: LeadModel, raw_leads: pd.DataFrame, with_reasons: bool
) -> None:
    loaded = loaded_model(lead_model)
    assert set(lead_model.groups) == {"fit", "engagement"}  # sub-scores are part of what must agree
    leads: list[dict[str, Any]] = messy_leads(lead_model, raw_leads, 150, seed=21) + typed_leads(
        raw_leads, 150
    )
    together = score_leads(loaded, leads, with_reasons=with_reasons)
    alone = [score_leads(loaded, [lead], with_reasons=with_reasons)[0] for lead in leads]
    assert together == alone
    assert all((item["reasons"] is None) != with_reasons for item in together)
    assert {item["model_version"] for item in together} == {"7"}
    assert any(item["unseen"] for item in together)
