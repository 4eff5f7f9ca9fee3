"""Who may call what: an API key (`Authorization: Bearer <key>` or `X-API-Key: <key>`) with a role a route accepts.

Roles: `score` (marketing automation: scoring and ingest), `sales` (queue, outcomes, queue page), `marketing`
(read-only: the dashboard and the source report), `admin` (monitor, reload, metrics, keys). `admin` may call everything; no other role implies another, so the key
built into a marketing tool cannot read the sales pipeline, a rep's key cannot inject leads, and a marketing key
changes nothing.
A route takes one dependency: `dependencies=[requires("sales")]`, or a parameter typed `SalesCaller`.
Keys live in a file (LEADSCORE_KEYS_FILE) or in the lead store (LEADSCORE_KEYS=store, shared by replicas); with
neither, auth is off and the app refuses to listen beyond loopback (`check_exposure`).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.security.base import SecurityBase
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from serving.keys import ROLES, ApiKey, KeysError, KeyStore, Role
from serving.limits import PROBLEM
from serving.store import StoreUnavailable

log = logging.getLogger(__name__)

HOW = "send 'Authorization: Bearer <key>' or 'X-API-Key: <key>' (make one with `leadscore keys create --role ROLE`)"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class ExposureError(RuntimeError):
    """Asked to listen beyond loopback with no API key configured."""


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, keys: KeyStore | None) -> None:
    """Refuse a non-loopback host unless at least one API key exists (auth off must never face a network)."""
    if is_loopback(host):
        return
    if keys is None:
        raise ExposureError(
            f"refusing to listen on {host}: no API keys are configured; set LEADSCORE_KEYS_FILE (or LEADSCORE_KEYS=store) "
            "and run `leadscore keys create --role admin`, or listen on 127.0.0.1, ::1 or localhost"
        )
    try:
        empty = not keys.list_keys()
    except StoreUnavailable as error:
        # keys in a store that is down: auth stays on, guarded routes answer 503
        log.error(
            "cannot count the API keys at start (%s); nobody gets in until the lead store is back", error
        )
        return
    if empty:
        raise ExposureError(
            f"refusing to listen on {host}: {keys.where} holds no key; run `leadscore keys create --role ROLE` "
            "first, or listen on 127.0.0.1, ::1 or localhost"
        )


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="leadscore"' + (f', error="{error}"' if error else "")
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": challenge})


def presented_key(headers: Headers) -> str | None:
    """The key a request carries: `Authorization: Bearer <key>` first, else `X-API-Key`."""
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise _unauthorized(
                f"Authorization: expected 'Bearer <key>', got scheme {scheme[:20]!r}", "invalid_request"
            )
        return key.strip()
    header = headers.get("x-api-key")
    return header.strip() if header is not None else None


class Authorizer:
    """Checks a request's key against the store; `keys=None` means auth is off (loopback only)."""

    def __init__(self, keys: KeyStore | None, retry_after: int = 5) -> None:
        self.keys = keys
        self.retry_after = retry_after

    @property
    def enabled(self) -> bool:
        return self.keys is not None

    async def check(self, headers: Headers, allowed: frozenset[Role], what: str) -> ApiKey | None:
        """The caller's key when it may do `what`; 401 (none, malformed, unknown), 403 (wrong role), 503 (store)."""
        if self.keys is None:
            return None
        key = presented_key(headers)
        if not key:
            raise _unauthorized(f"API key required for {what}: {HOW}")
        try:
            record = self.keys.find(key)
            # not in memory: perhaps made a moment ago elsewhere (another replica, the command line)
            if record is None and await run_in_threadpool(self.keys.reread):
                record = self.keys.find(key)
        except (KeysError, OSError) as error:  # fail closed: an unreadable keys file lets nobody in
            log.error("API keys cannot be read: %s", error)
            raise HTTPException(
                status_code=503,
                detail="API keys cannot be read right now; an operator has to fix the keys file (see the log)",
                headers={"Retry-After": str(self.retry_after)},
            ) from None
        except StoreUnavailable:
            # a key the replica has not read yet cannot be checked while the store is down
            raise HTTPException(
                status_code=503,
                detail=f"API keys cannot be read right now: the lead store is unreachable; retry in {self.retry_after}s",
                headers={"Retry-After": str(self.retry_after)},
            ) from None
        if record is None:
            raise _unauthorized("API key not valid (unknown or revoked)", "invalid_token")
        if record.role != "admin" and record.role not in allowed:
            needs = " or ".join(r for r in ROLES if r in allowed or r == "admin")
            raise HTTPException(
                status_code=403, detail=f"key {record.id} has role {record.role!r}; {what} needs role {needs}"
            )
        return record


async def authorize(request: Request, allowed: frozenset[Role]) -> ApiKey | None:
    """Check the request's key against the app's authorizer; the caller's key is left on `request.state.api_key`."""
    authorizer: Authorizer = request.app.state.authorizer
    if authorizer.keys is None:  # auth off: skip building the headers and the message (scoring's hot path)
        request.state.api_key = None
        return None
    record = await authorizer.check(request.headers, allowed, f"{request.method} {request.scope['path']}")
    request.state.api_key = record
    return record


class KeyCheck(SecurityBase):
    """A dependency that lets in keys of the given roles (and admin); FastAPI lists it as the route's security."""

    def __init__(self, *roles: Role) -> None:
        self.allowed = frozenset(roles)
        self.model = APIKey(
            **{"in": APIKeyIn.header},  # type: ignore[arg-type]
            name="X-API-Key",
            description=f"An API key with role {' or '.join((*roles, 'admin'))}; `Authorization: Bearer` works too.",
        )
        self.scheme_name = "apiKey"

    async def __call__(self, request: Request) -> ApiKey | None:
        return await authorize(request, self.allowed)


def requires(*roles: Role) -> Any:
    """`dependencies=[requires("sales")]` on a route or router: keys of these roles (and admin) get in."""
    return Depends(KeyCheck(*roles))


ScoreCaller = Annotated[ApiKey | None, requires("score")]
SalesCaller = Annotated[ApiKey | None, requires("sales")]
AdminCaller = Annotated[ApiKey | None, requires("admin")]
AnyCaller = Annotated[ApiKey | None, requires("score", "sales")]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "No API key, a malformed one, or one that is unknown or revoked; `detail` says which."
    },
    403: {"description": "The key's role may not call this route; `detail` names the role needed."},
}


def document(schema: dict[str, Any], enabled: bool) -> None:
    """OpenAPI: Bearer as an alternative to X-API-Key, 401/403 on guarded routes; no security at all when off."""
    components = schema.setdefault("components", {})
    components.pop("securitySchemes", None)
    guarded = [
        operation
        for path in schema.get("paths", {}).values()
        for operation in path.values()
        if isinstance(operation, dict) and "security" in operation
    ]
    for operation in guarded:
        if not enabled:
            del operation["security"]
            continue
        operation["security"] = [{"apiKey": []}, {"bearer": []}]
        responses = operation.setdefault("responses", {})
        for status, response in ERRORS.items():
            content = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            responses.setdefault(str(status), {**response, "content": content})
    if enabled and guarded:
        components.setdefault("schemas", {}).setdefault("Problem", PROBLEM)
        components["securitySchemes"] = {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key."},
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "The same API key as a Bearer token.",
            },
        }
