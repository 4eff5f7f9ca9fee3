"""Glue for the sales-loop commands (ingest, rescore, retrain): the store and the champion, opened as the API does.

Scoring goes through the API's own functions (the request model built from the model's schema, `score_leads`), so
a lead ingested from a file or rescored here gets exactly the score `POST /v1/leads` would give it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy.engine import make_url

from serving.model_store import LoadedModel
from serving.settings import Settings
from serving.store import LeadStore

T = TypeVar("T")
CHUNK = 500  # leads scored and stored per transaction


class LoopError(ValueError):
    """A sales-loop command cannot go on; the message is one line saying what to fix."""


def settings_for(database: str | None = None, model: str | None = None) -> Settings:
    """The service's settings (LEADSCORE_* environment), with the command's --database and --model on top."""
    overrides = {"database_url": database or None, "model_uri": model or None}
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]


def safe_url(url: str) -> str:
    """A database URL fit to print or log: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: show only its scheme
        return url.split(":", 1)[0] + ":..."


def open_store(settings: Settings) -> LeadStore:
    """The lead store the settings name, migrated to head; LoopError when it cannot be reached."""
    from sqlalchemy.exc import ArgumentError

    from serving.store import StoreUnavailable, open_lead_store

    try:
        store = open_lead_store(settings)
        store.migrate()
    except ArgumentError:
        raise LoopError(f"--database: not a database URL: {safe_url(settings.database_url)!r}") from None
    except StoreUnavailable as error:
        raise LoopError(f"{error} ({safe_url(settings.database_url)})") from None
    return store


def load_model(settings: Settings) -> LoadedModel:
    """The model the settings name (the champion by default), loaded and verified exactly as the service does."""
    import mlflow

    from serving.model_store import ModelRefused, load, resolve

    mlflow.set_tracking_uri(settings.tracking_uri)
    try:
        target = resolve(settings.model_uri)
    except Exception as error:  # registry unreachable, no such model or alias
        first = str(getattr(error, "message", None) or error).strip().splitlines()[0]
        raise LoopError(f"--model: cannot resolve {settings.model_uri}: {first}") from None
    try:
        return load(target, settings.max_batch, settings.max_text_length, prepare=False)  # batches only
    except ModelRefused as error:
        raise LoopError(str(error)) from None


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _json_value(value: Any) -> Any:
    """A cell as JSON: numpy scalars as Python numbers, times as ISO text, anything else as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)


def _missing(value: Any) -> bool:
    """None, NaN, NaT and pd.NA are a cell left empty (infinity is a value, refused by validation)."""
    if isinstance(value, list | tuple | dict):
        return False
    return bool(pd.isna(value))


def as_payload(row: Mapping[Any, Any]) -> dict[str, Any]:
    """One table row as the JSON a client would send: missing cells left out, every value JSON-safe."""
    present = {str(k): v for k, v in row.items() if not _missing(v)}
    loaded: dict[str, Any] = json.loads(json.dumps(present, default=_json_value))
    return loaded


def validate(loaded: LoadedModel, payload: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A payload through the API's request model (same checks, same messages); LoopError names the row and field."""
    from serving.requests import InvalidRequest, parse_body

    models = loaded.requests
    try:
        lead = parse_body(models, models.lead, json.dumps(payload).encode())
    except InvalidRequest as error:
        raise LoopError(f"{where}: {error.detail}") from None
    return models.as_dict(lead)


def score(
    loaded: LoadedModel, leads: Sequence[Mapping[str, Any]], settings: Settings
) -> list[dict[str, Any]]:
    """Validated leads scored exactly as `POST /v1/leads` scores them (with reasons)."""
    from serving.scoring import score_leads

    return score_leads(
        loaded, leads, top=settings.top_reasons, with_reasons=True, threads=settings.predict_threads
    )


def model_label(loaded: LoadedModel) -> str:
    """'lead-scoring version 3' (or the URI for a model outside the registry)."""
    target = loaded.target
    return f"{target.name} version {target.version}" if target.name else target.load_uri
