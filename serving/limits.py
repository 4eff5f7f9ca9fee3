"""Request body size limit: a 413 that states the limit, before a byte is parsed (or as soon as a stream passes it)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBLEM = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}


def document(schema: dict[str, Any]) -> None:
    """OpenAPI: every operation that takes a body may answer 413 (too large), and 400 when it takes JSON that is not."""
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "413", {"description": "The body is over LEADSCORE_MAX_BODY_BYTES.", "content": problem}
            )
            if "application/json" in operation["requestBody"].get("content", {}):
                responses.setdefault(
                    "400", {"description": "The body is not valid JSON.", "content": problem}
                )
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault("Problem", PROBLEM)


def too_large(limit: int) -> str:
    return f"body: the request body is over the limit of {limit:,} bytes (LEADSCORE_MAX_BODY_BYTES); send fewer leads"


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a body without (or with a false) Content-Length passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large(limit))


class BodyLimitMiddleware:
    """Answers 413 at once when Content-Length is over the limit; counts streamed bytes otherwise."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _answer_413(send, self.limit)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": too_large(limit)}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
