"""Checking lead tables against the schema: every problem is one line naming the column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.schema import LabelMapping, LeadSchema, SchemaError, parse_schema
from features.tables import load_table
from training.data import DataError, validate_leads

SCHEMA = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "timestamp": "created_at",
        "numeric": ["page_views"],
        "boolean": ["requested_demo"],
        "categorical": ["country"],
        "drop": ["notes"],
        "na_values": ["Select"],
    }
)
N = 100


def leads(n: int = N) -> pd.DataFrame:
    """A lead table as load_table returns a CSV: every cell text, one lead a day."""
    return pd.DataFrame(
        {
            "lead_id": [f"L{i:03d}" for i in range(n)],
            "converted": [str(i % 2) for i in range(n)],
            "created_at": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d").tolist(),
            "page_views": [str(i % 7) for i in range(n)],
            "requested_demo": ["yes", "no"] * (n // 2),
            "country": ["NA", "US", "Select", "DE"] * (n // 4),
            "notes": ["called"] * n,
        }
    )


def one_line_error(error: type[Exception], action: Callable[[], object]) -> str:
    with pytest.raises(error) as caught:
        action()
    message = str(caught.value)
    assert "\n" not in message
    return message


# ---- validate_leads ----


def test_valid_table_gives_labels_features_and_timestamps() -> None:
    table = leads()
    result = validate_leads(table, SCHEMA)
    assert result.y.tolist() == [i % 2 for i in range(N)]
    # every column stays: a champion trained on other features is compared on the same rows
    assert list(result.frame.columns) == list(table.columns)
    assert result.frame["lead_id"].tolist() == table["lead_id"].tolist()
    assert result.unlabeled == 0
    assert result.timestamps is not None
    assert pd.api.types.is_datetime64_any_dtype(result.timestamps)
    assert result.timestamps.iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert result.timestamps.iloc[-1] == pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=N - 1)


def test_loaded_csv_validates(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    leads().to_csv(path, index=False)
    assert len(validate_leads(load_table(path), SCHEMA).y) == N


def test_misspelled_column_suggests_the_close_one() -> None:
    table = leads().rename(columns={"page_views": "page_veiws"})
    message = one_line_error(SchemaError, lambda: validate_leads(table, SCHEMA))
    assert "'page_views'" in message
    assert "did you mean 'page_veiws'" in message


def test_absent_column_without_a_close_match_is_named() -> None:
    table = leads().drop(columns=["requested_demo"])
    message = one_line_error(SchemaError, lambda: validate_leads(table, SCHEMA))
    assert "'requested_demo'" in message
    assert "did you mean" not in message


def with_cells(column: str, rows: slice | list[int], value: object) -> pd.DataFrame:
    table = leads()
    table.loc[rows, column] = value
    return table


@pytest.mark.parametrize(
    ("table", "named"),
    [
        (with_cells("converted", [3], "yes"), ["'converted'", "yes"]),
        (with_cells("converted", [3], "2"), ["'converted'", "'2'"]),
        (with_cells("converted", slice(None), "1"), ["'converted'", "one class"]),
        (with_cells("converted", slice(49, None), np.nan), ["'converted'", "only 49", "50"]),
        (with_cells("page_views", slice(None), "many"), ["'page_views'", "'many'", "numeric"]),
        (with_cells("page_views", slice(0, 10), "lots"), ["'page_views'", "11 of 100"]),
        (with_cells("lead_id", [7], "L003"), ["'lead_id'", "'L003'"]),
        (with_cells("lead_id", [7], np.nan), ["'lead_id'", "empty"]),
        (with_cells("created_at", slice(0, 20), "last tuesday"), ["'created_at'", "not dates"]),
    ],
    ids=[
        "text-label",
        "label-2",
        "one-class",
        "49-labelled",
        "numeric-text",
        "numeric-11pct-text",
        "duplicate-id",
        "empty-id",
        "bad-timestamps",
    ],
)
def test_bad_table_is_one_line_naming_the_column(table: pd.DataFrame, named: list[str]) -> None:
    message = one_line_error(DataError, lambda: validate_leads(table, SCHEMA))
    for part in named:
        assert part in message


def test_fifty_labelled_leads_are_enough_and_the_rest_count_as_unlabeled() -> None:
    result = validate_leads(with_cells("converted", slice(50, None), np.nan), SCHEMA)
    assert len(result.y) == len(result.frame) == 50
    assert result.unlabeled == 50


def test_labels_may_be_numbers_or_booleans() -> None:
    numbers = validate_leads(leads().assign(converted=[float(i % 2) for i in range(N)]), SCHEMA)
    booleans = validate_leads(leads().assign(converted=[i % 2 == 1 for i in range(N)]), SCHEMA)
    assert numbers.y.tolist() == booleans.y.tolist() == [i % 2 for i in range(N)]


def test_placeholders_and_a_few_typos_in_a_numeric_column_are_tolerated() -> None:
    # 21 placeholders are missing, not text: 7 typos among the 79 given values stay under the 10% allowed.
    table = with_cells("page_views", slice(0, 6), "lots")
    table.loc[20:40, "page_views"] = "Select"
    assert len(validate_leads(table, SCHEMA).y) == N
    table.loc[7, "page_views"] = "lots"
    assert "8 of 79" in one_line_error(DataError, lambda: validate_leads(table, SCHEMA))


def test_empty_id_cell_in_a_csv_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    leads().assign(lead_id=lambda f: f["lead_id"].where(f.index != 5, "")).to_csv(path, index=False)
    message = one_line_error(DataError, lambda: validate_leads(load_table(path), SCHEMA))
    assert "'lead_id'" in message


def test_empty_string_id_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "leads.parquet"
    leads().assign(lead_id=lambda f: f["lead_id"].where(f.index != 5, "")).to_parquet(path, index=False)
    with pytest.raises(DataError, match="'lead_id'"):
        validate_leads(load_table(path), SCHEMA)


def mapped_schema() -> LeadSchema:
    data = SCHEMA.to_dict()
    data["label"] = {"column": "status", "positive": ["Won"], "negative": ["Lost"]}
    return parse_schema(data)


def test_label_mapping_turns_statuses_into_labels() -> None:
    schema = mapped_schema()
    assert isinstance(schema.label, LabelMapping)
    statuses = (["Won", "Lost", "Open", " Won ", "Lost", "Rejected"] * 20)[:N]
    table = leads().drop(columns=["converted"]).assign(status=statuses)
    result = validate_leads(table, schema)
    labelled = [s.strip() in ("Won", "Lost") for s in statuses]
    assert result.unlabeled == labelled.count(False)
    assert result.frame["lead_id"].tolist() == table.loc[labelled, "lead_id"].tolist()
    assert result.y.tolist() == [
        1 if s.strip() == "Won" else 0 for s, keep in zip(statuses, labelled, strict=True) if keep
    ]
    assert result.timestamps is not None
    assert len(result.timestamps) == len(result.y)
    assert result.timestamps.iloc[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert result.timestamps.iloc[2] == pd.Timestamp("2024-01-04", tz="UTC")


def test_timestamps_in_several_formats_are_parsed() -> None:
    stamps = ["2024-03-01", "2024-03-01T10:30:00", "2024-03-01 10:30:00+02:00", ""] * (N // 4)
    result = validate_leads(leads().assign(created_at=stamps).replace({"": np.nan}), SCHEMA)
    assert result.timestamps is not None
    assert result.timestamps.iloc[:4].tolist()[:3] == [
        pd.Timestamp("2024-03-01", tz="UTC"),
        pd.Timestamp("2024-03-01 10:30", tz="UTC"),
        pd.Timestamp("2024-03-01 08:30", tz="UTC"),
    ]
    assert result.timestamps.isna().sum() == N // 4


def test_table_without_a_timestamp_in_the_schema_has_none() -> None:
    data = SCHEMA.to_dict()
    del data["timestamp"]
    assert validate_leads(leads(), parse_schema(data)).timestamps is None
