"""The score monitor page in a real headless Chromium against a real `leadscore serve` process with keys on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from e2e_server import Server
from lead_store_fixtures import empty
from playwright.sync_api import Page, expect
from sqlalchemy import update

from serving.settings import Settings
from serving.store import LeadStore, OutcomeIn, record_outcome
from serving.store.clock import utcnow
from serving.store.tables import Lead

SHOTS = Path("/tmp/leadscore-monitor-shots")  # kept after the run: look at them as the data scientist would
RECENT, EARLIER = (
    300,
    400,
)  # leads in the 7-day drift window, and leads of the 9 weeks before it (with outcomes)


def _leads(e2e_data: Any, rows: int, seed: int) -> list[dict[str, Any]]:
    """Leads drawn at random from the training file (its rows are in time order), as automation sends them."""
    from features.tables import load_table

    table = load_table(e2e_data.leads).drop(columns=["converted", "lead_status"])
    picked = table.sample(n=rows, random_state=seed).astype(object)
    return picked.where(picked.notna(), None).to_dict("records")  # type: ignore[return-value]


def _fill(server: Server, leads: list[dict[str, Any]]) -> None:
    """The store holds `leads`: the first RECENT arrived in the last 6 days, the rest over the 9 weeks before, and
    those have final outcomes drawn from their own probabilities (a calibrated model: nothing should alert there)."""
    store = LeadStore(server.database_url)
    rng = np.random.default_rng(7)
    now = utcnow()
    try:
        empty(store)
        sent = httpx.post(server.url("/v1/leads"), json={"leads": leads}, headers=server.headers, timeout=60)
        assert sent.status_code == 200, sent.text
        stored = sent.json()["leads"]
        reasons = Settings().rejection_reasons
        with store.transaction() as session:
            for i, lead in enumerate(stored):
                days = rng.uniform(0, 6) if i < RECENT else rng.uniform(8, 70)
                session.execute(
                    update(Lead)
                    .where(Lead.lead_id == lead["lead_id"])
                    .values(created_at=now - timedelta(days=days))
                )
        for lead in stored[RECENT:]:
            at = now - timedelta(days=float(rng.uniform(0, 7)))
            if rng.random() < lead["probability"]:
                record_outcome(store, lead["lead_id"], OutcomeIn("accepted"), reasons=reasons, now=at)
                record_outcome(store, lead["lead_id"], OutcomeIn("won"), reasons=reasons, now=at)
            elif rng.random() < 0.5:  # sales took it on, and lost it
                record_outcome(store, lead["lead_id"], OutcomeIn("accepted"), reasons=reasons, now=at)
                record_outcome(store, lead["lead_id"], OutcomeIn("lost"), reasons=reasons, now=at)
            else:
                rejected = OutcomeIn("rejected", reasons[0])
                record_outcome(store, lead["lead_id"], rejected, reasons=reasons, now=at)
    finally:
        store.close()


@pytest.fixture(scope="module")
def filled(guarded_server: Server, e2e_data: Any) -> dict[str, Any]:
    """The guarded server's store with drift-free recent leads and earlier leads with outcomes; its monitor report."""
    _fill(guarded_server, _leads(e2e_data, RECENT + EARLIER, seed=3))
    answer = httpx.get(guarded_server.url("/v1/monitor"), headers=guarded_server.headers, timeout=120)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def open_monitor(page: Page, server: Server, key: str) -> None:
    page.goto(server.url("/monitor"))
    expect(page.locator("#key-panel")).to_be_visible()
    page.get_by_label("Admin API key").fill(key)
    page.click("#key-form button[type=submit]")
    expect(page.locator("#summary")).to_be_visible(timeout=60_000)


def test_monitor_page_draws_drift_and_live_accuracy_from_the_api(
    page: Page, guarded_server: Server, keys: tuple[Path, dict[str, str]], filled: dict[str, Any]
) -> None:
    open_monitor(page, guarded_server, keys[1]["admin"])
    report = filled
    assert report["leads"] == RECENT and report["enough_leads"]
    expect(page.locator("#summary-text")).to_contain_text(f"{RECENT} leads scored")
    expect(page.locator("#alerts li")).to_have_count(len(report["alerts"]))
    # drift: one bar and one table row per feature, in the API's order, with its PSI and band
    features = report["features"]
    psi_chart = page.locator("#drift-charts figure").first
    expect(psi_chart.locator("rect.bar")).to_have_count(len(features))
    names = page.locator("#features tbody th").all_text_contents()
    assert names == [f["name"] for f in features]
    first = page.locator("#features tbody tr").first
    expect(first.locator("td").first).to_have_text(f"{features[0]['psi']:.3f}")
    expect(first.locator(".band")).to_have_text(features[0]["band"])
    # the score: training against now, two bars per score bin that has leads
    score_chart = page.locator("#drift-charts figure").nth(1)
    expect(score_chart.locator("figcaption")).to_contain_text(f"PSI {report['score']['psi']:.2f}")
    # live accuracy: a row per week, observed points where outcomes are in, an interval chart per grade
    performance = report["performance"]
    weeks = [w["key"] for w in performance["weeks"]]
    listed = page.locator("#weeks tbody tr")
    assert [listed.nth(i).get_attribute("data-week") for i in range(listed.count())] == weeks
    expect(page.locator("#weeks tfoot th")).to_have_text("All weeks")
    judged = [w for w in performance["weeks"] if w["observed"]["rate"] is not None and not w["pending"]]
    assert judged, "the earlier weeks have outcomes"
    week_chart = page.locator("#performance-charts figure").first
    expect(week_chart.locator("circle.observed")).to_have_count(len(judged))
    grade_chart = page.locator("#performance-charts figure").nth(1)
    expect(grade_chart.locator("rect.expected")).to_have_count(len(performance["grades"]))
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "monitor-1400.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "monitor-phone.png"), full_page=True)


def test_a_key_without_the_admin_role_is_told_which_role_it_needs(
    page: Page, guarded_server: Server, keys: tuple[Path, dict[str, str]], filled: dict[str, Any]
) -> None:
    page.goto(guarded_server.url("/monitor"))
    expect(page.locator("#key-why")).to_contain_text("role admin")
    page.fill("#api-key", keys[1]["sales"])
    page.click("#key-form button[type=submit]")
    expect(page.locator("#key-why")).to_contain_text("may not read the monitor")
    expect(page.locator("#error")).to_contain_text("admin key")
    expect(page.locator("#summary")).to_be_hidden()


def test_a_shifted_feature_shows_as_an_alert_on_the_page(
    page: Page,
    guarded_server: Server,
    keys: tuple[Path, dict[str, str]],
    e2e_data: Any,
    filled: dict[str, Any],
) -> None:
    leads = _leads(e2e_data, RECENT + EARLIER, seed=3)
    for lead in leads[:RECENT]:  # this week's leads browse ten times as many pages
        lead["page_views"] = None if lead["page_views"] is None else 10 * float(lead["page_views"]) + 20
    _fill(guarded_server, leads)
    open_monitor(page, guarded_server, keys[1]["admin"])
    expect(page.locator('#alerts li[data-metric="feature_psi"]')).to_contain_text("page_views")
    row = page.locator('#features tbody tr[data-feature="page_views"]')
    expect(row.locator(".band")).to_have_text("alert")
    assert page.locator("#features tbody th").first.text_content() == "page_views"
    page.screenshot(path=str(SHOTS / "monitor-alert.png"), full_page=True)


def test_the_report_file_is_the_same_page_drawn_from_disk_with_nothing_fetched(
    page: Page, filled: dict[str, Any], tmp_path: Path
) -> None:
    from serving.page_file import standalone

    path = tmp_path / "monitor.html"
    path.write_text(standalone("monitor.html", filled), encoding="utf-8")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(path.as_uri())
    expect(page.locator("#summary")).to_be_visible()
    expect(page.locator("#key-panel")).to_be_hidden()
    expect(page.locator("#window")).to_be_hidden()
    expect(page.locator("#drift-charts figure").first.locator("rect.bar")).to_have_count(
        len(filled["features"])
    )
    expect(page.locator("#weeks tfoot th")).to_have_text("All weeks")
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    page.screenshot(path=str(SHOTS / "monitor-file.png"), full_page=True)
