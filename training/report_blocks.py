"""The pieces a model report is made of, shared by its sections and by both renderers (HTML and markdown)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from training.report import ReportInputs


@dataclass(frozen=True)
class Block:
    """One piece of the report: a heading, a paragraph, a bullet list, a table (text cells) or a plot."""

    kind: str  # "h1", "h2", "h3", "p", "ul", "table", "plot"
    text: str = ""
    items: tuple[str, ...] = ()
    table: pd.DataFrame | None = None


def fmt(value: object, spec: str) -> str:
    """A number in a format (`{:.1%}`), or the value as text when it is not a number."""
    try:
        return spec.format(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def table_block(frame: pd.DataFrame, formats: dict[str, str]) -> Block:
    """A table of text cells, the named columns formatted; missing values as empty cells."""
    cells = frame.copy()
    for column, spec in formats.items():
        if column in cells.columns:
            cells[column] = [fmt(v, spec) if pd.notna(v) else "" for v in cells[column]]
    return Block("table", table=cells.astype(str))


def renamed(block: Block, names: dict[str, str]) -> Block:
    """Readable column headers: the given names, else underscores as spaces."""
    assert block.table is not None
    table = block.table.rename(columns=lambda c: names.get(str(c), str(c).replace("_", " ")))
    return Block("table", table=table)


def plot_block(inputs: ReportInputs, name: str, caption: str) -> Block:
    """A plot of the report's inputs, or one line naming it when the run did not log it."""
    if name in inputs.plots:
        return Block("plot", text=name, items=(caption,))
    return Block("p", text=f"({caption}: plots/{name} was not logged by this run)")
