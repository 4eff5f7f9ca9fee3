"""The queue page's lead detail panel in a real headless Chromium against a real `leadscore serve`: a lead re-sent
with more engagement shows its payload, both scorings as a line chart with the trend in words, and the reasons that
moved the change; screenshots in /tmp/leadscore-queue-shots/detail-*.png."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_server import LEADS, Server, seed
from playwright.sync_api import Page, expect
from sample_leads import ENGAGED

from serving.store import LeadStore

SHOTS = Path("/tmp/leadscore-queue-shots")


@pytest.fixture
def rescored(
    open_server: Server, e2e_leads: list[dict[str, Any]], empty_store: Callable[[LeadStore], None]
) -> dict[str, Any]:
    """The lowest-scored lead, re-sent with much more engagement: its GET /v1/leads/{id} answer."""
    seed(open_server, e2e_leads, empty_store)
    lead_id = open_server.queue()[-1]["lead_id"]
    lead = next(lead for lead in e2e_leads if lead["lead_id"] == lead_id)
    sent = httpx.post(
        open_server.url("/v1/leads"), json={**lead, **ENGAGED}, headers=open_server.headers, timeout=30
    )
    assert sent.status_code == 200, sent.text
    detail = httpx.get(open_server.url(f"/v1/leads/{lead_id}"), headers=open_server.headers, timeout=30)
    assert detail.status_code == 200, detail.text
    body: dict[str, Any] = detail.json()
    assert len(body["history"]) == 2 and body["history"][1]["moves"]
    return body


@pytest.mark.parametrize(("name", "width", "height"), [("laptop", 1366, 900), ("phone", 390, 844)])
def test_clicking_a_lead_opens_its_history_and_what_moved_it(
    page: Page, open_server: Server, rescored: dict[str, Any], name: str, width: int, height: int
) -> None:
    lead_id = rescored["lead_id"]
    page.set_viewport_size({"width": width, "height": height})
    page.goto(open_server.url("/queue"))
    expect(page.locator("#queue tbody tr")).to_have_count(LEADS)
    opener = page.get_by_role("button", name=f"Details of lead {lead_id}")
    expect(opener).to_have_text(lead_id)
    opener.click()

    dialog = page.locator("#detail-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#detail-title")).to_have_text(f"Lead {lead_id}")
    expect(dialog.locator("#detail-title")).to_be_focused()
    first, latest = (s["score"] for s in rescored["history"])
    chart = dialog.locator("figure.chart svg")
    expect(chart.locator("circle.dot")).to_have_count(2)
    expect(chart.locator("polyline.line")).to_have_count(1)
    expect(chart.locator("desc")).to_contain_text(f"Scores {first}, {latest}")
    trend = dialog.locator(".trend")
    expect(trend).to_contain_text(rescored["trend"].capitalize())
    expect(trend).to_contain_text(f"{first} → {latest}")
    change = dialog.locator(".changes > li")
    expect(change).to_have_count(1)
    sign = "+" if latest > first else ""
    expect(change.locator("strong")).to_have_text(f"Scoring 2: {latest} ({sign}{latest - first})")
    moves = rescored["history"][1]["moves"]
    expect(change.locator(".moves li")).to_have_count(len(moves))
    expect(change.locator(".moves li").first).to_contain_text(moves[0]["label"])
    payload = dialog.locator(".payload")
    expect(payload.locator("dt:text-is('page views') + dd")).to_have_text("60")  # the re-sent payload

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"detail-{name}.png"))
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()


def test_a_lead_gone_meanwhile_says_so(page: Page, open_server: Server, rescored: dict[str, Any]) -> None:
    page.goto(open_server.url("/queue"))
    expect(page.locator("#queue tbody tr")).to_have_count(LEADS)
    store = LeadStore(open_server.database_url)
    try:
        from sqlalchemy import delete

        from serving.store.tables import Lead

        with store.transaction() as session:
            session.execute(delete(Lead).where(Lead.lead_id == rescored["lead_id"]))
    finally:
        store.close()
    page.get_by_role("button", name=f"Details of lead {rescored['lead_id']}").click()
    expect(page.locator("#error")).to_contain_text(f"lead '{rescored['lead_id']}' not found")
    expect(page.locator("#detail-dialog")).to_be_hidden()
