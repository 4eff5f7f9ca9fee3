"""Parity: the API, /invocations, the pyfunc and `leadscore score` give the same probability for the same leads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from features.batch import score_file
from features.clean import as_signature_types
from serving import invocations

URI = "models:/serving-leads@champion"


def as_json(leads: pd.DataFrame) -> list[dict[str, Any]]:
    return leads.astype(object).where(leads.notna(), None).to_dict("records")  # type: ignore[return-value]


def test_every_path_gives_the_same_probability(
    client: TestClient,
    leads: pd.DataFrame,
    lead_files,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    sample = leads.sample(300, random_state=0).reset_index(drop=True)
    records = as_json(sample)
    pyfunc = mlflow.pyfunc.load_model(URI)
    typed = as_signature_types(sample, pyfunc.unwrap_python_model().schema)
    by_pyfunc = pyfunc.predict(typed)

    by_one = [client.post("/v1/score", json=lead).json() for lead in records[:100]]
    by_batch = client.post("/v1/score/batch", json={"leads": records}).json()["scores"]
    split = json.loads(typed.to_json(orient="split", index=False))
    by_invocations = client.post("/invocations", json={"dataframe_split": split}).json()["predictions"]
    csv = client.post(
        "/invocations", content=sample.to_csv(index=False).encode(), headers={"content-type": "text/csv"}
    ).json()["predictions"]
    sample.to_csv(tmp_path / "sample.csv", index=False)
    score_file(URI, tmp_path / "sample.csv", tmp_path / "scored.csv", progress=False)
    by_cli = pd.read_csv(tmp_path / "scored.csv")

    expected = by_pyfunc["probability"].to_numpy()
    assert [s["lead_id"] for s in by_batch] == list(sample["lead_id"]) == list(by_cli["lead_id"])
    np.testing.assert_array_equal([s["probability"] for s in by_batch], expected)
    np.testing.assert_array_equal([s["probability"] for s in by_one], expected[:100])
    np.testing.assert_array_equal([p["probability"] for p in by_invocations], expected)
    np.testing.assert_allclose([p["probability"] for p in csv], expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(by_cli["probability"], expected, rtol=0, atol=1e-15)
    assert [s["score"] for s in by_batch] == list(by_pyfunc["score"]) == list(by_cli["score"])
    assert [s["grade"] for s in by_batch] == list(by_pyfunc["grade"]) == list(by_cli["grade"])
    for a, b in zip(by_one, by_batch[:100], strict=True):
        assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}


def test_api_reasons_are_the_batch_reasons(client: TestClient, leads: pd.DataFrame, tmp_path: Path) -> None:
    sample = leads.sample(200, random_state=1).reset_index(drop=True)
    sample.to_csv(tmp_path / "sample.csv", index=False)
    score_file(URI, tmp_path / "sample.csv", tmp_path / "scored.csv", progress=False)
    by_cli = pd.read_csv(tmp_path / "scored.csv")
    by_api = client.post("/v1/score/batch", json={"leads": as_json(sample)}).json()["scores"]
    for api, (_, cli) in zip(by_api, by_cli.iterrows(), strict=True):
        for side in ("positive", "negative"):
            assert api["reasons"][side] == json.loads(cli[f"reasons_{side}"])


def test_api_sub_scores_are_the_batch_sub_scores(
    client: TestClient, leads: pd.DataFrame, tmp_path: Path
) -> None:
    sample = leads.sample(200, random_state=2).reset_index(drop=True)
    sample.to_csv(tmp_path / "sample.csv", index=False)
    score_file(URI, tmp_path / "sample.csv", tmp_path / "scored.parquet", progress=False)
    by_cli = pd.read_parquet(tmp_path / "scored.parquet")
    by_api = client.post("/v1/score/batch", json={"leads": as_json(sample)}).json()["scores"]
    for group in ("fit", "engagement"):
        for part in ("probability", "score", "impact"):
            assert by_cli[f"{group}_{part}"].tolist() == [s[group][part] for s in by_api], (group, part)


def test_invocations_answers_typed_json_itself_byte_for_byte_as_mlflow_does(
    client: TestClient, leads: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain typed records skip MLflow's parser and schema enforcement; the answer's bytes are MLflow's own."""
    loaded = client.app.state.store.current  # type: ignore[attr-defined]
    typed = as_signature_types(leads.sample(40, random_state=3), loaded.model.schema)
    records = json.loads(typed.to_json(orient="records"))
    split = json.loads(typed.to_json(orient="split", index=False))
    plain = {
        "records": {"dataframe_records": records},
        "split": {"dataframe_split": split},
        "integers and nulls": {
            "dataframe_records": [{**r, "page_views": 3, "email_opens": None} for r in records]
        },
        "a column left out": {
            "dataframe_records": [{k: v for k, v in r.items() if k != "industry"} for r in records]
        },
    }
    mlflow_only = {  # MLflow converts or refuses these: its own path answers
        "null id": {"dataframe_records": [{**r, "lead_id": None} for r in records]},
        "unknown field": {"dataframe_records": [{**r, "zzz": 1} for r in records]},
        "boolean number": {"dataframe_records": [{**r, "page_views": True} for r in records]},
        "instances": {"instances": records},
    }
    through_mlflow = invocations._through_mlflow
    calls: list[bytes] = []

    def counted(loaded: Any, body: bytes, content_type: str) -> tuple[int, str, str]:
        calls.append(body)
        return through_mlflow(loaded, body, content_type)

    monkeypatch.setattr(invocations, "_through_mlflow", counted)
    for cases, expect_mlflow in ((plain, False), (mlflow_only, True)):
        for name, payload in cases.items():
            body = json.dumps(payload).encode()
            calls.clear()
            got = client.post("/invocations", content=body, headers={"content-type": "application/json"})
            status, text, _ = through_mlflow(loaded, body, "application/json")
            assert (got.status_code, got.text) == (status, text), name
            assert bool(calls) == expect_mlflow, name
