"""The model report's "Monitoring" section: the reference the monitor compares new leads with (the model's profile),
the alert bands, how to watch the model, and the current monitoring result when `leadscore report` got a store.

Nothing here imports serving: the current result arrives as `MonitorReport.to_dict()` (training/report_monitor_now.py
renders it) and the bands in force as `MonitorSetting`s, both made by the command line.
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.figure import Figure

from features.population_drift import DriftBands
from features.profile import FeatureProfile
from features.scale import GRADES
from training.monitoring_plots import score_mix_figure
from training.report import MonitorSetting, ReportInputs
from training.report_blocks import Block, plot_block, renamed, table_block
from training.report_monitor_now import now_blocks, now_figures

REFERENCE_PLOT = "reference_scores.png"
MONITORING_PLOTS = (REFERENCE_PLOT, "monitor_psi.png", "monitor_scores.png", "monitor_conversion.png")
SETTINGS_HOME = "serving/settings.py; docs/monitoring.md"


def drift_band_defaults() -> tuple[MonitorSetting, ...]:
    """The drift bands' defaults (features/population_drift.py), all a training run knows of the bands in force."""
    bands = DriftBands()
    return (
        MonitorSetting(
            "LEADSCORE_MONITOR_PSI_WATCH", f"{bands.watch:g}", "PSI from which drift is worth watching."
        ),
        MonitorSetting("LEADSCORE_MONITOR_PSI_ALERT", f"{bands.alert:g}", "PSI above which drift alerts."),
        MonitorSetting(
            "LEADSCORE_MONITOR_MIN_LEADS",
            f"{bands.min_leads:,}",
            "Fewest leads in the window for any drift alert (fewer: noise).",
        ),
        MonitorSetting(
            "LEADSCORE_MONITOR_SHARE_RISE",
            f"{bands.share_rise:g}",
            "Rise in a feature's missing or unseen share (absolute, vs training) that alerts.",
        ),
    )


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def monitoring_plots(inputs: ReportInputs) -> dict[str, bytes]:
    """The section's plots as PNG: the training leads' scores, and the current result's when there is one."""
    figures: dict[str, Figure] = {}
    if inputs.profile is not None:
        figures[REFERENCE_PLOT] = score_mix_figure(inputs.profile.score_shares, thresholds=inputs.grade_cuts)
    if inputs.monitoring is not None:
        figures.update(now_figures(inputs.monitoring, inputs.grade_cuts))
    return {name: _png(figure) for name, figure in figures.items()}


def _bins(feature: FeatureProfile) -> str:
    if feature.kind == "categorical":
        return f"{len(feature.categories)} categories + other"
    if feature.kind == "boolean":
        return "no, yes"
    return f"{len(feature.edges) + 1} bins"


def _reference(inputs: ReportInputs) -> list[Block]:
    profile = inputs.profile
    assert profile is not None
    window = f", {profile.first[:10]} to {profile.last[:10]}" if profile.first and profile.last else ""
    grades = pd.DataFrame(
        [
            (g, inputs.grade_cuts.get(g, 0.0), p.share, p.expected_rate, p.observed_rate)
            for g, p in ((g, profile.grades[g]) for g in GRADES if g in profile.grades)
        ],
        columns=["grade", "score from", "share of leads", "expected conversion", "observed in training"],
    )
    features = pd.DataFrame(
        [(f.name, f.kind, _bins(f), f.missing, f.unseen) for f in profile.features],
        columns=["feature", "kind", "bins", "missing", "unseen category"],
    )
    percent = {"share of leads": "{:.1%}", "expected conversion": "{:.1%}", "observed in training": "{:.1%}"}
    return [
        Block("h3", text="Reference: the training leads"),
        Block(
            "p",
            text=f"The monitor compares the leads that arrive with the {profile.leads:,} leads this version was "
            f"fitted on{window}, as profiled inside the registered model: PSI per feature and for the score "
            "(docs/monitoring.md), and the probabilities against sales outcomes as they come in "
            "(docs/monitoring.md).",
        ),
        plot_block(inputs, REFERENCE_PLOT, "training leads' scores"),
        table_block(grades, {"score from": "{:g}", **percent}),
        Block("p", text="Per feature, the bins the monitor counts leads into (missing is always one more):"),
        renamed(table_block(features, {"missing": "{:.1%}", "unseen category": "{:.1%}"}), {}),
    ]


def _bands(inputs: ReportInputs) -> list[Block]:
    settings = inputs.monitor_settings or drift_band_defaults()
    rows = pd.DataFrame(
        [(s.variable, s.value, s.meaning) for s in settings], columns=["setting", "value", "meaning"]
    )
    if inputs.monitor_settings:
        where = (
            "In force where this report was made. To change them, set these environment variables where "
            f"`leadscore monitor` and the service run ({SETTINGS_HOME})."
        )
    else:
        where = (
            "The defaults. `leadscore monitor` and the service read them, and the live-accuracy thresholds "
            "(LEADSCORE_MONITOR_MIN_OUTCOMES, _CONVERSION_TOLERANCE, _ECE_ALERT, _AUC_MARGIN), from LEADSCORE_MONITOR_* "
            f"environment variables ({SETTINGS_HOME}); `leadscore report` shows the values in force where it runs."
        )
    return [Block("h3", text="Alert bands"), Block("table", table=rows), Block("p", text=where)]


def _how_to_watch(inputs: ReportInputs) -> list[Block]:
    uri = f"models:/{inputs.name}/{inputs.version}"
    items = [
        f"leadscore monitor --model {uri} --database URL: the leads that arrived in the last days "
        "(--since, --until; the store defaults to LEADSCORE_DATABASE_URL) against this reference; exit code 1 on "
        f"an alert, for cron; --html FILE writes a page, --log keeps the history in MLflow ({inputs.name}-monitoring).",
        f"leadscore report --model {uri} --database URL --out FILE: this report with the current result.",
        f"The service, while it serves this version (leadscore serve --model {uri}, or as @champion): the page "
        "/monitor and GET /v1/monitor?since=...&until=... (role admin) show the same result, and each call refreshes "
        "the leadscore_monitor_* gauges on /metrics.",
    ]
    if "champion" in inputs.aliases:
        items.insert(1, "As the champion it is also what plain `leadscore monitor` watches.")
    return [Block("h3", text="How to watch it"), Block("ul", items=tuple(items))]


def monitoring(inputs: ReportInputs) -> list[Block]:
    """The section: the reference and bands, how to watch, and the current result when the report has one."""
    blocks = [Block("h2", text="Monitoring")]
    if inputs.profile is None:
        blocks.append(
            Block(
                "p",
                text="This version has no reference profile (it was trained before profiles existed), so it cannot "
                "be monitored: retrain it.",
            )
        )
        return blocks
    blocks += _reference(inputs) + _bands(inputs) + _how_to_watch(inputs)
    if inputs.monitoring is not None:
        blocks += now_blocks(inputs)
    return blocks
