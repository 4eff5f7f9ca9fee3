"""Hostile input: every case is a 4xx whose detail names the field or the limit, never a 500 or a trace."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import Settings

LEAD = {"lead_id": "L-1", "page_views": 4, "requested_demo": "yes", "industry": "Software"}
LIMIT = 1_000_000  # the `client` fixture's LEADSCORE_MAX_BODY_BYTES; its batch limit is 500
NESTED = "[" * 100_000 + "]" * 100_000


def clean(response) -> str:  # type: ignore[no-untyped-def]
    """The body, after checking it gives nothing of the server away."""
    text = response.text
    for leak in ("Traceback", "/work/", "site-packages", 'File "'):
        assert leak not in text, (leak, text[:300])
    assert not re.search(r"[\w/]\.py\b(?!func)", text), text[:300]
    return text


def raw(client: TestClient, path: str, body: str) -> tuple[int, str]:
    response = client.post(path, content=body.encode(), headers={"content-type": "application/json"})
    text = clean(response)
    return response.status_code, response.json()["detail"] if response.status_code != 200 else text


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        ('{"page_views": NaN}', 422, "page_views: NaN and Infinity are not accepted"),
        ('{"page_views": Infinity}', 422, "page_views: NaN and Infinity"),
        ('{"email_opens": -Infinity}', 422, "email_opens: NaN and Infinity"),
        ('{"page_views": 1e400}', 422, "page_views: NaN and Infinity"),
        ('{"industry": NaN}', 422, "industry: NaN and Infinity"),
        ('{"lead_id": Infinity}', 422, "lead_id: NaN and Infinity"),
        ('{"requested_demo": NaN}', 422, "requested_demo"),
        ('{"page_views": "1e400"}', 422, "page_views"),
        ('{"page_views": "NaN"}', 422, "page_views"),
        ('{"page_views": 1' + "0" * 400 + "}", 422, "page_views: NaN and Infinity"),
        ('{"page_views": "' + "9" * 201 + '"}', 422, "page_views: expected a number"),
        ('{"page_views": [1, 2]}', 422, "page_views: expected a number"),
        ('{"industry": {"name": "x"}}', 422, "industry: expected text or a number"),
        ('{"industry": ' + NESTED[:2000] + "}", 400, "recursion limit"),
        (NESTED, 400, "recursion limit"),
        ('{"industry": "' + "x" * 1001 + '"}', 422, "industry: text longer than 1,000 characters"),
        ('{"lead_id": "' + "7" * 1001 + '"}', 422, "lead_id: text longer than 1,000"),
        ('{"page_views": "' + "9" * 1001 + '"}', 422, "page_views: text longer than 1,000"),
        ('{"industry": "\\ud800"}', 400, "not valid JSON"),
        ('{"page_views": 4', 400, "not valid JSON"),
        ("", 400, "not valid JSON"),
    ],
)
def test_hostile_lead_fields(client: TestClient, body: str, status: int, named: str) -> None:
    got, detail = raw(client, "/v1/score", body)
    assert (got, named in detail) == (status, True), detail


def test_extreme_but_valid_values_are_scored(client: TestClient) -> None:
    for body in (
        '{"industry": "' + "x" * 1000 + '", "lead_id": "' + "7" * 1000 + '"}',
        '{"lead_id": ' + "7" * 4000 + ', "industry": ' + "1" * 30 + "}",
        '{"page_views": "' + "9" * 200 + 'e99", "email_opens": 1e308, "industry": -1e308}',
        '{"page_views": "1e-300", "requested_demo": 0}',
    ):
        got, text = raw(client, "/v1/score", body)
        assert got == 200, text


def test_unknown_fields_are_ignored_on_a_lead_and_refused_around_a_batch(client: TestClient) -> None:
    scored = client.post("/v1/score", json={**LEAD, "favourite_colour": "teal", "nested": {"a": [1]}})
    assert scored.status_code == 200 and scored.json() == client.post("/v1/score", json=LEAD).json()
    got, detail = raw(client, "/v1/score/batch", '{"leads": [{}], "priority": "high"}')
    assert got == 422 and detail.startswith("priority: Extra inputs are not permitted"), detail


def test_the_batch_limit_is_stated(client: TestClient) -> None:
    got, detail = raw(client, "/v1/score/batch", '{"leads": [' + ",".join(["{}"] * 501) + "]}")
    assert got == 422 and detail.startswith("leads:") and "500" in detail, detail
    got, _ = raw(client, "/v1/score/batch", '{"leads": [' + ",".join(["{}"] * 500) + "]}")
    assert got == 200


def test_a_body_over_the_limit_is_413_stating_it(client: TestClient) -> None:
    body = b'{"leads": [' + b",".join([b'{"industry": "' + b"x" * 900 + b'"}'] * 1200) + b"]}"
    for path in ("/v1/score/batch", "/v1/score", "/invocations"):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 413, (path, response.text[:200])
        assert "1,000,000 bytes" in response.json()["detail"] and "LEADSCORE_MAX_BODY_BYTES" in clean(
            response
        )


def test_a_streamed_body_without_length_is_cut_at_the_limit(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"leads": ['
        for _ in range(LIMIT // 1000 + 10):
            yield b'{"industry": "' + b"x" * 980 + b'"},'
        yield b"{}]}"

    response = client.post("/v1/score/batch", content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413 and "1,000,000 bytes" in clean(response)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"dataframe_records": [{"page_views": NaN}]}', "application/json", 200),
        ('{"dataframe_records": [{"page_views": "lots"}]}', "application/json", 400),
        ('{"dataframe_records": ' + NESTED + "}", "application/json", 400),
        ('{"instances": [[[[1]]]]}', "application/json", 400),
        ('{"unknown_format": []}', "application/json", 400),
        ("PAR1garbage", "application/vnd.apache.parquet", 400),
        ('{"dataframe_records": [{}]}', "text/plain", 415),
    ],
)
def test_invocations_answers_hostile_input_as_mlflow_does(
    client: TestClient, body: str, content_type: str, status: int
) -> None:
    """MLflow's protocol keeps MLflow's answers (NaN is a missing value there); only never a 500 or a trace."""
    response = client.post("/invocations", content=body.encode(), headers={"content-type": content_type})
    assert response.status_code == status, response.text[:300]
    clean(response)


def test_an_unforeseen_error_is_a_bare_500_and_the_trace_goes_to_the_log(  # type: ignore[no-untyped-def]
    trained, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from serving.routes import score

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret at /srv/leadscore/config.py line 3")

    monkeypatch.setattr(score, "score_leads", broken)
    settings = Settings(model_uri="models:/serving-leads@champion", watch_seconds=0)
    with (
        TestClient(create_app(settings), raise_server_exceptions=False) as client,
        caplog.at_level(logging.ERROR),
    ):
        response = client.post("/v1/score", json=LEAD)
    assert response.status_code == 500
    detail = response.json()["detail"]
    assert (
        detail.startswith("internal error ") and "secret" not in response.text and "srv" not in response.text
    )
    incident = detail.split()[2].rstrip(":")
    logged = [r for r in caplog.records if incident in r.getMessage()]
    assert logged and logged[0].exc_info and "secret at /srv" in str(logged[0].exc_info[1])
