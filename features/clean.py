"""Cleaning raw lead values into typed features: placeholders to missing, numbers coerced, booleans normalised."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from features.schema import LeadSchema, parse_schema

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "1.0", "on", "checked"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "0.0", "off", "unchecked"})


def as_text(value: Any) -> str | None:
    """One raw value as text: stripped, integral floats without '.0' (so 7.0 matches '7'), missing as None."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or pd.isna(value) is True:  # None, NaN, pd.NA, NaT
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _as_text(values: pd.Series) -> pd.Series:
    """A column as `as_text` gives each value, missing as NaN."""
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        # text only (files are read as text): few distinct values, so clean each once, not once per row
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        cleaned = np.array([as_text(u) for u in uniques] + [np.nan], dtype=object)
        return pd.Series(cleaned[codes], index=values.index, dtype=object)  # code -1 (missing) takes the NaN
    text = values.astype(object).map(as_text)
    return text.where(text.notna(), np.nan)


def to_numeric(values: pd.Series) -> pd.Series:
    """Numbers as float64; anything that is not a number becomes missing."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    positions, uniques = pd.factorize(_as_text(values), use_na_sentinel=True)
    numbers = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(
        "float64", na_value=np.nan
    )
    return pd.Series(np.append(numbers, np.nan)[positions], index=values.index, dtype="float64")


def to_boolean(values: pd.Series) -> pd.Series:
    """True/False, yes/no, 1/0 and friends as 1.0/0.0; anything else missing."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = values.astype("float64")
        return numbers.where(numbers.isin([0.0, 1.0]))
    text = _as_text(values)
    words = [w for w in text.unique() if isinstance(w, str)]  # each distinct spelling lowered once
    true = text.isin([w for w in words if w.lower() in TRUE_WORDS])
    false = text.isin([w for w in words if w.lower() in FALSE_WORDS])
    return pd.Series(
        np.select([true, false], [1.0, 0.0], np.nan),
        index=values.index,
        dtype="float64",
    )


class LeadCleaner(BaseEstimator, TransformerMixin):
    """Turns raw lead rows into one typed column per feature; absent columns count as all missing."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def fit(self, X: pd.DataFrame, y: Any = None) -> LeadCleaner:
        self.schema_ = parse_schema(self.schema)
        self.na_values_ = frozenset(self.schema_.na_values)
        self.feature_names_in_ = np.array(self.schema_.features, dtype=object)
        return self

    def _missing_to_nan(self, values: pd.Series) -> pd.Series:
        text = _as_text(values)
        if not self.na_values_:
            return text.where(text != "")
        return text.where(~text.isin(self.na_values_) & (text != ""))

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        schema: LeadSchema = self.schema_
        out: dict[str, pd.Series] = {}
        for column in schema.features:
            if column not in X.columns:
                out[column] = pd.Series(
                    np.nan, index=X.index, dtype="float64" if schema.kind(column) != "categorical" else object
                )
                continue
            raw = X[column]
            kind = schema.kind(column)
            if kind == "categorical":
                out[column] = self._missing_to_nan(raw)
                continue
            if self.na_values_ or not (pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)):
                # a placeholder such as -1 is missing whether it comes as text (CSV) or as a number (JSON, Parquet)
                raw = self._missing_to_nan(raw)
            out[column] = to_numeric(raw) if kind == "numeric" else to_boolean(raw)
        return pd.DataFrame(out, index=X.index)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self.schema_.features, dtype=object)


def as_signature_types(leads: pd.DataFrame, schema: LeadSchema) -> pd.DataFrame:
    """Leads typed as the model signature declares them (numbers as float64, the rest as text or None).

    Files read as text (CSV) carry numbers as strings; MLflow's schema enforcement wants them typed.
    """
    out = leads[[c for c in schema.input_columns if c in leads.columns]].copy()
    for column in out.columns:
        if column in schema.numeric:
            out[column] = to_numeric(out[column])
        else:
            text = _as_text(out[column])
            out[column] = text.astype(object).where(text.notna(), None)
    return out
