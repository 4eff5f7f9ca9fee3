"""Batch scoring on Spark (`leadscore score --engine spark`): the registered model applied to each partition's Arrow
batches, as `mlflow.pyfunc.spark_udf` applies a model, writing the columns `leadscore score` writes.

The driver downloads the model once and hands Spark a zip of it (MLflow's own `SparkModelCache`, what spark_udf
uses); each Python worker unzips and loads it once and keeps it. The function Spark ships to the workers imports
nothing of leadscore's: it reaches the scoring code (features/score_columns.py) through the loaded model, whose
`code_paths` carry it, so executors need only the model's pip requirements. The session is made by
leadscore/spark_session.py, the output finished and moved into place by leadscore/spark_files.py.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from features.schema import check_feature_columns
from features.tables import MISSING_TOKENS, DataError
from leadscore.spark_files import Files, Output, files_of, replace_folder
from leadscore.spark_session import first_line, has_jvm

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from features.model import LeadModel

CSV_SUFFIXES = (".csv", ".csv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
GLOB = re.compile(r"[*?[{]")  # a path pattern Spark expands; no one file to check for


class SparkJobError(RuntimeError):
    """The Spark job failed while scoring (an executor's error, a lost worker); one line naming the cause."""


def _cause(error: BaseException) -> str:
    """The line that says what went wrong: a Python worker's exception (its traceback's last line), else the first."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    python = [line for line in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b.*:", line)]
    return python[-1] if python else (lines[0] if lines else type(error).__name__)


def _read(spark: SparkSession, data: str, files: Files) -> tuple[DataFrame, bool]:
    """The leads (header names stripped) and whether they came from CSV: a file or folder, CSV or Parquet by name."""
    if not GLOB.search(data) and not files.exists(data):
        raise DataError(f"data not found: {data}")
    name = data.rstrip("/").lower()
    if not name.endswith(CSV_SUFFIXES + PARQUET_SUFFIXES):
        name = (files.first_file(data) or "").lower()
        if not name:
            raise DataError(f"{data}: no data files in it")
    csv = name.endswith(CSV_SUFFIXES)
    if not csv and not name.endswith(PARQUET_SUFFIXES):
        raise DataError(f"{data}: {name} is neither CSV nor Parquet; name it .csv or .parquet")
    try:
        if csv:  # every cell as text, as `leadscore score` reads CSV (typing is the schema's job)
            frame = spark.read.options(header=True, inferSchema=False, encoding="UTF-8").csv(data)
        else:
            frame = spark.read.parquet(data)
    except (
        Exception
    ) as error:  # Spark's AnalysisException: a path that matches nothing, a file it cannot read
        raise DataError(f"{data}: Spark cannot read it: {first_line(error)}") from error
    stripped = [column.strip() for column in frame.columns]
    if len(set(stripped)) < len(stripped):
        repeated = sorted({c for c in stripped if stripped.count(c) > 1})
        raise DataError(f"{data}: column {repeated[0]!r} appears more than once")
    return frame.toDF(*stripped), csv


def _partition_columns(frame: DataFrame, data: str) -> list[str]:
    """The input's Hive-style partition columns (folders named `column=value` under `data`), kept in the output."""
    root = data.rstrip("/").split("://", 1)[-1]
    names: list[str] = []
    for file in frame.inputFiles():
        below = file.split("://", 1)[-1].split(root, 1)[-1]
        for folder in below.strip("/").split("/")[:-1]:
            column = folder.partition("=")[0]
            if "=" in folder and column in frame.columns and column not in names:
                names.append(column)
    return names


def _output_schema(
    model: LeadModel, columns: pa.Schema, with_reasons: bool, parquet: bool, passthrough: list[str]
) -> pa.Schema:
    """What the workers will yield, found by scoring one lead with every field missing on the driver: the same
    function makes both, so the declared schema cannot drift from the batches."""
    from features.score_columns import score_chunk

    empty = pa.RecordBatch.from_pylist([{}], schema=columns)
    scored = score_chunk(model, empty, with_reasons, structs=parquet).schema
    return pa.schema([*scored, *(columns.field(name) for name in passthrough)])


def _partition_scorer(
    archive: str,
    with_reasons: bool,
    parquet: bool,
    blank: list[str] | None,
    passthrough: list[str],
    counter: Any,
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function each Spark task runs over its partition's Arrow batches. A closure, so Spark pickles it by value:
    on the executors it imports only MLflow and, once the model is loaded, the model's own scoring code."""

    def score_partition(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import gc

        import pyarrow as pa
        from mlflow.pyfunc.spark_model_cache import SparkModelCache

        loaded, _ = SparkModelCache.get_or_load(archive)  # once per Python worker, kept for its next tasks
        model = loaded.unwrap_python_model()
        model.prepare()  # the TreeSHAP tables: built on the first call, kept on the model
        gc.freeze()  # the model stays: the collector skips it (as features/batch.py's workers do)
        from features.score_columns import (
            blank_missing_tokens,
            score_chunk,
        )  # the model's code, on sys.path now

        for batch in batches:
            if batch.num_rows == 0:
                continue
            leads = blank_missing_tokens(batch, blank) if blank is not None else batch
            scored = score_chunk(model, leads, with_reasons, structs=parquet)
            for name in passthrough:
                scored = scored.append_column(name, batch.column(name))
            if counter is not None:
                counter.add(batch.num_rows)
            yield pa.RecordBatch.from_arrays(scored.columns, schema=scored.schema)

    return score_partition


# per session, the models shipped: a registry version or a run's model does not change, so a notebook's (or the
# tests') next job reuses the archive, and with it the models its Python workers have loaded and prepared
_shipped: dict[tuple[str, str, str], tuple[str, str]] = {}


def _model_for(spark: SparkSession, uri: str) -> tuple[str, str]:
    """(the model's local folder, the archive executors load it from) for `uri`, downloaded and shipped once per
    session for registry versions and runs, every time for anything else (a folder may change under its name)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from features.model_uri import registry_ref

    fixed = uri
    ref = registry_ref(uri)
    if ref is not None and ref.alias is not None:  # the alias's version now: the alias may move between jobs
        version = MlflowClient().get_model_version_by_alias(ref.name, ref.alias).version
        fixed = f"models:/{ref.name}/{version}"
    session = (
        spark.sparkContext.applicationId if has_jvm(spark) else str(getattr(spark, "session_id", id(spark)))
    )
    key = (session, mlflow.get_tracking_uri(), fixed)
    if (ref is None and not uri.startswith("runs:/")) or key not in _shipped:
        local = mlflow.artifacts.download_artifacts(artifact_uri=fixed)
        _shipped[key] = (local, _ship_model(spark, local))
    return _shipped[key]


def _ship_model(spark: SparkSession, local_model: str) -> str:
    """The model folder zipped for the executors (SparkContext.addFile, or a Spark Connect session's artifacts);
    the archive path they load it by."""
    from mlflow.pyfunc.spark_model_cache import SparkModelCache

    if has_jvm(spark):
        return str(SparkModelCache.add_local_model(spark, local_model))
    base = os.path.join(os.path.dirname(local_model.rstrip("/")), f"model-{uuid.uuid4().hex}")
    archive = shutil.make_archive(base, "zip", local_model)
    spark.addArtifacts(archive, file=True)  # what SparkFiles.get(name) finds on the executors
    return archive


def score_on_spark(
    spark: SparkSession,
    uri: str,
    data: str,
    out: str,
    with_reasons: bool = True,
    strict: bool = False,
    warn: Callable[[str], None] = print,
) -> int:
    """Score every lead in `data` (CSV or Parquet, a file or a folder, any URI Spark reads) into `out` (a folder of
    Parquet or CSV part files by its suffix), with the columns `leadscore score` writes; returns the lead count.

    Feature columns the data lacks are scored as missing, with one `warn`ing naming them; with none of them, or any
    missing and `strict`, SchemaError and nothing is written.
    """

    from features.batch import load_lead_model

    target = Output.of(out)
    files = files_of(spark, data)
    frame, csv = _read(spark, data, files)
    local_model, archive = _model_for(spark, uri)
    model = load_lead_model(local_model)
    lacking = check_feature_columns(model.schema, frame.columns, data, 0, strict)
    id_column = model.schema_dict["id"]
    passthrough = [c for c in _partition_columns(frame, data) if c != id_column]
    wanted = [c for c in [id_column, *model.schema.features] if c in frame.columns]
    frame = frame.select(*dict.fromkeys([*wanted, *passthrough]))

    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    schema = _output_schema(model, to_arrow_schema(frame.schema), with_reasons, target.parquet, passthrough)
    counter = spark.sparkContext.accumulator(0) if has_jvm(spark) else None
    scorer = _partition_scorer(
        archive,
        with_reasons,
        target.parquet,
        list(MISSING_TOKENS) if csv else None,
        passthrough,
        counter,
    )
    scored = frame.mapInArrow(scorer, from_arrow_schema(schema))
    writer = scored.write.mode("error")  # a fresh hidden folder; "error" is the spelling Spark Connect knows
    if passthrough:
        writer = writer.partitionBy(*passthrough)
    parent, _, name = target.path.rpartition("/")
    hidden = f".{name}.partial-{uuid.uuid4().hex[:8]}"
    partial = f"{parent}/{hidden}" if parent else hidden
    out_files = files_of(spark, target.path)
    try:
        try:
            if target.parquet:
                writer.parquet(partial)
            else:  # quotes doubled inside quoted cells, as pandas and `leadscore score` write them
                writer.options(header=True, escape='"').csv(partial)
        except Exception as error:
            raise SparkJobError(f"the Spark job failed: {_cause(error)}") from error
        replace_folder(out_files, partial, target.path)
    finally:
        if out_files.exists(partial):
            out_files.delete(partial)
    # exact: the scoring runs in the write's result stage, whose accumulator updates Spark applies once per partition
    # even when a task is retried; a Spark Connect client has no accumulators and counts what was written
    rows = int(counter.value) if counter is not None else _written(spark, target)
    if lacking:
        warn(str(check_feature_columns(model.schema, frame.columns, data, rows, strict)))
    return rows


def _written(spark: SparkSession, target: Output) -> int:
    if target.parquet:
        return int(spark.read.parquet(target.path).count())  # from the files' footers
    return int(spark.read.options(header=True).csv(target.path).count())
