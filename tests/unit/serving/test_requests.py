"""The request model built from a lead schema: what it accepts (passed on as given), what it refuses, and how."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from features.schema import parse_schema
from serving.requests import (
    InvalidRequest,
    RequestModels,
    _typed_leads,
    parse_batch,
    parse_body,
    request_models,
)

SCHEMA = parse_schema(
    {
        "id": "Prospect ID",
        "label": "converted",
        "numeric": ["Page Views"],
        "boolean": ["demo"],
        "categorical": [
            "source",
            "schema",
        ],  # `schema` would clash with a BaseModel attribute as a field name
        "na_values": ["Select", "-1", "n/a (unknown)"],
        "groups": {"fit": ["source"], "engagement": ["Page Views", "demo"]},
    }
)


@pytest.fixture(scope="module")
def models() -> RequestModels:
    return request_models(SCHEMA, max_batch=3)


def one(models: RequestModels, lead: Any) -> dict[str, Any]:
    return models.as_dict(parse_body(models, models.lead, json.dumps(lead).encode()))


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Page Views", 3),
        ("Page Views", 2.5),
        ("Page Views", " 12 "),
        ("Page Views", "1e3"),
        ("Page Views", "Select"),
        ("Page Views", " n/a (unknown) "),
        ("Page Views", ""),
        ("Page Views", None),
        ("demo", True),
        ("demo", 0),
        ("demo", "Yes"),
        ("demo", " checked "),
        ("demo", "1.0"),
        ("demo", "Select"),
        ("source", "web"),
        ("source", 7),
        ("source", 7.5),
        ("schema", "x"),
        ("Prospect ID", 12345),
    ],
)
def test_accepted_values_pass_on_as_given(models: RequestModels, column: str, value: Any) -> None:
    lead = one(models, {column: value})
    assert lead[column] == value
    assert type(lead[column]) is type(value) or (column == "Page Views" and type(value) is int)  # 3 -> 3.0
    assert all(v is None for c, v in lead.items() if c != column)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Page Views", "lots"),
        ("Page Views", "1_000"),
        ("Page Views", True),
        ("Page Views", [1]),
        ("demo", "maybe"),
        ("demo", 2),
        ("source", True),
        ("source", {"a": 1}),
        ("Prospect ID", [1]),
    ],
)
def test_wrong_types_are_422_naming_the_field_and_value(
    models: RequestModels, column: str, value: Any
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        one(models, {column: value})
    assert raised.value.status == 422
    assert raised.value.detail.startswith(f"{column}: expected ")
    assert "got" in raised.value.detail
    assert len(raised.value.errors) == 1  # a union's alternatives fold into one error per field


def test_batch_errors_point_at_the_lead_and_field(models: RequestModels) -> None:
    body = json.dumps({"leads": [{}, {"Page Views": "x", "demo": "?"}]}).encode()
    with pytest.raises(InvalidRequest) as raised:
        parse_body(models, models.batch, body)
    assert raised.value.detail.startswith("leads[1].Page Views: expected a number, got 'x' (and 1 more)")
    for leads, words in (([], "at least 1"), ([{}] * 4, "at most 3")):
        with pytest.raises(InvalidRequest, match=words):
            parse_body(models, models.batch, json.dumps({"leads": leads}).encode())


def test_not_json_is_400_and_unknown_fields_are_ignored(models: RequestModels) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_body(models, models.lead, b"{'single': 'quotes'}")
    assert raised.value.status == 400 and "not valid JSON" in raised.value.detail
    assert one(models, {"unknown": [1, 2], "source": "web"})["source"] == "web"


def test_the_json_schema_has_the_real_fields_types_and_groups(models: RequestModels) -> None:
    schema = models.lead.model_json_schema()
    assert list(schema["properties"]) == ["Prospect ID", "Page Views", "demo", "source", "schema"]
    views = schema["properties"]["Page Views"]
    assert {"type": "number"} in views["anyOf"] and views["description"].startswith(
        "numeric feature (engagement)"
    )
    assert "'Select'" in views["description"]
    assert {"type": "boolean"} in schema["properties"]["demo"]["anyOf"]
    assert schema["properties"]["source"]["description"].startswith("categorical feature (fit)")


VALUES: list[Any] = [
    None, 0, 1, 2, -1, 3.5, -0.0, 1e308, 10**309, True, False, "", " 12 ", "1e3", "Select", " n/a (unknown) ",
    "yes", " No ", "checked", "1.0", "lots", "web", "x" * 13, [1], {"a": 1}, 10**30,
]  # fmt: skip


def batch_body(rng: np.random.Generator, leads: int) -> bytes:
    """A batch drawing each field's value from VALUES (most fields, most of the time, a well-typed one)."""
    typed = {"Prospect ID": ["L1", 7], "Page Views": [0, 3.5, None, 12], "demo": [True, False, 0, None],
             "source": ["web", "ads", None], "schema": ["x", 7, None]}  # fmt: skip
    out = []
    for _ in range(leads):
        lead = {}
        for column, choices in typed.items():
            pool = VALUES if rng.random() < 0.08 else choices
            if rng.random() < 0.9:
                lead[column] = pool[rng.integers(len(pool))]
        out.append(lead)
    return json.dumps({"leads": out, **({"extra": 1} if rng.random() < 0.02 else {})}).encode()


def test_the_batch_fast_path_accepts_and_refuses_exactly_what_pydantic_does() -> None:
    """Whatever the column check lets through is what the pydantic model gives (value and type, up to int -> float
    for numbers); whatever it does not goes to pydantic, so errors are pydantic's word for word."""
    models = request_models(SCHEMA, max_batch=20, max_text=12)
    rng = np.random.default_rng(0)
    fast = 0
    for _ in range(400):
        body = batch_body(rng, int(rng.integers(1, 25)))
        try:
            expected: Any = [models.as_dict(lead) for lead in parse_body(models, models.batch, body).leads]  # type: ignore[attr-defined]
        except InvalidRequest as error:
            expected = (error.status, error.detail)
        try:
            got: Any = parse_batch(models, body)
        except InvalidRequest as error:
            got = (error.status, error.detail)
        if isinstance(expected, tuple):
            assert got == expected
            continue
        fast += _typed_leads(models, json.loads(body)) is not None
        for lead, want in zip(got, expected, strict=True):
            for column, value in want.items():
                given = lead.get(column)
                assert given == value, (column, given, value)
                numbers = column == "Page Views" and type(given) is int and type(value) is float
                assert type(given) is type(value) or numbers, (column, given, value)
    assert fast > 100  # most bodies took the fast path
