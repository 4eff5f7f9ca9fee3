"""The batch CLI's CSV: byte for byte what pandas' `to_csv` writes for the same columns, however odd the values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from features.csv_writer import CsvWriter

ODD_FLOATS = [
    0.5,
    1e-4,
    9.99e-5,
    7.3e-05,
    1e-20,
    5e-324,
    0.0,
    -0.0,
    1.0,
    42.0,
    123456789.5,
    1e9 + 0.5,
    2.5e15,
]
ODD_FLOATS += [1e16, 1e22, math.inf, -math.inf, math.nan, 1 / 3, -2 / 3, 0.1 + 0.2]
ODD_TEXT = [
    "plain",
    "a,b",
    'say "hi"',
    "two\nlines",
    "carriage\rreturn",
    "",
    " padded ",
    "tab\there",
    "é€",
    None,
]


def written(frame: pd.DataFrame, tmp_path: Path, chunk: int) -> bytes:
    path = tmp_path / "out.csv"
    writer = CsvWriter(path)
    for start in range(0, len(frame), chunk):
        writer.write_batch(
            pa.RecordBatch.from_pandas(frame.iloc[start : start + chunk], preserve_index=False)
        )
    writer.close()
    return path.read_bytes()


def test_odd_values_are_written_as_pandas_writes_them(tmp_path: Path) -> None:
    n = len(ODD_FLOATS) * len(ODD_TEXT)
    frame = pd.DataFrame(
        {
            "lead,id": [ODD_TEXT[i % len(ODD_TEXT)] for i in range(n)],  # a header that needs quotes too
            "probability": [ODD_FLOATS[i % len(ODD_FLOATS)] for i in range(n)],
            "score": np.arange(n, dtype=np.int64) - 50,
            "flag": [i % 3 == 0 for i in range(n)],
        }
    )
    assert written(frame, tmp_path, chunk=7) == frame.to_csv(index=False).encode()


def test_random_probabilities_and_impacts_are_spelled_as_python_does(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "probability": rng.random(200_000) ** 4,  # many below 1e-4, where Arrow and Python spell apart
            "impact": np.round(rng.normal(0, 1, 200_000), 4),
            "grade": rng.choice(["A", "B", "C", "D"], 200_000),
        }
    )
    assert written(frame, tmp_path, chunk=50_000) == frame.to_csv(index=False).encode()
