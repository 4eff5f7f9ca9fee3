"""The label rule: which stored outcomes make a training label, and which of them are positive.

A schema's label mapping `{column, positive, negative}` is matched against the store's outcomes (accepted, rejected,
won, lost; case-insensitive), so `positive: [won]` or `positive: [accepted, won]` both work; a plain 0/1 label column
gets won = 1, lost and rejected = 0 (accepted is still in progress: left out). `retrain` and `recalibrate` learn from
these labels and the monitor measures the live score against them, so all three read the same rule from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from features.schema import LabelMapping, LeadSchema
from serving.store.outcomes import OUTCOMES


class BadLabelMapping(ValueError):
    """A schema label mapping that names no store outcome on one side; the message says how to write one."""


@dataclass(frozen=True)
class Labels:
    """Which stored statuses make a label, the value each writes into the label column, and which are positive."""

    values: dict[str, Any]
    positive: frozenset[str]

    def describe(self) -> str:
        negative = sorted(set(self.values) - self.positive)
        return f"{'+'.join(sorted(self.positive))} = 1; {'+'.join(negative)} = 0"

    def label(self, status: str) -> int | None:
        """1 or 0 for a status the rule labels, None for one it leaves out (an open lead, by default)."""
        if status not in self.values:
            return None
        return int(status in self.positive)


DEFAULT = Labels({"won": 1, "lost": 0, "rejected": 0}, frozenset({"won"}))


def labels_for(schema: LeadSchema) -> Labels:
    """The label rule for this schema (see the module docstring); BadLabelMapping when a side names no outcome."""
    if not isinstance(schema.label, LabelMapping):
        return DEFAULT
    values: dict[str, Any] = {}
    positive: set[str] = set()
    for listed, is_positive in ((schema.label.positive, True), (schema.label.negative, False)):
        for value in listed:
            status = value.strip().lower()
            if status in OUTCOMES:
                values[status] = value
                if is_positive:
                    positive.add(status)
    if not positive or len(positive) == len(values):
        raise BadLabelMapping(
            f"label mapping on {schema.label.column!r} must name store outcomes ({', '.join(OUTCOMES)}) on both "
            "sides, e.g. {column: status, positive: [won], negative: [lost, rejected]}"
        )
    return Labels(values, frozenset(positive))
