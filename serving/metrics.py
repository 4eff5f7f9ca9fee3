"""Prometheus metrics: requests and latency per route, the score distribution, and the model being served."""

from __future__ import annotations

import collections
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from serving.model_store import ModelStore
    from serving.monitor import MonitorReport

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class ModelCollector(Collector):
    """The served model's version and the watcher's swap and failure counts, read from the store at scrape time."""

    def __init__(self, store: ModelStore) -> None:
        self.store = store

    def collect(self) -> Iterable[Metric]:
        current = self.store.current
        info = GaugeMetricFamily(
            "leadscore_model_info", "The model version being served (value 1).", labels=["name", "version"]
        )
        if current is not None:
            info.add_metric([current.target.name or current.target.load_uri, current.version], 1.0)
        yield info
        yield GaugeMetricFamily(
            "leadscore_model_loaded", "1 when a model is loaded and ready.", value=float(current is not None)
        )
        yield CounterMetricFamily(
            "leadscore_model_swaps", "New model versions put live.", value=self.store.swaps
        )
        yield CounterMetricFamily(
            "leadscore_model_load_failures", "Model loads refused or failed.", value=self.store.failures
        )


class MonitorGauges(Collector):
    """Drift and conversion gauges from the last monitoring report this process computed (GET /v1/monitor): never recomputed at
    scrape time, which would read the whole window from the store on every scrape. None until the first report."""

    def __init__(self) -> None:
        self.report: MonitorReport | None = None

    def update(self, report: MonitorReport) -> None:
        self.report = report  # one assignment: a scrape sees the old report or the new one

    def collect(self) -> Iterable[Metric]:
        report = self.report
        if report is None:
            return
        psi = GaugeMetricFamily(
            "leadscore_monitor_feature_psi", "PSI of each feature, window vs training.", labels=["feature"]
        )
        for feature in report.drift.features:
            psi.add_metric([feature.name], feature.psi)
        yield psi
        if report.score_psi is not None:
            yield GaugeMetricFamily(
                "leadscore_monitor_score_psi", "PSI of the score, window vs training.", value=report.score_psi
            )
        alert = GaugeMetricFamily(
            "leadscore_monitor_alert",
            "1 for each metric and subject that crossed its threshold.",
            labels=["metric", "subject"],
        )
        for item in report.alerts:
            alert.add_metric([item.metric, item.subject], 1.0)
        yield alert
        observed = GaugeMetricFamily(
            "leadscore_monitor_conversion_observed",
            "Observed conversion rate of the leads with a final outcome ('overall' or a grade).",
            labels=["group"],
        )
        expected = GaugeMetricFamily(
            "leadscore_monitor_conversion_expected",
            "Mean probability of the same leads: what the model expected.",
            labels=["group"],
        )
        for group, (rate, expected_rate) in report.conversion().items():
            observed.add_metric([group], rate)
            expected.add_metric([group], expected_rate)
        yield observed
        yield expected
        yield GaugeMetricFamily(
            "leadscore_monitor_alerting",
            "1 when anything crossed an alert threshold.",
            value=float(bool(report.alerts)),
        )
        yield GaugeMetricFamily(
            "leadscore_monitor_leads", "Leads in the monitored window.", value=report.leads
        )
        yield GaugeMetricFamily(
            "leadscore_monitor_computed_timestamp_seconds",
            "When the monitoring report behind these gauges was computed (Unix time).",
            value=report.computed_at.timestamp(),
        )


class Distribution(Collector):
    """A Prometheus histogram that takes a whole batch of values in a few numpy calls (prometheus_client's
    `Histogram.observe` takes one value at a time, ~2 us each: milliseconds for a 1,000-lead batch)."""

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.bounds = list(buckets)
        self._bounds = np.array(self.bounds)
        self._counts = [0] * (len(self.bounds) + 1)  # per bucket (value <= bound), the last for +Inf
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, values: Sequence[float]) -> None:
        if len(values) == 1:
            with self._lock:
                self._counts[bisect_left(self.bounds, values[0])] += 1
                self._sum += values[0]
            return
        found = np.bincount(np.searchsorted(self._bounds, values), minlength=len(self._counts)).tolist()
        total = float(np.sum(values))
        with self._lock:
            self._counts = [a + b for a, b in zip(self._counts, found, strict=True)]
            self._sum += total

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            counts, total = list(self._counts), self._sum
        cumulative = np.cumsum(counts).tolist()
        buckets = [(floatToGoString(b), c) for b, c in zip(self.bounds, cumulative, strict=False)]
        buckets.append(("+Inf", cumulative[-1]))
        yield HistogramMetricFamily(self.name, self.documentation, buckets=buckets, sum_value=total)


class Metrics:
    """One registry per app, so several apps (tests) never share counters."""

    def __init__(self, store: ModelStore) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "leadscore_http_requests",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "leadscore_http_request_duration_seconds",
            "Time from request to last response byte, by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scores = Distribution(
            "leadscore_score", "Scores (0-100) given to leads.", buckets=tuple(range(10, 101, 10))
        )
        self.registry.register(self.scores)
        self.grades = Counter(
            "leadscore_leads_scored", "Leads scored, by grade.", ["grade"], registry=self.registry
        )
        self.registry.register(ModelCollector(store))
        self.monitor = MonitorGauges()
        self.registry.register(self.monitor)
        # labelled children looked up once: `labels()` costs a lock and a few microseconds on every request
        self._children: dict[tuple[Any, ...], Any] = {}

    def child(self, metric: Counter | Histogram, *labels: str) -> Any:
        """`metric.labels(*labels)`, remembered (the label sets are few: routes, methods, statuses, grades)."""
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children.setdefault(key, metric.labels(*labels))
        return found

    def observe_scores(self, scored: list[dict[str, Any]]) -> None:
        if len(scored) == 1:  # the single-lead route: no counting pass
            self.scores.observe([scored[0]["score"]])
            self.child(self.grades, scored[0]["grade"]).inc()
            return
        self.scores.observe([item["score"] for item in scored])
        for grade, count in collections.Counter(item["grade"] for item in scored).items():
            self.child(self.grades, grade).inc(count)


class MetricsMiddleware:
    """Counts and times every request by its route template (paths no route matches share one label)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            # the router leaves the matched route in the scope: its template, so /v1/leads/{lead_id}/outcome is one label
            route = getattr(scope.get("route"), "path", None) or "other"
            metrics = self.metrics
            metrics.child(metrics.requests, route, scope["method"], str(status)).inc()
            metrics.child(metrics.latency, route).observe(time.perf_counter() - start)
