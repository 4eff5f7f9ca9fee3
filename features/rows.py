"""Leads as plain mappings to model rows without pandas: the fitted cleaner and encoder applied one value at a time.

A one-row pandas frame costs milliseconds, a scorer on a numpy row tens of microseconds (DESIGN.md, Pitfalls), so
the service builds rows here. Each value is treated exactly as `LeadCleaner` then `CategoryEncoder` treat it in a
one-row frame (its type decides the column's dtype there); tests prove equality with the pandas path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.clean import FALSE_WORDS, TRUE_WORDS, as_text
from features.families import prepare_one_row
from features.model import LeadModel

NAN = math.nan
# The decimal notation pandas' parser reads; anything else (inf, nan, odd spellings) is left to pandas itself.
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, as `astype(object)` gives them."""
    return value.item() if isinstance(value, np.generic) else value


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


def _is_typed_number(value: Any) -> bool:
    """True when a one-row frame of this value has a numeric or boolean dtype (cleaning then skips text rules)."""
    return isinstance(value, int | float)


class RowEncoder:
    """The fitted feature pipeline of one `LeadModel` as per-value functions: lead mappings to a float64 matrix."""

    def __init__(self, model: LeadModel, one_row: bool = True) -> None:
        cleaner = model.preprocessor.named_steps["clean"]
        encoder = model.encoder
        schema = model.schema
        self.features: list[str] = [str(c) for c in encoder.feature_names_in_]
        if self.features != schema.features:
            raise ValueError("the model's encoder columns differ from its schema's features")
        self.na_values: frozenset[str] = frozenset(cleaner.na_values_)
        self.codes: dict[str, dict[str, float]] = encoder.codes_
        self.categorical = [c for c in self.features if c in self.codes]
        cleaners: dict[str, Callable[[Any], Any]] = {
            "numeric": self.clean_numeric,
            "boolean": self.clean_boolean,
            "categorical": self.clean_category,
        }
        self._cleaners = [(c, cleaners[schema.kind(c)]) for c in self.features]
        self._numeric = [schema.kind(c) == "numeric" for c in self.features]
        # numbers whose text may be a placeholder (see clean_numeric): a batch re-checks only values equal to one
        self._na_numbers = np.array(sorted({n for n in map(_float_or_nan, self.na_values) if n == n}))
        self._categories = [(j, c, self.codes[c]) for j, c in enumerate(self.features) if c in self.codes]
        # per feature: its code table (None for numbers) and the code of a category it never saw
        self._tables = [(self.codes.get(c), float(len(self.codes.get(c) or ()))) for c in self.features]
        # the one-row scorer's lookup tables are built with the encoder, when the model loads (off the request path);
        # batch-only users (the command line) leave them to the first lead that needs them
        if one_row:
            prepare_one_row(model.scorer)

    def _missing_text(self, value: Any) -> str | None:
        text = as_text(value)
        if text is None or text == "" or text in self.na_values:
            return None
        return text

    def clean_numeric(self, value: Any) -> float:
        kind = type(value)
        if kind is str:  # the common cases first, without the general machinery
            text = value.strip()
            return NAN if not text or text in self.na_values else parse_number(text)
        if kind is float or kind is int:
            if not self.na_values:
                return float(value)
            if value != value:
                return NAN
            # a placeholder such as -1 counts as missing when its text (as cleaning writes it) is listed
            integral = kind is int or value.is_integer()
            text = str(int(value)) if integral else str(value)
            return NAN if text in self.na_values else float(int(value)) if integral else value
        value = _plain(value)
        if _is_typed_number(value) and not self.na_values:
            return float(value)
        text = self._missing_text(value)
        return NAN if text is None else parse_number(text)

    def clean_boolean(self, value: Any) -> float:
        if type(value) is str:
            text = value.strip()
        else:
            value = _plain(value)
            if _is_typed_number(value) and not self.na_values:
                number = float(value)
                return number if number in (0.0, 1.0) else NAN
            text = self._missing_text(value) or ""
        if not text or text in self.na_values:
            return NAN
        word = text.lower()
        return 1.0 if word in TRUE_WORDS else 0.0 if word in FALSE_WORDS else NAN

    def clean_category(self, value: Any) -> str | None:
        if type(value) is str:
            text = value.strip()
            return None if not text or text in self.na_values else text
        return self._missing_text(value)

    def clean(self, lead: Mapping[str, Any]) -> list[Any]:
        """The lead's cleaned value per feature, in model order (numbers as float, categories as text or None)."""
        get = lead.get
        return [clean(get(column)) for column, clean in self._cleaners]

    def encode(self, leads: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, list[list[Any]]]:
        """The model's feature matrix for these leads, and their cleaned values (for reasons)."""
        tables = self._tables
        cleaned = [self.clean(lead) for lead in leads]
        rows = [
            [
                value if table is None else NAN if value is None else table.get(value, other)
                for value, (table, other) in zip(values, tables, strict=True)
            ]
            for values in cleaned
        ]
        matrix = np.array(rows, dtype=np.float64).reshape(len(leads), len(self.features))
        return matrix, cleaned

    def encode_columns(self, leads: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, list[list[Any]]]:
        """`encode` for a batch, column by column: the same matrix, and the cleaned values per feature (not per lead).

        A column of plain numbers becomes one numpy array; other columns clean and look up each distinct value
        once. Every value is still cleaned by the per-value functions above, so both paths agree exactly.
        """
        matrix = np.empty((len(leads), len(self.features)))
        columns: list[list[Any]] = []
        for j, ((column, clean), (table, other)) in enumerate(zip(self._cleaners, self._tables, strict=True)):
            raw = [lead.get(column) for lead in leads]
            numbers = self._numbers(raw) if self._numeric[j] else None
            if numbers is not None:
                matrix[:, j] = numbers
                columns.append(numbers.tolist())
                continue
            # each distinct value once, keyed with its type: 1, 1.0 and True are equal keys but may clean apart
            done: dict[tuple[type, Any], tuple[Any, float]] = {}
            for value in {(type(v), v) for v in raw}:
                cleaned = clean(value[1])
                code = cleaned if table is None else NAN if cleaned is None else table.get(cleaned, other)
                done[value] = (cleaned, code)
            pairs = [done[(type(v), v)] for v in raw]
            matrix[:, j] = [code for _, code in pairs]
            columns.append([cleaned for cleaned, _ in pairs])
        return matrix, columns

    def _numbers(self, raw: list[Any]) -> np.ndarray | None:
        """A column of ints, floats and None as clean_numeric gives them, in one numpy call; None for anything else."""
        if not set(map(type, raw)) <= {float, int, type(None)}:
            return None
        try:
            numbers = np.array(raw, dtype=np.float64)  # None reads as NaN
        except OverflowError:
            return None
        if len(self._na_numbers):
            for i in np.flatnonzero(np.isin(numbers, self._na_numbers)).tolist():
                numbers[i] = self.clean_numeric(raw[i])  # equal to a placeholder's number: its text decides
        return numbers

    def unseen_columns(self, matrix: np.ndarray) -> list[list[str]]:
        """`unseen` for every row of an encoded matrix: a present category the model never kept has the 'other' code."""
        if not self._categories:
            return [[] for _ in range(len(matrix))]
        positions = [j for j, _, _ in self._categories]
        others = np.array([self._tables[j][1] for j in positions])
        flags = matrix[:, positions] == others
        out: list[list[str]] = [[] for _ in range(len(matrix))]
        rows, found = np.nonzero(
            flags
        )  # row by row, each row's categories in model order (as `unseen` lists them)
        for i, k in zip(rows.tolist(), found.tolist(), strict=True):
            out[i].append(self._categories[k][1])
        return out

    def unseen(self, values: list[Any]) -> list[str]:
        """Categorical features whose (present) value was rare or absent at training time: scored as 'other'."""
        return [c for j, c, codes in self._categories if values[j] is not None and values[j] not in codes]


@dataclass(frozen=True)
class RowScores:
    """Calibrated probability per lead and, when asked for, each feature's push on the calibrated log-odds."""

    probability: np.ndarray
    contributions: np.ndarray | None  # (n, features) scaled by the calibration slope
    baseline: np.ndarray | None  # (n,) the scorer's baseline log-odds, scaled likewise


def score_rows(model: LeadModel, matrix: np.ndarray, contributions: bool, threads: int = 1) -> RowScores:
    """The scorer on a ready matrix: exactly `LeadModel.probability` and `LeadModel.contributions`, minus pandas."""
    scorer = model.scorer
    if not contributions:
        return RowScores(model.calibration(scorer.raw(matrix, threads)), None, None)
    raw, contrib, baseline = scorer.raw_and_explain(matrix, threads)
    probability = model.calibration(raw)
    slope = model.calibration.slope
    return RowScores(probability, contrib * slope, baseline * slope)
