"""Cleaning raw lead values into typed features: placeholders to missing, numbers coerced, booleans normalised."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import cached_property
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


NAN = math.nan
# The decimal notation pandas' parser reads; anything else (inf, nan, odd spellings) is left to pandas itself.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NUMBER_TYPES = frozenset({float, int, type(None)})
FEW = 8  # up to this many leads, each value is cleaned on its own: cheaper than finding the distinct ones


def parse_number(text: str) -> float:
    """A number from text as `pd.to_numeric(errors="coerce")` reads it; NaN when it is not one."""
    if text.isascii() and text.isdigit():  # the usual case, ahead of the patterns
        return float(text)
    if _INTEGER.fullmatch(text):
        return float(int(text))
    if _DECIMAL.fullmatch(text):
        return float(text)
    return float(pd.to_numeric(pd.Series([text], dtype=object), errors="coerce").iloc[0])


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return NAN


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones."""
    return value.item() if isinstance(value, np.generic) else value


def _distinct(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Each value's position among the column's distinct values (-1: missing), and those values.

    Values are told apart by type as well (1, 1.0 and True are equal keys in Python but may clean apart), so a
    column of mixed types is keyed in Python; text alone or one numpy type goes through pandas' hash table.
    """
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        positions, uniques = pd.factorize(values, use_na_sentinel=True)
        return positions, list(uniques)
    seen: dict[tuple[type, Any], int] = {}
    add = seen.setdefault
    positions = np.fromiter((add((type(v), v), len(seen)) for v in values.tolist()), np.intp, len(values))
    return positions, [value for _, value in seen]


class LeadCleaner(BaseEstimator, TransformerMixin):
    """Turns raw lead values into one typed column per feature; absent columns count as all missing.

    The one definition of cleaning, for a training table and a request alike: each column's distinct values are
    cleaned once by the per-value rules below (its type decides: text goes through the text rules, a typed number
    skips them unless the schema lists placeholders), then spread back over the column. Numbers come out as
    float64, booleans as 1.0/0.0, categories as text; missing as NaN (None for a category).
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema

    def fit(self, X: Any = None, y: Any = None) -> LeadCleaner:
        self.schema_ = parse_schema(self.schema)
        self.na_values_ = frozenset(self.schema_.na_values)
        for cached in ("_kinds", "_placeholder_numbers"):  # worked out from this schema when next needed
            self.__dict__.pop(cached, None)
        self.feature_names_in_ = np.array(self.schema_.features, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        present = [c for c in self.schema_.features if c in X.columns]
        columns = self.clean_columns({c: X[c].to_numpy() for c in present}, len(X))
        return pd.DataFrame(  # categories stay object columns of text and None (pandas would infer its str dtype)
            {
                c: pd.Series(v, index=X.index, dtype=v.dtype)
                for c, v in zip(self.schema_.features, columns, strict=True)
            }
        )

    def clean_columns(self, columns: Mapping[str, Any], rows: int) -> list[np.ndarray]:
        """Each feature's cleaned column, in model order, from raw columns by name (lists or arrays, `rows` long)."""
        cleaners: dict[str, Callable[[Any], Any]] = {
            "numeric": self.clean_numeric,
            "boolean": self.clean_boolean,
            "categorical": self.clean_category,
        }
        out: list[np.ndarray] = []
        for column, kind in self._kinds:
            raw = columns.get(column)
            if raw is None:
                out.append(np.full(rows, None if kind == "categorical" else NAN, dtype=_dtype(kind)))
                continue
            numbers = self._numbers(raw) if kind == "numeric" else None
            if numbers is not None:
                out.append(numbers)
                continue
            clean = cleaners[kind]
            if rows <= FEW:
                out.append(np.array([clean(v) for v in raw], dtype=_dtype(kind)))
                continue
            values = raw if isinstance(raw, np.ndarray) else _object_array(raw)
            positions, uniques = _distinct(values)
            table: np.ndarray = np.array([*(clean(u) for u in uniques), clean(None)], dtype=_dtype(kind))
            out.append(table[positions])  # position -1 (missing) takes the last entry
        return out

    @cached_property
    def _kinds(self) -> list[tuple[str, str]]:
        schema: LeadSchema = self.schema_
        return [(column, schema.kind(column)) for column in schema.features]

    def _numbers(self, raw: Any) -> np.ndarray | None:
        """A column of plain numbers (and None) as `clean_numeric` gives them, in numpy; None for anything else."""
        if isinstance(raw, np.ndarray):
            if raw.dtype.kind not in "fiu":
                return None
            numbers = raw.astype(np.float64)
        else:
            if not set(map(type, raw)) <= _NUMBER_TYPES:
                return None
            try:
                numbers = np.array(raw, dtype=np.float64)  # None reads as NaN
            except OverflowError:
                return None
        placeholders = self._placeholder_numbers
        if len(placeholders):
            for i in np.flatnonzero(np.isin(numbers, placeholders)).tolist():
                numbers[i] = self.clean_numeric(
                    _plain(raw[i])
                )  # equal to a placeholder's number: its text decides
        return numbers

    @cached_property
    def _placeholder_numbers(self) -> np.ndarray:
        """The placeholders that read as numbers (-1, 999), worked out once: every numeric column checks them."""
        return np.array(sorted({n for n in map(_float_or_nan, self.na_values_) if n == n}))

    def _missing_text(self, value: Any) -> str | None:
        text = as_text(value)
        if text is None or text == "" or text in self.na_values_:
            return None
        return text

    def clean_numeric(self, value: Any) -> float:
        kind = type(value)
        if kind is str:
            text = value.strip()
            return NAN if not text or text in self.na_values_ else parse_number(text)
        if kind is float or kind is int:
            if not self.na_values_:
                return float(value)
            if value != value:
                return NAN
            # a placeholder such as -1 counts as missing when its text (as cleaning writes it) is listed
            integral = kind is int or value.is_integer()
            text = str(int(value)) if integral else str(value)
            return NAN if text in self.na_values_ else float(int(value)) if integral else value
        value = _plain(value)
        if isinstance(value, int | float) and not self.na_values_:
            return float(value)
        text = self._missing_text(value)
        return NAN if text is None else parse_number(text)

    def clean_boolean(self, value: Any) -> float:
        if type(value) is str:
            text = value.strip()
        else:
            value = _plain(value)
            if isinstance(value, int | float) and not self.na_values_:
                number = float(value)
                return number if number in (0.0, 1.0) else NAN
            text = self._missing_text(value) or ""
        if not text or text in self.na_values_:
            return NAN
        word = text.lower()
        return 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else NAN

    def clean_category(self, value: Any) -> str | None:
        if type(value) is str:
            text = value.strip()
            return None if not text or text in self.na_values_ else text
        return self._missing_text(value)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self.schema_.features, dtype=object)


def _dtype(kind: str) -> type:
    return object if kind == "categorical" else np.float64


def _object_array(values: Any) -> np.ndarray:
    """A list of raw values as a one-dimensional object array (np.array would nest lists and widen types)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values if not hasattr(values, "to_numpy") else values.to_numpy()
    return out


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
