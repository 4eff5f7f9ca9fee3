"""A file scored in chunks by forked workers holds what one pass of `LeadModel.score` gives, for every family."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from hand_made_models import FAMILIES, lead_model, leads

from features import batch
from features.families import LightGBMScorer
from features.model import LeadModel
from features.tables import load_table


def big_trees() -> LeadModel:
    """The hand-made LightGBM model with trees too big for the TreeSHAP table: LightGBM's own predict scores it."""
    model = lead_model("lightgbm")
    matrix = model.preprocessor.transform(leads(600, 0))
    y = (np.random.default_rng(1).random(len(matrix)) < 0.3).astype(int)
    params = {
        "objective": "binary",
        "verbosity": -1,
        "num_threads": 1,
        "num_leaves": 31,
        "min_data_in_leaf": 3,
    }
    model.scorer = LightGBMScorer(lgb.train(params, lgb.Dataset(matrix, label=y), num_boost_round=20))
    assert model.scorer.prepare() is None
    return model


def one_pass(model: LeadModel, frame: pd.DataFrame) -> pd.DataFrame:
    """What `leadscore score` writes, from one call of `LeadModel.score` on the whole table."""
    expected = model.score_frame(frame)
    scored = model.score(frame, reasons=True)
    assert scored.reasons is not None
    expected["reasons_positive"] = [json.dumps(r["positive"]) for r in scored.reasons]
    expected["reasons_negative"] = [json.dumps(r["negative"]) for r in scored.reasons]
    for group, sub in scored.groups.items():
        expected[f"{group}_probability"] = sub.probability
        expected[f"{group}_score"] = sub.score
        expected[f"{group}_impact"] = sub.impact
    return expected


@pytest.mark.parametrize("family", [*FAMILIES, "lightgbm-big-trees"])
def test_chunks_scored_by_workers_write_what_one_pass_gives(
    family: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = big_trees() if family == "lightgbm-big-trees" else lead_model(family)
    leads(3000, seed=5, unseen=True).to_csv(tmp_path / "leads.csv", index=False)
    monkeypatch.setattr(batch, "load_lead_model", lambda uri: model)
    monkeypatch.setattr(batch, "CHUNK_ROWS", 300)  # about ten chunks, more than the workers
    rows, _ = batch.score_file("hand-made", tmp_path / "leads.csv", tmp_path / "scored.csv", progress=False)
    assert rows == 3000
    expected = one_pass(model, load_table(tmp_path / "leads.csv"))
    assert (tmp_path / "scored.csv").read_bytes() == expected.to_csv(index=False).encode()
