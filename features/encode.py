"""Encoding cleaned features into the numeric matrix the model reads: categories to codes, rare and unseen pooled."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

OTHER = "(other)"
FEW = 8  # up to this many rows, categories are looked up one by one: cheaper than pandas' hash table


class CategoryEncoder(BaseEstimator, TransformerMixin):
    """Maps each categorical column to integer codes; rare and unseen values share one 'other' code, missing stays NaN.

    A category is kept when it has at least `min_count` rows (and is among the `max_categories` most frequent), so the
    model never learns from a handful of leads and a value first seen at scoring time lands where rare values did.
    """

    def __init__(self, categorical: list[str], min_count: int = 20, max_categories: int = 200) -> None:
        self.categorical = categorical
        self.min_count = min_count
        self.max_categories = max_categories

    def fit(self, X: pd.DataFrame, y: Any = None) -> CategoryEncoder:
        categories: dict[str, list[str]] = {}
        for column in self.categorical:
            counts = X[column].dropna().astype(str).value_counts()
            kept = counts[counts >= self.min_count].index[: self.max_categories]
            categories[column] = sorted(kept)
        return self.with_categories(list(X.columns), categories)

    def with_categories(self, columns: list[str], categories: dict[str, list[str]]) -> CategoryEncoder:
        """Set the learned state: the input columns and each column's kept categories (`fit`, or a logged model)."""
        self.feature_names_in_ = np.array(columns, dtype=object)
        self.categories_ = categories
        self.codes_ = {c: {v: float(i) for i, v in enumerate(cats)} for c, cats in categories.items()}
        self.__dict__.pop("_other_codes", None)  # worked out again from the new categories
        return self

    def other_code(self, column: str) -> float:
        """The code shared by rare and unseen values of a column."""
        return float(len(self.categories_[column]))

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        return self.encode_columns([X[c].to_numpy() for c in self.feature_names_in_])

    def encode_columns(self, columns: list[np.ndarray]) -> np.ndarray:
        """The float64 matrix from cleaned columns in model order (features/clean.py): numbers as they are,
        categories as codes."""
        rows = len(columns[0]) if columns else 0
        codes = self.codes_
        names = self.feature_names_in_.tolist()
        if rows <= FEW:  # a lead or a few: Python values, one array at the end
            few = [
                self._few(codes[c], v) if c in codes else v.tolist()
                for c, v in zip(names, columns, strict=True)
            ]
            return np.array(few, dtype=np.float64).reshape(len(columns), rows).T.copy()
        out = np.empty((rows, len(columns)), dtype=np.float64)
        for j, (column, values) in enumerate(zip(names, columns, strict=True)):
            out[:, j] = self._codes(column, values) if column in codes else values
        return out

    @staticmethod
    def _few(codes: dict[str, float], values: np.ndarray) -> list[float]:
        """A few categories as codes, one by one, as `_codes` finds them."""
        other = float(len(codes))
        return [
            codes.get(v, other)
            if type(v) is str
            else np.nan
            if v is None or pd.isna(v)
            else codes.get(str(v), other)
            for v in values.tolist()
        ]

    def _codes(self, column: str, values: np.ndarray) -> np.ndarray:
        """Each distinct value looked up once (columns repeat few values); missing stays NaN."""
        codes, other = self.codes_[column], self.other_code(column)
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            series = pd.Series(values, dtype=object)
            values = series.where(series.isna(), series.astype(str)).to_numpy()
        positions, uniques = pd.factorize(values, use_na_sentinel=True)
        table = np.array([codes.get(value, other) for value in uniques] + [np.nan], dtype=np.float64)
        return table[positions]  # position -1 (missing) takes the NaN

    def unseen_rows(self, matrix: np.ndarray) -> list[list[str]]:
        """Per row of an encoded matrix, the categorical features whose present value was rare or new at training
        time (scored as 'other'), in model order."""
        names, positions, others = self._other_codes
        out: list[list[str]] = [[] for _ in range(len(matrix))]
        if not names:
            return out
        rows, found = np.nonzero(matrix[:, positions] == others)  # row by row, in model order within a row
        for i, k in zip(rows.tolist(), found.tolist(), strict=True):
            out[i].append(names[k])
        return out

    @cached_property
    def _other_codes(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The categorical features (names, matrix positions) and their 'other' codes, found once per model."""
        names = [str(c) for c in self.feature_names_in_]
        positions = [j for j, c in enumerate(names) if c in self.codes_]
        others = np.array([self.other_code(names[j]) for j in positions])
        return [names[j] for j in positions], np.array(positions, dtype=np.intp), others

    def decode(self, column: str, code: float) -> str | None:
        """The category a code stands for (None for missing)."""
        if np.isnan(code):
            return None
        categories = self.categories_[column]
        return categories[int(code)] if int(code) < len(categories) else OTHER

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_
