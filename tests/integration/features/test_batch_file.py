"""`leadscore score` on a file: read in chunks, scored by worker processes, written in order, nothing written when it fails."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from small_models import train_small

from features import batch
from features.score_columns import REASON
from features.tables import DataError, load_table
from leadscore.synthetic import SyntheticFiles

MODEL = "batch-leads"
URI = f"models:/{MODEL}@champion"


@pytest.fixture(scope="module")
def lead_files(mlflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> SyntheticFiles:
    """3,000 synthetic leads, and MODEL@champion trained on them."""
    return train_small(tmp_path_factory.mktemp("batch-train"), MODEL, seed=41)[0]


@pytest.fixture(scope="module")
def leads(lead_files: SyntheticFiles) -> pd.DataFrame:
    """The leads as `leadscore score` reads them (text cells, placeholders included)."""
    return load_table(lead_files.leads)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 leads in about 8 chunks: more than the workers, so chunks queue and finish out of order."""
    monkeypatch.setattr(batch, "CHUNK_ROWS", 400)


def test_chunks_on_workers_write_what_one_pass_gives(
    lead_files, leads: pd.DataFrame, small_chunks, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    model = batch.load_lead_model(URI)
    rows, _ = batch.score_file(
        URI, lead_files.leads, tmp_path / "plain.csv", with_reasons=False, progress=False
    )
    assert rows == len(leads)
    # byte for byte the CSV one pass of the pyfunc's own scoring writes
    assert (tmp_path / "plain.csv").read_text() == model.score_frame(leads).to_csv(index=False)

    batch.score_file(URI, lead_files.leads, tmp_path / "full.csv", with_reasons=True, progress=False)
    batch.score_file(URI, lead_files.leads, tmp_path / "full.parquet", with_reasons=True, progress=False)
    expected = model.score_frame(leads)
    scored = model.score(leads, reasons=True)
    assert scored.reasons is not None
    expected["reasons_positive"] = [json.dumps(r["positive"]) for r in scored.reasons]
    expected["reasons_negative"] = [json.dumps(r["negative"]) for r in scored.reasons]
    groups = scored.groups
    assert list(groups) == ["fit", "engagement"]
    for group, sub in groups.items():
        expected[f"{group}_probability"] = sub.probability
        expected[f"{group}_score"] = sub.score
        expected[f"{group}_impact"] = sub.impact
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "full.csv", dtype={"lead_id": str}), expected)
    # Parquet: the same columns, the reasons as lists of structs, each value as text (numbers as JSON spells them)
    table = pq.read_table(tmp_path / "full.parquet")
    assert table.schema.names == list(expected.columns)
    assert table.schema.field("reasons_positive").type == pa.list_(REASON)
    for side in ("positive", "negative"):
        as_text = [
            [
                {
                    **r,
                    "value": r["value"]
                    if r["value"] is None or isinstance(r["value"], str)
                    else json.dumps(r["value"]),
                }
                for r in reasons[side]
            ]
            for reasons in scored.reasons
        ]
        assert table.column(f"reasons_{side}").to_pylist() == as_text
    rest = [c for c in expected.columns if not c.startswith("reasons_")]
    pd.testing.assert_frame_equal(table.select(rest).to_pandas(), expected[rest])


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "empty"), (b"lead_id,page_views\n", "no rows"), (b'lead_id,page_views\n"L1,3\n', "never closed")],
    ids=["empty", "header-only", "open-quote"],
)
def test_unreadable_file_fails_as_loading_it_does_and_keeps_the_old_answer(
    lead_files, tmp_path: Path, content: bytes, words: str
) -> None:  # type: ignore[no-untyped-def]
    data, out = tmp_path / "leads.csv", tmp_path / "scored.csv"
    data.write_bytes(content)
    out.write_text("yesterday's answer\n")
    with pytest.raises(DataError) as scoring:
        batch.score_file(URI, data, out, progress=False)
    with pytest.raises(DataError) as loading:
        load_table(data)
    assert str(scoring.value) == str(loading.value)
    assert words in str(scoring.value)
    assert out.read_text() == "yesterday's answer\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leads.csv", "scored.csv"]


def test_a_chunk_that_fails_leaves_no_partial_answer(
    lead_files, leads: pd.DataFrame, small_chunks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    score_chunk, fifth = batch.score_chunk, leads["lead_id"].iloc[1600]

    def fails_on_the_fifth(model, chunk: pa.RecordBatch, *args, **kwargs):  # type: ignore[no-untyped-def]
        if fifth in chunk.column("lead_id").to_pylist():
            raise DataError("chunk five cannot be scored")
        return score_chunk(model, chunk, *args, **kwargs)

    monkeypatch.setattr(batch, "score_chunk", fails_on_the_fifth)  # the workers fork with it
    with pytest.raises(DataError, match="chunk five"):
        batch.score_file(URI, lead_files.leads, tmp_path / "scored.csv", with_reasons=False, progress=False)
    assert list(tmp_path.iterdir()) == []
