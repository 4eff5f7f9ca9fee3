"""The alignment dashboard page in a real headless Chromium against a real `leadscore serve` process with keys on."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from e2e_server import OWNERS, Server, seed
from lead_store_fixtures import empty
from playwright.sync_api import Page, expect
from sqlalchemy import update

from serving.settings import Settings
from serving.store import LeadStore, OutcomeIn, record_outcome
from serving.store.clock import utcnow
from serving.store.tables import Lead

# kept after the run: look at them as a marketing manager would
SHOTS = Path("/tmp/leadscore-dashboard-shots")
LEADS, WEEKS = 360, 8


def _fill(server: Server, e2e_data: Any) -> None:
    """LEADS leads over the past WEEKS weeks, each with an owner; those older than a week mostly have a first contact
    some hours after arriving (accepted, then won or lost; or rejected with a reason), the rest are still new."""
    from features.tables import load_table

    table = load_table(e2e_data.leads).drop(columns=["converted", "lead_status"])
    picked = table.sample(n=LEADS, random_state=5).astype(object)
    leads = picked.where(picked.notna(), None).to_dict("records")
    for i, lead in enumerate(leads):
        lead["owner"] = OWNERS[i % len(OWNERS)]
    store = LeadStore(server.database_url)
    rng = np.random.default_rng(9)
    now = utcnow()
    reasons = Settings().rejection_reasons
    try:
        empty(store)
        sent = httpx.post(server.url("/v1/leads"), json={"leads": leads}, headers=server.headers, timeout=60)
        assert sent.status_code == 200, sent.text
        arrived = {}
        with store.transaction() as session:
            for lead in sent.json()["leads"]:
                arrived[lead["lead_id"]] = now - timedelta(days=float(rng.uniform(0, 7 * WEEKS)))
                session.execute(
                    update(Lead)
                    .where(Lead.lead_id == lead["lead_id"])
                    .values(created_at=arrived[lead["lead_id"]])
                )
        for lead in sent.json()["leads"]:
            at = arrived[lead["lead_id"]]
            if now - at < timedelta(days=7) or rng.random() < 0.15:
                continue  # still new
            at += timedelta(hours=float(rng.exponential(8)))
            lead_id = lead["lead_id"]
            if rng.random() < 0.3:
                rejected = OutcomeIn("rejected", reasons[int(rng.integers(len(reasons)))])
                record_outcome(store, lead_id, rejected, reasons=reasons, now=at)
                continue
            record_outcome(store, lead_id, OutcomeIn("accepted"), reasons=reasons, now=at)
            final = "won" if rng.random() < lead["probability"] * 1.5 else "lost"
            record_outcome(store, lead_id, OutcomeIn(final), reasons=reasons, now=at + timedelta(days=3))
    finally:
        store.close()


def dashboard_json(server: Server, key: str, **filters: str) -> dict[str, Any]:
    answer = httpx.get(
        server.url("/v1/dashboard"), params=filters, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def marketing(guarded_server: Server, keys: tuple[Path, dict[str, str]], e2e_data: Any) -> str:
    """The guarded server's store filled with weeks of leads and outcomes; the marketing key."""
    _fill(guarded_server, e2e_data)
    return keys[1]["marketing"]


def open_dashboard(page: Page, server: Server, key: str, path: str = "/dashboard") -> None:
    page.goto(server.url(path))
    expect(page.locator("#key-panel")).to_be_visible()
    page.get_by_label("Marketing API key").fill(key)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#summary")).to_be_visible(timeout=60_000)


def test_the_dashboard_draws_every_table_as_a_chart_with_its_numbers(
    page: Page, guarded_server: Server, marketing: str
) -> None:
    dash = dashboard_json(guarded_server, marketing)
    tables = dash["tables"]
    assert dash["notes"] == [] and all(tables.values()), "every table has rows"
    page.set_viewport_size({"width": 1366, "height": 768})
    open_dashboard(page, guarded_server, marketing)
    expect(page.locator("#summary-text")).to_contain_text(
        f"{LEADS} leads from {len(tables['sources'])} sources"
    )
    quality = page.locator("#quality-charts figure")
    expect(quality).to_have_count(3)
    # volume against quality: two bars per source, in the API's order (most expected conversions first)
    expect(quality.first.locator("rect.bar")).to_have_count(2 * len(tables["sources"]))
    rows = quality.first.locator("details.numbers tbody th").all_text_contents()
    assert rows == [s["source"] for s in tables["sources"]]
    mix = sum(1 for s in tables["sources"] for g in "ABCD" if s[f"grade_{g}"])
    expect(quality.nth(1).locator("rect.bar")).to_have_count(mix)
    expect(page.locator("#trend-charts figure")).to_have_count(2)
    weeks = sorted({w["week"] for w in tables["trend"]})
    expect(page.locator("#trend-charts figure").first.locator("details.numbers tbody tr")).to_have_count(
        len(weeks)
    )
    expect(page.locator("#service-charts figure")).to_have_count(4)
    judged = [g for g in tables["service_grades"] if g["met_rate"] is not None]
    expect(page.locator("#service-charts figure").first.locator("rect.bar")).to_have_count(len(judged))
    expect(page.locator("#service-hint")).to_contain_text("A: 1 h")
    expect(page.locator("#funnel-charts figure")).to_have_count(2)
    funnel = page.locator("#funnel-charts figure").first.locator("details.numbers tbody tr")
    expect(funnel).to_have_count(len(tables["funnel"]))
    total = funnel.first.locator("td").last
    expect(total).to_have_text(str(tables["funnel"][0]["leads"]))
    expect(page.locator(".empty")).to_have_count(0)
    expect(page.locator("a[href=monitor]")).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-1366.png"), full_page=True)
    page.screenshot(path=str(SHOTS / "dashboard-1366-top.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"


def test_the_filters_change_the_numbers_and_the_address(
    page: Page, guarded_server: Server, marketing: str
) -> None:
    everything = dashboard_json(guarded_server, marketing)["tables"]["sources"]
    source = everything[-1]["source"]
    only = dashboard_json(guarded_server, marketing, source=source, owner=OWNERS[0])["tables"]["sources"]
    assert only[0]["leads"] < everything[-1]["leads"]
    open_dashboard(page, guarded_server, marketing)
    expect(page.locator("#known-sources option")).to_have_count(len(everything))
    page.fill("#f-source", source)
    page.fill("#f-owner", OWNERS[0])
    page.click("#filters button[type=submit]")
    expect(page.locator("#summary-text")).to_contain_text(f"{only[0]['leads']} leads (source {source}, owner")
    expect(page.locator("#quality-charts figure").first.locator("rect.bar")).to_have_count(2)
    assert f"owner={OWNERS[0]}" in page.url
    page.reload()  # the address keeps the filters
    expect(page.locator("#summary-text")).to_contain_text(f"{only[0]['leads']} leads (source {source}")
    page.click("#filters button[type=reset]")
    expect(page.locator("#summary-text")).to_contain_text(f"{LEADS} leads from")


def test_a_reversed_date_range_is_refused_naming_the_parameter(
    page: Page, guarded_server: Server, marketing: str
) -> None:
    open_dashboard(page, guarded_server, marketing)
    page.fill("#f-since", "2026-03-10")
    page.fill("#f-until", "2026-03-01")
    page.click("#filters button[type=submit]")
    expect(page.locator("#error")).to_contain_text("422 query.until")
    expect(page.locator("#error")).to_contain_text("after since")


@pytest.mark.parametrize("table", ["funnel", "service_owners"])
def test_a_csv_download_is_the_api_table(
    page: Page, guarded_server: Server, marketing: str, table: str
) -> None:
    open_dashboard(page, guarded_server, marketing, f"/dashboard?owner={OWNERS[1]}")
    with page.expect_download() as started:
        page.click(f"button[data-table={table}]")
    download = started.value
    assert download.suggested_filename == f"leadscore-{table}.csv"
    with open(download.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    expected = dashboard_json(guarded_server, marketing, owner=OWNERS[1])["tables"][table]
    assert len(rows) == len(expected) > 0
    for got, want in zip(rows, expected, strict=True):
        assert list(got) == list(want)
        for column, value in want.items():
            if value is None:
                assert got[column] == ""
            elif isinstance(value, (int, float)):
                assert float(got[column]) == pytest.approx(value, rel=1e-12), column
            else:
                assert got[column] == value


def test_a_sales_key_is_told_the_dashboard_needs_marketing(
    page: Page, guarded_server: Server, keys: tuple[Path, dict[str, str]], marketing: str
) -> None:
    page.goto(guarded_server.url("/dashboard"))
    expect(page.locator("#key-why")).to_contain_text("role marketing")
    page.fill("#api-key", keys[1]["sales"])
    page.click("#key-form button[type=submit]")
    expect(page.locator("#key-why")).to_contain_text("may not read the dashboard")
    expect(page.locator("#key-why")).to_contain_text("needs role marketing")
    expect(page.locator("#error")).to_contain_text("marketing key")
    expect(page.locator("#summary")).to_be_hidden()
    page.fill("#api-key", keys[1]["admin"])  # admin may read it too
    page.click("#key-form button[type=submit]")
    expect(page.locator("#summary")).to_be_visible()


def test_a_marketing_key_reads_the_dashboard_but_may_not_work_the_queue(
    page: Page, guarded_server: Server, marketing: str
) -> None:
    page.goto(guarded_server.url("/queue"))
    page.fill("#api-key", marketing)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#key-why")).to_contain_text("may not work the queue")
    expect(page.locator("#key-why")).to_contain_text("needs role sales")
    expect(page.locator("#queue tbody tr")).to_have_count(
        0
    )  # no lead listed, so no Accept or Reject to press
    answer = httpx.post(
        guarded_server.url("/v1/leads/L0000001/outcome"),
        json={"outcome": "accepted"},
        headers={"Authorization": f"Bearer {marketing}"},
        timeout=10,
    )
    assert answer.status_code == 403 and "needs role sales" in answer.json()["detail"]


def test_a_store_without_outcomes_or_leads_explains_itself(
    page: Page, open_server: Server, e2e_leads: list[dict[str, Any]]
) -> None:
    seed(open_server, e2e_leads, empty)  # leads, no outcome yet
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(open_server.url("/dashboard"))
    expect(page.locator("#notes")).to_contain_text("No sales outcomes recorded yet")
    expect(page.locator("#quality-charts figure")).to_have_count(3)  # volume and grade mix are there already
    expect(page.locator("#funnel-charts .empty")).to_have_count(2)
    expect(page.locator("#funnel-charts")).to_contain_text("appears as sales accepts")
    expect(page.locator("#key-panel")).to_be_hidden()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-no-outcomes.png"), full_page=True)
    store = LeadStore(open_server.database_url)
    try:
        empty(store)
    finally:
        store.close()
    page.click("#filters button[type=submit]")
    expect(page.locator("#notes")).to_contain_text("No leads arrived")
    expect(page.locator("#quality")).to_be_hidden()
    expect(page.locator("#funnel")).to_be_hidden()
    page.screenshot(path=str(SHOTS / "dashboard-empty.png"), full_page=True)
