"""Loading a lead table and checking it against its schema before anything is trained."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.clean import LeadCleaner, to_numeric
from features.schema import LabelMapping, LeadSchema, SchemaError

# Empty cells and the usual spellings of "no value"; "NA" is left alone because it is also a country code.
MISSING_TOKENS = ["", "NaN", "nan", "NULL", "null", "None", "N/A", "n/a", "#N/A"]
MIN_ROWS = 50
MAX_TEXT_SHARE = 0.1


class DataError(ValueError):
    """A lead table that cannot be trained on; the message is one line naming the problem."""


@dataclass(frozen=True)
class LabeledLeads:
    """Leads ready for training: the labelled raw rows (every column), 0/1 labels, optional timestamps."""

    frame: pd.DataFrame
    y: np.ndarray
    timestamps: pd.Series | None
    unlabeled: int


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, logged so a run names exactly the data it saw."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet lead table; CSV cells are read as text so typing is the schema's job."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
        elif suffix in {".csv", ".txt", ".gz"}:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=MISSING_TOKENS)
        else:
            raise DataError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except pd.errors.ParserError as error:
        raise DataError(f"{path}: malformed CSV ({str(error).strip().splitlines()[-1]})") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text; re-save the file as UTF-8") from None
    except (OSError, ValueError) as error:
        if isinstance(error, DataError):
            raise
        raise DataError(f"{path}: cannot be read ({str(error).strip().splitlines()[0]})") from None
    if frame.empty:
        raise DataError(f"{path}: the file has no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _require_columns(frame: pd.DataFrame, schema: LeadSchema) -> None:
    needed = [schema.id, schema.label_column, *schema.features]
    if schema.timestamp:
        needed.append(schema.timestamp)
    for column in needed:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SchemaError(f"column {column!r} named in the schema is not in the data{hint}")


def _labels(frame: pd.DataFrame, label: str | LabelMapping) -> pd.Series:
    """0/1 per row, NaN for rows whose status is neither positive nor negative."""
    if isinstance(label, LabelMapping):
        status = frame[label.column].astype("string").str.strip()
        mapped = pd.Series(np.nan, index=frame.index)
        mapped[status.isin(label.positive)] = 1.0
        mapped[status.isin(label.negative)] = 0.0
        return mapped
    values = frame[label]
    numbers = to_numeric(values)
    bad = values.notna() & ~numbers.isin([0.0, 1.0])
    if bad.any():
        examples = sorted({str(v) for v in values[bad].head(50)})[:3]
        raise DataError(
            f"label column {label!r} must hold 0/1, found {examples}; "
            "map text statuses with label: {column, positive, negative}"
        )
    return numbers


def _check_numeric(frame: pd.DataFrame, schema: LeadSchema) -> None:
    cleaned = LeadCleaner(schema.to_dict()).fit(frame).transform(frame[schema.numeric])
    for column in schema.numeric:
        given = frame[column].notna() & ~frame[column].astype("string").str.strip().isin(
            [*schema.na_values, ""]
        )
        text = given & cleaned[column].isna()
        if given.sum() and text.sum() > MAX_TEXT_SHARE * given.sum():
            example = str(frame.loc[text, column].iloc[0])
            raise DataError(
                f"column {column!r} is listed as numeric but {int(text.sum())} of {int(given.sum())} values are "
                f"not numbers (e.g. {example!r}); list it as categorical or clean it"
            )


def validate_leads(frame: pd.DataFrame, schema: LeadSchema) -> LabeledLeads:
    """Check a table against its schema and return labelled leads, or raise one line naming the problem."""
    _require_columns(frame, schema)
    ids = frame[schema.id]
    empty = ids.isna() | (ids.astype("string").str.strip() == "")
    if empty.any():
        raise DataError(f"id column {schema.id!r} is empty in {int(empty.sum())} rows")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise DataError(
            f"id column {schema.id!r} repeats {len(duplicated)} ids (e.g. {str(duplicated.iloc[0])!r}); "
            "keep one row per lead"
        )
    _check_numeric(frame, schema)
    labels = _labels(frame, schema.label)
    labeled = labels.notna()
    if labeled.sum() < MIN_ROWS:
        raise DataError(
            f"only {int(labeled.sum())} labelled leads in {schema.label_column!r}; need at least {MIN_ROWS}"
        )
    y = labels[labeled].astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError(
            f"label {schema.label_column!r} has one class only ({int(y[0])}); need converted and not"
        )
    kept = frame.loc[labeled].reset_index(drop=True)
    timestamps = None
    if schema.timestamp:
        raw = frame.loc[labeled, schema.timestamp].reset_index(drop=True)
        timestamps = pd.to_datetime(raw, errors="coerce", utc=True, format="mixed")
        bad = int(timestamps.isna().sum() - raw.isna().sum())
        if bad > MAX_TEXT_SHARE * len(raw) or timestamps.isna().all():
            raise DataError(f"timestamp column {schema.timestamp!r} has {bad} values that are not dates")
    return LabeledLeads(frame=kept, y=y, timestamps=timestamps, unlabeled=int((~labeled).sum()))
