"""The lead schema file: one YAML file describes a lead table (see DESIGN.md)."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from features.reason_labels import FeatureLabel

MAX_NAMED = 8  # missing columns named in one message; more are counted


class SchemaError(ValueError):
    """A schema file or a lead table that does not match it; the message is one line naming the problem."""


def close_match(name: str, choices: Iterable[str]) -> str | None:
    """The choice most like `name` (a misspelling, another case) for a "did you mean" hint; None when none is close."""
    found = difflib.get_close_matches(name, list(choices), n=1)
    return found[0] if found else None


class LabelMapping(BaseModel):
    """A label derived from a status column: listed values are positive or negative, others are unlabeled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str
    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(min_length=1)

    @field_validator("positive", "negative", mode="before")
    @classmethod
    def _as_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(v) for v in value]
        return value

    @model_validator(mode="after")
    def _disjoint(self) -> LabelMapping:
        both = sorted(set(self.positive) & set(self.negative))
        if both:
            raise ValueError(f"label values listed as both positive and negative: {both}")
        return self


class Groups(BaseModel):
    """Which features describe fit (who the lead is) and which engagement (what the lead did)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fit: list[str] = Field(default_factory=list)
    engagement: list[str] = Field(default_factory=list)


class LeadSchema(BaseModel):
    """A validated lead schema; the same object drives validation, features, training and the API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    label: str | LabelMapping
    timestamp: str | None = None
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    boolean: list[str] = Field(default_factory=list)
    drop: list[str] = Field(default_factory=list)
    na_values: list[str] = Field(default_factory=list)
    groups: Groups | None = None
    labels: dict[str, str | FeatureLabel] = Field(
        default_factory=dict
    )  # display names (features/reason_labels.py)

    @field_validator("na_values", mode="before")
    @classmethod
    def _na_as_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return ["" if v is None else str(v) for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LeadSchema:
        label_column = self.label_column
        named = [self.id, label_column, *self.features, *self.drop]
        if self.timestamp:
            named.append(self.timestamp)
        twice = sorted(name for name, n in Counter(named).items() if n > 1)
        if twice:
            raise ValueError(f"column named more than once: {twice[0]!r}")
        if not self.features:
            raise ValueError("no features: list at least one column under numeric, categorical or boolean")
        if self.groups:
            for group, columns in (("fit", self.groups.fit), ("engagement", self.groups.engagement)):
                unknown = [c for c in columns if c not in self.features]
                if unknown:
                    raise ValueError(f"groups.{group} names {unknown[0]!r}, which is not a feature")
        for feature, spec in self.labels.items():
            self._check_label(feature, spec)
        return self

    def _check_label(self, feature: str, spec: str | FeatureLabel) -> None:
        if feature not in self.features:
            close = close_match(feature, self.features)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise ValueError(f"labels names {feature!r}, which is not a feature{hint}")
        texts = [spec] if isinstance(spec, str) else list(spec.values.values())
        if any(not text.strip() for text in texts):
            raise ValueError(f"labels.{feature}: a label is empty; write the text to show or leave it out")
        if isinstance(spec, str) or not spec.values:
            return
        kind = self.kind(feature)
        if kind == "numeric":
            raise ValueError(
                f"labels.{feature}.values: {feature!r} is numeric; only categories and booleans take value labels"
            )
        other = sorted(set(spec.values) - {"true", "false"})
        if kind == "boolean" and other:
            raise ValueError(
                f"labels.{feature}.values: a boolean's values are true and false, not {other[0]!r}"
            )

    @property
    def label_column(self) -> str:
        return self.label.column if isinstance(self.label, LabelMapping) else self.label

    @property
    def features(self) -> list[str]:
        """Feature columns in model order: numeric, boolean, then categorical."""
        return [*self.numeric, *self.boolean, *self.categorical]

    @property
    def input_columns(self) -> list[str]:
        """Columns a lead to be scored may carry: its id and its features."""
        return [self.id, *self.features]

    def kind(self, column: str) -> str:
        """'numeric', 'boolean' or 'categorical' for a feature column."""
        for kind in ("numeric", "boolean", "categorical"):
            if column in getattr(self, kind):
                return kind
        raise KeyError(column)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, exclude_defaults=True) | {
            "id": self.id,
            "label": self.label_dict,
        }

    @property
    def label_dict(self) -> str | dict[str, Any]:
        return self.label.model_dump() if isinstance(self.label, LabelMapping) else self.label


def check_feature_columns(
    schema: LeadSchema, columns: Iterable[Any], source: str, leads: int, strict: bool = False
) -> str | None:
    """A warning naming the model's feature columns a file to score lacks (None when it has them all).

    Scoring fills an absent column with missing values, which is legitimate but, unannounced, looks like a
    misread file. SchemaError when the file has none of them (wrong file or model), or any is absent with `strict`.
    """
    present = [str(c) for c in columns]
    missing = [c for c in schema.features if c not in present]
    if not missing:
        return None
    known = {*schema.input_columns, schema.label_column, schema.timestamp, *schema.drop}
    spare = [c for c in present if c not in known]  # where a renamed feature would be

    def with_hint(column: str) -> str:
        close = close_match(column, spare)
        return f"{column!r}" + (f" (did you mean {close!r}?)" if close else "")

    shown = ", ".join(with_hint(c) for c in missing[:MAX_NAMED])
    if len(missing) > MAX_NAMED:
        shown += f" and {len(missing) - MAX_NAMED} more"
    total = len(schema.features)
    if len(missing) == total:
        raise SchemaError(
            f"{source} has none of the model's {total} feature columns ({shown}); wrong file or model?"
        )
    lacks = f"{source} lacks {len(missing)} of the model's {total} feature columns: {shown}"
    if strict:
        raise SchemaError(f"{lacks}; --strict refuses a file without every feature column")
    return f"{lacks}; all {leads:,} leads are scored as if those were missing (--strict refuses such a file)"


class _SchemaLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false are booleans, so statuses like Yes, No, On and Off stay text."""


_SchemaLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_SchemaLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation allows (`str | LabelMapping` -> [LabelMapping])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _section_keys(section: list[str]) -> list[str]:
    """The keys a schema section takes (`[]`: the top level, `["groups"]`: fit and engagement, ...)."""
    model: type[BaseModel] = LeadSchema
    keys = list(section)
    while keys:
        field = model.model_fields.get(keys.pop(0))
        annotation = field.annotation if field else None
        if get_origin(annotation) is dict:  # `labels`: its keys are feature names, its values a model
            if not keys:
                return []
            keys.pop(0)
            annotation = get_args(annotation)[1]
        nested = _models_in(annotation)
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


_BRANCHES = ("LabelMapping", "FeatureLabel", "str")  # pydantic's names for the branches of a union


def _key_path(error: Any) -> list[str]:
    """Where an error is, as schema keys: pydantic's union branch names left out."""
    return [str(p) for p in error["loc"] if isinstance(p, int) or ("[" not in p and p not in _BRANCHES)]


def _did_you_mean(path: list[str]) -> str | None:
    """The key an unknown key at `path` was probably meant to be, as a full dotted path."""
    close = close_match(path[-1], _section_keys(path[:-1])) if path else None
    return ".".join([*path[:-1], close]) if close else None


def _one_line(error: ValidationError) -> str:
    errors = error.errors()
    first = errors[0]
    # A mapping given where text or a mapping may be (label, labels.<feature>) fails the text branch too;
    # report the mapping's own mistake.
    if first["loc"][-1:] == ("str",) and isinstance(first["input"], dict):
        union = first["loc"][:-1]
        first = next(
            (e for e in errors if e["loc"][: len(union)] == union and e["loc"][len(union) :][:1] != ("str",)),
            first,
        )
    # A misspelled required key is also a missing one: name the misspelling, it is what to fix.
    if first["type"] == "missing":
        first = next(
            (e for e in errors if e["type"] == "extra_forbidden" and _did_you_mean(_key_path(e))), first
        )
    path = _key_path(first)
    where = ".".join(path)
    if first["type"] == "extra_forbidden":
        meant = _did_you_mean(path)
        return f"unknown key {where!r}" + (f" (did you mean {meant!r}?)" if meant else "")
    if first["type"] == "missing":
        return f"missing required key {where!r}"
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_schema(data: Any, source: str = "schema") -> LeadSchema:
    """Validate a schema mapping, raising SchemaError with one line naming the first mistake."""
    if not isinstance(data, dict):
        raise SchemaError(
            f"{source}: expected a mapping of keys (id, label, numeric, ...), got {type(data).__name__}"
        )
    try:
        return LeadSchema.model_validate(data)
    except ValidationError as error:
        raise SchemaError(f"{source}: {_one_line(error)}") from None


def load_schema(path: str | Path) -> LeadSchema:
    """Read and validate a schema YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"schema file not found: {path}") from None
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: not UTF-8 text; re-save the schema file as UTF-8") from None
    except OSError as error:
        raise SchemaError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        data = yaml.load(text, Loader=_SchemaLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise SchemaError(f"{path}: not valid YAML{where}") from None
    return parse_schema(data, source=str(path))


def dump_schema(schema: LeadSchema) -> str:
    """The schema as YAML text, in the order of the design document."""
    return yaml.safe_dump(schema.to_dict(), sort_keys=False, allow_unicode=True)
