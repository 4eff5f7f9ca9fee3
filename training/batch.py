"""Batch scoring of a lead file with a registered model: id, probability, score, grade and reasons per lead."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
from tqdm.auto import tqdm

from features.model import LeadModel
from features.reasons import reasons
from training.config import tracking_uri
from training.data import DataError, load_table

CHUNK_ROWS = 50_000


def load_lead_model(uri: str) -> LeadModel:
    """The LeadModel inside a registered pyfunc (`models:/name@alias`, `runs:/...` or a local path)."""
    mlflow.set_tracking_uri(tracking_uri())
    model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    if not isinstance(model, LeadModel):
        raise DataError(f"{uri} is not a leadscore model")
    return model


def score_frame(
    model: LeadModel, leads: pd.DataFrame, with_reasons: bool = True, top: int = 3
) -> pd.DataFrame:
    """Scores for one chunk; reasons as JSON lists of {feature, value, impact}."""
    out = model.score_frame(leads)
    if with_reasons:
        found = reasons(model, leads, top=top)
        out["reasons_positive"] = [json.dumps(r["positive"]) for r in found]
        out["reasons_negative"] = [json.dumps(r["negative"]) for r in found]
    return out


def score_file(
    uri: str, data: Path, out: Path, with_reasons: bool = True, progress: bool = True
) -> tuple[int, LeadModel]:
    """Score every lead in `data` and write `out` (.csv or .parquet); returns the row count and the model used."""
    if out.suffix.lower() not in {".csv", ".parquet"}:
        raise DataError(f"--out {out}: use a .csv or .parquet file name")
    model = load_lead_model(uri)
    leads = load_table(data)
    missing = [c for c in model.schema.features if c not in leads.columns]
    if len(missing) == len(model.schema.features):
        raise DataError(
            f"{data} has none of the model's feature columns (e.g. {missing[0]!r}); wrong file or model?"
        )
    chunks = []
    bar = tqdm(total=len(leads), desc="scoring", unit="lead", disable=not progress or len(leads) < CHUNK_ROWS)
    for start in range(0, len(leads), CHUNK_ROWS):
        chunk = leads.iloc[start : start + CHUNK_ROWS]
        chunks.append(score_frame(model, chunk, with_reasons))
        bar.update(len(chunk))
    bar.close()
    result = pd.concat(chunks, ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        result.to_parquet(out, index=False)
    else:
        result.to_csv(out, index=False)
    return len(result), model
