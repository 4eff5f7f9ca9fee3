"""The `leadscore` command line: generate, train, score, promote. MLproject entry points call these commands."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.exceptions import TyperException

from leadscore import loop_cli, monitor_cli, report_cli
from leadscore.keys_cli import keys_app
from leadscore.loop_cli import warn
from leadscore.options import (
    ModelNameOption,
    ModelUriOption,
    ServiceModelOption,
    StrictOption,
    fail,
    with_train_settings,
)
from training.config import TrainSettings

if TYPE_CHECKING:
    from training.config import TrainConfig

app = typer.Typer(
    name="leadscore",
    help="Lead scoring learned from sales outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_app, name="keys")

F = TypeVar("F", bound=Callable[..., Any])


class Engine(StrEnum):
    """Where `leadscore score` runs: processes on this machine's cores, or Spark (leadscore/spark_scoring.py)."""

    local = "local"
    spark = "spark"


def one_line_errors(command: F) -> F:
    """Known input problems end the command with exit code 2 and one line saying what to fix.

    Anything unexpected is one line too (exit code 1); the traceback is logged at debug level (`--verbose`).
    """

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from mlflow.exceptions import MlflowException

        from features.schema import SchemaError
        from features.tables import DataError
        from training.register import RegistrationError

        try:
            return command(*args, **kwargs)
        except (SchemaError, DataError, RegistrationError) as error:
            fail(str(error))
        except MlflowException as error:
            fail(f"MLflow: {str(error.message).splitlines()[0]}")
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except MemoryError:
            fail("out of memory; try a smaller file or a machine with more memory", code=1)
        except Exception as error:
            logging.getLogger("leadscore").debug("unexpected error", exc_info=True)
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            fail(
                f"unexpected {type(error).__name__}: {first}".rstrip(": ")
                + " (run with --verbose for the traceback)",
                code=1,
            )

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("mlflow", "alembic", "urllib3", "matplotlib", "py4j"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command()
@one_line_errors
def generate(
    rows: Annotated[int, typer.Option(help="Number of leads.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for leads.csv, schema.yaml and truth.csv.")] = Path(
        "data"
    ),
    drift: Annotated[
        str,
        typer.Option(help="Concept drift: none, or strong (base rate and two effects move over 18 months)."),
    ] = "none",
) -> None:
    """Write a synthetic B2B lead table, its schema file and each lead's true conversion probability."""
    from leadscore.synthetic import write_synthetic

    try:
        files = write_synthetic(out, rows=rows, seed=seed, progress=True, drift=drift)
    except ValueError as error:
        fail(str(error))
    typer.echo(f"leads:  {files.leads}\nschema: {files.schema}\ntruth:  {files.truth}")


@app.command()
@one_line_errors
@with_train_settings
def train(
    data: Annotated[Path, typer.Option(help="Lead table (.csv or .parquet).")],
    schema: Annotated[Path, typer.Option(help="Lead schema YAML file.")],
    train_settings: TrainSettings,  # --experiment ... --allow-leaky, one flag per setting
    if_changed: Annotated[
        bool,
        typer.Option(
            help="Train only when the data, schema, settings or training code differ from those the champion was "
            "trained with (training is deterministic, so the same ones give the same model)."
        ),
    ] = False,
) -> None:
    """Validate, check drift, fit and judge on a holdout, refit on every lead, register; promote when as good."""
    from training.config import TrainConfig
    from training.train import train as run_training

    config = TrainConfig(data=data, schema_path=schema, **train_settings.model_dump())
    if if_changed and (same := _unchanged_champion(config)):
        typer.echo(
            f"unchanged: {config.model_name} version {same} (@champion) was trained on this very data, schema, "
            "settings and code; nothing trained (leave out --if-changed to train anyway)"
        )
        return
    outcome = run_training(config)
    m = outcome.evaluation.metrics
    reg = outcome.registered
    typer.echo(
        f"holdout ({outcome.split}, {int(m['n'])} leads): ROC AUC {m['roc_auc']:.4f}  PR AUC {m['pr_auc']:.4f}  "
        f"log loss {m['log_loss']:.4f}  Brier {m['brier']:.4f}  ECE {m['ece']:.4f}  lift@10% {m['lift_top_decile']:.2f}"
    )
    typer.echo(f"registered {reg.name} version {reg.version} as @challenger (run {outcome.run_id})")
    typer.echo(f"{'promoted to @champion' if reg.promoted else 'not promoted'}: {reg.reason}")
    typer.echo(f"model URI: {reg.uri}" + (f"  (also models:/{reg.name}@champion)" if reg.promoted else ""))


def _unchanged_champion(config: TrainConfig) -> str | None:
    """The champion's version when it was trained with this very data, schema, settings and code."""
    import mlflow

    from features.tables import file_digest
    from training.config import tracking_uri
    from training.fingerprint import fingerprint, unchanged_champion
    from training.register import CHAMPION

    if not (config.data.is_file() and config.schema_path.is_file()):
        return None  # training says what is wrong with them
    mlflow.set_tracking_uri(tracking_uri())
    return unchanged_champion(config.model_name, CHAMPION, fingerprint(config, file_digest(config.data)))


@app.command()
@one_line_errors
def score(
    model: ModelUriOption,
    data: Annotated[
        str,
        typer.Option(
            help="Leads to score (.csv or .parquet); with --engine spark also a folder of them, or any URI Spark "
            "reads (hdfs://, s3a://, ...)."
        ),
    ],
    out: Annotated[
        str,
        typer.Option(
            help="Output file (.csv or .parquet); with --engine spark a folder of part files under that name."
        ),
    ],
    reasons: Annotated[
        bool,
        typer.Option(
            help="Add the top 3 positive and negative reasons, and the fit and engagement sub-scores."
        ),
    ] = True,
    strict: StrictOption = False,
    engine: Annotated[
        Engine,
        typer.Option(help="local: this machine's cores; spark: a Spark cluster, or Spark on this machine."),
    ] = Engine.local,
    master: Annotated[
        str | None,
        typer.Option(
            help="With --engine spark: the master URL (default local[*]; spark://host:7077, yarn, k8s://..., or a "
            "Spark Connect server sc://host:15002)."
        ),
    ] = None,
    conf: Annotated[
        list[str] | None,
        typer.Option(help="With --engine spark: a Spark setting key=value; repeat for more."),
    ] = None,
) -> None:
    """Score a file of leads: id, probability, score, grade, reasons and sub-scores per lead."""
    import mlflow

    from training.config import tracking_uri

    mlflow.set_tracking_uri(tracking_uri())
    if engine is Engine.spark:
        from leadscore.spark_scoring import SparkJobError, score_on_spark
        from leadscore.spark_session import DEFAULT_MASTER, parse_conf, spark_session

        settings = parse_conf(conf or [])
        try:
            with spark_session(master or DEFAULT_MASTER, settings) as spark:
                rows = score_on_spark(spark, model, data, out, with_reasons=reasons, strict=strict, warn=warn)
        except SparkJobError as error:
            fail(str(error), code=1)
        typer.echo(f"scored {rows} leads -> {out}")
        return
    if master is not None or conf:
        fail(f"--{'master' if master is not None else 'conf'} is for --engine spark")
    from features.batch import score_file

    rows, _ = score_file(model, Path(data), Path(out), with_reasons=reasons, strict=strict, warn=warn)
    typer.echo(f"scored {rows} leads -> {out}")


@app.command()
@one_line_errors
def promote(
    version: Annotated[str, typer.Option(help="Model version to make @champion.")],
    model_name: ModelNameOption = "lead-scoring",
) -> None:
    """Point @champion at a model version by hand."""
    import mlflow

    from training.config import tracking_uri
    from training.register import set_champion

    mlflow.set_tracking_uri(tracking_uri())
    set_champion(model_name, version)
    typer.echo(f"models:/{model_name}@champion -> version {version}")


@app.command()
def serve(
    model: ServiceModelOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="Interface to listen on (default: LEADSCORE_HOST or 127.0.0.1); beyond loopback needs keys."
        ),
    ] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the scoring API (uvicorn, one worker); it watches the model's registry alias and swaps in new versions."""
    import uvicorn
    from pydantic import ValidationError

    from serving.app import create_app
    from serving.auth import ExposureError
    from serving.keys import KeysError
    from serving.settings import Settings

    overrides = {"model_uri": model, "host": host}
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as error:  # a LEADSCORE_* variable out of range or of the wrong type
        first = error.errors()[0]
        fail(f"LEADSCORE_{str(first['loc'][0]).upper()}: {first['msg']}")
    host = settings.host
    try:
        service = create_app(settings)
    except (ExposureError, KeysError, OSError) as error:
        fail(str(error))
    typer.echo(
        f"serving {settings.model_uri} on http://{host}:{port}  (docs: http://{host}:{port}/docs)", err=True
    )
    # the imported libraries' objects (mlflow, pandas, sklearn: ~300k) live as long as the process: kept out of the
    # garbage collector's scans, which requests' allocations would otherwise trigger (the model loads after this)
    gc.collect()
    gc.freeze()
    uvicorn.run(service, host=host, port=port, log_level="warning")


# The sales loop (leadscore/loop_cli.py): load a file into the lead store, rescore open leads, retrain from outcomes,
# recalibrate from them.
app.command("ingest")(one_line_errors(loop_cli.ingest))
app.command("rescore")(one_line_errors(loop_cli.rescore))
app.command("retrain")(one_line_errors(loop_cli.retrain))
app.command("recalibrate")(one_line_errors(loop_cli.recalibrate))

# The model report (leadscore/report_cli.py), with the current monitoring result when given a lead store.
app.command("report")(one_line_errors(report_cli.report))

# Monitoring (leadscore/monitor_cli.py): drift of the leads scored in a window against the model's training leads.
app.command("monitor")(one_line_errors(monitor_cli.monitor))
