"""The lead schema file: the documented example parses, and every mistake is one line naming what is wrong."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from features.schema import LabelMapping, LeadSchema, SchemaError, dump_schema, load_schema, parse_schema

# The example of DESIGN.md ("The lead schema file"), with one change: DESIGN.md names `company_size` in groups.fit
# without listing it under any feature kind, which the schema rightly rejects (see the group test below).
EXAMPLE = """\
id: lead_id                 # unique lead identifier (never a feature)
label: converted            # 0/1 column, or a mapping
timestamp: created_at       # optional; when present the holdout is the most recent leads
numeric: [page_views, time_on_site_sec]
categorical: [lead_source, utm_campaign, country, company_size]
boolean: [requested_demo]
drop: [lead_status]         # columns that exist in the data but must never be features (post-outcome, PII)
na_values: ["Select", ""]   # optional: placeholders that mean "missing"
groups:                     # optional: which features describe fit (who) and which engagement (what they did)
  fit: [country, company_size]
  engagement: [page_views, requested_demo]
"""
MAPPING = {"column": "status", "positive": ["SQL", "Won"], "negative": ["Lost", "Rejected"]}
DELETE = object()


def example(**changes: Any) -> dict[str, Any]:
    """The example as a mapping, with keys replaced (or removed with DELETE)."""
    data: dict[str, Any] = yaml.safe_load(EXAMPLE)
    for key, value in changes.items():
        if value is DELETE:
            del data[key]
        else:
            data[key] = copy.deepcopy(value)
    return data


def schema_error(data: Any) -> str:
    with pytest.raises(SchemaError) as caught:
        parse_schema(data)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_design_example_parses() -> None:
    schema = parse_schema(example())
    assert schema.id == "lead_id"
    assert schema.label_column == "converted"
    assert schema.timestamp == "created_at"
    assert schema.drop == ["lead_status"]
    assert schema.na_values == ["Select", ""]
    assert schema.groups is not None
    assert schema.groups.fit == ["country", "company_size"]
    assert schema.groups.engagement == ["page_views", "requested_demo"]


def test_design_example_with_a_label_mapping_parses() -> None:
    schema = parse_schema(example(label=MAPPING))
    assert isinstance(schema.label, LabelMapping)
    assert schema.label_column == "status"
    assert schema.label.positive == ["SQL", "Won"]
    assert schema.label.negative == ["Lost", "Rejected"]


def test_features_are_numeric_then_boolean_then_categorical() -> None:
    schema = parse_schema(
        {"id": "i", "label": "y", "categorical": ["c1", "c2"], "boolean": ["b"], "numeric": ["n2", "n1"]}
    )
    assert schema.features == ["n2", "n1", "b", "c1", "c2"]
    assert [schema.kind(c) for c in schema.features] == [
        "numeric",
        "numeric",
        "boolean",
        "categorical",
        "categorical",
    ]
    assert schema.input_columns == ["i", "n2", "n1", "b", "c1", "c2"]


def test_load_schema_reads_a_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "leads.schema.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert load_schema(path) == parse_schema(example())


@pytest.mark.parametrize("label", ["converted", MAPPING], ids=["column", "mapping"])
def test_dump_schema_round_trips(tmp_path: Path, label: Any) -> None:
    schema = parse_schema(example(label=label))
    path = tmp_path / "dumped.yaml"
    path.write_text(dump_schema(schema), encoding="utf-8")
    again = load_schema(path)
    assert again == schema
    assert again.features == schema.features
    assert again.na_values == ["Select", ""]


def test_dump_schema_keeps_the_design_order() -> None:
    keys = list(yaml.safe_load(dump_schema(parse_schema(example()))))
    assert keys == [
        "id",
        "label",
        "timestamp",
        "numeric",
        "categorical",
        "boolean",
        "drop",
        "na_values",
        "groups",
    ]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (example(colour="blue"), "'colour'"),
        (example(label={**MAPPING, "postive": ["Won"]}), "postive"),
        (example(groups={"fit": ["country"], "who": ["country"]}), "who"),
        (example(numeric=["page_views", "country"]), "'country'"),
        (example(boolean=["requested_demo", "lead_id"]), "'lead_id'"),
        (example(categorical=["lead_source", "converted"], groups=DELETE), "'converted'"),
        (example(drop=["lead_status", "page_views"]), "'page_views'"),
        (example(numeric=["page_views", "page_views"]), "'page_views'"),
        (example(id=DELETE), "'id'"),
        (example(label=DELETE), "'label'"),
        (example(numeric=[], categorical=[], boolean=[], groups=DELETE), "no features"),
        (example(categorical=["lead_source", "utm_campaign", "country"]), "'company_size'"),
        (example(groups={"engagement": ["lead_status"]}), "'lead_status'"),
        (example(label={**MAPPING, "negative": ["Lost", "Won"]}), "Won"),
    ],
    ids=[
        "unknown-top-level-key",
        "unknown-label-key",
        "unknown-group",
        "numeric-and-categorical",
        "id-as-feature",
        "label-as-feature",
        "dropped-and-feature",
        "listed-twice",
        "no-id",
        "no-label",
        "no-features",
        "group-names-non-feature-as-in-design-md",
        "group-names-dropped-column",
        "positive-and-negative",
    ],
)
def test_each_mistake_is_one_line_naming_it(data: dict[str, Any], named: str) -> None:
    assert named in schema_error(data)


def misspelled(data: dict[str, Any], key: str, typo: str) -> dict[str, Any]:
    """`data` with `key` (dotted for a nested one) written as `typo`, in the same section."""
    *section, last = key.split(".")
    place = data
    for part in section:
        place = place[part]
    place[typo] = place.pop(last)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            misspelled(example(), "categorical", "categorial"),
            "unknown key 'categorial' (did you mean 'categorical'?)",
        ),
        (
            misspelled(example(), "na_values", "na_value"),
            "unknown key 'na_value' (did you mean 'na_values'?)",
        ),
        (misspelled(example(), "numeric", "Numeric"), "unknown key 'Numeric' (did you mean 'numeric'?)"),
        (
            misspelled(example(), "groups.engagement", "engagment"),
            "unknown key 'groups.engagment' (did you mean 'groups.engagement'?)",
        ),
        (
            misspelled(example(label=MAPPING), "label.positive", "postive"),
            "unknown key 'label.postive' (did you mean 'label.positive'?)",
        ),
        # a misspelled required key is also missing: the misspelling is what to fix
        (misspelled(example(), "label", "lable"), "unknown key 'lable' (did you mean 'label'?)"),
        (
            misspelled(example(label=MAPPING), "label.column", "colum"),
            "unknown key 'label.colum' (did you mean 'label.column'?)",
        ),
        (example(colour="blue"), "unknown key 'colour'"),
        (example(groups={"fit": ["country"], "who": ["country"]}), "unknown key 'groups.who'"),
        (example(label=DELETE, colour="blue"), "missing required key 'label'"),
    ],
    ids=[
        "top-level",
        "plural",
        "capitalised",
        "groups",
        "label-mapping",
        "required-key",
        "required-label-mapping-key",
        "nothing-close",
        "nothing-close-in-groups",
        "missing-and-unrelated-unknown",
    ],
)
def test_an_unknown_key_suggests_the_key_it_resembles(data: dict[str, Any], message: str) -> None:
    assert schema_error(data) == f"schema: {message}"


def test_label_that_is_neither_a_column_nor_a_mapping_is_rejected() -> None:
    assert "label" in schema_error(example(label=["converted"]))


def test_a_list_instead_of_a_mapping_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- id\n- label\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"expected a mapping.*got list"):
        load_schema(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: lead_id\nlabel: [converted\nnumeric: [a]\n", "not valid YAML at line"),
        ("id: lead_id\n\tlabel: converted\n", "not valid YAML at line 2"),
        ("", "expected a mapping"),
    ],
    ids=["unclosed-bracket", "tab-indent", "empty-file"],
)
def test_text_that_is_not_a_schema_is_one_line_naming_the_file(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    message = str(caught.value)
    assert "\n" not in message
    assert expected in message
    assert str(path) in message


def test_missing_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(SchemaError, match="schema file not found") as caught:
        load_schema(path)
    assert str(path) in str(caught.value)


def test_non_utf8_schema_file_is_a_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: lead_id\nlabel: converted\nnumeric: [se\u00f1al]\n".encode("latin-1"))
    with pytest.raises(SchemaError):
        load_schema(path)


def test_label_mapping_keeps_yes_and_no_as_written(tmp_path: Path) -> None:
    path = tmp_path / "yes_no.yaml"
    path.write_text(
        "id: lead_id\nlabel: {column: enrolled, positive: [Yes], negative: [No]}\nnumeric: [page_views]\n",
        encoding="utf-8",
    )
    label = load_schema(path).label
    assert isinstance(label, LabelMapping)
    assert (label.positive, label.negative) == (["Yes"], ["No"])


def test_schema_is_immutable() -> None:
    schema: LeadSchema = parse_schema(example())
    with pytest.raises(ValueError, match="frozen"):
        schema.id = "other"  # type: ignore[misc]
