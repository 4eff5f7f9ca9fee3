"""A group of a window's leads (one ISO week, one grade, or all of them) as live performance shows it: what sales
did, what was observed on the leads with a final outcome (with intervals), and what the probabilities expected.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from serving.live_statistics import Estimate, Outcomes, bootstrap, ranked_auc, wilson
from serving.live_tally import FIELDS


@dataclass(frozen=True)
class LiveSettings:
    """How much evidence an alert needs, and how the intervals are made."""

    min_outcomes: int = 100  # leads with a final outcome before a group's metrics are computed and judged
    confidence: float = 0.95  # of every interval shown
    conversion_tolerance: float = 0.1  # alert when observed and expected conversion differ by more than 10 %
    ece_threshold: float = 0.05  # alert when ECE's lower bound is above this
    auc_margin: float = 0.05  # alert when ROC AUC's upper bound is below the holdout ROC AUC minus this
    pending_share: float = 0.5  # a group with a larger share of open leads is pending: see its expected side
    bins: int = 10  # ECE bins, equal-width on [0, 1] as in the training report
    resamples: int = 200  # bootstrap resamples (fixed seed: the same data gives the same intervals)
    seed: int = 0
    chunk_size: int = 10_000  # leads read from the store per transaction


@dataclass(frozen=True)
class Group:
    """One week, one grade or the whole window: what sales did, what was observed, what was expected."""

    key: str  # "overall", a grade, or an ISO week ("2026-W49")
    sums: dict[str, float]  # FIELDS of serving/live_tally.py
    pending: bool  # most of its leads are still open: read its expected numbers, not its observed ones
    interval: tuple[float, float] | None = None  # Wilson interval of the observed conversion rate
    roc_auc: Estimate | None = None
    ece: Estimate | None = None
    expected_roc_auc: float | None = None

    def count(self, name: str) -> int:
        return round(self.sums[name])

    def rate(self, part: str, whole: float) -> float | None:
        return self.sums[part] / whole if whole else None

    @property
    def expected_rate(self) -> float | None:
        return self.rate("final_probability", self.sums["final"])

    def to_dict(self) -> dict[str, Any]:
        s = self.sums
        inside = None
        if self.interval is not None and self.expected_rate is not None:
            inside = self.interval[0] <= self.expected_rate <= self.interval[1]
        return {
            "key": self.key,
            "leads": self.count("leads"),
            "final": self.count("final"),
            "open": self.count("open"),
            "pending": self.pending,
            "sales": {
                **{name: self.count(name) for name in ("contacted", "accepted", "rejected", "won", "lost")},
                "acceptance_rate": _rate(s["accepted"] + s["won"] + s["lost"], s["contacted"]),
                "win_rate": _rate(s["won"], s["won"] + s["lost"]),
                "mean_hours_to_contact": _rate(s["contact_hours"], s["contacted"]),
            },
            "observed": {
                "conversions": self.count("positives"),
                "expected_conversions": float(s["final_probability"]),
                "rate": self.rate("positives", s["final"]),
                "expected_rate": self.expected_rate,
                "interval": list(self.interval) if self.interval else None,
                "expected_inside": inside,
                "roc_auc": self.roc_auc.to_dict() if self.roc_auc else None,
                "ece": self.ece.to_dict() if self.ece else None,
            },
            "expected": {
                "conversions": float(s["probability"]),
                "rate": self.rate("probability", s["leads"]),
                "roc_auc": self.expected_roc_auc,
            },
        }


def _rate(part: float, whole: float) -> float | None:
    return float(part / whole) if whole else None


def make_group(
    key: str,
    vector: np.ndarray,
    settings: LiveSettings,
    outcomes: tuple[np.ndarray, np.ndarray] | None = None,
    expected: tuple[np.ndarray, np.ndarray] | None = None,
) -> Group:
    """The group's sums, with its conversion interval, and ROC AUC and ECE when it has enough final outcomes."""
    sums = {name: float(v) for name, v in zip(FIELDS, vector, strict=True)}
    final = round(sums["final"])
    interval = wilson(round(sums["positives"]), final, settings.confidence) if final else None
    roc_auc = ece = None
    if outcomes is not None and final >= settings.min_outcomes:
        data = Outcomes(*outcomes, bins=settings.bins)
        # each group draws from its own generator, seeded by its name: the same data gives the same intervals
        rng = np.random.default_rng([settings.seed, zlib.crc32(key.encode())])
        metrics = {"roc_auc": data.roc_auc, "ece": data.ece}
        estimates = bootstrap(
            metrics, len(data), resamples=settings.resamples, rng=rng, confidence=settings.confidence
        )
        roc_auc, ece = estimates["roc_auc"], estimates["ece"]
    pending = sums["leads"] > 0 and sums["open"] / sums["leads"] > settings.pending_share
    expected_auc = ranked_auc(*expected) if expected is not None else None
    return Group(key, sums, pending, interval, roc_auc, ece, expected_auc)
