"""The API docs, GET /docs (Swagger UI) and GET /redoc (ReDoc), served whole by the service itself.

FastAPI's own docs pages fetch both UIs from a CDN and their favicon from fastapi.tiangolo.com, so without
internet they are blank, and Swagger UI's set-up is an inline script. Here the UIs come from the fastapi-offline
package (its 1.7.7 ships Swagger UI 5.32.6 and ReDoc 2.5.3), the set-up is a file in `pages/`, and the pages load
nothing from elsewhere. Like /openapi.json they are open: they hold no data, and a call tried from Swagger UI
needs a key like any other client.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

JS, CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
UI = ("fastapi_offline", "static")  # the package and folder holding the UIs' files
OURS = ("serving", "pages")
# name -> (package, folder, content type); only these names are served, nothing else of either package
ASSETS: dict[str, tuple[str, str, str]] = {
    "swagger-ui-bundle.js": (*UI, JS),
    "swagger-ui.css": (*UI, CSS),
    "redoc.standalone.js": (*UI, JS),
    "favicon.png": (*UI, "image/png"),
    "swagger-init.js": (*OURS, JS),
    "docs.css": (*OURS, CSS),
}
# ReDoc's side menu shows Redocly's logo from cdn.redoc.ly and no option turns it off; ReDoc hides an image that
# fails to load, so the URL becomes an empty data: URL: no request, and nothing the policy has to refuse
OFFLINE = {"redoc.standalone.js": (b'"https://cdn.redoc.ly/redoc/logo-mini.svg"', b'"data:,"')}

# the queue page's policy: Swagger UI runs under it as it is (its CSS draws icons from data: URLs)
SWAGGER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# ReDoc needs two allowances more, each as narrow as it works with:
# - style-src: two hashes, and no 'unsafe-inline'. The first is of the empty string: styled-components adds one
#   empty <style> and fills it through the CSSOM, which CSP does not govern. The second is perfect-scrollbar's
#   style sheet, which the bundle inserts as a <style> element (ReDoc 2.5.3's copy: another ReDoc, another hash).
# - worker-src blob: the search index runs in a worker that the bundle creates from a blob: URL; a blob worker
#   inherits this policy, and only script already allowed by script-src 'self' can make one.
REDOC_CSP = (
    "default-src 'none'; script-src 'self'; "
    "style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' "
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='; "
    "worker-src blob:; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


@cache
def _read(package: str, folder: str, name: str) -> bytes:
    """A file shipped in an installed package, read once."""
    return files(package).joinpath(folder, name).read_bytes()


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """An asset of the docs pages, made offline, and its ETag."""
    package, folder, _ = ASSETS[name]
    content = _read(package, folder, name)
    if name in OFFLINE:
        content = content.replace(*OFFLINE[name])
    return content, f'"{hashlib.sha256(content).hexdigest()[:32]}"'


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    """Swagger UI: every operation with its schemas, and a form to try it."""
    return HTMLResponse(
        _read(*OURS, "docs.html"), headers={**HEADERS, "Content-Security-Policy": SWAGGER_CSP}
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc: the same schema as a three-panel reference with search."""
    return HTMLResponse(_read(*OURS, "redoc.html"), headers={**HEADERS, "Content-Security-Policy": REDOC_CSP})


@router.get("/docs/assets/{name}")
def docs_asset(name: str, request: Request) -> Response:
    """A script, style sheet or icon of the docs pages; 304 while the browser's copy is still current."""
    if name not in ASSETS:
        raise HTTPException(
            status_code=404, detail=f"name: no asset {name[:40]!r} (have {', '.join(ASSETS)})"
        )
    content, etag = _asset(name)
    headers = {**HEADERS, "Content-Security-Policy": SWAGGER_CSP, "ETag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=ASSETS[name][2], headers=headers)
