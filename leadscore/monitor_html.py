"""`leadscore monitor --html`: the report as one self-contained page (inline style and SVG charts, nothing fetched)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
    "th{background:#f3f3f3}td.n{text-align:right}.alert{color:#b00020}.watch{color:#a65e00}"
    "svg text{font-size:11px;fill:#333}figcaption{color:#666;font-size:90%}"
)
BAND_COLOURS = {"stable": "#4c8c4a", "watch": "#d9912b", "alert": "#b00020"}


def _e(value: Any) -> str:
    return html.escape(str(value))


def _pct(share: float | None) -> str:
    return "" if share is None else f"{100 * share:.1f}%"


def _psi_chart(features: list[dict[str, Any]], bands: dict[str, Any]) -> str:
    """Horizontal PSI bars per feature (largest first), with the watch and alert bands as vertical lines."""
    width, left, row = 900, 200, 18
    top = max([bands["alert"] * 1.2, *(f["psi"] for f in features)])

    def x(value: float) -> float:
        return left + (width - left - 60) * min(value, top) / top

    parts = []
    for i, f in enumerate(features):
        y = i * row
        parts.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{_e(f["name"])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{x(f["psi"]) - left:.1f}" height="{row - 6}" '
            f'fill="{BAND_COLOURS[f["band"]]}"/><text x="{x(f["psi"]) + 4:.1f}" y="{y + 13}">{f["psi"]:.3f}</text>'
        )
    height = row * len(features)
    for name in ("watch", "alert"):
        parts.append(
            f'<line x1="{x(bands[name]):.1f}" x2="{x(bands[name]):.1f}" y1="0" y2="{height}" '
            f'stroke="{BAND_COLOURS[name]}" stroke-dasharray="4 3"/>'
        )
    return f'<svg width="{width}" height="{height + 4}" role="img">{"".join(parts)}</svg>'


def _score_chart(score: dict[str, Any]) -> str:
    """The score's histogram in training (grey) and now (blue), per score bin."""
    width, height, bottom = 900, 180, 20
    top = max(*score["training"], *score["now"]) or 1.0
    step = width / len(score["bins"])
    parts = []
    for i, (label, before, now) in enumerate(
        zip(score["bins"], score["training"], score["now"], strict=True)
    ):
        for j, (share, colour) in enumerate(((before, "#9e9e9e"), (now, "#1f6fb2"))):
            h = (height - bottom) * share / top
            parts.append(
                f'<rect x="{i * step + 8 + j * (step - 16) / 2:.1f}" y="{height - bottom - h:.1f}" '
                f'width="{(step - 16) / 2:.1f}" height="{h:.1f}" fill="{colour}"><title>{_e(label)}: '
                f"{_pct(share)}</title></rect>"
            )
        parts.append(
            f'<text x="{i * step + step / 2:.1f}" y="{height - 5}" text-anchor="middle">{_e(label)}</text>'
        )
    return f'<svg width="{width}" height="{height}" role="img">{"".join(parts)}</svg>'


def _feature_rows(features: list[dict[str, Any]]) -> str:
    rows = []
    for f in features:
        moved = "; ".join(f"{_e(b['bin'])} {_pct(b['training'])} &rarr; {_pct(b['now'])}" for b in f["moved"])
        unseen = (
            "" if f["unseen_now"] is None else f"{_pct(f['unseen_training'])} &rarr; {_pct(f['unseen_now'])}"
        )
        rows.append(
            f'<tr><td>{_e(f["name"])}</td><td class="n">{f["psi"]:.3f}</td><td class="{f["band"]}">{f["band"]}'
            f"</td><td>{_pct(f['missing_training'])} &rarr; {_pct(f['missing_now'])}</td><td>{unseen}</td>"
            f"<td>{moved}</td></tr>"
        )
    head = (
        "<tr><th>feature</th><th>PSI</th><th>band</th><th>missing</th><th>unseen</th><th>moved most</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _time(iso: str) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def to_html(report: dict[str, Any], label: str) -> str:
    """The page for one `MonitorReport.to_dict()`; `label` names the model ("lead-scoring version 3")."""
    window = report["window"]
    parts = [
        f"<h1>Monitoring: {_e(label)}</h1>",
        f"<p>{report['leads']:,} leads arrived from {_time(window['since'])} to {_time(window['until'])}, against "
        f"{report['reference_leads']:,} training leads. Computed {_time(report['computed_at'])}.</p>",
    ]
    if report["note"]:
        parts.append(f"<p><strong>{_e(report['note'])}</strong></p>")
    alerts = report["alerts"]
    items = "".join(f'<li class="alert">{_e(a["message"])}</li>' for a in alerts)
    parts.append(f"<h2>Alerts ({len(alerts)})</h2>" + (f"<ul>{items}</ul>" if alerts else "<p>None.</p>"))
    bands = report["bands"]
    if report["score"] is not None:
        score = report["score"]
        grades = "".join(
            f'<tr><td>{_e(g)}</td><td class="n">{_pct(score["grades_training"][g])}</td>'
            f'<td class="n">{_pct(score["grades_now"][g])}</td></tr>'
            for g in score["grades_now"]
        )
        parts += [
            f"<h2>Score: PSI {score['psi']:.3f} ({_e(score['band'])})</h2>",
            f"<figure>{_score_chart(score)}<figcaption>Share of leads per score bin: training (grey), now "
            "(blue), both scored by this model.</figcaption></figure>",
            f"<table><tr><th>grade</th><th>training</th><th>now</th></tr>{grades}</table>",
            "<h2>Features by PSI</h2>",
            f"<figure>{_psi_chart(report['features'], bands)}<figcaption>PSI per feature; dashed lines: watch "
            f"({bands['watch']:g}) and alert ({bands['alert']:g}).</figcaption></figure>",
            _feature_rows(report["features"]),
        ]
    title = _e(f"{label} monitoring")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body>\n{''.join(parts)}\n</body></html>\n"
    )
