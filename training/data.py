"""Checking a lead table against its schema before anything is trained (reading the file: features/tables.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.clean import LeadCleaner, to_numeric
from features.schema import LabelMapping, LeadSchema, SchemaError, close_match, parse_schema
from features.tables import DataError, note_warning

MIN_ROWS = 50
MAX_TEXT_SHARE = 0.1
MIN_DISTINCT_FOR_ID = 50
ID_LIKE_SHARE = 0.5


@dataclass(frozen=True)
class LabeledLeads:
    """Leads ready for training: the labelled raw rows (every column), 0/1 labels, optional timestamps."""

    frame: pd.DataFrame
    y: np.ndarray
    timestamps: pd.Series | None
    unlabeled: int
    warnings: list[str] = field(default_factory=list)


# ---- checking it against the schema ----


def _require_columns(frame: pd.DataFrame, schema: LeadSchema) -> None:
    needed = [schema.id, schema.label_column, *schema.features]
    if schema.timestamp:
        needed.append(schema.timestamp)
    for column in needed:
        if column not in frame.columns:
            close = close_match(column, [str(c) for c in frame.columns])
            hint = f"; did you mean {close!r}?" if close else ""
            raise SchemaError(f"column {column!r} named in the schema is not in the data{hint}")


def _most_common(values: pd.Series, top: int = 3) -> str:
    """'yes' (120), 'no' (80) and 2 more values."""
    counts = sorted(values.astype("string").value_counts().items(), key=lambda vc: (-vc[1], vc[0]))
    named = ", ".join(f"{value!r} ({count:,})" for value, count in counts[:top])
    return named + (f" and {len(counts) - top} more values" if len(counts) > top else "")


def _unique_rows(frame: pd.DataFrame, id_column: str, notes: list[str]) -> pd.DataFrame:
    """Rows repeated exactly are kept once (with a warning); one id with different rows is refused."""
    ids = frame[id_column]
    if not ids.duplicated().any():
        return frame
    exact = frame.duplicated()
    if exact.any():
        example = str(frame.loc[exact, id_column].iloc[0])
        note_warning(
            notes,
            f"{int(exact.sum()):,} repeated rows (identical to an earlier row, e.g. lead {example!r}) kept once",
        )
        frame = frame.loc[~exact]
    repeated = frame[id_column].duplicated(keep=False)
    if repeated.any():
        example = frame.loc[repeated, id_column].iloc[0]
        rows = frame.loc[frame[id_column] == example]
        differ = next(c for c in frame.columns if rows[c].nunique(dropna=False) > 1)
        raise DataError(
            f"id column {id_column!r} repeats {frame.loc[repeated, id_column].nunique():,} ids with different "
            f"values (e.g. {str(example)!r}, which differs in {differ!r}); keep one row per lead"
        )
    return frame


def _labels(frame: pd.DataFrame, label: str | LabelMapping, notes: list[str]) -> pd.Series:
    """0/1 per row, NaN for rows whose status is neither positive nor negative."""
    if isinstance(label, LabelMapping):
        status = frame[label.column].astype("string").str.strip()
        folded = status.str.casefold()
        mapped = pd.Series(np.nan, index=frame.index)
        mapped[folded.isin({v.strip().casefold() for v in label.positive})] = 1.0
        mapped[folded.isin({v.strip().casefold() for v in label.negative})] = 0.0
        other = status[status.notna() & mapped.isna()]
        if len(other):
            note_warning(
                notes,
                f"label {label.column!r}: {len(other):,} leads have a status in neither label.positive nor "
                f"label.negative and are left out: {_most_common(other)}",
            )
        return mapped
    values = frame[label]
    numbers = to_numeric(values)
    bad = values.notna() & ~numbers.isin([0.0, 1.0])
    if bad.any():
        raise DataError(
            f"label column {label!r} must hold 0/1, found {_most_common(values[bad])}; for text statuses "
            f"write label: {{column: {label}, positive: [...], negative: [...]}} in the schema"
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
    notes: list[str] = []
    _require_columns(frame, schema)
    ids = frame[schema.id]
    empty = ids.isna() | (ids.astype("string").str.strip() == "")
    if empty.any():
        raise DataError(f"id column {schema.id!r} is empty in {int(empty.sum())} rows")
    frame = _unique_rows(frame, schema.id, notes)
    _check_numeric(frame, schema)
    labels = _labels(frame, schema.label, notes)
    labeled = labels.notna()
    if labeled.sum() < MIN_ROWS:
        seen = frame[schema.label_column].dropna()
        found = (
            f"; it holds {_most_common(seen)}" if isinstance(schema.label, LabelMapping) and len(seen) else ""
        )
        raise DataError(
            f"only {int(labeled.sum())} labelled leads in {schema.label_column!r}; need at least {MIN_ROWS}{found}"
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
    return LabeledLeads(
        frame=kept, y=y, timestamps=timestamps, unlabeled=int((~labeled).sum()), warnings=notes
    )


def usable_schema(frame: pd.DataFrame, schema: LeadSchema) -> tuple[LeadSchema, list[str]]:
    """The schema this model trains on: features without a value in `frame` are ignored (moved to `drop`).

    Both they and categorical features holding a different value on nearly every lead (identifiers, free text:
    too rare to learn from, so pooled as "other") are named in a warning.
    """
    notes: list[str] = []
    cleaned = LeadCleaner(schema.to_dict()).fit(frame).transform(frame)
    empty = [c for c in schema.features if cleaned[c].isna().all()]
    for column in empty:
        note_warning(
            notes,
            f"feature {column!r} has no usable value in any of the {len(frame):,} training leads "
            "(empty, a placeholder or unreadable): ignored",
        )
    if len(empty) == len(schema.features):
        raise DataError(f"no feature has a usable value in the {len(frame):,} training leads")
    for column in schema.categorical:
        filled = int(cleaned[column].notna().sum())
        distinct = int(cleaned[column].nunique())
        if distinct >= MIN_DISTINCT_FOR_ID and distinct > ID_LIKE_SHARE * filled:
            note_warning(
                notes,
                f"feature {column!r} has {distinct:,} different values in {filled:,} training leads, like an "
                "identifier or free text: values this rare are pooled, so the model learns little more than "
                "whether it is filled in; move it to drop if it is an identifier",
            )
    if not empty:
        return schema, notes
    data = schema.to_dict()
    for kind in ("numeric", "categorical", "boolean"):
        data[kind] = [c for c in data.get(kind, []) if c not in empty]
    data["drop"] = [*data.get("drop", []), *empty]
    if "groups" in data:
        data["groups"] = {g: [c for c in cols if c not in empty] for g, cols in data["groups"].items()}
    return parse_schema(data), notes
