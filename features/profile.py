"""The reference profile: what the model's training leads looked like, stored inside the model for monitoring.

Built once at training time from the leads the registered model was fitted on, after its fitted cleaner (the values
the model sees: numbers as floats, booleans as 1.0/0.0, categories as cleaned text):

- per numeric feature, the shares of about ten quantile bins (interior edges, duplicates collapsed) and of missing;
- per boolean feature, the shares of no, yes and missing;
- per categorical feature, the shares of its most frequent categories (at most TOP_CATEGORIES), of all others
  pooled, and of missing; and the share of leads whose category the model's encoder does not know (rare or new at
  training time, scored as "other": what `Scores.unseen` reports per lead);
- the score's distribution over fixed bins (0-9, 10-19, ... 90-100), and per grade its share, the expected conversion
  rate (mean calibrated probability) and the conversion rate observed in training;
- a calibration-free sketch of the scorer's raw log-odds on those leads (about a thousand slices, each with its
  leads and conversions: features/profile_scores.py), from which the score side follows under any calibration;
- the number of leads and the training window (first and last timestamp, when the schema has one).

Every share is of all leads (missing included), so a feature's shares add up to 1. The profile is plain floats, text
and lists (`to_dict`), written into the model's folder (features/model_files.py) and read back exactly. The scores
are the registered model's own on the leads it was fitted on, so a score PSI later compares like with like.

A recalibrated model (`training.calibrate.recalibrated`) scores the same leads differently, so its profile's score
side is derived again from the sketch under its calibration (`ReferenceProfile.under`): the score shares, grade
shares and expected rates are the training leads' as the recalibrated model scores them. The observed rate per grade
stays a training-time fact: the training leads' outcomes, regrouped by the grades they get now, never the outcomes
the recalibration was fitted on (so a grade's expected and observed rates then differ by what the recalibration
corrected). Profiles of format 1 (written before the sketch) keep their stored score side as it is.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from features.encode import OTHER
from features.model import Columns
from features.profile_scores import SCORE_BINS, GradeProfile, LogOddsSketch, ScoreSide, score_bin_codes

if TYPE_CHECKING:
    from features.model import Calibration, LeadModel, Leads
    from features.scale import ScoreScale

__all__ = [
    "SCORE_BINS",
    "FeatureProfile",
    "GradeProfile",
    "LogOddsSketch",
    "ReferenceProfile",
    "build_profile",
    "score_bin_codes",
    "unseen_count",
]

FORMAT = 2  # 2: with the log-odds sketch
READS = (1, FORMAT)
BINS = 10  # quantile bins per numeric feature (fewer when values repeat)
TOP_CATEGORIES = 30  # categories listed per categorical feature; the rest are pooled as OTHER
MISSING = "(missing)"


@dataclass(frozen=True)
class FeatureProfile:
    """One feature's bins and their shares in the training leads; missing is always the last bin."""

    name: str
    kind: str  # "numeric", "boolean" or "categorical"
    edges: list[float]  # numeric and boolean: interior bin edges (a value v falls in bin #edges <= v)
    categories: list[str]  # categorical: the listed categories (then OTHER, then missing)
    shares: list[float]  # one per bin (see `labels`)
    unseen: float | None = None  # categorical: share of leads whose category the encoder does not know

    @property
    def labels(self) -> list[str]:
        """Bin names, in the order of `shares`."""
        if self.kind == "categorical":
            return [*self.categories, OTHER, MISSING]
        if self.kind == "boolean":
            return ["no", "yes", MISSING]
        bounds = [_number(e) for e in self.edges]
        if not bounds:
            return ["any value", MISSING]
        middle = [f"{lo} to {hi}" for lo, hi in itertools.pairwise(bounds)]
        return [f"< {bounds[0]}", *middle, f">= {bounds[-1]}", MISSING]

    @property
    def missing(self) -> float:
        return self.shares[-1]

    def bin_codes(self, values: np.ndarray) -> np.ndarray:
        """Each cleaned value's bin (as the cleaner gives them: floats with NaN, or text and None)."""
        if self.kind != "categorical":
            numbers = np.asarray(values, dtype=np.float64)
            codes = np.searchsorted(np.asarray(self.edges, dtype=np.float64), numbers, side="right")
            return np.where(np.isnan(numbers), len(self.edges) + 1, codes)
        positions, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
        where = {c: i for i, c in enumerate(self.categories)}
        other = len(self.categories)
        table = np.array([where.get(str(u), other) for u in uniques] + [other + 1], dtype=np.intp)
        return table[positions]  # position -1 (missing) takes the last entry

    def counts(self, values: np.ndarray) -> np.ndarray:
        """How many values fall in each bin."""
        return np.bincount(self.bin_codes(values), minlength=len(self.shares)).astype(np.int64)


@dataclass(frozen=True)
class ReferenceProfile:
    """The training leads as the model saw them (see the module doc); `to_dict` is its JSON form."""

    leads: int
    first: (
        str | None
    )  # the training window: first and last lead timestamp (ISO 8601), when the schema has one
    last: str | None
    features: list[FeatureProfile]
    score_shares: list[float]  # over SCORE_BINS
    grades: dict[str, GradeProfile]
    format: int = FORMAT
    score_bins: list[str] = field(default_factory=lambda: list(SCORE_BINS))
    log_odds: LogOddsSketch | None = None  # None in format 1

    def under(self, calibration: Calibration, scale: ScoreScale) -> ReferenceProfile:
        """This profile with its score side as the training leads get it under `calibration` and `scale` (see the
        module doc); a format 1 profile, without the sketch, as it is."""
        if self.log_odds is None:
            return self
        side = ScoreSide.under(self.log_odds, calibration, scale)
        return replace(self, score_shares=side.shares, grades=side.grades)

    def feature(self, name: str) -> FeatureProfile:
        return next(f for f in self.features if f.name == name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReferenceProfile:
        if data.get("format") not in READS:
            raise ValueError(f"reference profile format {data.get('format')!r}; this code reads {READS}")
        sketch = data.get("log_odds")
        return cls(
            **{
                **data,
                "features": [FeatureProfile(**f) for f in data["features"]],
                "grades": {g: GradeProfile(**v) for g, v in data["grades"].items()},
                "log_odds": None if sketch is None else LogOddsSketch(**sketch),
            }
        )


def unseen_count(model: LeadModel, name: str, values: np.ndarray) -> int:
    """How many present (cleaned) categories of a feature the model's encoder scores as "other"."""
    known = model.encoder.codes_[name]
    positions, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    counts = np.bincount(positions[positions >= 0], minlength=len(uniques))
    return int(sum(int(c) for u, c in zip(uniques, counts, strict=True) if str(u) not in known))


def _number(edge: float) -> str:
    return f"{edge:,.0f}" if abs(edge) >= 100 else f"{edge:.3g}"


def _shares(counts: np.ndarray, total: int) -> list[float]:
    return [float(c) / total for c in counts.tolist()]


def _feature(model: LeadModel, name: str, kind: str, values: np.ndarray) -> FeatureProfile:
    rows = len(values)
    if kind == "categorical":
        counts = pd.Series(values, dtype=object).dropna().astype(str).value_counts()
        top = sorted(counts.index, key=lambda c: (-int(counts[c]), c))[:TOP_CATEGORIES]
        unseen = unseen_count(model, name, values) / rows
        empty = FeatureProfile(name, kind, [], [str(c) for c in top], [0.0] * (len(top) + 2), unseen)
    else:
        numbers = np.asarray(values, dtype=np.float64)
        seen = numbers[~np.isnan(numbers)]
        if kind == "boolean":
            edges = [0.5]
        elif len(seen):
            quantiles = np.quantile(seen, np.linspace(0, 1, BINS + 1)[1:-1])
            edges = [float(e) for e in np.unique(quantiles)]
        else:
            edges = []
        empty = FeatureProfile(name, kind, edges, [], [0.0] * (len(edges) + 2))
    return replace(empty, shares=_shares(empty.counts(values), rows))


def build_profile(
    model: LeadModel, leads: Leads, y: np.ndarray, timestamps: pd.Series | None = None
) -> ReferenceProfile:
    """The profile of `leads` (raw, as the model was fitted on them) with their 0/1 labels `y` and optional times."""
    schema = model.schema
    columns = Columns.of(leads, [*schema.features, schema.id])
    if columns.rows == 0:
        raise ValueError("a reference profile needs at least one lead")
    cleaned = model.cleaner.clean_columns(columns.values, columns.rows)
    features = [_feature(model, c, schema.kind(c), v) for c, v in zip(schema.features, cleaned, strict=True)]
    raw = model.scorer.raw(model.encoder.encode_columns(cleaned))
    labels = np.asarray(y, dtype=np.int64)
    # lead by lead (exact), with the model's own calibration and scale
    scores = ScoreSide.of(raw, np.ones(len(raw)), labels, model.calibration, model.scale)
    known = None if timestamps is None else pd.Series(timestamps).dropna()
    first = last = None
    if known is not None and len(known):
        first, last = (pd.Timestamp(t).isoformat() for t in (known.min(), known.max()))
    return ReferenceProfile(
        leads=columns.rows,
        first=first,
        last=last,
        features=features,
        score_shares=scores.shares,
        grades=scores.grades,
        log_odds=LogOddsSketch.of(raw, labels),
    )
