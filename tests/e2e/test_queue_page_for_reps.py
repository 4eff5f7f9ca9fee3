"""The queue page as a rep works from it, in a real headless Chromium against a real `leadscore serve`: who each lead
is and how to reach them (safely), reasons in words, ties on the score ordered by probability, the first-contact state
of every lead at a glance; screenshots at a laptop's and a phone's width in /tmp/leadscore-queue-shots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from e2e_server import HOSTILE, LEADS, Server, row, rows
from playwright.sync_api import Page, expect
from sqlalchemy import update

from serving.store import LeadStore
from serving.store.tables import Lead

SHOTS = Path("/tmp/leadscore-queue-shots")


def open_queue(page: Page, server: Server) -> None:
    page.goto(server.url("/queue"))
    expect(rows(page)).to_have_count(LEADS)


def change(server: Server, lead_ids: list[str], **values: Any) -> None:
    """Set stored columns of some leads directly (a tie, a grade) as a store full of leads would have them."""
    store = LeadStore(server.database_url)
    try:
        with store.transaction() as session:
            session.execute(update(Lead).where(Lead.lead_id.in_(lead_ids)).values(**values))
    finally:
        store.close()


def test_each_row_says_who_the_lead_is_and_links_to_reach_them(
    page: Page, open_server: Server, late_lead: str, e2e_leads: list[dict[str, Any]]
) -> None:
    open_queue(page, open_server)
    lead = e2e_leads[0]
    cell = row(page, lead["lead_id"]).locator("th")
    expect(cell.locator(".display li").first).to_have_text(lead["name"])
    expect(cell).to_contain_text(lead["company"])
    expect(cell.get_by_role("link", name=lead["email"])).to_have_attribute("href", f"mailto:{lead['email']}")
    phone = re.sub(r"[^\d+]", "", lead["phone"])
    expect(cell.get_by_role("link", name=lead["phone"])).to_have_attribute("href", f"tel:{phone}")
    crm = cell.get_by_role("link", name="crm url")
    expect(crm).to_have_attribute("href", lead["crm_url"])
    expect(crm).to_have_attribute("rel", "noopener noreferrer")


def test_hostile_contact_fields_show_as_text_and_run_nothing(
    page: Page, open_server: Server, late_lead: str, e2e_leads: list[dict[str, Any]]
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_queue(page, open_server)
    hostile = e2e_leads[HOSTILE]
    cell = row(page, hostile["lead_id"]).locator("th")
    for field in ("name", "company", "email", "phone", "crm_url"):
        expect(cell.locator(f'.display li[data-field="{field}"]')).to_have_text(hostile[field])
    cell.locator(".display li").first.hover()
    assert cell.locator("a, img, script").count() == 0  # none of it became a link or markup
    assert page.locator('#queue a[href^="javascript:"]').count() == 0
    assert page.evaluate("window.injected") is None and dialogs == []


def test_reasons_read_as_words(page: Page, open_server: Server, late_lead: str) -> None:
    open_queue(page, open_server)
    for item in open_server.queue()[:5]:
        reasons = row(page, item["lead_id"]).locator(".reasons li")
        shown = [text.strip() for text in reasons.all_inner_texts()]
        expected = [r["label"] for r in item["reasons"]["positive"][:2] + item["reasons"]["negative"][:2]]
        assert len(shown) == len(expected) and all(
            s.endswith(e) for s, e in zip(shown, expected, strict=True)
        )
        assert all("_" not in text and " = " not in text for text in shown), shown


def test_a_tie_on_the_score_is_ordered_by_probability_shown_with_enough_digits(
    page: Page, open_server: Server, late_lead: str
) -> None:
    listed = open_server.queue()
    tied = [item["lead_id"] for item in listed[3:7]]
    change(open_server, tied, score=listed[0]["score"] + 1 if listed[0]["score"] < 100 else 100)
    order = [item["lead_id"] for item in open_server.queue()]
    by_probability = sorted(
        tied, key=lambda lead: -next(i for i in listed if i["lead_id"] == lead)["probability"]
    )
    assert order[: len(tied)] == by_probability  # the API's order
    open_queue(page, open_server)
    assert rows(page).locator("th .lead-id").all_text_contents() == order
    shown = [row(page, lead).locator("td.probability").inner_text() for lead in by_probability]
    assert len(set(shown)) == len(shown) and all(re.fullmatch(r"\d+\.\d\d%", s) for s in shown), shown
    assert [float(s[:-1]) for s in shown] == sorted((float(s[:-1]) for s in shown), reverse=True)
    for lead in tied:
        expect(row(page, lead)).to_have_class(re.compile(r"\btied\b"))
    expect(page.locator("#queue tbody tr.tied")).to_have_count(len(tied))
    expect(page.locator("#summary")).to_contain_text("ties by probability")


def test_every_first_contact_state_has_its_own_word_and_colour(
    page: Page, open_server: Server, late_lead: str
) -> None:
    listed = [item["lead_id"] for item in open_server.queue() if item["lead_id"] != late_lead]
    nurture, accepted = listed[-1], listed[0]
    change(open_server, [nurture], grade="D")
    open_queue(page, open_server)
    row(page, accepted).get_by_role("button", name=f"Accept lead {accepted}").click()
    expect(row(page, accepted).locator("td.status")).to_have_text("accepted")
    states = {"overdue": late_lead, "met": accepted, "nurture": nurture}
    due = page.locator('#queue tbody tr[data-sla-state="due"]').first.get_attribute("data-lead-id")
    states["due"] = due or ""
    colours = {}
    for state, lead in states.items():
        badge = row(page, lead).locator(".sla-state")
        expect(badge).to_have_text(state.capitalize())
        colours[state] = badge.evaluate("e => getComputedStyle(e).backgroundColor")
    assert len(set(colours.values())) == 4, colours
    expect(row(page, nurture).locator(".countdown")).to_have_text("no deadline")
    expect(page.locator("#queue tbody .sla-overdue")).to_have_count(1)


@pytest.mark.parametrize(("name", "width", "height"), [("laptop", 1366, 768), ("phone", 390, 844)])
def test_screenshots_at_a_laptop_and_a_phone_width(
    page: Page, open_server: Server, late_lead: str, name: str, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    open_queue(page, open_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"queue-{name}.png"))
    page.screenshot(path=str(SHOTS / f"queue-{name}-full.png"), full_page=True)
    # nothing wider than the screen: the table fits (a phone shows each lead as a card)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    first = rows(page).first
    expect(first.locator(".sla-state")).to_be_visible()
    expect(first.get_by_role("button", name=re.compile("^Accept lead"))).to_be_visible()
