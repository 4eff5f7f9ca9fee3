"""Same data, schema and seed give bit-identical probabilities, on an idle machine and on a busy one."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from features.clean import as_signature_types
from features.schema import load_schema
from leadscore.synthetic import write_synthetic
from training.config import TrainConfig
from training.train import train

BURN = "import time\nend = time.time() + 600\nwhile time.time() < end:\n    pass\n"


@contextmanager
def cpu_hog(processes: int = 2) -> Iterator[None]:
    """Busy loops on every core while the block runs (a wall-clock budget would then search less)."""
    hogs = [subprocess.Popen([sys.executable, "-c", BURN]) for _ in range(processes)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


@pytest.mark.slow
def test_training_twice_one_run_under_a_cpu_hog_gives_the_same_model(
    mlflow_home: Path, tmp_path: Path
) -> None:
    # small: the claim is about determinism, not quality
    files = write_synthetic(tmp_path, rows=2000, seed=21)
    config = TrainConfig(
        data=files.leads,
        schema_path=files.schema,
        model_name="deterministic",
        folds=2,
        max_trials=4,
        progress=False,
    )
    idle = train(config)
    with cpu_hog():
        busy = train(config)
    leads = pd.read_csv(files.leads, dtype=str, keep_default_na=False)
    typed = as_signature_types(leads, load_schema(files.schema))
    scores = [
        mlflow.pyfunc.load_model(outcome.registered.uri).predict(typed)["probability"].to_numpy()
        for outcome in (idle, busy)
    ]
    assert idle.registered.version != busy.registered.version
    np.testing.assert_array_equal(scores[0], scores[1])  # bit for bit, not approximately
    runs = [mlflow.get_run(outcome.run_id).data.params for outcome in (idle, busy)]
    assert runs[0]["model_lightgbm_trials"] == runs[1]["model_lightgbm_trials"] == "4"
