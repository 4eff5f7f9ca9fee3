"""MLflow's own tools on our artifacts: `mlflow models serve` serves the champion, `mlflow run` runs the project."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from features.clean import as_signature_types
from features.schema import load_schema

ROOT = Path(__file__).resolve().parents[2]
MLFLOW = str(Path(sys.executable).parent / "mlflow")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(url: str, body: dict) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.mark.slow
def test_mlflow_run_main_then_models_serve(mlflow_home: Path, tmp_path: Path) -> None:
    """`mlflow run . -e main` generates and trains; `mlflow models serve` then answers like the pyfunc does."""
    # As with an activated virtual environment: MLflow finds `leadscore` and `uvicorn` on the PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for leftover in (
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_RUN_ID",
    ):  # set by in-process runs
        env.pop(leftover, None)
    data = tmp_path / "data"
    run = subprocess.run(
        [MLFLOW, "run", str(ROOT), "-e", "main", "--env-manager", "local", "--experiment-name", "mlproject",
         "-P", "rows=3000", "-P", "max_trials=1", "-P", f"out={data}"],
        env=env,
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    assert "promoted to @champion" in run.stdout
    version = MlflowClient().get_model_version_by_alias("lead-scoring", "champion")
    uri = "models:/lead-scoring@champion"

    schema = load_schema(data / "schema.yaml")
    leads = as_signature_types(pd.read_csv(data / "leads.csv").head(50), schema)
    expected = mlflow.pyfunc.load_model(uri).predict(leads)

    port = _free_port()
    server = subprocess.Popen(
        [MLFLOW, "models", "serve", "-m", uri, "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mlflow models serve did not start: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                time.sleep(0.5)
        body = {"dataframe_split": json.loads(leads.to_json(orient="split", index=False))}
        answer = _post(f"http://127.0.0.1:{port}/invocations", body)["predictions"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = pd.DataFrame(answer)
    assert version.run_id
    np.testing.assert_allclose(served["probability"], expected["probability"], rtol=0, atol=1e-12)
    assert list(served["grade"]) == list(expected["grade"])
