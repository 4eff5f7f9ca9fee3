"""Request models built from the schema stored with the model, so the API (and /docs) has the real lead fields.

Types are checked by pydantic's own validators (no Python per value): numbers, numeric text, booleans and the
words cleaning understands, text or numbers for categories, null, and the schema's placeholders. Values pass on as
given, so the row path cleans exactly what the batch path would have cleaned.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import from_json

from features.clean import FALSE_WORDS, TRUE_WORDS
from features.schema import LeadSchema

# numeric text; at most 200 integer digits and a 2-digit positive exponent, so it never overflows to Infinity
NUMBER = r"[+-]?(?:[0-9]{1,200}(?:\.[0-9]*)?|\.[0-9]+)(?:[eE](?:-[0-9]{1,3}|\+?[0-9]{1,2}))?"
EXPECTED = {
    "numeric": "a number",
    "boolean": "true/false, yes/no or 1/0",
    "categorical": "text or a number",
    "id": "text or a number",
}
MAX_TEXT = 1_000  # default for LEADSCORE_MAX_TEXT_LENGTH


def _escape(text: str) -> str:
    """Literal text inside a pattern (escaping only what the regex syntax needs)."""
    return "".join(f"\\{c}" if c in r"\.^$|?*+()[]{}-" else c for c in text)


def _either(words: list[str]) -> str:
    return "|".join(_escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


def field_type(kind: str, na_values: list[str], max_text: int = MAX_TEXT) -> Any:
    """The pydantic type of one lead field of this kind; text longer than `max_text` and NaN/Infinity are refused."""
    placeholders = f"|^\\s*(?:{_either(na_values)})\\s*$" if [v for v in na_values if v.strip()] else ""
    finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]
    if kind == "numeric":
        text = StringConstraints(pattern=f"^\\s*(?:{NUMBER})?\\s*${placeholders}", max_length=max_text)
        return finite | Annotated[str, text] | None
    if kind == "boolean":
        words = _either([*TRUE_WORDS, *FALSE_WORDS])
        text = StringConstraints(pattern=f"(?i)^\\s*(?:{words})?\\s*${placeholders}", max_length=max_text)
        return Annotated[bool, Strict()] | Literal[0, 1] | Annotated[str, text] | None
    return (
        Annotated[str, Strict(), StringConstraints(max_length=max_text)]
        | Annotated[int, Strict()]
        | finite
        | None
    )


def _describe(schema: LeadSchema, column: str) -> str:
    kind = schema.kind(column)
    group = ""
    if schema.groups:
        group = " (fit)" if column in schema.groups.fit else ""
        group = " (engagement)" if column in schema.groups.engagement else group
    unseen = "; values the model never saw are scored and flagged as unseen" if kind == "categorical" else ""
    placeholders = (
        f"; {', '.join(repr(v) for v in schema.na_values)} mean missing" if schema.na_values else ""
    )
    return f"{kind} feature{group}: {EXPECTED[kind]}{unseen}{placeholders}; leave out or null when unknown"


@dataclass(frozen=True)
class RequestModels:
    """The pydantic models for one lead and for a batch, and the lead columns they carry (field i -> column i)."""

    lead: type[BaseModel]
    batch: type[BaseModel]
    columns: tuple[str, ...]
    kinds: dict[str, str]
    keys: tuple[tuple[str, str], ...]  # (column, field name) pairs
    max_batch: int
    max_text: int
    # per numeric and boolean column: does its field take this text
    text_checks: dict[str, Callable[[str], bool]]

    def as_dict(self, lead: BaseModel) -> dict[str, Any]:
        """A validated lead as {column: value as given}; omitted fields are None (missing)."""
        values = lead.__dict__
        return {column: values[key] for column, key in self.keys}


def request_models(schema: LeadSchema, max_batch: int, max_text: int = MAX_TEXT) -> RequestModels:
    """`Lead` (all fields optional, unknown fields ignored) and `LeadBatch` ({"leads": [Lead, ...]})."""
    columns = (schema.id, *schema.features)
    kinds = {schema.id: "id"} | {c: schema.kind(c) for c in schema.features}
    fields: dict[str, Any] = {}
    for i, column in enumerate(columns):
        description = "the lead's id, echoed back (never a feature)" if i == 0 else _describe(schema, column)
        annotation = field_type(kinds[column], schema.na_values, max_text)
        fields[f"f{i}"] = (annotation, Field(None, alias=column, description=description))
    lead = create_model("Lead", __config__=ConfigDict(extra="ignore"), **fields)
    lead.__doc__ = "One lead: its id and features as the model's schema names them; every field is optional."
    batch = create_model(
        "LeadBatch",
        __config__=ConfigDict(extra="forbid"),
        leads=(list[lead], Field(min_length=1, max_length=max_batch, description="The leads to score.")),  # type: ignore[valid-type]
    )
    batch.__doc__ = f"Up to {max_batch} leads to score in one request."
    keys = tuple((column, f"f{i}") for i, column in enumerate(columns))
    checks = {
        c: _accepts(fields[f"f{i}"][0]) for i, c in enumerate(columns) if kinds[c] in ("numeric", "boolean")
    }
    return RequestModels(
        lead=lead,
        batch=batch,
        columns=columns,
        kinds=kinds,
        keys=keys,
        max_batch=max_batch,
        max_text=max_text,
        text_checks=checks,
    )


def _accepts(annotation: Any) -> Callable[[str], bool]:
    """Whether a field of this type takes a text value (a JSON string arrives as a Python str)."""
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def accepts(text: str) -> bool:
        try:
            adapter.validate_python(text)
        except ValidationError:
            return False
        return True

    return accepts


class InvalidRequest(ValueError):
    """A request body that cannot be scored: HTTP status, one line naming the field, and every field error."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def _where(loc: list[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _field_message(kind: str, errors: list[Any]) -> tuple[str, str]:
    """One message for a field's errors (a union's alternatives each add one): (message, type)."""
    types = {e["type"] for e in errors}
    if "string_too_long" in types:
        limit = next(e for e in errors if e["type"] == "string_too_long").get("ctx", {}).get("max_length")
        return f"text longer than {limit:,} characters (LEADSCORE_MAX_TEXT_LENGTH)", "too_long"
    if "finite_number" in types:
        return "NaN and Infinity are not accepted; send null for a missing value", "not_finite"
    got = repr(errors[0]["input"])
    return f"expected {EXPECTED[kind]}, got {got[:40]}{'...' if len(got) > 40 else ''}", "wrong_type"


def _field_errors(error: ValidationError, kinds: dict[str, str]) -> list[dict[str, Any]]:
    """One error per bad field (a union's alternatives folded into one), in words a caller can act on."""
    fields: dict[tuple[str | int, ...], list[Any]] = {}
    out: dict[tuple[str | int, ...], dict[str, Any]] = {}
    for e in error.errors(include_url=False, include_context=True):
        loc = list(e["loc"])
        field = next((i for i, part in enumerate(loc) if isinstance(part, str) and part in kinds), None)
        if field is not None and not (loc[:1] == ["leads"] and field == 0):
            loc = loc[: field + 1]
            fields.setdefault(tuple(loc), []).append(e)
            out.setdefault(tuple(loc), {"loc": loc})
        else:
            out.setdefault(tuple(loc), {"loc": loc, "msg": str(e["msg"]), "type": e["type"]})
    for where, errors in fields.items():
        message, kind = _field_message(kinds[str(where[-1])], errors)
        out[where].update(msg=message, type=kind)
    return list(out.values())


def parse_body(models: RequestModels, model: type[BaseModel], body: bytes) -> BaseModel:
    """Validate a JSON body; raise InvalidRequest (400 not JSON, 422 bad fields) with the field named."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        errors = _field_errors(error, models.kinds)
        first = errors[0]
        if first["type"] == "json_invalid":
            message = str(first["msg"]).removeprefix("Invalid JSON: ")
            raise InvalidRequest(400, f"the body is not valid JSON: {message}", errors) from None
        detail = f"{_where(first['loc'])}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        raise InvalidRequest(422, detail, errors) from None


def parse_batch(models: RequestModels, body: bytes) -> list[dict[str, Any]]:
    """A batch body's leads as dicts of values as given; InvalidRequest (as `parse_body` words it) otherwise.

    A batch whose every value is one its field takes as it is (numbers, booleans, text; distinct texts of numeric
    and boolean fields through the field's own validator) passes a check per column that costs a fraction of
    pydantic's per-lead validation; any other batch (a wrong type, bad JSON) goes through the pydantic models, which
    accept what they always did and word every error. Either way the values reach the encoder as sent. (One lead
    goes through `parse_body`: for one, pydantic is the quicker check.)
    """
    try:
        data = from_json(body, allow_inf_nan=False)
    except ValueError:
        data = None
    leads = _typed_leads(models, data)
    if leads is not None:
        return leads
    parsed = parse_body(models, models.batch, body)
    return [models.as_dict(lead) for lead in parsed.leads]  # type: ignore[attr-defined]


def _typed_leads(models: RequestModels, data: Any) -> list[dict[str, Any]] | None:
    """A batch's leads when every field value is one its field takes as it is (a subset of what pydantic accepts)."""
    if type(data) is not dict or len(data) != 1 or type(leads := data.get("leads")) is not list:
        return None
    if not 1 <= len(leads) <= models.max_batch:
        return None
    if any(type(lead) is not dict for lead in leads):
        return None
    for column, kind in models.kinds.items():
        if not _typed(models, kind, column, [lead.get(column) for lead in leads]):
            return None
    return leads


_FINITE_NUMBER = 1e308  # an int beyond this is no float; JSON's 1e400 arrives as inf
_ALLOWED = {"numeric": {float, int, str}, "boolean": {bool, int, str}}


def _typed(models: RequestModels, kind: str, column: str, values: list[Any]) -> bool:
    """True when each value of a column is one pydantic takes for its field, checked per type and distinct text."""
    types = set(map(type, values))
    types.discard(type(None))
    if not types <= _ALLOWED.get(kind, {str, int, float}):
        return False
    if float in types and not math.isfinite(sum(v for v in values if type(v) is float)):
        return False  # inf, or finite values whose sum overflows: pydantic decides
    if int in types and kind != "categorical" and kind != "id":
        ints = [v for v in values if type(v) is int]
        low, high = min(ints), max(ints)
        if kind == "numeric" and not -_FINITE_NUMBER < low <= high < _FINITE_NUMBER:
            return False
        if kind == "boolean" and not 0 <= low <= high <= 1:
            return False
    if str in types:
        texts = {v for v in values if type(v) is str}
        if max(map(len, texts)) > models.max_text:
            return False
        if kind == "numeric" or kind == "boolean":  # numeric text and true/false words: the field's own check
            check = models.text_checks[column]
            return all(check(text) for text in texts)
    return True
