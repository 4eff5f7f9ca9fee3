"""Encoding cleaned features into the numeric matrix the model reads: categories to codes, rare and unseen pooled."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

OTHER = "(other)"


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
        return self

    def other_code(self, column: str) -> float:
        """The code shared by rare and unseen values of a column."""
        return float(len(self.categories_[column]))

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.feature_names_in_)), dtype=np.float64)
        for j, column in enumerate(self.feature_names_in_):
            values = X[column]
            if column in self.codes_:
                out[:, j] = self._codes(column, values)
            else:
                out[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
        return out

    def _codes(self, column: str, values: pd.Series) -> np.ndarray:
        """Each distinct value looked up once (columns repeat few values); missing stays NaN."""
        if pd.api.types.infer_dtype(values, skipna=True) != "string":
            values = values.astype(object).where(values.isna(), values.astype(str))
        positions, uniques = pd.factorize(values, use_na_sentinel=True)
        codes, other = self.codes_[column], self.other_code(column)
        table = np.array([codes.get(value, other) for value in uniques] + [np.nan], dtype=np.float64)
        return table[positions]  # position -1 (missing) takes the NaN

    def decode(self, column: str, code: float) -> str | None:
        """The category a code stands for (None for missing)."""
        if np.isnan(code):
            return None
        categories = self.categories_[column]
        return categories[int(code)] if int(code) < len(categories) else OTHER

    def unseen(self, X: pd.DataFrame) -> pd.DataFrame:
        """Boolean frame: True where a categorical value was never kept at training time (rare or new)."""
        return pd.DataFrame(
            {c: X[c].notna() & ~X[c].astype(str).isin(self.codes_[c]) for c in self.categorical},
            index=X.index,
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.feature_names_in_
