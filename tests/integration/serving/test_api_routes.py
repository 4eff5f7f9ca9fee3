"""Every route of the scoring API through the real app, with a real model from a temporary MLflow."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from serving.responses import BatchScores, LeadScore

LEAD = {
    "lead_id": "L-1",
    "page_views": 14,
    "pricing_page_views": "3",
    "email_opens": 5.0,
    "requested_demo": "yes",
    "attended_webinar": False,
    "industry": "Software",
    "company_size": "Select",
    "seniority": "VP",
}


def test_score_one_lead_answers_every_field(client: TestClient) -> None:
    body = client.post("/v1/score", json=LEAD).json()
    assert LeadScore.model_validate(body).model_dump() == body  # exactly the documented response
    assert body["lead_id"] == "L-1"
    assert 0.0 < body["probability"] < 1.0
    assert 0 <= body["score"] <= 100
    assert body["grade"] in {"A", "B", "C", "D"}
    assert body["model_version"] == "1"
    positive, negative = body["reasons"]["positive"], body["reasons"]["negative"]
    assert 0 < len(positive) <= 3 and 0 < len(negative) <= 3
    assert all(r["impact"] > 0 for r in positive) and all(r["impact"] < 0 for r in negative)
    assert [r["impact"] for r in positive] == sorted((r["impact"] for r in positive), reverse=True)
    assert {"feature", "value", "impact", "unseen"} <= set(positive[0])
    for group in ("fit", "engagement"):
        assert 0.0 < body[group]["probability"] < 1.0 and 0 <= body[group]["score"] <= 100
    assert body["unseen"] == []


def test_sub_scores_are_group_sums_of_the_model_contributions(client: TestClient, trained) -> None:  # type: ignore[no-untyped-def]
    """fit.impact is the sum of the fit features' contributions; both groups share one baseline."""
    import mlflow

    model = mlflow.pyfunc.load_model("models:/serving-leads/1").unwrap_python_model()
    body = client.post("/v1/score", json=LEAD).json()
    impacts = model.contributions(pd.DataFrame([LEAD]))
    groups = model.schema.groups
    for group in ("fit", "engagement"):
        expected = float(impacts[getattr(groups, group)].sum(axis=1).iloc[0])
        assert body[group]["impact"] == round(expected, 4)

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    fit, engagement = body["fit"], body["engagement"]
    baseline = logit(fit["probability"]) - fit["impact"]
    assert logit(engagement["probability"]) - engagement["impact"] == pytest.approx(baseline, abs=1e-3)
    assert body["fit"]["score"] == int(model.scale.score(np.array([fit["probability"]]))[0])


def test_unseen_categories_are_scored_and_flagged(client: TestClient) -> None:
    body = client.post("/v1/score", json={**LEAD, "country": "Atlantis", "industry": "Alchemy"}).json()
    assert body["unseen"] == ["industry", "country"]
    flagged = [r for r in body["reasons"]["positive"] + body["reasons"]["negative"] if r["unseen"]]
    assert all(r["feature"] in {"industry", "country"} for r in flagged)


def test_missing_optional_fields_and_unknown_fields(client: TestClient) -> None:
    empty = client.post("/v1/score", json={}).json()
    assert empty["lead_id"] is None and 0.0 < empty["probability"] < 1.0
    nulls = client.post("/v1/score", json=dict.fromkeys(LEAD)).json()
    placeholders = client.post("/v1/score", json={"page_views": "Select", "industry": ""}).json()
    extra = client.post("/v1/score", json={"not_a_field": [1, 2], "lead_status": "Closed Won"}).json()
    assert empty["probability"] == nulls["probability"] == placeholders["probability"] == extra["probability"]


def test_batch_scores_in_order_and_without_reasons_on_request(client: TestClient) -> None:
    leads = [LEAD, {**LEAD, "lead_id": "L-2", "requested_demo": "no"}, {"lead_id": 3}]
    body = client.post("/v1/score/batch", json={"leads": leads}).json()
    assert BatchScores.model_validate(body).model_dump() == body
    assert body["count"] == 3 and body["model_version"] == "1"
    assert [s["lead_id"] for s in body["scores"]] == ["L-1", "L-2", "3"]
    one = client.post("/v1/score", json=LEAD).json()
    assert body["scores"][0] == one
    bare = client.post("/v1/score/batch?reasons=false", json={"leads": leads}).json()
    assert BatchScores.model_validate(bare).model_dump() == bare
    assert [s["probability"] for s in bare["scores"]] == [s["probability"] for s in body["scores"]]
    assert all(s["reasons"] is None and s["fit"] is None for s in bare["scores"])


def test_bad_input_is_a_4xx_naming_the_field(client: TestClient) -> None:
    cases = [
        ("/v1/score", {"json": {"page_views": "lots"}}, 422, "page_views"),
        ("/v1/score", {"json": {"requested_demo": "maybe"}}, 422, "requested_demo"),
        ("/v1/score", {"json": {"industry": {"name": "x"}}}, 422, "industry"),
        ("/v1/score", {"json": {"page_views": True}}, 422, "page_views"),
        ("/v1/score", {"json": [LEAD]}, 422, "object"),
        ("/v1/score", {"content": b"{not json"}, 400, "JSON"),
        ("/v1/score/batch", {"json": {"leads": []}}, 422, "leads"),
        ("/v1/score/batch", {"json": {"leads": [{}] * 501}}, 422, "leads"),
        ("/v1/score/batch", {"json": {"leads": [{}, {"email_opens": "x"}]}}, 422, "leads[1].email_opens"),
        ("/v1/score/batch", {"json": LEAD}, 422, "leads"),
        ("/v1/score/batch?reasons=perhaps", {"json": {"leads": [LEAD]}}, 422, "reasons"),
    ]
    for path, kwargs, status, named in cases:
        response = client.post(path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, (path, kwargs, response.text)
        detail = response.json()["detail"]
        assert named in detail and "Traceback" not in response.text, detail


def test_a_body_over_the_size_limit_is_refused_before_parsing(client: TestClient) -> None:
    huge = b'{"leads": [' + b",".join([b'{"lead_id": "' + b"x" * 1000 + b'"}'] * 1200) + b"]}"
    response = client.post("/v1/score/batch", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "Traceback" not in response.text


def parquet(frame: pd.DataFrame) -> bytes:
    """Typed as the model signature wants (MLflow enforces it on Parquet): numbers as float, the rest as text."""
    numeric = ["page_views", "pricing_page_views", "email_opens"]
    typed = frame.astype(str).assign(**{c: pd.to_numeric(frame[c]).astype(float) for c in numeric})
    buffer = io.BytesIO()
    typed.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_invocations_speaks_every_mlflow_format(client: TestClient) -> None:
    records = [LEAD, {**LEAD, "lead_id": "L-2", "page_views": 0}]
    frame = pd.DataFrame(records)
    split = frame.to_dict(orient="split", index=False)
    bodies = [
        {"json": {"dataframe_records": records}},
        {"json": {"dataframe_split": split}},
        {"json": {"instances": records}},
        {"json": {"inputs": records}},
        {"content": frame.to_csv(index=False).encode(), "headers": {"content-type": "text/csv"}},
        {"content": parquet(frame), "headers": {"content-type": "application/vnd.apache.parquet"}},
    ]
    answers = []
    for kwargs in bodies:
        response = client.post("/invocations", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 200, (kwargs, response.text)
        answers.append(response.json()["predictions"])
    assert [p["lead_id"] for p in answers[0]] == ["L-1", "L-2"]
    assert set(answers[0][0]) == {"lead_id", "probability", "score", "grade"}
    for other in answers[1:4]:
        assert other == answers[0]
    assert [p["probability"] for p in answers[5]] == [p["probability"] for p in answers[0]]
    one = client.post("/v1/score", json=LEAD).json()
    assert answers[0][0]["probability"] == one["probability"]


def test_invocations_bad_input_answers_like_mlflow_without_a_trace(client: TestClient) -> None:
    for kwargs, status in [
        ({"json": {"records": []}}, 400),
        ({"content": b"{oops", "headers": {"content-type": "application/json"}}, 400),
        ({"json": {"dataframe_records": [{"page_views": "lots"}]}}, 400),
        ({"content": b"a,b", "headers": {"content-type": "text/plain"}}, 415),
    ]:
        response = client.post("/invocations", **kwargs)  # type: ignore[arg-type]
        assert response.status_code == status, response.text
        assert "stack_trace" not in response.text and "Traceback" not in response.text


def test_mlflow_health_and_version(client: TestClient) -> None:
    import mlflow

    assert client.get("/ping").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/version").text == mlflow.__version__


def test_model_info_health_and_readiness(client: TestClient) -> None:
    info = client.get("/v1/model").json()
    assert (info["name"], info["version"], info["alias"]) == ("serving-leads", "1", "champion")
    assert info["run_id"] and info["last_error"] is None
    assert 0.5 < info["holdout_metrics"]["roc_auc"] <= 1.0
    assert info["grade_score_cuts"] == {"A": 90.0, "B": 70.0, "C": 40.0}
    assert list(info["grade_probability_cuts"]) == ["A", "B", "C"]
    assert {"name": "country", "kind": "categorical", "group": "fit"} in info["features"]
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model_version"] == "1"


def test_metrics_count_routes_scores_and_the_model(client: TestClient) -> None:
    client.post("/v1/score", json=LEAD)
    client.post("/v1/score", json={"page_views": "lots"})
    text = client.get("/metrics").text
    assert 'leadscore_http_requests_total{method="POST",route="/v1/score",status="200"}' in text
    assert 'leadscore_http_requests_total{method="POST",route="/v1/score",status="422"}' in text
    assert 'leadscore_http_request_duration_seconds_bucket{le="0.005",route="/v1/score"}' in text
    assert "leadscore_score_count" in text and "leadscore_leads_scored_total{grade=" in text
    assert 'leadscore_model_info{name="serving-leads",version="1"} 1.0' in text


def test_openapi_lists_the_lead_fields_of_the_served_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    lead = spec["components"]["schemas"]["Lead"]
    info = client.get("/v1/model").json()
    assert list(lead["properties"]) == ["lead_id", *[f["name"] for f in info["features"]]]
    types = {p: {t.get("type") for t in s["anyOf"]} for p, s in lead["properties"].items()}
    assert "number" in types["page_views"] and "boolean" in types["requested_demo"]
    assert "numeric feature (engagement)" in lead["properties"]["page_views"]["description"]
    assert "categorical feature (fit)" in lead["properties"]["country"]["description"]
    body = spec["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Lead"}
    assert spec["components"]["schemas"]["LeadBatch"]["properties"]["leads"]["maxItems"] == 500
    assert client.get("/docs").status_code == 200
