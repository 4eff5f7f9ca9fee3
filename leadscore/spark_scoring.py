"""Batch scoring on Spark (`leadscore score --engine spark`): the registered model applied to each partition's Arrow
batches, as `mlflow.pyfunc.spark_udf` applies a model, writing the columns `leadscore score` writes.

The driver downloads the model once and hands Spark a zip of it (MLflow's own `SparkModelCache`, what spark_udf
uses); each Python worker unzips and loads it once and keeps it. The function Spark ships to the workers imports
nothing of leadscore's: it reaches the scoring code (features/score_columns.py) through the loaded model, whose
`code_paths` carry it, so executors need only the model's pip requirements. Output goes to a hidden folder beside
`--out`, moved into place when every partition is written: a failure leaves the old answer, or none.

PySpark is imported inside the functions: the command line and the service run without it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pyarrow as pa

from features.schema import check_feature_columns
from features.tables import MISSING_TOKENS, DataError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from features.model import LeadModel

DEFAULT_MASTER = "local[*]"
SUBMITTED = "PYSPARK_GATEWAY_PORT"  # set when spark-submit started the JVM and runs this process
# Spark's defaults for what this job is, each overridable by --conf: the console progress bar on; Arrow batches of
# 50,000 leads, as `leadscore score` chunks them (each batch pays the model's fixed cost per call once)
DEFAULT_CONF = {
    "spark.ui.showConsoleProgress": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "50000",
}
CSV_SUFFIXES = (".csv", ".csv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
MASTER_PORTS = {"spark": 7077, "sc": 15002}  # the standalone master's and Spark Connect's default ports
CONNECT_SECONDS = 5.0
GLOB = re.compile(r"[*?[{]")  # a path pattern Spark expands; no one file to check for
# PySpark 4.3 warns once that it does not fully support pandas 3 (pyspark.testing.utils, imported by its schema and
# UDF code, mapInArrow's too): this path hands Spark and the model Arrow batches only, so no pandas conversion of
# Spark's is on it, and the warning is silenced for the session's lifetime (docs/spark.md, Pandas)
PANDAS_WARNING = "PySpark does not yet fully support pandas"


class SparkSetupError(DataError):
    """Spark cannot run the job as asked (no Java, no PySpark, an unreachable master); one line saying what to do."""


def check_java() -> None:
    """SparkSetupError unless a `java` runs: PySpark starts its JVM with $JAVA_HOME/bin/java, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    try:
        ok = java is not None and subprocess.run([java, "-version"], capture_output=True).returncode == 0
    except OSError:
        ok = False
    if not ok:
        where = f"JAVA_HOME={home}" if home else "no java on PATH"
        raise SparkSetupError(
            f"--engine spark needs Java 17 or newer ({where}); install it (Debian: apt-get install "
            "openjdk-17-jre-headless, or make install) or set JAVA_HOME"
        )


def check_master(master: str) -> None:
    """SparkSetupError when a standalone master (spark://) or a Spark Connect server (sc://) does not answer on its
    port; Spark itself would retry for minutes. Other masters (local, yarn, k8s) are Spark's to check."""
    parsed = urlparse(master)
    if parsed.scheme not in MASTER_PORTS:
        return
    for host_port in (parsed.netloc or "").split(","):  # a standalone master may list its standbys
        host, _, port = host_port.partition(":")
        try:
            with socket.create_connection(
                (host, int(port or MASTER_PORTS[parsed.scheme])), timeout=CONNECT_SECONDS
            ):
                return
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    raise SparkSetupError(
        f"--master {master}: cannot connect ({reason}); is the cluster up and the URL right?"
    )


def parse_conf(pairs: list[str]) -> dict[str, str]:
    """--conf k=v options as a mapping; SparkSetupError naming one without '='."""
    conf: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SparkSetupError(f"--conf {pair!r}: use key=value, e.g. spark.executor.memory=4g")
        conf[key.strip()] = value
    return conf


class SparkJobError(RuntimeError):
    """The Spark job failed while scoring (an executor's error, a lost worker); one line naming the cause."""


def _cause(error: BaseException) -> str:
    """The line that says what went wrong: a Python worker's exception (its traceback's last line), else the first."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    python = [line for line in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b.*:", line)]
    return python[-1] if python else (lines[0] if lines else type(error).__name__)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@contextmanager
def spark_session(master: str, conf: Mapping[str, str]) -> Iterator[SparkSession]:
    """A Spark session on `master` with `DEFAULT_CONF` and `conf`, stopped at the end when this made it (one already
    running in the process, a notebook's or a test's, is used as it is and left running)."""
    check_java()
    check_master(master)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(PANDAS_WARNING), category=FutureWarning)
        yield from _session(master, conf)


def _session(master: str, conf: Mapping[str, str]) -> Iterator[SparkSession]:
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise SparkSetupError(
            f"--engine spark needs PySpark ({error}); install it: pip install 'leadscore[spark]'"
        ) from error
    existing = SparkSession.getActiveSession()
    if existing is not None:
        yield existing
        return
    builder = SparkSession.builder.appName("leadscore score")
    if master.startswith("sc://"):
        builder = builder.remote(master)
    elif not (SUBMITTED in os.environ and master == DEFAULT_MASTER):  # spark-submit's --master stands
        builder = builder.master(master)
    # the workers run this very Python (and its packages), not the PATH's python3
    if master.startswith("local") and SUBMITTED not in os.environ:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in {**DEFAULT_CONF, **conf}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # a master URL Spark cannot parse, a JVM that does not start, ...
        raise SparkSetupError(f"--master {master}: Spark did not start: {_first_line(error)}") from error
    if not master.startswith("sc://"):
        # the progress bar and our one error line, not the JVM's log (a failed task's is logged whole); --verbose
        # keeps its warnings
        verbose = logging.getLogger("leadscore").isEnabledFor(logging.DEBUG)
        spark.sparkContext.setLogLevel("WARN" if verbose else "FATAL")
    try:
        yield spark
    finally:
        spark.stop()


@dataclass(frozen=True)
class _Output:
    """Where the answers go: a folder of part files, Parquet or CSV by --out's suffix."""

    path: str
    parquet: bool

    @classmethod
    def of(cls, out: str) -> _Output:
        name = out.rstrip("/").lower()
        if not name.endswith((".csv", ".parquet")):
            raise DataError(f"--out {out}: use a .csv or .parquet name (Spark writes a folder of part files)")
        return cls(out.rstrip("/"), name.endswith(".parquet"))


class _Files:
    """The file system of a path as Spark's JVM sees it (local, HDFS, S3, ...), through Hadoop's FileSystem."""

    def __init__(self, spark: SparkSession, path: str) -> None:
        jvm = spark.sparkContext._jvm
        assert jvm is not None
        self._path = jvm.org.apache.hadoop.fs.Path
        self._fs = self._path(path).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._path(path)))

    def first_file(self, path: str) -> str | None:
        """The first data file under `path` (itself when a file), hidden and `_SUCCESS`-like files skipped."""
        found = self._fs.listFiles(self._path(path), True)
        while found.hasNext():
            name = str(found.next().getPath().getName())
            if not name.startswith((".", "_")):
                return name
        return None

    def rename(self, source: str, target: str) -> None:
        if not self._fs.rename(self._path(source), self._path(target)):
            raise OSError(f"could not move {source} to {target}")

    def delete(self, path: str) -> None:
        self._fs.delete(self._path(path), True)


class _LocalFiles(_Files):
    """The same operations on the client's own disk: a Spark Connect client has no JVM to ask."""

    def __init__(self) -> None:
        pass

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def first_file(self, path: str) -> str | None:
        if os.path.isfile(path):
            return os.path.basename(path)
        for _, folders, files in sorted(os.walk(path)):
            folders.sort()
            for name in sorted(files):
                if not name.startswith((".", "_")):
                    return name
        return None

    def rename(self, source: str, target: str) -> None:
        os.replace(source, target)

    def delete(self, path: str) -> None:
        shutil.rmtree(path, ignore_errors=True)


def _files(spark: SparkSession, path: str) -> _Files:
    return _Files(spark, path) if _has_jvm(spark) else _LocalFiles()


def _has_jvm(spark: SparkSession) -> bool:
    try:
        return spark.sparkContext._jvm is not None
    except Exception:  # Spark Connect: no SparkContext on the client
        return False


def _read(spark: SparkSession, data: str, files: _Files) -> tuple[DataFrame, bool]:
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
        raise DataError(f"{data}: Spark cannot read it: {_first_line(error)}") from error
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
        spark.sparkContext.applicationId if _has_jvm(spark) else str(getattr(spark, "session_id", id(spark)))
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

    if _has_jvm(spark):
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

    target = _Output.of(out)
    files = _files(spark, data)
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
    counter = spark.sparkContext.accumulator(0) if _has_jvm(spark) else None
    scorer = _partition_scorer(
        archive,
        with_reasons,
        target.parquet,
        list(MISSING_TOKENS) if csv else None,
        passthrough,
        counter,
    )
    scored = frame.mapInArrow(scorer, from_arrow_schema(schema))
    writer = scored.write.mode("errorifexists")
    if passthrough:
        writer = writer.partitionBy(*passthrough)
    parent, _, name = target.path.rpartition("/")
    hidden = f".{name}.partial-{uuid.uuid4().hex[:8]}"
    partial = f"{parent}/{hidden}" if parent else hidden
    out_files = _files(spark, target.path)
    try:
        try:
            if target.parquet:
                writer.parquet(partial)
            else:  # quotes doubled inside quoted cells, as pandas and `leadscore score` write them
                writer.options(header=True, escape='"').csv(partial)
        except Exception as error:
            raise SparkJobError(f"the Spark job failed: {_cause(error)}") from error
        _replace(out_files, partial, target.path)
    finally:
        if out_files.exists(partial):
            out_files.delete(partial)
    # exact: the scoring runs in the write's result stage, whose accumulator updates Spark applies once per partition
    # even when a task is retried; a Spark Connect client has no accumulators and counts what was written
    rows = int(counter.value) if counter is not None else _written(spark, target)
    if lacking:
        warn(str(check_feature_columns(model.schema, frame.columns, data, rows, strict)))
    return rows


def _written(spark: SparkSession, target: _Output) -> int:
    if target.parquet:
        return int(spark.read.parquet(target.path).count())  # from the files' footers
    return int(spark.read.options(header=True).csv(target.path).count())


def _replace(files: _Files, partial: str, out: str) -> None:
    """Move the finished `partial` folder to `out`; an older `out` is set aside first and removed only after."""
    old = f"{partial}.old"
    had = files.exists(out)
    if had:
        files.rename(out, old)
    try:
        files.rename(partial, out)
    except Exception:
        if had:
            files.rename(old, out)
        raise
    if had:
        files.delete(old)
