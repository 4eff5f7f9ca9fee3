"""The pages as served: each with the one shared API-key panel, asking for the key its calls need."""

from __future__ import annotations

import re

import pytest

from serving.page_file import page_html, standalone
from serving.routes.pages import PAGES


@pytest.mark.parametrize(
    ("page", "role"), [("queue", "Sales"), ("monitor", "Admin"), ("dashboard", "Marketing")]
)
def test_each_page_has_the_key_panel_for_its_role(page: str, role: str) -> None:
    html = page_html(PAGES[page])
    assert html.count('<section id="key-panel"') == 1
    assert re.findall(r'<label for="api-key">(.*?)</label>', html) == [f"{role} API key"]
    assert "key-panel for" not in html and "{role}" not in html


def test_the_standalone_page_has_the_panel_too() -> None:
    html = standalone(PAGES["monitor"], {})
    assert html.count('<section id="key-panel"') == 1 and "Admin API key" in html
