"""The current monitoring result in the model report, from a `MonitorReport.to_dict()` (the JSON of `leadscore monitor
--json` and GET /v1/monitor): alerts, PSI per feature, the score mix now against training, and conversion observed
against expected per week and per grade. Plain dicts in, blocks and figures out: no serving import."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from matplotlib.figure import Figure

from training.monitoring_plots import conversion_figure, score_mix_figure
from training.plots import drift_figure
from training.report_blocks import Block, plot_block, table_block

if TYPE_CHECKING:
    from training.report import ReportInputs

PSI_PLOT = "monitor_psi.png"
SCORES_PLOT = "monitor_scores.png"
CONVERSION_PLOT = "monitor_conversion.png"


def _time(iso: str) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _pct(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}%"


def _judged(performance: dict[str, Any] | None, part: str) -> pd.DataFrame:
    """The weeks or grades with a final outcome: observed rate and interval, expected rate, pending."""
    rows = [
        (g["key"], o["rate"], *o["interval"], o["expected_rate"], g["pending"])
        for g in (performance or {}).get(part, [])
        if (o := g["observed"])["interval"] is not None
    ]
    return pd.DataFrame(rows, columns=["key", "observed", "low", "high", "expected", "pending"])


def _outcome_leads(performance: dict[str, Any] | None) -> int:
    return 0 if performance is None else int(performance["overall"]["leads"])


def now_figures(report: dict[str, Any], grade_cuts: dict[str, float]) -> dict[str, Figure]:
    """The plots of what was measured; none for what was not (no leads, no final outcome)."""
    figures: dict[str, Figure] = {}
    score = report["score"]
    if score is not None and report["features"]:
        features = pd.DataFrame(report["features"]).rename(columns={"name": "feature"}).assign(flagged=True)
        bands = {"watch": report["bands"]["watch"], "alert": report["bands"]["alert"]}
        figures[PSI_PLOT] = drift_figure(features, bands, against="window's leads against training")
        figures[SCORES_PLOT] = score_mix_figure(score["training"], score["now"], grade_cuts)
    performance = report["performance"]
    weeks, grades = _judged(performance, "weeks"), _judged(performance, "grades")
    if len(weeks) or len(grades):
        confidence = float(performance["settings"]["confidence"])
        figures[CONVERSION_PLOT] = conversion_figure(weeks, grades, confidence)
    return figures


def _overall(performance: dict[str, Any]) -> str:
    overall = performance["overall"]
    observed = overall["observed"]
    line = (
        f"Sales outcomes of the {overall['leads']:,} leads that arrived {_time(performance['since'])} to "
        f"{_time(performance['until'])}: {overall['final']:,} final, {overall['open']:,} still open"
    )
    if observed["interval"] is None:
        return line + "; no final outcome yet, so the probabilities are not judged."
    low, high = observed["interval"]
    line += (
        f"; observed conversion {_pct(observed['rate'])} ({performance['settings']['confidence']:.0%} interval "
        f"{_pct(low)}-{_pct(high)}), expected "
        f"{_pct(observed['expected_rate'])}"
    )
    for name, label in (("roc_auc", "ROC AUC"), ("ece", "ECE")):
        if (estimate := observed[name]) is not None:
            line += f", {label} {estimate['value']:.3f} ({estimate['low']:.3f}-{estimate['high']:.3f})"
    return line + "."


def now_blocks(inputs: ReportInputs) -> list[Block]:
    """What the monitor says now: one line when the store holds no lead of the window, else alerts and plots."""
    report = inputs.monitoring
    assert report is not None
    window, performance = report["window"], report["performance"]
    span = f"{_time(window['since'])} to {_time(window['until'])}"
    blocks = [Block("h3", text=f"Now: the leads that arrived {span}")]
    if report["leads"] == 0 and _outcome_leads(performance) == 0:
        return [
            *blocks,
            Block("p", text=f"No leads arrived in the lead store from {span}: nothing to compare yet."),
        ]
    blocks.append(
        Block(
            "p",
            text=f"{report['leads']:,} leads arrived, against {report['reference_leads']:,} training leads "
            f"(computed {_time(report['computed_at'])}).",
        )
    )
    alerts = [a["message"] for a in report["alerts"]]
    if alerts:
        blocks += [Block("p", text=f"Alerts ({len(alerts)}):"), Block("ul", items=tuple(alerts))]
    else:
        blocks.append(Block("p", text="Alerts: none; nothing crosses an alert threshold."))
    notes = [report["note"], *report["notes"], *(performance or {}).get("notes", [])]
    if notes := [n for n in notes if n]:
        blocks += [Block("p", text="Not judged:"), Block("ul", items=tuple(notes))]
    if SCORES_PLOT in inputs.plots:
        score = report["score"]
        grades = pd.DataFrame(
            [(g, score["grades_training"][g], score["grades_now"][g]) for g in score["grades_now"]],
            columns=["grade", "training", "now"],
        )
        blocks += [
            plot_block(inputs, PSI_PLOT, "PSI per feature, now against training"),
            Block("p", text=f"The score: PSI {score['psi']:.3f} ({score['band']})."),
            plot_block(inputs, SCORES_PLOT, "score distribution now against training"),
            table_block(grades, {"training": "{:.1%}", "now": "{:.1%}"}),
        ]
    if performance is not None:
        blocks.append(Block("p", text=_overall(performance)))
        if CONVERSION_PLOT in inputs.plots:
            blocks.append(plot_block(inputs, CONVERSION_PLOT, "conversion observed against expected"))
    return blocks
