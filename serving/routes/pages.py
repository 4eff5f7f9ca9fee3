"""The pages (plain HTML/JS/CSS shipped in the package): the sales queue (GET /queue) with the options it needs,
the score monitor (GET /monitor) and the alignment dashboard (GET /dashboard).

A page itself is open: it holds no data. Every call it makes carries the user's key and needs the role of the route
it calls (`sales` for the queue's, `admin` for GET /v1/monitor, `marketing` for GET /v1/dashboard), like any other
client of those routes.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from serving.auth import requires
from serving.deps import SettingsDep
from serving.page_file import page_html

router = APIRouter(tags=["sales"])

JS, CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
PAGES = {"queue": "queue.html", "monitor": "monitor.html", "dashboard": "dashboard.html"}
SCRIPTS = (
    "api.js",
    "queue.js",
    "rows.js",
    "monitor.js",
    "charts.js",
    "dashboard.js",
    "download.js",
    "detail.js",
)
STYLES = ("base.css", "queue.css", "monitor.css", "charts.css", "dashboard.css")
ASSETS = {**{name: JS for name in SCRIPTS}, **{name: CSS for name in STYLES}}
# the page loads nothing from elsewhere, and the browser is told to refuse anything that tries
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class QueueOptions(BaseModel):
    """What the queue page offers: the rejection reasons sales may give and the first-contact deadlines."""

    rejection_reasons: list[str] = Field(description="Reasons accepted by POST /v1/leads/{id}/outcome.")
    sla_hours: dict[str, float | None] = Field(
        description="First-contact deadline per grade in hours (null: nurture, no deadline)."
    )


@cache
def _asset(name: str) -> bytes:
    """A file of the page, read once from the installed package."""
    return files("serving").joinpath("pages", name).read_bytes()


@router.get("/queue", response_class=HTMLResponse, include_in_schema=False)
def queue_page() -> HTMLResponse:
    """The queue page for sales reps: leads by score, reasons, deadline countdown, accept or reject."""
    return HTMLResponse(page_html(PAGES["queue"]), headers=HEADERS)


@router.get("/monitor", response_class=HTMLResponse, include_in_schema=False)
def monitor_page() -> HTMLResponse:
    """The score monitor for the data scientist: drift against the training leads, live accuracy from outcomes."""
    return HTMLResponse(page_html(PAGES["monitor"]), headers=HEADERS)


@router.get("/dashboard", response_class=HTMLResponse, include_in_schema=False)
def dashboard_page() -> HTMLResponse:
    """The alignment dashboard for marketing and sales leaders: quality per source, trend, service level, funnel."""
    return HTMLResponse(page_html(PAGES["dashboard"]), headers=HEADERS)


@router.get("/assets/{name}", include_in_schema=False)
def page_asset(name: str) -> Response:
    """The pages' scripts and style sheets (nothing else is served from here)."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(
            status_code=404, detail=f"name: no asset {name[:40]!r} (have {', '.join(ASSETS)})"
        )
    return Response(_asset(name), media_type=media_type, headers=HEADERS)


@router.get("/v1/queue/options", response_model=QueueOptions, dependencies=[requires("sales")])
def queue_options(settings: SettingsDep) -> dict[str, Any]:
    """The configured rejection reasons and first-contact deadlines (LEADSCORE_REJECTION_REASONS, _SLA_HOURS)."""
    return {"rejection_reasons": settings.rejection_reasons, "sla_hours": settings.sla_hours}
