"""Fitted scoring families on the encoded feature matrix: log-odds and per-feature contributions, numpy only.

Every family maps the fitted preprocessor's float matrix (numbers, boolean 0/1, category codes, NaN for missing) to
raw log-odds, and explains them: `explain` gives each feature's push on the log-odds and the baseline they start
from, so that raw = baseline + the row's contributions. Serving loads these objects with the model; the fitting
lives in `training/`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np

from features.fast_lgbm import SingleRowPredictor
from features.tree_shap import TreeShapTable, build

# Batches go through the TreeSHAP table (when the booster has one) from these sizes on; below them LightGBM's
# `predict` with both cores is quicker (measured on the 1,356-tree 3-leaf model: raw 0.15 ms vs 0.21 ms at 16 rows,
# 0.34 vs 0.23 at 24; contributions 0.40 vs 0.38 at 6 rows). 1,000 rows: raw 16 ms vs 5 ms, with contributions
# 60 ms vs 15 ms.
RAW_MIN_ROWS = 20
CONTRIB_MIN_ROWS = 6
BUILD_ROWS = 20_000  # a batch this big builds the table (0.4 s for that model) if loading did not


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

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`raw` and `explain` in one pass where the family can share the work; the same numbers either way."""
        ...

    def explain_one(self, row: np.ndarray) -> tuple[float, list[float], float]:
        """`raw_and_explain` of one row as Python floats (the API's single lead): the same numbers, fewer numpy calls."""
        ...


@dataclass
class LightGBMScorer:
    """A boosted tree ensemble; contributions are TreeSHAP values (`pred_contrib`).

    One row (the API's single lead) skips `Booster.predict`'s per-call setup: small trees answer from a TreeSHAP
    table (features/tree_shap.py), others through LightGBM's single-row C API (features/fast_lgbm.py); both give
    exactly `predict`'s numbers. Batches use the same table when it is built and the batch is big enough to gain
    (RAW_MIN_ROWS, CONTRIB_MIN_ROWS), else `predict`. That helper is built on first use (`prepare_one_row` builds
    it ahead) and is never pickled with the model.
    """

    booster: lgb.Booster
    family: str = "lightgbm"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_one_row", None)
        return state

    def prepare_one_row(self) -> TreeShapTable | SingleRowPredictor:
        """The one-row helper for this booster (built once; a spare one built by a racing thread is dropped)."""
        one: TreeShapTable | SingleRowPredictor | None = self.__dict__.get("_one_row")
        if one is None:
            one = build(self.booster) or SingleRowPredictor(self.booster)
            self.__dict__["_one_row"] = one
        return one

    def _one(self, row: np.ndarray, contributions: bool) -> tuple[float, np.ndarray | None]:
        one = self.prepare_one_row()
        if isinstance(one, TreeShapTable):
            return one.score(row, contributions)
        return one.raw(row), one.contributions(row) if contributions else None

    def _table(self, rows: int, contributions: bool) -> TreeShapTable | None:
        """The TreeSHAP table when it serves a batch of `rows` faster than `predict` (see RAW_MIN_ROWS), else None.

        A booster without a built table gets one here only for a batch of BUILD_ROWS or more, which pays for it;
        smaller calls (training's validation scores) do not build one.
        """
        if rows < (CONTRIB_MIN_ROWS if contributions else RAW_MIN_ROWS):
            return None
        one = self.__dict__.get("_one_row")
        if one is None and rows >= BUILD_ROWS:
            one = self.prepare_one_row()
        return one if isinstance(one, TreeShapTable) else None

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        if len(matrix) == 1:
            return np.array([self._one(matrix[0], contributions=False)[0]])
        table = self._table(len(matrix), contributions=False)
        if table is not None:
            return table.score_batch(matrix, contributions=False)[0]
        options: dict[str, Any] = {} if threads is None else {"num_threads": threads}
        return np.asarray(self.booster.predict(matrix, raw_score=True, **options))

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        if len(matrix) == 1:
            contrib = self._one(matrix[0], contributions=True)[1]
            assert contrib is not None
            return contrib[None, :-1], contrib[-1:]
        table = self._table(len(matrix), contributions=True)
        if table is not None:
            contrib = table.score_batch(matrix, contributions=True)[1]
        else:
            options: dict[str, Any] = {} if threads is None else {"num_threads": threads}
            contrib = np.asarray(self.booster.predict(matrix, pred_contrib=True, **options))
        assert contrib is not None
        return contrib[:, :-1], contrib[:, -1]

    def explain_one(self, row: np.ndarray) -> tuple[float, list[float], float]:
        raw, contrib = self._one(row, contributions=True)
        assert contrib is not None
        values = contrib.tolist()
        return raw, values[:-1], values[-1]

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(matrix) == 1:
            return _as_arrays(self.explain_one(matrix[0]))
        table = self._table(len(matrix), contributions=True)
        if table is not None:
            raws, contrib = table.score_batch(matrix, contributions=True)
            assert contrib is not None
            return raws, contrib[:, :-1], contrib[:, -1]
        contributions, baseline = self.explain(matrix, threads)
        return self.raw(matrix, threads), contributions, baseline


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


_Spline = tuple[int, "SplineTerm", list[float], list[float], dict[Any, float]]


@dataclass(frozen=True)
class _RowPlan:
    """The terms of one row in plain Python: table lookups by index, splines by the same float operations.

    A one-row matrix through the numpy plan costs a few numpy calls per spline knot; here a spline costs a dict
    lookup of values seen before, else one numpy call (`log_scale`, so the result is numpy's exactly) and Python
    arithmetic that rounds as numpy's elementwise operations do: the same values either way.
    """

    width: int
    codes: list[tuple[int, list[float], float]]  # (column, table, missing)
    splines: list[_Spline]  # (column, term, knots, hinges, values seen)
    others: list[tuple[int, Term]]

    SEEN = 4096  # values remembered per spline (counts and durations repeat a lot)

    @classmethod
    def of(cls, terms: list[Term]) -> _RowPlan:
        codes: list[tuple[int, list[float], float]] = []
        splines: list[_Spline] = []
        others: list[tuple[int, Term]] = []
        for j, term in enumerate(terms):
            if isinstance(term, TableTerm) and term.edges is None:
                codes.append((j, [float(v) for v in term.table.tolist()], float(term.missing)))
            elif isinstance(term, SplineTerm):
                splines.append((j, term, term.knots.tolist(), term.hinges.tolist(), {}))
            else:
                others.append((j, term))
        return cls(len(terms), codes, splines, others)

    @staticmethod
    def spline(term: SplineTerm, knots: list[float], hinges: list[float], x: float) -> float:
        """SplineTerm.__call__ on one present value."""
        t = float(log_scale(np.array([x]))[0])
        t = min(max(t, float(term.low)), float(term.high))  # np.clip
        value = float(term.slope) * t
        for knot, weight in zip(knots, hinges, strict=True):
            value = value + weight * max(t - knot, 0.0)
        return value

    def values(self, row: np.ndarray) -> list[float]:
        out = [0.0] * self.width
        values = row.tolist()
        for j, table, missing in self.codes:
            x = values[j]
            if x != x:
                out[j] = missing
            elif 0 <= x < len(table):  # a code the fitted rows never had counts 0
                out[j] = table[int(x)]
        for j, term, knots, hinges, seen in self.splines:
            x = values[j]
            if x != x:
                out[j] = float(term.missing)
                continue
            key: Any = x if x else (0.0, math.copysign(1.0, x))  # 0.0 and -0.0 would share a key
            value = seen.get(key)
            if value is None:
                value = self.spline(term, knots, hinges, x)
                if len(seen) < self.SEEN:
                    seen[key] = value
            out[j] = value
        for j, other in self.others:
            out[j] = float(other(row[j : j + 1])[0])
        return out


@dataclass
class AdditiveScorer:
    """Log-odds as a sum of one term per feature (logistic regression, naive Bayes).

    Contributions are each term minus its training mean, so they read as "compared with the average lead".
    """

    family: str
    intercept: float
    terms: list[Term]
    centers: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __getstate__(self) -> dict[str, Any]:
        """Without the plans and values cached for scoring: they are rebuilt on first use."""
        cached = ("_plan", "_row_plan", "_baseline", "_center_list")
        return {k: v for k, v in self.__dict__.items() if k not in cached}

    @cached_property
    def _plan(self) -> _CodePlan:
        return _CodePlan.of(self.terms)

    @cached_property
    def _row_plan(self) -> _RowPlan:
        return _RowPlan.of(self.terms)

    def values(self, matrix: np.ndarray) -> np.ndarray:
        """(n, features): each term's value for each row."""
        if len(matrix) == 1:
            return np.array([self._row_plan.values(matrix[0])])
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

    @cached_property
    def _baseline(self) -> float:
        return self.intercept + float(np.sum(self.centers))

    @cached_property
    def _center_list(self) -> list[float]:
        centers: list[float] = np.broadcast_to(self.centers, (len(self.terms),)).tolist()
        return centers

    def explain_one(self, row: np.ndarray) -> tuple[float, list[float], float]:
        values = self._row_plan.values(row)
        # numpy's sum, in its own (pairwise) order, as `raw` sums a batch
        total = float(np.array([values]).sum(axis=1)[0])
        contributions = [v - c for v, c in zip(values, self._center_list, strict=True)]
        return self.intercept + total, contributions, self._baseline

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(matrix) == 1:
            return _as_arrays(self.explain_one(matrix[0]))
        values = self.values(matrix)
        baseline = np.full(len(matrix), self._baseline)
        return self.intercept + values.sum(axis=1), values - self.centers, baseline

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

    def explain_one(self, row: np.ndarray) -> tuple[float, list[float], float]:
        """The batch's sums on Python floats, in the same order: offset, then each part's weighted numbers."""
        total, baseline = self.offset, self.offset
        contrib = [0.0] * len(row)
        for part, weight in zip(self.parts, self.weights, strict=True):
            r, c, b = part.explain_one(row)
            total = total + weight * r
            contrib = [a + weight * x for a, x in zip(contrib, c, strict=True)]
            baseline = baseline + weight * b
        return total, contrib, baseline

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(matrix) == 1:
            return _as_arrays(self.explain_one(matrix[0]))
        total = np.full(len(matrix), self.offset)
        contrib = np.zeros((len(matrix), matrix.shape[1]))
        baseline = np.full(len(matrix), self.offset)
        for part, weight in zip(self.parts, self.weights, strict=True):  # as `raw` and `explain` add them
            r, c, b = part.raw_and_explain(matrix, threads)
            total = total + weight * r
            contrib = contrib + weight * c
            baseline = baseline + weight * b
        return total, contrib, baseline


def _as_arrays(one: tuple[float, list[float], float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`explain_one`'s answer in `raw_and_explain`'s shapes: (1,), (1, features), (1,)."""
    raw, contrib, baseline = one
    return np.array([raw]), np.array([contrib]), np.array([baseline])


def prepare_one_row(scorer: Scorer) -> None:
    """Build the one-row helpers of a scorer's LightGBM parts now (when a model is loaded), not on a first request."""
    if isinstance(scorer, LightGBMScorer):
        scorer.prepare_one_row()
    elif isinstance(scorer, BlendScorer):
        for part in scorer.parts:
            prepare_one_row(part)
