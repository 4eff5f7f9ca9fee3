"""Scoring a lead file with a registered model: id, probability, score, grade, reasons and sub-scores per lead.

The file is read in chunks (features/table_chunks.py) that a process per core scores, each chunk through
`LeadModel.score` with one thread; the main process writes the answers in input order as they come, so memory is
bounded by the chunk size, not the file's. Answers go to a partial file renamed at the end: a failure leaves the old
answer, or none, behind.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import mlflow
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from features.csv_writer import CsvWriter
from features.model import LeadModel
from features.schema import check_feature_columns
from features.score_columns import score_chunk
from features.table_chunks import TableChunks
from features.tables import DataError

CHUNK_ROWS = 50_000
log = logging.getLogger(__name__)


def load_lead_model(uri: str) -> LeadModel:
    """The LeadModel inside a registered pyfunc (`models:/name@alias`, `runs:/...` or a local path), from the
    tracking server MLflow is set to."""
    model = mlflow.pyfunc.load_model(uri).unwrap_python_model()
    if not isinstance(model, LeadModel):
        raise DataError(f"{uri} is not a leadscore model")
    return model


_model: LeadModel | None = None  # the model a worker scores with: its parent's, inherited when the pool forks


def _adopt(model: LeadModel, forked: bool) -> None:
    global _model
    _model = model
    if forked:
        gc.freeze()  # what the worker inherited stays: the collector skips it (a quarter less CPU a chunk, measured)


def _score_in_worker(leads: pa.RecordBatch, with_reasons: bool, structs: bool) -> pa.RecordBatch:
    assert _model is not None
    return score_chunk(_model, leads, with_reasons, structs=structs)


def _pool(model: LeadModel, workers: int) -> Executor:
    """A process per core, forked with the model loaded and its tables built; threads where processes cannot fork.

    On two cores, reading, scoring and writing a million leads took 1.3x less time on processes than on threads
    (1.7x with `gc.freeze`): cleaning, the category lookups and the TreeSHAP table's many small numpy steps hold
    the GIL for much of a chunk's work.
    """
    if "fork" not in mp.get_all_start_methods():
        return ThreadPoolExecutor(workers, initializer=_adopt, initargs=(model, False))
    pool = ProcessPoolExecutor(
        workers, mp_context=mp.get_context("fork"), initializer=_adopt, initargs=(model, True)
    )
    # the first task forks them all: now, before the reader's and the progress bar's threads start
    pool.submit(int).result()
    return pool


def _write_scores(
    chunks: TableChunks,
    pool: Executor,
    workers: int,
    partial: Path,
    parquet: bool,
    with_reasons: bool,
    progress: bool,
) -> int:
    """Score the chunks on the pool and write each answer to `partial` (CSV or Parquet) in input order as it comes;
    one chunk waits per worker, so memory holds a few chunks whatever the file's size."""
    in_flight: deque[Future[pa.RecordBatch]] = deque()
    bar = tqdm(
        total=chunks.total,
        desc="scoring",
        unit=chunks.unit,
        unit_scale=True,
        disable=not progress or chunks.total < (CHUNK_ROWS if chunks.unit == "lead" else 1 << 22),
    )
    writer: CsvWriter | pq.ParquetWriter | None = None
    written = 0

    def write_next() -> None:
        nonlocal writer, written
        scored = in_flight.popleft().result()
        if writer is None:
            writer = pq.ParquetWriter(partial, scored.schema) if parquet else CsvWriter(partial)
        writer.write_batch(scored)
        written += scored.num_rows
        bar.update(chunks.done() - bar.n)
        bar.set_postfix_str(f"{written:,} leads", refresh=False)

    try:
        for chunk in chunks:
            in_flight.append(pool.submit(_score_in_worker, chunk, with_reasons, parquet))
            if len(in_flight) > workers:  # one chunk waiting per worker keeps them busy while this one writes
                write_next()
        while in_flight:
            write_next()
    finally:
        bar.close()
        for future in in_flight:
            future.cancel()
        if writer is not None:
            writer.close()
    return written


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

    Feature columns the file lacks are scored as missing, with one `warn`ing naming them once all are scored;
    with none of them, or any missing and `strict`, SchemaError and nothing is written.
    """
    if out.suffix.lower() not in {".csv", ".parquet"}:
        raise DataError(f"--out {out}: use a .csv or .parquet file name")
    model = load_lead_model(uri)
    model.prepare()  # once, before the workers start, not in each of them
    names: Iterable[str] = [model.schema_dict["id"], *model.schema.features]
    partial = out.with_name(f".{out.name}.partial")
    workers = max(1, os.cpu_count() or 1)
    with _pool(model, workers) as pool:
        # read after loading, not beside it: load_table sets warning filters, which are process-wide
        chunks = TableChunks(data, names, CHUNK_ROWS)
        lacking = check_feature_columns(model.schema, chunks.columns, str(data), 0, strict)
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            parquet = out.suffix.lower() == ".parquet"
            rows = _write_scores(chunks, pool, workers, partial, parquet, with_reasons, progress)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    if lacking:  # named with the count of leads it concerns, known now
        warn(str(check_feature_columns(model.schema, chunks.columns, str(data), rows, strict)))
    return rows, model
