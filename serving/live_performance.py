"""Live performance: how the score did on the leads whose sales outcome is final, per ISO week of arrival and per
grade, against what its calibrated probabilities expected; and, for weeks whose outcomes are not in yet, what those
probabilities expect on their own (shown apart, labelled expected). Alerts only where the evidence is strong.

A lead counts once its status is one the label rule labels (serving/store/labels.py: won = 1, lost and rejected =
0 by default); leads still open (new, accepted) are not negatives, they are left out of the observed numbers. The
sums are in serving/live_tally.py, the groups in serving/live_groups.py, the statistics in
serving/live_statistics.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from serving.alerts import Alert
from serving.live_groups import Group, LiveSettings, make_group
from serving.live_statistics import wilson
from serving.live_tally import FIELDS, Tally, iso_week
from serving.store import Labels, LeadStore, lead_outcomes
from serving.store.clock import as_utc


@dataclass(frozen=True)
class LivePerformance:
    """The window's live performance; `alerts` is empty when nothing crossed a threshold with enough evidence."""

    since: datetime
    until: datetime
    labels: str  # the label rule, e.g. "won = 1; lost+rejected = 0"
    overall: Group
    grades: list[Group]
    weeks: list[Group]
    model_versions: dict[str, int]
    settings: LiveSettings
    holdout_auc: float | None = None
    alerts: list[Alert] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why something was not judged

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "labels": self.labels,
            "overall": self.overall.to_dict(),
            "grades": [g.to_dict() for g in self.grades],
            "weeks": [w.to_dict() for w in self.weeks],
            "model_versions": dict(self.model_versions),
            "holdout_roc_auc": self.holdout_auc,
            "settings": {k: v for k, v in vars(self.settings).items() if k != "chunk_size"},
            "alerts": [a.to_dict() for a in self.alerts],
            "notes": list(self.notes),
        }


def model_holdout_auc(info: Mapping[str, Any]) -> float | None:
    """The holdout ROC AUC a model's info records at training time (`LeadModel.info`), when it has one."""
    value = (info.get("holdout_metrics") or {}).get("roc_auc")
    return float(value) if isinstance(value, int | float) and np.isfinite(value) else None


def live_performance(
    store: LeadStore,
    labels: Labels,
    *,
    since: datetime,
    until: datetime,
    holdout_auc: float | None = None,
    settings: LiveSettings | None = None,
) -> LivePerformance:
    """Live performance of the leads created in [since, until), read from the store page by page.

    `holdout_auc` is the model's ROC AUC on its training holdout (`model_holdout_auc(model.info)`); without it the ROC
    AUC is measured but not judged.
    """
    settings = settings or LiveSettings()
    since, until = as_utc(since), as_utc(until)
    if until <= since:
        raise ValueError(
            f"the window is empty: until ({until.isoformat()}) is not after since ({since.isoformat()})"
        )
    tally = Tally(labels)
    for chunk in lead_outcomes(store, since=since, until=until, chunk_size=settings.chunk_size):
        tally.add(chunk)
    return summarise(tally, labels, since, until, holdout_auc, settings)


def summarise(
    tally: Tally,
    labels: Labels,
    since: datetime,
    until: datetime,
    holdout: float | None,
    settings: LiveSettings,
) -> LivePerformance:
    """The groups, their metrics and the alerts from a finished tally."""
    p, y, week = tally.final_outcomes()
    by_week: dict[int, np.ndarray] = {}
    by_grade: dict[str, np.ndarray] = {}
    for (w, g), sums in tally.cells.items():
        by_week[w] = by_week.get(w, 0) + sums
        by_grade[g] = by_grade.get(g, 0) + sums
    total = sum(by_week.values(), np.zeros(len(FIELDS)))
    expected = None
    if tally.expected:
        histograms = list(tally.expected.values())
        expected = (np.sum([h[0] for h in histograms], axis=0), np.sum([h[1] for h in histograms], axis=0))
    overall = make_group("overall", total, settings, (p, y), expected)
    weeks = [
        make_group(iso_week(w), by_week[w], settings, (p[week == w], y[week == w]), tally.expected[w])
        for w in sorted(by_week)
    ]
    grades = [make_group(g, by_grade[g], settings) for g in sorted(by_grade)]
    alerts, notes = judge(overall, grades, holdout, settings)
    return LivePerformance(
        since=since,
        until=until,
        labels=labels.describe(),
        overall=overall,
        grades=grades,
        weeks=weeks,
        model_versions=dict(tally.versions),
        settings=settings,
        holdout_auc=holdout,
        alerts=alerts,
        notes=notes,
    )


def judge(
    overall: Group, grades: list[Group], holdout: float | None, settings: LiveSettings
) -> tuple[list[Alert], list[str]]:
    """Alerts where the evidence is strong, and a note for each thing left unjudged and why."""
    if overall.count("leads") == 0:
        return [], ["no leads were created in the window: nothing to measure"]
    if overall.count("final") == 0:
        return [], [
            "no lead created in the window has a final outcome yet: expected numbers only, nothing judged"
        ]
    need = settings.min_outcomes
    alerts: list[Alert] = []
    notes: list[str] = []
    groups = [("overall", overall), *((f"grade {g.key}", g) for g in grades)]
    judged = [(name, g) for name, g in groups if g.count("final") >= need]
    few = [f"{name} ({g.count('final')})" for name, g in groups if g.count("final") < need]
    if few:
        notes.append(
            f"conversion not judged for {', '.join(few)}: fewer than {need} leads with a final outcome"
        )
    # one interval per judged group, at a level that keeps the chance of any false alarm at 1 - confidence
    level = 1 - (1 - settings.confidence) / max(len(judged), 1)
    alerts.extend(
        a for name, g in judged if (a := _conversion(name, g, level, settings.conversion_tolerance))
    )
    if overall.count("final") < need:
        notes.append(
            f"ECE and ROC AUC not judged: {overall.count('final')} leads with a final outcome, need {need}"
        )
        return alerts, notes
    n = f"{overall.count('final'):,} leads with a final outcome"
    if (ece := overall.ece) is not None and ece.low > settings.ece_threshold:
        alerts.append(
            Alert(
                "ece", "overall", ece.value, settings.ece_threshold,
                f"ece overall: {ece.value:.3f} (interval {ece.low:.3f}-{ece.high:.3f}) on {n}, "
                f"lower bound above the threshold {settings.ece_threshold:.3f}",
            )
        )  # fmt: skip
    auc = overall.roc_auc
    if auc is None:
        notes.append("ROC AUC not judged: the final outcomes are all of one class")
    elif holdout is None:
        notes.append("ROC AUC not judged: the model records no holdout ROC AUC to compare with")
    elif auc.high < holdout - settings.auc_margin:
        floor = holdout - settings.auc_margin
        alerts.append(
            Alert(
                "roc_auc", "overall", auc.value, floor,
                f"roc_auc overall: {auc.value:.3f} (interval {auc.low:.3f}-{auc.high:.3f}) on {n}, below the "
                f"holdout's {holdout:.3f} minus {settings.auc_margin:.2f} ({floor:.3f})",
            )
        )  # fmt: skip
    return alerts, notes


def _conversion(subject: str, group: Group, level: float, tolerance: float) -> Alert | None:
    """An alert when the Wilson interval of the observed conversion rate lies wholly outside the expected rate, give
    or take `tolerance` (relative): the gap is both clear and large enough to matter. With 200,000 outcomes the
    interval is a fraction of a point wide, and no model is calibrated that exactly."""
    final, won = group.count("final"), group.count("positives")
    expected = group.sums["final_probability"] / final
    low, high = wilson(won, final, level)
    floor, ceiling = expected * (1 - tolerance), expected * (1 + tolerance)
    if high >= floor and low <= ceiling:
        return None
    return Alert(
        "conversion", subject, won / final, expected,
        f"conversion {subject}: observed {won / final:.1%} ({won:,} of {final:,} leads with a final outcome; "
        f"{level:.1%} interval {low:.1%}-{high:.1%}), expected {expected:.1%} "
        f"(+-{tolerance:.0%}: {floor:.1%}-{ceiling:.1%})",
    )  # fmt: skip
