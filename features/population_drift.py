"""Drift of scored leads against the model's reference profile: PSI per feature and for the score, missing and unseen.

Leads arrive in chunks (`DriftCounter.add`), so a window of a million stored leads is never in memory at once: each
chunk goes through the model's own fitted cleaner into the profile's bins, and through `LeadModel.score` into the
score bins, so the score PSI compares the monitored model's scores now with its scores on its training leads,
whatever version scored the stored leads at the time. Only counts are kept.

PSI = sum over bins of (now - training) * ln(now / training). A bin empty on either side counts as FLOOR, or as half
a lead of the smaller side when that is more (one stray lead in an empty bin is not huge drift); missing is a bin.
The conventional bands: below 0.1 stable, 0.1 to 0.25 watch, above 0.25 alert (`DriftBands`, configurable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from features.model import Columns
from features.profile import SCORE_BINS, FeatureProfile, ReferenceProfile, score_bin_codes, unseen_count
from features.scale import GRADES

if TYPE_CHECKING:
    from features.model import LeadModel, Leads

FLOOR = 1e-4
MOVED = 3  # bins listed per feature: those that added most to its PSI


class NoProfile(ValueError):
    """The model was trained before reference profiles existed, so there is nothing to compare with."""


@dataclass(frozen=True)
class DriftBands:
    """Where drift starts to matter: PSI bands, the fewest leads for an alert, and the rise in a share that alerts."""

    watch: float = 0.1
    alert: float = 0.25
    min_leads: int = 200  # below this many leads in the window nothing alerts (PSI of a few leads is noise)
    share_rise: float = 0.10  # missing or unseen share up by more than this (absolute) alerts

    def band(self, psi: float) -> str:
        return "alert" if psi > self.alert else "watch" if psi >= self.watch else "stable"


@dataclass(frozen=True)
class BinShift:
    """One bin's share in training and now, and what it added to the PSI."""

    bin: str
    training: float
    now: float
    psi: float


@dataclass(frozen=True)
class FeatureDrift:
    name: str
    kind: str
    psi: float
    band: str
    missing_training: float
    missing_now: float
    unseen_training: float | None  # categorical features only
    unseen_now: float | None
    moved: list[BinShift]  # at most MOVED bins, largest PSI contribution first


@dataclass(frozen=True)
class ScoreDrift:
    """The score's PSI and its histogram over SCORE_BINS, and the grade mix, in training and now."""

    psi: float
    band: str
    training: list[float]
    now: list[float]
    grades_training: dict[str, float]
    grades_now: dict[str, float]
    bins: tuple[str, ...] = tuple(SCORE_BINS)


@dataclass(frozen=True)
class PopulationDrift:
    """The window against training; `features` largest PSI first. Nothing is measured without leads."""

    leads: int
    reference_leads: int
    enough: bool  # at least `bands.min_leads` leads: below, nothing may alert
    bands: DriftBands
    features: list[FeatureDrift]
    score: ScoreDrift | None

    @property
    def note(self) -> str | None:
        if self.leads == 0:
            return "no leads in the window: nothing to compare"
        if not self.enough:
            return f"only {self.leads:,} leads in the window (fewer than {self.bands.min_leads:,}): no drift alert"
        return None


def psi_terms(training: np.ndarray, now: np.ndarray, floor: float) -> np.ndarray:
    """Each bin's part of the PSI between two share vectors, empty bins counted as `floor`."""
    p, q = np.maximum(training, floor), np.maximum(now, floor)
    terms: np.ndarray = (q - p) * np.log(q / p)
    return terms


def floor_for(*sizes: int) -> float:
    """The share an empty bin counts as: half a lead of the smaller side, at least FLOOR."""
    return max(FLOOR, 0.5 / max(1, min(sizes)))


class DriftCounter:
    """Counts chunks of raw leads (a frame or payloads in the schema's field names) into a model's reference bins."""

    def __init__(self, model: LeadModel) -> None:
        if model.profile is None:
            raise NoProfile(
                "it has no reference profile (trained before leadscore made them): retrain it to get one"
            )
        self.model = model
        self.profile: ReferenceProfile = model.profile
        self.leads = 0
        self.counts = [np.zeros(len(f.shares), dtype=np.int64) for f in self.profile.features]
        self.unseen = [0] * len(self.profile.features)
        self.scores = np.zeros(len(SCORE_BINS), dtype=np.int64)
        self.grades = dict.fromkeys(GRADES, 0)
        self._names = [*model.schema.features, model.schema.id]

    def add(self, leads: Leads) -> None:
        """Count one chunk: cleaned as the model cleans, scored as the model scores (without reasons)."""
        columns = Columns.of(leads, self._names)
        if columns.rows == 0:
            return
        cleaned = dict(
            zip(
                self.model.schema.features,
                self.model.cleaner.clean_columns(columns.values, columns.rows),
                strict=True,
            )
        )
        for i, feature in enumerate(self.profile.features):
            values = cleaned[feature.name]
            self.counts[i] += feature.counts(values)
            if feature.kind == "categorical":
                self.unseen[i] += unseen_count(self.model, feature.name, values)
        scored = self.model.score(columns, reasons=False)
        self.scores += np.bincount(score_bin_codes(scored.score), minlength=len(SCORE_BINS))
        grades, counts = np.unique(scored.grade, return_counts=True)
        for grade, count in zip(grades.tolist(), counts.tolist(), strict=True):
            self.grades[grade] += count
        self.leads += columns.rows

    def result(self, bands: DriftBands | None = None) -> PopulationDrift:
        """PSI per feature (largest first) and for the score; empty when no lead was counted."""
        bands = bands or DriftBands()
        n, reference = self.leads, self.profile.leads
        enough = n >= bands.min_leads
        if n == 0:
            return PopulationDrift(0, reference, False, bands, [], None)
        floor = floor_for(n, reference)
        features = [
            _feature_drift(f, counts, unseen, n, floor, bands)
            for f, counts, unseen in zip(self.profile.features, self.counts, self.unseen, strict=True)
        ]
        features.sort(key=lambda f: -f.psi)
        now = self.scores / n
        score_psi = float(psi_terms(np.asarray(self.profile.score_shares), now, floor).sum())
        score = ScoreDrift(
            psi=score_psi,
            band=bands.band(score_psi),
            training=list(self.profile.score_shares),
            now=now.tolist(),
            grades_training={g: p.share for g, p in self.profile.grades.items()},
            grades_now={g: c / n for g, c in self.grades.items()},
        )
        return PopulationDrift(n, reference, enough, bands, features, score)


def _feature_drift(
    feature: FeatureProfile, counts: np.ndarray, unseen: int, n: int, floor: float, bands: DriftBands
) -> FeatureDrift:
    training, now = np.asarray(feature.shares), counts / n
    terms = psi_terms(training, now, floor)
    psi = float(terms.sum())
    labels = feature.labels
    order = [int(i) for i in np.argsort(-terms, kind="stable") if training[i] != now[i]][:MOVED]
    categorical = feature.kind == "categorical"
    return FeatureDrift(
        name=feature.name,
        kind=feature.kind,
        psi=psi,
        band=bands.band(psi),
        missing_training=feature.missing,
        missing_now=float(now[-1]),
        unseen_training=feature.unseen if categorical else None,
        unseen_now=unseen / n if categorical else None,
        moved=[BinShift(labels[i], float(training[i]), float(now[i]), float(terms[i])) for i in order],
    )
