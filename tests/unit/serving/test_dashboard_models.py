"""The dashboard's response rows list their columns in the CSV's order, so the JSON and the export read alike."""

from __future__ import annotations

from pydantic import BaseModel

from serving.dashboard_models import Tables
from serving.store.dashboard import COLUMNS, TABLES


def test_every_tables_row_model_has_the_csv_columns_in_order() -> None:
    assert set(Tables.model_fields) == set(TABLES)
    for table in TABLES:
        (row,) = Tables.model_fields[table].annotation.__args__  # type: ignore[union-attr]
        assert issubclass(row, BaseModel)
        assert tuple(row.model_fields) == COLUMNS[table], table
