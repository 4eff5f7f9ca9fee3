"""The statistics behind live performance: Wilson intervals, ROC AUC and ECE with bootstrap intervals, and the ROC
AUC a calibrated model expects of itself (confidence-based performance estimation, as NannyML's CBPE).

ROC AUC is computed from weights per score level, levels in ascending order: with P_b the positive and N_b the
negative weight at level b,

    AUC = sum_b P_b * (N_below_b + N_b / 2) / (sum P * sum N)

(each positive-negative pair counts 1 when the positive ranks higher, 1/2 on a tie). Levels are LEVELS equal steps of
probability: pairs closer than 1e-4 count as ties, which moves the AUC by less than the share of pairs that close
(nothing for stored scores rounded to 1e-4 or coarser) and keeps each bootstrap resample to a few short sums.
Observed: P_b and N_b count the leads won and not won at each level (the bootstrap reweights them). Expected: P_b = sum of p and
N_b = sum of (1 - p) over the leads at level b, which is the AUC expected when each lead converts with its own
calibrated probability p (the ratio of the expected concordant pairs to the expected positive-negative pairs; the
threshold sweep CBPE does gives the same number).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

LEVELS = 10_000  # probability levels of the expected AUC; pairs within one level (width 1e-4) count as ties


def z_value(confidence: float) -> float:
    """The standard normal quantile of a two-sided interval at this confidence (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a rate `successes / n` (well behaved near 0 and with few leads)."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n and n >= 1; got {successes} of {n}")
    z = z_value(confidence)
    rate, z2 = successes / n, z * z
    centre = (rate + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def ranked_auc(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """ROC AUC from positive and negative weights per score level in ascending order; None without both classes."""
    pairs = float(positive.sum()) * float(negative.sum())
    if pairs <= 0:
        return None
    below = np.cumsum(negative) - negative
    return float(np.dot(positive, below + 0.5 * negative) / pairs)


def levels(probability: np.ndarray) -> np.ndarray:
    """Each probability's level of the expected-AUC histogram."""
    return np.minimum((probability * LEVELS).astype(np.int64), LEVELS - 1)


@dataclass(frozen=True)
class Estimate:
    """A metric with its bootstrap interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


class Outcomes:
    """Probabilities and labels of leads with a final outcome, prepared once for many bootstrap reweightings."""

    def __init__(self, probability: np.ndarray, label: np.ndarray, bins: int = 10) -> None:
        self.probability = probability.astype(np.float64)
        self.label = label.astype(np.float64)
        self.level = levels(self.probability)
        self.bins = bins
        self.bin = np.minimum((self.probability * bins).astype(np.int64), bins - 1)

    def __len__(self) -> int:
        return len(self.label)

    def roc_auc(self, weight: np.ndarray) -> float | None:
        positive = np.bincount(self.level, weights=weight * self.label, minlength=LEVELS)
        negative = np.bincount(self.level, weights=weight, minlength=LEVELS) - positive
        return ranked_auc(positive, negative)

    def ece(self, weight: np.ndarray) -> float | None:
        """Weighted mean |observed rate - mean probability| over `bins` equal-width bins (as the training report)."""
        total = float(weight.sum())
        if total <= 0:
            return None
        observed = np.bincount(self.bin, weights=weight * self.label, minlength=self.bins)
        predicted = np.bincount(self.bin, weights=weight * self.probability, minlength=self.bins)
        return float(np.abs(observed - predicted).sum() / total)


def bootstrap(
    statistics: Mapping[str, Callable[[np.ndarray], float | None]],
    n: int,
    *,
    resamples: int,
    rng: np.random.Generator,
    confidence: float = 0.95,
) -> dict[str, Estimate | None]:
    """Each statistic on all n leads with its basic bootstrap interval (2 t - q_high, 2 t - q_low), cut to [0, 1].

    A resample is a multinomial weight per lead (nothing is copied), shared by all the statistics. The basic
    interval rather than the plain percentiles, because ECE is biased upwards on few leads and its resamples more
    so: the percentile interval of a well calibrated model's ECE on 100 leads sits above 0.05 about half the time,
    the basic one almost never. None for a statistic undefined on all the leads (ROC AUC with one class).
    """
    values = {name: statistic(np.ones(n)) for name, statistic in statistics.items()}
    defined = {name: value for name, value in values.items() if value is not None}
    draws = {name: np.full(resamples, np.nan) for name in defined}
    for i in range(resamples if defined else 0):
        weight = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        for name in defined:
            drawn = statistics[name](weight)
            draws[name][i] = np.nan if drawn is None else drawn
    estimates: dict[str, Estimate | None] = dict.fromkeys(values)
    for name, value in defined.items():
        estimates[name] = _basic(value, draws[name], confidence)
    return estimates


def _basic(value: float, draws: np.ndarray, confidence: float) -> Estimate:
    drawn = draws[~np.isnan(draws)]
    if len(drawn) == 0:  # no resample had both classes: nothing is known about the spread
        return Estimate(value, 0.0, 1.0)
    q_low, q_high = np.quantile(drawn, [(1 - confidence) / 2, (1 + confidence) / 2])
    low, high = 2 * value - float(q_high), 2 * value - float(q_low)
    return Estimate(value, min(max(low, 0.0), value), max(min(high, 1.0), value))
