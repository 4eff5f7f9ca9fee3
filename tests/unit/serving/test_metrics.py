"""The batch-fed score histogram exposes exactly what prometheus_client's own Histogram would."""

from __future__ import annotations

import numpy as np
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from serving.metrics import Distribution

BUCKETS = tuple(range(10, 101, 10))


def exposition(registry: CollectorRegistry) -> list[str]:
    return [line for line in generate_latest(registry).decode().splitlines() if "_created" not in line]


def test_batches_and_single_values_count_as_prometheus_histogram_does() -> None:
    theirs, ours = CollectorRegistry(), CollectorRegistry()
    histogram = Histogram(
        "leadscore_score", "Scores (0-100) given to leads.", buckets=BUCKETS, registry=theirs
    )
    distribution = Distribution("leadscore_score", "Scores (0-100) given to leads.", buckets=BUCKETS)
    ours.register(distribution)
    rng = np.random.default_rng(0)
    batches = [
        [0, 10, 100, 11, 9],
        *(rng.integers(0, 101, int(rng.integers(1, 40))).tolist() for _ in range(30)),
    ]
    for batch in batches:  # on the bucket edges too: a value equal to a bound counts in that bucket (le)
        for value in batch:
            histogram.observe(value)
        distribution.observe(batch)
    assert exposition(ours) == exposition(theirs)
    assert f"leadscore_score_count {float(sum(map(len, batches)))}" in exposition(ours)
