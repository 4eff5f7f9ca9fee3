"""Fitted scoring families on the encoded feature matrix: log-odds and per-feature contributions, numpy only.

Every family maps the fitted preprocessor's float matrix (numbers, boolean 0/1, category codes, NaN for missing) to
raw log-odds, and explains them: `explain` gives each feature's push on the log-odds and the baseline they start
from, so that raw = baseline + the row's contributions. Serving loads these objects with the model; the fitting
lives in `training/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np


class Scorer(Protocol):
    """What `LeadModel` needs from a fitted family."""

    @property
    def family(self) -> str: ...

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        """Log-odds per row."""
        ...

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(n, features) contributions to the log-odds and the (n,) baseline they add to."""
        ...


@dataclass
class LightGBMScorer:
    """A boosted tree ensemble; contributions are TreeSHAP values (`pred_contrib`)."""

    booster: lgb.Booster
    family: str = "lightgbm"

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        options: dict[str, Any] = {} if threads is None else {"num_threads": threads}
        return np.asarray(self.booster.predict(matrix, raw_score=True, **options))

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        options: dict[str, Any] = {} if threads is None else {"num_threads": threads}
        contrib = np.asarray(self.booster.predict(matrix, pred_contrib=True, **options))
        return contrib[:, :-1], contrib[:, -1]


@dataclass(frozen=True)
class TableTerm:
    """One feature's log-odds as a lookup: by category code (or 0/1), or by bin of a number when `edges` is set."""

    table: np.ndarray  # value per level; levels never seen in training hold 0 (ignored)
    missing: float
    edges: np.ndarray | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        absent = np.isnan(x)
        filled = np.where(absent, 0.0, x)
        if self.edges is not None:
            return np.where(
                absent, self.missing, self.table[np.searchsorted(self.edges, filled, side="right")]
            )
        known = (filled >= 0) & (filled < len(self.table))  # a code the fitted rows never had counts 0
        value = self.table[np.where(known, filled, 0).astype(np.int64)]
        return np.where(absent, self.missing, np.where(known, value, 0.0))


@dataclass(frozen=True)
class SplineTerm:
    """One number's log-odds as a linear spline in t = sign(x) log1p(|x|): slope * t + sum of hinges at knots.

    t is clipped to the range seen in training, so a value beyond it (even infinite) scores as the extreme seen.
    """

    slope: float
    knots: np.ndarray
    hinges: np.ndarray
    missing: float
    low: float = -np.inf
    high: float = np.inf

    def __call__(self, x: np.ndarray) -> np.ndarray:
        absent = np.isnan(x)
        t = np.clip(log_scale(np.where(absent, 0.0, x)), self.low, self.high)
        value = self.slope * t
        for knot, weight in zip(self.knots.tolist(), self.hinges.tolist(), strict=True):
            value = value + weight * np.maximum(t - knot, 0.0)
        return np.where(absent, self.missing, value)


def log_scale(x: np.ndarray) -> np.ndarray:
    """Signed log1p: long-tailed counts and durations become close to linear in the log-odds."""
    return np.asarray(np.sign(x) * np.log1p(np.abs(x)))


Term = TableTerm | SplineTerm


@dataclass(frozen=True)
class _CodePlan:
    """All code-table terms gathered from one flat table at once: one lead costs a few numpy calls, not one per term."""

    columns: np.ndarray
    sizes: np.ndarray
    offsets: np.ndarray
    missing: np.ndarray
    flat: np.ndarray
    others: list[int]

    @classmethod
    def of(cls, terms: list[Term]) -> _CodePlan:
        coded = {j: t for j, t in enumerate(terms) if isinstance(t, TableTerm) and t.edges is None}
        sizes = np.array([len(t.table) for t in coded.values()], dtype=np.int64)
        return cls(
            columns=np.array(list(coded), dtype=np.int64),
            sizes=sizes,
            offsets=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
            missing=np.array([t.missing for t in coded.values()], dtype=float),
            flat=np.concatenate([*(t.table for t in coded.values()), np.zeros(1)]).astype(float),
            others=[j for j in range(len(terms)) if j not in coded],
        )


@dataclass
class AdditiveScorer:
    """Log-odds as a sum of one term per feature (logistic regression, naive Bayes).

    Contributions are each term minus its training mean, so they read as "compared with the average lead".
    """

    family: str
    intercept: float
    terms: list[Term]
    centers: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @cached_property
    def _plan(self) -> _CodePlan:
        return _CodePlan.of(self.terms)

    def values(self, matrix: np.ndarray) -> np.ndarray:
        """(n, features): each term's value for each row."""
        plan = self._plan
        out = np.empty((len(matrix), len(self.terms)))
        if len(plan.columns):
            x = matrix[:, plan.columns]
            absent = np.isnan(x)
            filled = np.where(absent, -1.0, x)
            known = (filled >= 0) & (filled < plan.sizes)  # a code the fitted rows never had counts 0
            found = plan.flat[np.where(known, filled, 0).astype(np.int64) + plan.offsets]
            out[:, plan.columns] = np.where(absent, plan.missing, np.where(known, found, 0.0))
        for j in plan.others:
            out[:, j] = self.terms[j](matrix[:, j])
        return out

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        return self.intercept + self.values(matrix).sum(axis=1)

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        baseline = np.full(len(matrix), self.intercept + float(np.sum(self.centers)))
        return self.values(matrix) - self.centers, baseline

    def centered(self, matrix: np.ndarray) -> AdditiveScorer:
        """The same scorer with contributions centred on the mean of each term over these (training) rows."""
        return AdditiveScorer(self.family, self.intercept, self.terms, self.values(matrix).mean(axis=0))


@dataclass
class BlendScorer:
    """A weighted sum of other families' log-odds (plus an offset); contributions blend the same way."""

    parts: list[Scorer]
    weights: list[float]
    offset: float = 0.0

    @property
    def family(self) -> str:
        return "blend:" + "+".join(part.family for part in self.parts)

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        total = np.full(len(matrix), self.offset)
        for part, weight in zip(self.parts, self.weights, strict=True):
            total = total + weight * part.raw(matrix, threads)
        return total

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        contrib = np.zeros((len(matrix), matrix.shape[1]))
        baseline = np.full(len(matrix), self.offset)
        for part, weight in zip(self.parts, self.weights, strict=True):
            c, b = part.explain(matrix, threads)
            contrib = contrib + weight * c
            baseline = baseline + weight * b
        return contrib, baseline
