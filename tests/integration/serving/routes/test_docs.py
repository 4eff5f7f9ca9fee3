"""/docs and /redoc through the real app: every URL the pages load is the service's own, and each is served."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

ORIGIN = "http://testserver"
# what each kind of reference must come back as
TYPES = {
    "script": "text/javascript",
    "stylesheet": "text/css",
    "icon": "image/png",
    "spec": "application/json",  # ReDoc's spec-url
    "a": "application/json",  # the <noscript> link to the schema
}
KINDS = {
    "/docs": {"script", "stylesheet", "icon", "a"},
    "/redoc": {"script", "stylesheet", "icon", "spec", "a"},
}


class References(HTMLParser):
    """The URLs a page refers to, by kind: scripts, style sheets, icons, ReDoc's spec-url, links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for attribute in ("src", "href", "spec-url"):
            if attribute in values:
                kind = values.get("rel") or {"spec-url": "spec"}.get(attribute, tag)
                self.found.append((kind, values[attribute]))


def references(html: str) -> list[tuple[str, str]]:
    parser = References()
    parser.feed(html)
    return parser.found


def sources(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as directive -> sources."""
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_a_docs_page_loads_only_from_the_service_and_every_file_is_served(
    client: TestClient, page: str
) -> None:
    answer = client.get(page)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//", answer.text), "the page names no other origin"
    found = references(answer.text)
    assert {kind for kind, _ in found} == KINDS[page]
    for kind, reference in found:
        url = urljoin(f"{ORIGIN}{page}", reference)
        assert urlsplit(url).netloc == "testserver", (page, reference)
        served = client.get(url)
        assert served.status_code == 200, (url, served.text[:200])
        assert served.headers["content-type"].startswith(TYPES[kind]), (url, served.headers["content-type"])
        if kind in ("script", "stylesheet", "icon"):
            assert served.headers["content-security-policy"].startswith("default-src 'none'"), url
            assert served.headers["x-content-type-options"] == "nosniff", url
        else:
            assert served.json() == client.get("/openapi.json").json()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_a_docs_page_allows_only_its_own_origin(client: TestClient, page: str) -> None:
    policy = sources(client.get(page).headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    allowed = {"'self'", "'none'", "data:", "blob:"}
    for directive, values in policy.items():
        for value in values:
            assert value in allowed or re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", value), (directive, value)


def test_swagger_ui_is_set_up_from_a_file(client: TestClient) -> None:
    assert "<script>" not in client.get("/docs").text  # no inline script: script-src 'self' is enough
    assert '"openapi.json"' in client.get("/docs/assets/swagger-init.js").text


def test_redoc_is_served_without_its_outside_logo(client: TestClient) -> None:
    bundle = client.get("/docs/assets/redoc.standalone.js")
    assert bundle.status_code == 200 and len(bundle.content) > 500_000
    assert b"cdn.redoc.ly" not in bundle.content


def test_an_asset_is_revalidated_not_sent_again(client: TestClient) -> None:
    first = client.get("/docs/assets/swagger-ui-bundle.js")
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"]
    again = client.get("/docs/assets/swagger-ui-bundle.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    stale = client.get("/docs/assets/swagger-ui-bundle.js", headers={"If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.content == first.content


@pytest.mark.parametrize("name", ["core.py", "swagger-ui-bundle.js.map", "queue.js", "docs.html"])
def test_nothing_else_of_either_package_is_served(client: TestClient, name: str) -> None:
    answer = client.get(f"/docs/assets/{name}")
    assert answer.status_code == 404
    assert "swagger-ui-bundle.js" in answer.json()["detail"]


def test_the_schema_stays_where_it_was_and_fastapis_oauth2_page_is_gone(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["paths"]["/v1/score"]
    assert client.get("/docs/oauth2-redirect").status_code == 404  # keys, not OAuth2: nothing to redirect for
