"""/docs and /redoc in a real headless Chromium against a real `leadscore serve`, with no way out to the internet.

The browser reaches the service under a name that is not loopback (Chromium maps it to 127.0.0.1), as a user on
the network does: there, unlike on localhost, a plain-http page is not a secure context, and browsers hold some
features back. Every request to any other host is aborted and recorded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from e2e_server import Server
from playwright.sync_api import Browser, Page, Playwright, Route, expect

CHROMIUM = Path(os.environ.get("LEADSCORE_TEST_CHROMIUM", "/usr/bin/chromium"))
HOST = "leadscore.test"  # a reserved name (RFC 2606): resolved by Chromium's own rule only
SHOTS = {"/docs": Path("/tmp/docs_page.png"), "/redoc": Path("/tmp/redoc_page.png")}
# every operation in the schema the page loaded (Swagger UI shows one block each)
OPERATIONS = (
    "fetch('/openapi.json').then(r => r.json())"
    ".then(s => Object.values(s.paths).flatMap(p => Object.keys(p)))"
)
# a browser reports a refused load as a securitypolicyviolation event; record them where the test can read them
WATCH = (
    "window.__violations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));"
)


@pytest.fixture(scope="module")
def named_browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless chromium, resolving HOST to loopback and nothing else differently."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no browser at {CHROMIUM}: run `make install` or set LEADSCORE_TEST_CHROMIUM", pytrace=False
        )
    launched = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
    )
    yield launched
    launched.close()


@pytest.fixture
def offline(named_browser: Browser, guarded_server: Server) -> Iterator[tuple[Page, str, list[str]]]:
    """A page on the service with API keys on, as it must be anywhere beyond loopback (the docs stay open): the
    service's address under HOST, and the outside requests tried; any console error, script error or refused
    load (CSP) fails the test."""
    base = f"http://{HOST}:{urlsplit(guarded_server.base).port}"
    context = named_browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    outside: list[str] = []

    def only_the_service(route: Route) -> None:
        url = route.request.url
        if url.startswith(f"{base}/") or url.startswith("blob:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_service)
    context.add_init_script(WATCH)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield tab, base, outside
    violations = tab.evaluate("window.__violations")
    context.close()
    assert not violations, f"the page's policy refused: {violations}"
    assert not errors, f"the page raised: {errors}"


def open_docs(page: Page, base: str, path: str) -> None:
    answer = page.goto(f"{base}{path}")
    assert answer is not None and answer.status == 200
    assert page.evaluate("isSecureContext") is False  # as for a user on the network
    assert answer.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self';")


def test_swagger_ui_lists_and_expands_the_operations_offline(offline: tuple[Page, str, list[str]]) -> None:
    page, base, outside = offline
    open_docs(page, base, "/docs")
    operation = page.locator(
        ".opblock-post", has=page.locator(".opblock-summary-path[data-path='/v1/score']")
    )
    expect(operation).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(len(page.evaluate(OPERATIONS)))
    # keys are on, so the live schema declares them and Swagger UI offers to take one
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.screenshot(path=SHOTS["/docs"])
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()  # the form's icons are data: images
    expect(operation.locator(".body-param textarea")).to_be_visible()
    assert outside == []


def test_redoc_renders_the_reference_and_searches_offline(offline: tuple[Page, str, list[str]]) -> None:
    page, base, outside = offline
    open_docs(page, base, "/redoc")
    for title in ("Score One", "Score Batch"):  # a heading's name starts with its anchor link's
        expect(page.get_by_role("heading", level=2, name=re.compile(f" {title}$"))).to_be_visible()
    page.get_by_placeholder("Search...").fill("batch")  # the search index runs in a blob: worker
    expect(page.locator("[data-role='search:results'] li", has_text="Score Batch").first).to_be_visible()
    page.get_by_placeholder("Search...").fill("")
    page.screenshot(path=SHOTS["/redoc"])
    assert outside == []
