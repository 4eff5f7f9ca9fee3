"""The model report rendered as one self-contained HTML page (plots as base64 PNG) or as markdown."""

from __future__ import annotations

import base64
import html

from training.report import ReportInputs
from training.report_sections import blocks

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "text-align:left}th{background:#f3f3f3}img{max-width:100%}figcaption{color:#666;font-size:90%}"
)


def to_html(inputs: ReportInputs) -> str:
    """One HTML page with no outside references: plots are embedded as base64 PNG."""
    parts = []
    for block in blocks(inputs):
        if block.kind in {"h1", "h2", "h3", "p"}:
            parts.append(f"<{block.kind}>{html.escape(block.text)}</{block.kind}>")
        elif block.kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block.items) + "</ul>")
        elif block.kind == "table" and block.table is not None:
            parts.append(block.table.to_html(index=False, border=0, escape=True))
        elif block.kind == "plot":
            data = base64.b64encode(inputs.plots[block.text]).decode("ascii")
            caption = html.escape(block.items[0])
            parts.append(
                f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
    title = html.escape(f"{inputs.name} v{inputs.version} model report")
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def to_markdown(inputs: ReportInputs) -> str:
    """The same report as markdown; plots link to the run's plots/ artifacts (the report sits in report/)."""
    lines: list[str] = []
    for block in blocks(inputs):
        if block.kind == "h1":
            lines += [f"# {block.text}", ""]
        elif block.kind == "h2":
            lines += [f"## {block.text}", ""]
        elif block.kind == "h3":
            lines += [f"### {block.text}", ""]
        elif block.kind == "p":
            lines += [block.text, ""]
        elif block.kind == "ul":
            lines += [f"- {item}" for item in block.items] + [""]
        elif block.kind == "table" and block.table is not None:
            header = [_md_cell(str(c)) for c in block.table.columns]
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in block.table.to_numpy()]
            lines.append("")
        elif block.kind == "plot":
            lines += [f"![{block.items[0]}](../plots/{block.text})", ""]
    return "\n".join(lines)
