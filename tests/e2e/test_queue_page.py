"""The sales queue page in a real headless Chromium against a real `leadscore serve` process."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from e2e_server import LEADS, Server, row, rows, seed
from playwright.sync_api import Page, expect

from serving.settings import Settings
from serving.store import LeadStore, outcome_events


def open_queue(page: Page, server: Server, query: str = "") -> None:
    page.goto(server.url(f"/queue{query}"))
    expect(rows(page).first).to_be_visible()


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["lead_id"] for item in items]


def test_page_lists_the_open_leads_by_score_with_grades_and_reasons(
    page: Page, open_server: Server, late_lead: str
) -> None:
    listed = open_server.queue()
    assert len(listed) == LEADS
    open_queue(page, open_server)
    expect(rows(page)).to_have_count(LEADS)
    assert rows(page).locator("th .lead-id").all_text_contents() == ids(listed)
    scores = [int(text) for text in rows(page).locator("td.score").all_text_contents()]
    assert scores == [item["score"] for item in listed] and scores == sorted(scores, reverse=True)
    grades = rows(page).locator(".grade").all_text_contents()
    assert grades == [item["grade"] for item in listed]
    colours = {
        grade: rows(page)
        .locator(f".grade-{grade}")
        .first.evaluate("e => getComputedStyle(e).backgroundColor")
        for grade in set(grades)
    }
    assert len(set(colours.values())) == len(colours), f"each grade has its own badge colour: {colours}"
    for item in listed[:3]:
        reasons = row(page, item["lead_id"]).locator(".reasons")
        expect(reasons.locator("li.up").first).to_contain_text(item["reasons"]["positive"][0]["label"])
        expect(reasons.locator("li.down").first).to_contain_text(item["reasons"]["negative"][0]["label"])
        expect(row(page, item["lead_id"]).locator("td.source")).to_have_text(item["source"])
        expect(row(page, item["lead_id"]).locator("td.owner")).to_have_text(item["owner"])
    expect(page.locator("#summary")).to_contain_text(f"{LEADS} open leads")


def test_the_page_loads_everything_from_the_service_itself(
    page: Page, open_server: Server, late_lead: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    answer = page.goto(open_server.url("/queue"))
    expect(rows(page)).to_have_count(LEADS)
    assert answer is not None and answer.headers["content-security-policy"].startswith("default-src 'none'")
    assert all(url.startswith(f"{open_server.base}/") for url in requested), requested
    paths = {urlparse(url).path for url in requested}
    assert {
        "/queue",
        "/assets/queue.js",
        "/assets/api.js",
        "/assets/rows.js",
        "/assets/base.css",
        "/assets/queue.css",
        "/v1/queue/options",
        "/v1/queue",
    } <= paths
    assert httpx.get(open_server.url("/assets/pages.py")).status_code == 404


def test_accepting_a_lead_shows_it_accepted_and_stores_the_outcome(
    page: Page, open_server: Server, late_lead: str
) -> None:
    lead = next(lead for lead in ids(open_server.queue()) if lead != late_lead)
    open_queue(page, open_server)
    row(page, lead).get_by_role("button", name=f"Accept lead {lead}").click()
    expect(row(page, lead).locator("td.status")).to_have_text("accepted")
    expect(row(page, lead).locator(".countdown")).to_have_text("contacted")
    expect(row(page, lead).get_by_role("button", name=f"Won lead {lead}")).to_be_visible()
    expect(page.locator("#status")).to_have_text(f"Lead {lead} accepted.")
    assert ids(open_server.queue(status="accepted")) == [lead]
    assert lead not in ids(open_server.queue(status="new"))


def test_rejecting_with_a_reason_takes_the_lead_out_of_the_open_queue(
    page: Page, open_server: Server, late_lead: str
) -> None:
    lead = ids(open_server.queue())[2]
    open_queue(page, open_server)
    reject = row(page, lead).get_by_role("button", name=f"Reject lead {lead}")
    dialog = page.get_by_role("dialog")
    reject.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # changing one's mind records nothing
    expect(dialog).to_be_hidden()
    reject.click()
    reasons = dialog.get_by_label("Reason").locator("option").all_text_contents()[1:]
    assert reasons == Settings().rejection_reasons
    dialog.get_by_label("Reason").select_option("no budget")
    dialog.get_by_label("Note (optional)").fill("budget frozen until Q3")
    dialog.get_by_role("button", name="Reject lead").click()
    expect(row(page, lead)).to_have_count(0)
    expect(rows(page)).to_have_count(LEADS - 1)
    expect(page.locator("#status")).to_have_text(f"Lead {lead} rejected (no budget).")
    assert lead not in ids(open_server.queue())
    store = LeadStore(open_server.database_url)
    try:
        events = outcome_events(store, lead)
    finally:
        store.close()
    assert [(e.outcome, e.reason, e.note) for e in events] == [
        ("rejected", "no budget", "budget frozen until Q3")
    ]


def test_a_filter_narrows_the_list(page: Page, open_server: Server, late_lead: str) -> None:
    counts = Counter(item["source"] for item in open_server.queue())
    source = next(s for s, n in counts.most_common() if 0 < n < LEADS)
    open_queue(page, open_server)
    page.get_by_label("Source").fill(source)
    page.get_by_role("button", name="Apply filters").click()
    expect(rows(page)).to_have_count(counts[source])
    assert set(rows(page).locator("td.source").all_text_contents()) == {source}
    assert rows(page).locator("th .lead-id").all_text_contents() == ids(open_server.queue(source=source))
    assert f"source={source}" in page.url.replace("+", " ").replace("%20", " ")


def test_load_more_follows_the_cursor_to_the_last_page(
    page: Page, open_server: Server, late_lead: str
) -> None:
    open_queue(page, open_server, "?limit=5")
    more = page.get_by_role("button", name="Load more")
    expect(rows(page)).to_have_count(5)
    more.click()
    expect(rows(page)).to_have_count(10)
    more.click()
    expect(rows(page)).to_have_count(LEADS)
    expect(more).to_be_hidden()
    assert rows(page).locator("th .lead-id").all_text_contents() == ids(open_server.queue())


def test_an_overdue_lead_is_highlighted_and_the_countdowns_tick(
    page: Page, open_server: Server, late_lead: str
) -> None:
    open_queue(page, open_server)
    late = row(page, late_lead)
    expect(late).to_have_class("overdue")
    expect(late.locator(".countdown")).to_have_text(re.compile(r"^overdue by 1d \d+h \d\dm$"))  # 2 days old
    expect(page.locator("#queue tbody tr.overdue")).to_have_count(1)
    due = page.locator("#queue tbody tr:not(.overdue) .countdown", has_text="due in").first
    shown = due.text_content()
    expect(due).not_to_have_text(shown or "")  # live: the countdown moves on while the page is open
    late.get_by_role("button", name=f"Accept lead {late_lead}").click()  # contacted: the deadline is met
    expect(late).not_to_have_class("overdue")
    expect(page.locator("#queue tbody tr.overdue")).to_have_count(0)


def test_a_refused_outcome_is_shown_and_the_lead_stays(
    page: Page, open_server: Server, late_lead: str
) -> None:
    lead = ids(open_server.queue())[0]
    open_queue(page, open_server)
    elsewhere = httpx.post(
        open_server.url(f"/v1/leads/{lead}/outcome"), json={"outcome": "rejected", "reason": "spam"}
    )
    assert elsewhere.status_code == 200, elsewhere.text
    accept = row(page, lead).get_by_role("button", name=f"Accept lead {lead}")
    accept.click()
    error = page.get_by_role("alert")
    expect(error).to_contain_text(f"Lead {lead}: not recorded, the lead changed meanwhile")
    expect(error).to_contain_text("rejected -> accepted is not allowed")
    expect(accept).to_be_enabled()


def test_an_unreachable_lead_store_is_explained_in_the_page(page: Page, down_server: Server) -> None:
    assert httpx.get(down_server.url("/v1/queue")).status_code == 503
    page.goto(down_server.url("/queue"))
    error = page.get_by_role("alert")
    expect(error).to_contain_text("Loading the queue: the lead store is unavailable (")
    expect(error).to_contain_text("Try again in 5 s.")
    expect(page.locator("#summary")).to_have_text("The queue could not be loaded.")


def test_with_keys_on_the_page_asks_for_a_key_and_works_with_a_sales_key(
    page: Page,
    guarded_server: Server,
    keys: tuple[Path, dict[str, str]],
    e2e_leads: list[dict[str, Any]],
    empty_store: Callable[[LeadStore], None],
) -> None:
    seed(guarded_server, e2e_leads, empty_store)
    by_role = keys[1]
    assert httpx.get(guarded_server.url("/v1/queue")).status_code == 401
    page.goto(guarded_server.url("/queue"))
    key_field = page.get_by_label("Sales API key")
    expect(key_field).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("an API key is needed")
    expect(rows(page)).to_have_count(0)
    key_field.fill(by_role["score"])  # a marketing key may not read the sales pipeline
    key_field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("has role 'score'")
    expect(key_field).to_be_visible()
    key_field.fill(by_role["sales"])
    page.get_by_role("button", name="Use this key").click()
    expect(rows(page)).to_have_count(LEADS)
    expect(key_field).to_be_hidden()
    expect(page.get_by_role("alert")).to_be_hidden()
    lead = rows(page).first.get_attribute("data-lead-id") or ""
    row(page, lead).get_by_role("button", name=f"Accept lead {lead}").click()
    expect(row(page, lead).locator("td.status")).to_have_text("accepted")
    assert ids(guarded_server.queue(status="accepted")) == [lead]
    page.reload()  # the key stays for this tab
    expect(rows(page)).to_have_count(LEADS)
    expect(key_field).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('leadscore.apiKey')") == by_role["sales"]
