"""The monitor: the leads scored in a window against the model's reference profile, and the alerts that follow.

Plain functions, no web framework: `leadscore monitor` and `GET /v1/monitor` call `monitor` and print or send
`MonitorReport.to_dict()`. Drift comes from features/population_drift.py, live performance from sales outcomes
from serving/live_performance.py (over a longer window ending at the same time: outcomes take a sales cycle).
See docs/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from features.population_drift import DriftBands, DriftCounter, NoProfile, PopulationDrift
from serving.alerts import Alert
from serving.live_groups import LiveSettings
from serving.live_performance import live_performance, model_holdout_auc
from serving.settings import Settings
from serving.store import BadLabelMapping, LeadStore, labels_for, scored_window
from serving.store.clock import as_utc, utcnow

if TYPE_CHECKING:
    from features.model import LeadModel

__all__ = ["BadWindow", "MonitorReport", "NoProfile", "bands_from", "drift_alerts", "monitor", "window"]


class BadWindow(ValueError):
    """A window that ends before it starts; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class MonitorReport:
    """One monitoring run: which model, which window, the drift, live performance, and the alerts of both."""

    model_name: str | None
    model_version: str
    since: datetime
    until: datetime
    drift: PopulationDrift
    alerts: list[Alert]
    performance: dict[str, Any] | None = None  # LivePerformance.to_dict(), None when it cannot be measured
    notes: list[str] = field(default_factory=list)  # what could not be measured, and why
    computed_at: datetime = field(default_factory=utcnow)

    @property
    def leads(self) -> int:
        return self.drift.leads

    def conversion(self) -> dict[str, tuple[float, float]]:
        """Observed against expected conversion rate of the leads with a final outcome, overall and per grade
        (only where some outcome is final): what the gauges, the summary and the MLflow run show."""
        if self.performance is None:
            return {}
        groups = [self.performance["overall"], *self.performance["grades"]]
        return {
            g["key"]: (g["observed"]["rate"], g["observed"]["expected_rate"])
            for g in groups
            if g["observed"]["rate"] is not None and g["observed"]["expected_rate"] is not None
        }

    @property
    def score_psi(self) -> float | None:
        return None if self.drift.score is None else self.drift.score.psi

    def to_dict(self) -> dict[str, Any]:
        """The one JSON object of the command line's --json and of GET /v1/monitor (plain values, no NaN)."""
        drift = self.drift
        score = None if drift.score is None else {**asdict(drift.score), "bins": list(drift.score.bins)}
        return {
            "model": {"name": self.model_name, "version": self.model_version},
            "window": {"since": self.since.isoformat(), "until": self.until.isoformat()},
            "computed_at": self.computed_at.isoformat(),
            "leads": drift.leads,
            "reference_leads": drift.reference_leads,
            "enough_leads": drift.enough,
            "note": drift.note,
            "bands": asdict(drift.bands),
            "features": [asdict(f) for f in drift.features],
            "score_psi": self.score_psi,
            "score": score,
            "performance": self.performance,
            "notes": list(self.notes),
            "alerts": [a.to_dict() for a in self.alerts],
        }


def bands_from(settings: Settings) -> DriftBands:
    return DriftBands(
        watch=settings.monitor_psi_watch,
        alert=settings.monitor_psi_alert,
        min_leads=settings.monitor_min_leads,
        share_rise=settings.monitor_share_rise,
    )


def window(
    settings: Settings, since: datetime | None, until: datetime | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The window asked for: `until` defaults to now, `since` to `settings.monitor_days` before `until` (UTC)."""
    try:
        end = as_utc(until) if until else as_utc(now) if now else utcnow()
    except OverflowError:
        raise BadWindow("until", "out of range as a UTC time") from None
    try:
        start = as_utc(since) if since else end - timedelta(days=settings.monitor_days)
    except OverflowError:
        raise BadWindow("since", "out of range as a UTC time") from None
    if end <= start:
        raise BadWindow("until", f"must be after since ({start.isoformat()}); got {end.isoformat()}")
    return start, end


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def drift_alerts(drift: PopulationDrift) -> list[Alert]:
    """Features and the score above the alert band, then missing and unseen shares that rose too far; none when
    the window holds fewer leads than the bands' minimum."""
    if not drift.enough:
        return []
    bands = drift.bands
    alerts = [
        Alert(
            "feature_psi",
            f.name,
            f.psi,
            bands.alert,
            f"{f.name}: PSI {f.psi:.3f} > {bands.alert:g} (alert band)",
        )
        for f in drift.features
        if f.psi > bands.alert
    ]
    if drift.score is not None and drift.score.psi > bands.alert:
        psi = drift.score.psi
        alerts.append(
            Alert(
                "score_psi", "score", psi, bands.alert, f"score: PSI {psi:.3f} > {bands.alert:g} (alert band)"
            )
        )
    for f in drift.features:
        shares = [("missing_share", "missing", f.missing_training, f.missing_now)]
        if f.unseen_training is not None and f.unseen_now is not None:
            shares.append(("unseen_share", "unseen", f.unseen_training, f.unseen_now))
        for metric, what, before, now in shares:
            rise = now - before
            if rise > bands.share_rise:
                message = (
                    f"{f.name}: {what} share {_pct(now)} vs {_pct(before)} in training, up {_pct(rise)} "
                    f"> {_pct(bands.share_rise)}"
                )
                alerts.append(Alert(metric, f.name, rise, bands.share_rise, message))
    return alerts


def monitor(
    store: LeadStore,
    model: LeadModel,
    *,
    model_name: str | None,
    model_version: str,
    since: datetime | None,
    until: datetime | None,
    settings: Settings,
    progress: Callable[[int], object] | None = None,
) -> MonitorReport:
    """Count the leads that arrived in the window (default: the last `settings.monitor_days` days) into the model's
    reference bins, chunk by chunk; judge the probabilities of the leads that arrived in the
    `settings.monitor_outcome_days` before the window's end against their sales outcomes; say what alerts.

    Raises NoProfile for a model trained before reference profiles, BadWindow for a window that ends before it
    starts, StoreUnavailable when the store cannot be reached. `progress` is told each chunk's size.
    """
    start, end = window(settings, since, until)
    counter = DriftCounter(model)  # NoProfile before touching the store
    for chunk in scored_window(store, start, end):
        counter.add([lead.payload for lead in chunk])
        if progress is not None:
            progress(len(chunk))
    drift = counter.result(bands_from(settings))
    try:
        labels = labels_for(model.schema)
    except BadLabelMapping as error:  # the model still scores: say why its accuracy cannot be judged
        note = f"live accuracy is not measured: the model's schema has a {error}"
        return MonitorReport(model_name, model_version, start, end, drift, drift_alerts(drift), None, [note])
    performance = live_performance(
        store,
        labels,
        since=end - timedelta(days=settings.monitor_outcome_days),
        until=end,
        holdout_auc=model_holdout_auc(model.info),
        settings=live_settings(settings),
    )
    alerts = drift_alerts(drift) + performance.alerts
    return MonitorReport(model_name, model_version, start, end, drift, alerts, performance.to_dict())


def live_settings(settings: Settings) -> LiveSettings:
    return LiveSettings(
        min_outcomes=settings.monitor_min_outcomes,
        conversion_tolerance=settings.monitor_conversion_tolerance,
        ece_threshold=settings.monitor_ece_alert,
        auc_margin=settings.monitor_auc_margin,
    )
