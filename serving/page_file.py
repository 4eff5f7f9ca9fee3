"""The pages' HTML as served, and a page as one self-contained HTML file with its data inside (`leadscore monitor
--html`).

The pages share one part, the API-key panel (pages/key-panel.html): a page marks where it goes with
`<!-- key-panel for ROLE -->`, and `page_html` puts it there with the role the page's key needs.

The self-contained file is the very page the service serves, drawn by the same scripts: its style sheets are inlined, its module
scripts are inlined with each relative import replaced by a `data:` URL of that module (browsers import those from a
local file, which they refuse for relative paths), and the report the page would have fetched is embedded as JSON
(`<script type="application/json" id="report-data">`), which the page reads instead of calling the API.
"""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

_STYLE = re.compile(r'<link rel="stylesheet" href="assets/([\w.-]+)">')
_SCRIPT = re.compile(r'<script type="module" src="assets/([\w.-]+)"></script>')
_IMPORT = re.compile(r'from "\./([\w.-]+)"')
_KEY_PANEL = re.compile(r" *<!-- key-panel for (\w+) -->\n")


@cache
def _text(name: str) -> str:
    return files("serving").joinpath("pages", name).read_text(encoding="utf-8")


@cache
def page_html(name: str) -> str:
    """A page (e.g. "queue.html") as the service serves it: its key panel in place."""
    panel = _text("key-panel.html")
    return _KEY_PANEL.sub(lambda m: panel.replace("{role}", m.group(1)), _text(name))


def _module_url(name: str) -> str:
    """A module and everything it imports, as one `data:` URL."""
    source = _IMPORT.sub(lambda m: f'from "{_module_url(m.group(1))}"', _text(name))
    return "data:text/javascript;base64," + base64.b64encode(source.encode()).decode()


def standalone(page: str, data: dict[str, Any]) -> str:
    """The page (e.g. "monitor.html") with its assets and `data` inside: opens from disk, fetches nothing."""
    html = _STYLE.sub(lambda m: f"<style>\n{_text(m.group(1))}</style>", page_html(page))
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")  # no "</script>" inside the JSON
    embedded = f'<script type="application/json" id="report-data">{payload}</script>'

    def script(match: re.Match[str]) -> str:
        return f'{embedded}\n  <script type="module">import "{_module_url(match.group(1))}";</script>'

    return _SCRIPT.sub(script, html)
