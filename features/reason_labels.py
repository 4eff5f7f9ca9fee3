"""Reasons in words: a feature and its value as a rep reads them, from the schema's `labels` or humanised."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from features.reasons import Reasons


class FeatureLabel(BaseModel):
    """A feature's display name and, for categories and booleans, display names of its values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str | None = Field(default=None, min_length=1)
    values: dict[str, str] = Field(default_factory=dict)

    @field_validator("values", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        """YAML keys `true`, `12` or `web form` all name a value as the lead's cleaned value reads as text."""
        if isinstance(value, dict):
            return {_key(k): v for k, v in value.items()}
        return value


def _key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


LabelSpec = str | FeatureLabel


def humanise(name: str) -> str:
    """`requested_demo` -> "Requested demo", `timeOnSite` -> "Time on site": a column name as words."""
    words: list[str] = []
    for part in name.replace("-", "_").replace(".", "_").split("_"):
        word = ""
        for char in part:
            if char.isupper() and word and not word[-1].isupper():
                words.append(word)
                word = ""
            word += char
        if word:
            words.append(word)
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return text[:1].upper() + text[1:] if text else name


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def display(feature: str, spec: LabelSpec | None = None) -> tuple[str, Mapping[str, str]]:
    """A feature's display name and its values' display names (the per-feature half of `reason_label`)."""
    name = spec if isinstance(spec, str) else (spec.label if spec and spec.label else humanise(feature))
    return name, spec.values if isinstance(spec, FeatureLabel) else {}


def worded(kind: str, name: str, values: Mapping[str, str], value: Any) -> str:
    """The per-value half of `reason_label`, for a feature whose `display` is known (scoring calls it per reason)."""
    if value is None or (isinstance(value, float) and value != value):
        return f"{name}: unknown"
    if kind == "boolean":
        key = "true" if value in (1, 1.0, True) else "false"
        return values.get(key) or (name if key == "true" else f"{name}: no")
    if kind == "numeric" and isinstance(value, int | float):
        return f"{name}: {_number(value)}"
    return f"{name}: {values.get(_key(value), str(value))}"


def reason_label(feature: str, kind: str, value: Any, spec: LabelSpec | None = None) -> str:
    """One reason as words: booleans "Requested demo" / "Requested demo: no", numbers "Page views: 12",
    categories "Lead source: Web form"; a missing value reads "<name>: unknown". A value's own label for a boolean
    is the whole text ("No demo asked for"); for a category it replaces the value."""
    return worded(kind, *display(feature, spec), value)


def label_reasons(
    reasons: Reasons, kinds: Mapping[str, str], labels: Mapping[str, LabelSpec] | None = None
) -> Reasons:
    """The reasons with a `label` each, kept where one is already there (stored before labels existed: added).

    `kinds` gives each feature's kind (numeric, boolean, categorical); an unknown feature reads as a category.
    """
    specs = labels or {}

    def labelled(reason: dict[str, Any]) -> dict[str, Any]:
        if reason.get("label"):
            return reason
        feature = reason["feature"]
        text = reason_label(
            feature, kinds.get(feature, "categorical"), reason.get("value"), specs.get(feature)
        )
        return {**reason, "label": text}

    return {side: [labelled(r) for r in reasons.get(side, [])] for side in ("positive", "negative")}
