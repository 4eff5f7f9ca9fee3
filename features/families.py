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

from features.tree_shap import TreeShapTable, build

BUILD_ROWS = 20_000  # a batch this big builds the TreeSHAP table (0.4 s for 1,356 trees) if `prepare` did not


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


@dataclass
class LightGBMScorer:
    """A boosted tree ensemble; contributions are TreeSHAP values (`pred_contrib`).

    Two ways to evaluate it, with the same numbers: LightGBM's `predict`, and for small trees an exact TreeSHAP
    table (features/tree_shap.py), built by `prepare` when a service loads the model (or by a batch of BUILD_ROWS
    leads), which answers without `predict`'s per-call setup. The table is never saved with the model.
    """

    booster: lgb.Booster
    family: str = "lightgbm"

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_shap", None)
        return state

    def prepare(self) -> TreeShapTable | None:
        """The TreeSHAP table for this booster (built once), or None when its trees are too big for one."""
        if "_shap" not in self.__dict__:
            self.__dict__["_shap"] = build(self.booster)
        table: TreeShapTable | None = self.__dict__["_shap"]
        return table

    def _table(self, rows: int) -> TreeShapTable | None:
        if "_shap" not in self.__dict__ and rows < BUILD_ROWS:
            return None  # training's many small calls never pay for a table
        return self.prepare()

    def _predict(self, matrix: np.ndarray, threads: int | None, **kind: bool) -> np.ndarray:
        options: dict[str, Any] = {} if threads is None else {"num_threads": threads}
        return np.asarray(self.booster.predict(matrix, **kind, **options))

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        table = self._table(len(matrix))
        if table is not None:
            return table.score_batch(matrix, contributions=False)[0]
        return self._predict(matrix, threads, raw_score=True)

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        _, contributions, baseline = self.raw_and_explain(matrix, threads)
        return contributions, baseline

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        table = self._table(len(matrix))
        if table is not None:
            raw, contrib = table.score_batch(matrix, contributions=True)
            assert contrib is not None
        else:
            contrib = self._predict(matrix, threads, pred_contrib=True)
            raw = self._predict(matrix, threads, raw_score=True)
        return raw, contrib[:, :-1], contrib[:, -1]


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
            others=[j for j in range(len(terms)) if j not in coded and not isinstance(terms[j], SplineTerm)],
        )


@dataclass(frozen=True)
class _SplinePlan:
    """All spline terms at once, knot after knot (`SplineTerm.__call__` on every spline column together): one lead
    costs a few numpy calls, not a few per knot. Terms with fewer knots are padded with knots at infinity, which
    add 0.0."""

    columns: np.ndarray
    slope: np.ndarray
    low: np.ndarray
    high: np.ndarray
    missing: np.ndarray
    knots: np.ndarray  # (knot, spline)
    hinges: np.ndarray

    @classmethod
    def of(cls, terms: list[Term]) -> _SplinePlan:
        splines = {j: t for j, t in enumerate(terms) if isinstance(t, SplineTerm)}
        most = max((len(t.knots) for t in splines.values()), default=0)
        knots = np.full((most, len(splines)), np.inf)
        hinges = np.zeros((most, len(splines)))
        for k, term in enumerate(splines.values()):
            knots[: len(term.knots), k] = term.knots
            hinges[: len(term.hinges), k] = term.hinges
        field_of = lambda name: np.array([float(getattr(t, name)) for t in splines.values()])  # noqa: E731
        return cls(
            columns=np.array(list(splines), dtype=np.int64),
            slope=field_of("slope"),
            low=field_of("low"),
            high=field_of("high"),
            missing=field_of("missing"),
            knots=knots,
            hinges=hinges,
        )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        absent = np.isnan(x)
        # np.clip's own steps, without its Python wrapper (a third of the cost for one lead)
        t = np.minimum(np.maximum(log_scale(np.where(absent, 0.0, x)), self.low), self.high)
        value = self.slope * t
        for knot, weight in zip(self.knots, self.hinges, strict=True):
            value = value + weight * np.maximum(t - knot, 0.0)
        return np.where(absent, self.missing, value)


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
        cached = ("_plan", "_splines", "_baseline")
        return {k: v for k, v in self.__dict__.items() if k not in cached}

    @cached_property
    def _plan(self) -> _CodePlan:
        return _CodePlan.of(self.terms)

    @cached_property
    def _splines(self) -> _SplinePlan:
        return _SplinePlan.of(self.terms)

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
        splines = self._splines
        if len(splines.columns):
            out[:, splines.columns] = splines(matrix[:, splines.columns])
        for j in plan.others:
            out[:, j] = self.terms[j](matrix[:, j])
        return out

    def raw(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        return self.intercept + self.values(matrix).sum(axis=1)

    def explain(self, matrix: np.ndarray, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self.values(matrix) - self.centers, np.full(len(matrix), self._baseline)

    @cached_property
    def _baseline(self) -> float:
        return self.intercept + float(np.sum(self.centers))

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def raw_and_explain(
        self, matrix: np.ndarray, threads: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        total = np.full(len(matrix), self.offset)
        contrib = np.zeros((len(matrix), matrix.shape[1]))
        baseline = np.full(len(matrix), self.offset)
        for part, weight in zip(self.parts, self.weights, strict=True):  # as `raw` and `explain` add them
            r, c, b = part.raw_and_explain(matrix, threads)
            total = total + weight * r
            contrib = contrib + weight * c
            baseline = baseline + weight * b
        return total, contrib, baseline


def prepare(scorer: Scorer) -> None:
    """Build the lookup tables of a scorer's LightGBM parts now (when a model is loaded), not on a first request."""
    if isinstance(scorer, LightGBMScorer):
        scorer.prepare()
    elif isinstance(scorer, BlendScorer):
        for part in scorer.parts:
            prepare(part)
