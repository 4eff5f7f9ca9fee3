"""End-to-end: a real `leadscore serve` process on a free loopback port, real leads, a real headless Chromium.

The browser is Debian's chromium (`make install` installs it); Playwright drives it and never downloads one.
Chromium missing is a test error, never a skip.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_server import DISPLAY_FIELDS, LEADS, OWNERS, Server, contact, launch, seed, stop, wait_ready
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from serving.keys import FileKeyStore, Role
from serving.store import LeadStore

CHROMIUM = Path(os.environ.get("LEADSCORE_TEST_CHROMIUM", "/usr/bin/chromium"))
MODEL = "e2e-leads"


@pytest.fixture(scope="session")
def e2e_data(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A small synthetic lead table (the page tests are about the page, not model quality)."""
    from leadscore.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("e2e-data"), rows=1500, seed=11)


@pytest.fixture(scope="session")
def e2e_model(mlflow_home: Path, e2e_data) -> str:  # type: ignore[no-untyped-def]
    """The champion the servers load, trained by the real pipeline into the session's MLflow."""
    from training.config import TrainConfig
    from training.train import train

    config = TrainConfig.model_validate(
        {
            "data": e2e_data.leads,
            "schema_path": e2e_data.schema,
            "model_name": MODEL,
            "folds": 2,
            "max_trials": 1,  # each model family's defaults, no search: fast
            "progress": False,
        }
    )
    train(config)
    return f"models:/{MODEL}@champion"


@pytest.fixture(scope="session")
def e2e_leads(e2e_data) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Leads as marketing automation sends them (no label columns), each with a sales owner."""
    from features.tables import load_table

    table = load_table(e2e_data.leads).drop(columns=["converted", "lead_status"]).head(LEADS).astype(object)
    rows: list[dict[str, Any]] = table.where(table.notna(), None).to_dict("records")  # type: ignore[assignment]
    return [
        {**row, **contact(i, row["lead_id"]), "owner": OWNERS[i % len(OWNERS)]} for i, row in enumerate(rows)
    ]


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A keys file with one key per role; returns the file and the keys by role."""
    path = tmp_path_factory.mktemp("e2e-keys") / "keys.json"
    store = FileKeyStore(path)
    roles: tuple[Role, ...] = ("score", "sales", "admin", "marketing")
    return path, {role: store.create(role, f"e2e {role}")[1] for role in roles}


UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/leadscore"  # the discard port: nothing listens there


@pytest.fixture(scope="session")
def servers(
    e2e_model: str, keys: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Server]]:
    """Three services started side by side, once for every e2e file: API keys off (loopback only); API keys on
    (the test's own calls use the admin key; the docs pages are served by it); and one whose lead store is
    unreachable (scoring works, the store routes answer 503)."""
    path, by_role = keys
    admin = {"Authorization": f"Bearer {by_role['admin']}"}
    settings = {
        "open": ({"LEADSCORE_DISPLAY_FIELDS": json.dumps(DISPLAY_FIELDS)}, {}),
        "guarded": ({"LEADSCORE_KEYS_FILE": str(path)}, admin),
        "down": ({"LEADSCORE_DATABASE_URL": UNREACHABLE, "LEADSCORE_DATABASE_CONNECT_TIMEOUT": "2"}, {}),
    }
    started: dict[str, Server] = {}
    try:
        for name, (env, headers) in settings.items():
            started[name] = launch(tmp_path_factory.mktemp(f"e2e-{name}"), e2e_model, env, headers)
        wait_ready(list(started.values()))
        yield started
    finally:
        for server in started.values():
            stop(server)


@pytest.fixture(scope="session")
def open_server(servers: dict[str, Server]) -> Server:
    return servers["open"]


@pytest.fixture(scope="session")
def guarded_server(servers: dict[str, Server]) -> Server:
    return servers["guarded"]


@pytest.fixture(scope="session")
def down_server(servers: dict[str, Server]) -> Server:
    return servers["down"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless chromium; missing means the install step did not run, which fails the test."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no browser at {CHROMIUM}: run `make install` (it installs Debian's chromium) or set "
            "LEADSCORE_TEST_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own sessionStorage) and page; script and console errors fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # refused content (a CSP violation, a bad script) is a console error; HTTP errors the page handles are not
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield tab
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture
def late_lead(
    open_server: Server, e2e_leads: list[dict[str, Any]], empty_store: Callable[[LeadStore], None]
) -> str:
    """The open server's store holds exactly the seeded leads; returns the id of the one that is overdue."""
    return seed(open_server, e2e_leads, empty_store)
