"""A long schemathesis campaign against the app's own OpenAPI schema: no 5xx, every response as the schema declares.

    .venv/bin/python bench/fuzz.py [--examples 500] [--rows 3000] [--seed N]

Trains a small model into a temporary MLflow, builds the app with API keys on (an admin key, so every route is
reached) and a throwaway SQLite lead store, and runs every operation through the ASGI app (no network) with valid
and invalid inputs, --examples each, random unless --seed is given. Unlike the bounded test in
tests/integration/serving/test_fuzz.py it keeps going after a failure, so it prints how many examples ran, how many
failed, and one reproduction per distinct failure. Exits 1 when anything failed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _checks() -> list[Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


def train_model(work: Path, rows: int) -> str:
    """Register `fuzz-leads` v1 @champion in a temporary MLflow; returns its URI."""
    import mlflow

    from leadscore.synthetic import write_synthetic
    from training.config import TrainConfig
    from training.train import train

    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'mlflow.db'}"
    os.chdir(work)  # artifacts land beside the database
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    files = write_synthetic(work / "data", rows=rows, seed=3)
    train(
        TrainConfig(  # type: ignore[call-arg]  # pydantic fills the defaults
            data=files.leads, schema_path=files.schema, model_name="fuzz-leads", folds=2, progress=False
        )
    )
    return "models:/fuzz-leads@champion"


class Tally:
    """Examples and failures per operation and mode, and the first full report of each distinct failure."""

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.reports: dict[str, str] = {}

    def record(self, label: str, error: BaseException | None) -> None:
        self.tried[label] += 1
        if error is None:
            return
        self.failed[label] += 1
        codes = [line.strip() for line in str(error).splitlines() if line.strip().startswith("- ST")]
        self.reports.setdefault(f"{label}: {', '.join(codes) or type(error).__name__}", str(error))


def fuzz_operation(
    operation: Any,
    mode: Any,
    label: str,
    key: str,
    examples: int,
    seed: int | None,
    checks: list[Any],
    tally: Tally,
) -> None:
    """Run `examples` generated cases; every failure is counted and the run goes on (no shrinking)."""
    import hypothesis
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis.errors import Unsatisfiable

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        try:
            case.call_and_validate(headers={"X-API-Key": key}, checks=checks)
        except (Exception, BaseExceptionGroup) as error:  # counted and kept; the campaign goes on
            tally.record(label, error)
        else:
            tally.record(label, None)

    if seed is not None:
        run = hypothesis.seed(seed)(run)
    with contextlib.suppress(
        Unsatisfiable
    ):  # no invalid input exists for an operation without parameters or body
        run()


def campaign(work: Path, model_uri: str, examples: int, seed: int | None) -> int:
    import schemathesis
    from schemathesis import GenerationMode
    from schemathesis.core.result import Err
    from schemathesis.python.asgi import shutdown_lifespans

    from serving.app import create_app
    from serving.keys import FileKeyStore
    from serving.settings import Settings

    _, key = FileKeyStore(work / "keys.json").create("admin", "fuzz")
    app = create_app(
        Settings(
            model_uri=model_uri,
            watch_seconds=0,
            max_batch=50,
            max_body_bytes=200_000,
            keys_file=work / "keys.json",
            database_url=f"sqlite:///{work / 'leads.db'}",
        )
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(with_security_parameters=False, database="none")
    logging.getLogger("mlflow").setLevel(
        logging.ERROR
    )  # fuzzed /invocations columns make it warn per request
    tally, checks = Tally(), _checks()
    started = time.monotonic()
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            tally.record("schema", result.err())
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.label} ({mode.value})"
            fuzz_operation(operation, mode, label, key, examples, seed, checks, tally)
            print(f"{label:<60} {tally.tried[label]:>6} examples {tally.failed[label]:>5} failed", flush=True)
    shutdown_lifespans()
    total, bad = sum(tally.tried.values()), sum(tally.failed.values())
    elapsed = time.monotonic() - started
    print(f"\n{total} examples over {len(tally.tried)} operation/mode pairs in {elapsed:.0f} s: {bad} failed")
    for kind, report in tally.reports.items():
        print(f"\n== {kind}\n{report[:3000]}")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=500, help="Examples per operation and mode.")
    parser.add_argument("--rows", type=int, default=3000, help="Synthetic leads to train the model on.")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed, to repeat a campaign.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadscore-fuzz-") as tmp:
        work = Path(tmp)
        model_uri = train_model(work, args.rows)
        code = campaign(work, model_uri, args.examples, args.seed)
    raise SystemExit(code)


if __name__ == "__main__":
    main()
