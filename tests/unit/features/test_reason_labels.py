"""Reasons in words: the schema's `labels` section, checked with one-line errors, and humanised names without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from features.reason_labels import FeatureLabel, humanise, label_reasons, reason_label
from features.schema import SchemaError, dump_schema, load_schema, parse_schema

LABELS = """\
id: lead_id
label: converted
numeric: [page_views]
boolean: [requested_demo, attended_webinar]
categorical: [lead_source]
labels:
  requested_demo: Requested a demo
  attended_webinar: {label: Attended a webinar, values: {false: No webinar yet}}
  lead_source: {label: Source, values: {web form: Web form, 12: Partner 12}}
"""


def schema_with(labels: Any) -> dict[str, Any]:
    return {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["page_views"],
        "boolean": ["requested_demo"],
        "categorical": ["lead_source"],
        "labels": labels,
    }


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("requested_demo", "Requested demo"),
        ("timeOnSite", "Time on site"),
        ("utm_campaign", "Utm campaign"),
        ("CRM_score", "CRM score"),
        ("page-views.total", "Page views total"),
    ],
)
def test_a_column_name_reads_as_words(name: str, words: str) -> None:
    assert humanise(name) == words


@pytest.mark.parametrize(
    ("feature", "kind", "value", "text"),
    [
        ("requested_demo", "boolean", 1.0, "Requested demo"),
        ("requested_demo", "boolean", 0.0, "Requested demo: no"),
        ("page_views", "numeric", 12.0, "Page views: 12"),
        ("time_on_site_sec", "numeric", 1234.567, "Time on site sec: 1,234.57"),
        ("lead_source", "categorical", "web form", "Lead source: web form"),
        ("page_views", "numeric", None, "Page views: unknown"),
        ("page_views", "numeric", float("nan"), "Page views: unknown"),
    ],
)
def test_without_labels_booleans_numbers_and_categories_read_naturally(
    feature: str, kind: str, value: Any, text: str
) -> None:
    assert reason_label(feature, kind, value) == text


def test_the_schema_labels_name_features_and_values(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(LABELS)
    schema = load_schema(path)
    assert schema.labels["attended_webinar"] == FeatureLabel(
        label="Attended a webinar", values={"false": "No webinar yet"}
    )

    def text(feature: str, value: Any) -> str:
        return reason_label(feature, schema.kind(feature), value, schema.labels.get(feature))

    assert text("requested_demo", 1.0) == "Requested a demo"
    assert text("requested_demo", 0.0) == "Requested a demo: no"
    assert text("attended_webinar", 0.0) == "No webinar yet"
    assert text("attended_webinar", 1.0) == "Attended a webinar"
    assert text("lead_source", "web form") == "Source: Web form"
    assert text("lead_source", "12") == "Source: Partner 12"
    assert text("lead_source", "ads") == "Source: ads"
    assert text("page_views", 3.0) == "Page views: 3"
    assert parse_schema(yaml.safe_load(dump_schema(schema))).labels == schema.labels  # kept with the model


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            {"requested_dmo": "Demo"},
            "labels names 'requested_dmo', which is not a feature (did you mean 'requested_demo'?)",
        ),
        (
            {"lead_source": {"labl": "Source"}},
            "unknown key 'labels.lead_source.labl' (did you mean 'labels.lead_source.label'?)",
        ),
        (
            {"page_views": {"values": {"1": "one"}}},
            "labels.page_views.values: 'page_views' is numeric; only categories and booleans take value labels",
        ),
        (
            {"requested_demo": {"values": {"yes": "Asked"}}},
            "labels.requested_demo.values: a boolean's values are true and false, not 'yes'",
        ),
        ({"lead_source": " "}, "labels.lead_source: a label is empty"),
        ({"lead_source": {"values": {"web": ""}}}, "labels.lead_source: a label is empty"),
        ({"lead_source": {"label": ""}}, "labels.lead_source.label: String should have at least 1 character"),
    ],
)
def test_a_mistake_in_labels_is_one_line_naming_it(labels: Any, message: str) -> None:
    with pytest.raises(SchemaError) as raised:
        parse_schema(schema_with(labels))
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_reasons_stored_without_labels_get_them_and_labelled_ones_keep_theirs() -> None:
    stored = {
        "positive": [{"feature": "requested_demo", "value": 1.0, "impact": 0.8, "unseen": False}],
        "negative": [
            {"feature": "page_views", "value": 2.0, "impact": -0.3, "unseen": False, "label": "Few visits"},
            {"feature": "gone_feature", "value": "x", "impact": -0.1, "unseen": False},
        ],
    }
    kinds = {"requested_demo": "boolean", "page_views": "numeric"}
    out = label_reasons(stored, kinds, {"requested_demo": "Requested a demo"})
    assert [r["label"] for r in out["positive"] + out["negative"]] == [
        "Requested a demo",
        "Few visits",
        "Gone feature: x",
    ]
    assert "label" not in stored["positive"][0]  # the stored reasons are not changed in place
