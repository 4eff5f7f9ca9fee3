"""Batch scoring of a lead file with a registered model: id, probability, score, grade, reasons and sub-scores.

Chunks are scored on a thread per core, each with a single-threaded predict (the booster releases the GIL), while
the main thread writes the answers in input order, so cleaning, encoding and writing overlap the booster's work.
"""

from __future__ import annotations

import json
import logging
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import mlflow
import pandas as pd
from tqdm.auto import tqdm

from features.model import LeadModel
from features.schema import check_feature_columns
from training.config import tracking_uri
from training.data import DataError
from training.table_file import load_table

CHUNK_ROWS = 50_000
log = logging.getLogger(__name__)


def load_lead_model(uri: str) -> LeadModel:
    """The LeadModel inside a registered pyfunc (`models:/name@alias`, `runs:/...` or a local path)."""
    mlflow.set_tracking_uri(tracking_uri())
    model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    if not isinstance(model, LeadModel):
        raise DataError(f"{uri} is not a leadscore model")
    return model


def score_frame(
    model: LeadModel, leads: pd.DataFrame, with_reasons: bool = True, top: int = 3, threads: int | None = None
) -> pd.DataFrame:
    """Scores for one chunk (`LeadModel.score`); reasons as JSON lists of {feature, value, impact, unseen}.

    With reasons come the schema groups' sub-scores, as the API gives them: `fit_probability`, `fit_score`,
    `fit_impact`, then the same for `engagement` (the API's `fit` and `engagement` fields, flattened).
    `threads` caps the booster's threads for this call (None: all cores).
    """
    scored = model.score(leads, reasons=with_reasons, top=top, threads=threads)
    out = pd.DataFrame({"probability": scored.probability, "score": scored.score, "grade": scored.grade})
    if scored.ids is not None:
        out.insert(0, model.schema_dict["id"], scored.ids)
    if scored.reasons is not None:
        out["reasons_positive"] = [json.dumps(r["positive"]) for r in scored.reasons]
        out["reasons_negative"] = [json.dumps(r["negative"]) for r in scored.reasons]
    for group, sub in scored.groups.items():
        out[f"{group}_probability"] = sub.probability
        out[f"{group}_score"] = sub.score
        out[f"{group}_impact"] = sub.impact
    return out


def _write_scores(
    model: LeadModel,
    leads: pd.DataFrame,
    out: Path,
    pool: ThreadPoolExecutor,
    workers: int,
    with_reasons: bool,
    progress: bool,
) -> None:
    """Score chunks on the pool and write each answer in input order as it comes; `out` appears only when all did."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    parquet = out.suffix.lower() == ".parquet"
    parts: list[pd.DataFrame] = []
    in_flight: deque[Future[pd.DataFrame]] = deque()
    bar = tqdm(total=len(leads), desc="scoring", unit="lead", disable=not progress or len(leads) < CHUNK_ROWS)
    written = 0

    def write_next() -> None:
        nonlocal written
        scored = in_flight.popleft().result()
        if parquet:
            parts.append(scored)
        else:
            scored.to_csv(partial, index=False, header=written == 0, mode="a" if written else "w")
        written += len(scored)
        bar.update(len(scored))

    try:
        for start in range(0, len(leads), CHUNK_ROWS):
            chunk = leads.iloc[start : start + CHUNK_ROWS]
            in_flight.append(pool.submit(score_frame, model, chunk, with_reasons, threads=1))
            if (
                len(in_flight) > workers
            ):  # one chunk waiting per core keeps them busy while this thread writes
                write_next()
        while in_flight:
            write_next()
        if parquet:
            pd.concat(parts, ignore_index=True).to_parquet(partial, index=False)
        partial.replace(out)
    finally:
        bar.close()
        for future in in_flight:
            future.cancel()
        partial.unlink(missing_ok=True)


def score_file(
    uri: str,
    data: Path,
    out: Path,
    with_reasons: bool = True,
    progress: bool = True,
    strict: bool = False,
    warn: Callable[[str], None] = log.warning,
) -> tuple[int, LeadModel]:
    """Score every lead in `data` and write `out` (.csv or .parquet); returns the row count and the model used.

    Feature columns the file lacks are scored as missing, with one `warn`ing naming them; with none of them, or
    any missing and `strict`, SchemaError and nothing is written.
    """
    if out.suffix.lower() not in {".csv", ".parquet"}:
        raise DataError(f"--out {out}: use a .csv or .parquet file name")
    model = load_lead_model(uri)
    # read after loading, not beside it: load_table sets warning filters, which are process-wide
    leads = load_table(data)
    missing = check_feature_columns(model.schema, leads.columns, str(data), len(leads), strict)
    if missing:
        warn(missing)
    workers = max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers, thread_name_prefix="score") as pool:
        _write_scores(model, leads, out, pool, workers, with_reasons, progress)
    return len(leads), model
