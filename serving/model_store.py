"""The model being served: resolve the registry alias, load, verify, swap atomically; keep the old one on failure."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PyFuncModel
from mlflow.tracking import MlflowClient

from features.model import LeadModel
from features.rows import RowEncoder
from serving.requests import MAX_TEXT, RequestModels, request_models
from serving.scoring import group_columns, score_leads

log = logging.getLogger(__name__)

_REGISTRY_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>[^/]+))")


class ModelRefused(RuntimeError):
    """A model version that cannot be served; the message says why in one line."""


@dataclass(frozen=True)
class Target:
    """What a model URI points at right now: a registered version, or a fixed run/path."""

    load_uri: str
    version: str
    name: str | None = None
    alias: str | None = None
    run_id: str | None = None


def resolve(uri: str) -> Target:
    """The version an alias or version URI names now (`runs:/` and paths are taken as they are)."""
    match = _REGISTRY_URI.fullmatch(uri)
    if not match:
        return Target(load_uri=uri, version=uri)
    name, alias = match["name"], match["alias"]
    client = MlflowClient()
    found = (
        client.get_model_version_by_alias(name, alias)
        if alias
        else client.get_model_version(name, match["version"])
    )
    version = str(found.version)
    return Target(f"models:/{name}/{version}", version, name, alias, found.run_id)


@dataclass(frozen=True)
class LoadedModel:
    """Everything needed to score with one model version, built once when it is loaded."""

    target: Target
    model: LeadModel
    pyfunc: PyFuncModel
    encoder: RowEncoder
    requests: RequestModels
    groups: dict[str, list[int]]  # feature positions of the fit and engagement groups
    loaded_at: datetime

    @property
    def version(self) -> str:
        return self.target.version


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


def load(target: Target, max_batch: int, max_text: int = MAX_TEXT) -> LoadedModel:
    """Load a version and prove the fast path scores its input example exactly as the pyfunc does."""
    try:
        pyfunc = mlflow.pyfunc.load_model(target.load_uri)
        model = pyfunc.unwrap_python_model()
    except Exception as error:  # any failure to load leaves this version unusable
        raise ModelRefused(f"cannot load {target.load_uri}: {_first_line(error)}") from error
    if not isinstance(model, LeadModel):
        raise ModelRefused(f"{target.load_uri} is not a leadscore model ({type(model).__name__})")
    try:
        loaded = LoadedModel(
            target=target,
            model=model,
            pyfunc=pyfunc,
            encoder=RowEncoder(model),
            requests=request_models(model.schema, max_batch, max_text),
            groups=group_columns(model),
            loaded_at=datetime.now(UTC),
        )
        verify(loaded)
    except ModelRefused:
        raise
    except Exception as error:  # a model that cannot score its own example must not be served
        raise ModelRefused(f"{target.load_uri} fails on its input example: {_first_line(error)}") from error
    return loaded


def verify(loaded: LoadedModel) -> None:
    """The input example through the API path (request model, rows, booster) equals the pyfunc's answer."""
    example = loaded.pyfunc.input_example
    if not isinstance(example, pd.DataFrame) or example.empty:
        raise ModelRefused(f"{loaded.target.load_uri} has no input example to verify it with")
    records = example.astype(object).where(example.notna(), None).to_dict("records")
    leads = [loaded.requests.as_dict(loaded.requests.lead.model_validate(r)) for r in records]
    ours = np.array([s["probability"] for s in score_leads(loaded, leads, top=3, with_reasons=True)])
    theirs = np.asarray(pd.DataFrame(loaded.pyfunc.predict(example))["probability"], dtype=np.float64)
    if not np.allclose(ours, theirs, rtol=0.0, atol=1e-12):
        raise ModelRefused(f"{loaded.target.load_uri} scores its input example differently on the fast path")


@dataclass
class ModelStore:
    """Holds the served model; `refresh` loads a new version in the caller's thread and swaps in one assignment."""

    uri: str
    max_batch: int
    loader: Callable[[Target, int], LoadedModel] = load
    current: LoadedModel | None = None
    last_error: str | None = None
    last_checked: datetime | None = None
    swaps: int = 0
    failures: int = 0
    _refused: str | None = None  # the version that failed, not retried until the alias moves
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def watches_alias(self) -> bool:
        match = _REGISTRY_URI.fullmatch(self.uri)
        return bool(match and match["alias"])

    def refresh(self) -> bool:
        """Load and swap in the version the URI names now, if it changed; True when a new model went live."""
        with self._lock:
            self.last_checked = datetime.now(UTC)
            try:
                target = resolve(self.uri)
            except Exception as error:  # registry down or alias missing: keep serving what we have
                return self._failed(f"cannot resolve {self.uri}: {_first_line(error)}", None)
            if self.current is not None and self.current.version == target.version:
                return False
            if target.version == self._refused:
                return False
            log.info("loading %s (version %s)", target.load_uri, target.version)
            try:
                loaded = self.loader(target, self.max_batch)
            except ModelRefused as error:
                return self._failed(str(error), target.version)
            except Exception as error:  # whatever went wrong, the model being served stays
                return self._failed(f"cannot load {target.load_uri}: {_first_line(error)}", target.version)
            previous = self.current
            self.current = loaded  # the swap: requests hold the object they started with
            self.last_error, self._refused = None, None
            self.swaps += 1
            log.info(
                "serving %s version %s%s",
                target.name or target.load_uri,
                target.version,
                f" (was {previous.version})" if previous else "",
            )
            return True

    def _failed(self, why: str, version: str | None) -> bool:
        self.failures += 1
        self.last_error = why
        self._refused = version
        serving = f"; still serving version {self.current.version}" if self.current else "; no model loaded"
        log.error("%s%s", why, serving)
        return False

    def status(self) -> dict[str, Any]:
        return {
            "watching": self.watches_alias,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
            "last_error": self.last_error,
        }
