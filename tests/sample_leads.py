"""Lead payloads more than one test tree sends."""

from __future__ import annotations

# what a lead re-sent after it engaged more carries: every engagement field raised, so its score moves up
ENGAGED = {
    "page_views": 60,
    "pricing_page_views": 12,
    "email_opens": 20,
    "email_clicks": 8,
    "content_downloads": 5,
    "attended_webinar": True,
    "requested_demo": True,
    "days_since_last_activity": 0,
}
