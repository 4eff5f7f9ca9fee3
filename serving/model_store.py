"""The model being served: resolve the registry alias, load, verify, swap atomically; keep the old one on failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PyFuncModel
from mlflow.tracking import MlflowClient

from features.model import LeadModel
from features.model_uri import registry_ref
from serving.bounded_call import Bounded
from serving.model_cache import ModelCache
from serving.requests import MAX_TEXT, RequestModels, request_models
from serving.scoring import score_leads

log = logging.getLogger(__name__)


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
    parts = registry_ref(uri)
    if parts is None:
        return Target(load_uri=uri, version=uri)
    name, alias = parts.name, parts.alias
    client = MlflowClient()
    found = (
        client.get_model_version_by_alias(name, alias)
        if alias
        else client.get_model_version(name, str(parts.version))
    )
    version = str(found.version)
    return Target(f"models:/{name}/{version}", version, name, alias, found.run_id)


@dataclass(frozen=True)
class LoadedModel:
    """Everything needed to score with one model version, built once when it is loaded."""

    target: Target
    model: LeadModel
    pyfunc: PyFuncModel
    requests: RequestModels
    loaded_at: datetime

    @property
    def version(self) -> str:
        return self.target.version

    @cached_property
    def signature_kinds(self) -> dict[str, str]:
        """The pyfunc signature's type per input column ("double", "string"), for /invocations' plain JSON."""
        schema = self.pyfunc.metadata.get_input_schema()
        return {} if schema is None else {c.name: c.type.name for c in schema.inputs}


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "message", None) or error).strip()
    return (text.splitlines()[0] if text else type(error).__name__)[:300]


def _answered(error: BaseException) -> bool:
    """The registry was reached and said no (no such model, version or alias): not an outage."""
    return isinstance(error, MlflowException) and error.error_code in {
        "RESOURCE_DOES_NOT_EXIST",
        "INVALID_PARAMETER_VALUE",
    }


def load(
    target: Target,
    max_batch: int,
    max_text: int = MAX_TEXT,
    cache: ModelCache | None = None,
    prepare: bool = True,
) -> LoadedModel:
    """Load a version and prove the fast path scores its input example exactly as the pyfunc does.

    `prepare=False` (batch-only callers) leaves the scorer's lookup tables to the first big batch (building them
    ahead takes seconds for a big model).

    With a cache, a registered version is loaded from its local copy (downloaded first when missing) and, once
    verified, recorded as what its alias names, so a later start can serve it while the registry is down.
    """
    cached = cache is not None and target.name is not None
    try:
        source = str(cache.fetch(target)) if cache is not None and cached else target.load_uri
        pyfunc = mlflow.pyfunc.load_model(source)
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
            requests=request_models(model.schema, max_batch, max_text),
            loaded_at=datetime.now(UTC),
        )
        if prepare:
            model.prepare()
        verify(loaded)
    except ModelRefused:
        raise
    except Exception as error:  # a model that cannot score its own example must not be served
        raise ModelRefused(f"{target.load_uri} fails on its input example: {_first_line(error)}") from error
    if cache is not None and cached:
        try:
            cache.remember(target)
        except OSError as error:  # a cache we cannot write costs the fallback, not the model
            log.warning("cannot cache %s in %s: %s", target.load_uri, cache.root, error)
    return loaded


def verify(loaded: LoadedModel) -> None:
    """The input example through the API's path (request model, then scoring) equals the pyfunc's answer."""
    example = loaded.pyfunc.input_example
    if not isinstance(example, pd.DataFrame) or example.empty:
        raise ModelRefused(f"{loaded.target.load_uri} has no input example to verify it with")
    records = example.astype(object).where(example.notna(), None).to_dict("records")
    leads = [loaded.requests.as_dict(loaded.requests.lead.model_validate(r)) for r in records]
    ours = np.array([s["probability"] for s in score_leads(loaded, leads, top=3, with_reasons=True)])
    theirs = np.asarray(pd.DataFrame(loaded.pyfunc.predict(example))["probability"], dtype=np.float64)
    if not np.allclose(ours, theirs, rtol=0.0, atol=1e-12):
        raise ModelRefused(f"{loaded.target.load_uri} scores its input example differently through the API")


@dataclass
class ModelStore:
    """Holds the served model; `refresh` loads a new version in the caller's thread and swaps in one assignment.

    When the registry cannot be reached and nothing is served yet, the copy in `cache` that the URI last named is
    served instead, and the store says it is degraded (with the reason) until the registry answers again.
    """

    uri: str
    max_batch: int
    loader: Callable[[Target, int], LoadedModel] = load
    cache: ModelCache | None = None
    registry_timeout: float = 10.0
    current: LoadedModel | None = None
    served_from: str | None = None  # "registry" or "cache": where the served version was loaded from
    degraded: str | None = None  # why the registry is out of reach while a model is served
    last_error: str | None = None
    last_checked: datetime | None = None
    swaps: int = 0
    failures: int = 0
    _refused: tuple[str, str] | None = None  # (version, why): not retried until the alias moves
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _resolve: Bounded[Target] = field(init=False)

    def __post_init__(self) -> None:
        self._resolve = Bounded(self.registry_timeout)

    @property
    def watches_alias(self) -> bool:
        parts = registry_ref(self.uri)
        return bool(parts and parts.alias)

    def refresh(self) -> bool:
        """Load and swap in the version the URI names now, if it changed; True when a new model went live."""
        with self._lock:
            self.last_checked = datetime.now(UTC)
            try:
                target = self._resolve(lambda: resolve(self.uri))
            except Exception as error:  # registry down or alias missing: keep serving what we have
                why = f"cannot resolve {self.uri}: {_first_line(error)}"
                return self._failed(why, None) if _answered(error) else self._registry_down(why)
            self.degraded = None
            if self.current is not None and self.current.version == target.version:
                self.last_error = None
                return False
            if self._refused is not None and target.version == self._refused[0]:
                self.last_error = self._refused[1]
                return False
            log.info("loading %s (version %s)", target.load_uri, target.version)
            try:
                loaded = self.loader(target, self.max_batch)
            except ModelRefused as error:
                return self._failed(str(error), target.version)
            except Exception as error:  # whatever went wrong, the model being served stays
                return self._failed(f"cannot load {target.load_uri}: {_first_line(error)}", target.version)
            self._swap(loaded, "registry")
            self.last_error, self._refused = None, None
            return True

    def _swap(self, loaded: LoadedModel, source: str) -> None:
        previous = self.current
        self.current = loaded  # the swap: requests hold the object they started with
        self.served_from = source
        self.swaps += 1
        log.info(
            "serving %s version %s from the %s%s",
            loaded.target.name or loaded.target.load_uri,
            loaded.version,
            source,
            f" (was {previous.version})" if previous else "",
        )

    def _registry_down(self, why: str) -> bool:
        """Keep what is served (degraded); with nothing served yet, serve the cached copy if there is one."""
        if self.current is None:
            cached, why = self._serve_cached(why)
            if cached:
                return True
        else:
            self.degraded = f"{why}; serving version {self.current.version} until the registry answers"
        return self._failed(why, None)

    def _serve_cached(self, why: str) -> tuple[bool, str]:
        parts = registry_ref(self.uri)
        if self.cache is None or parts is None:
            return False, f"{why}; no local model cache to fall back on"
        name = parts.name
        target = self.cache.recall(name, parts.ref)
        if target is None:
            return False, f"{why}; no cached copy of {self.uri} in {self.cache.describe(name)}"
        try:
            loaded = self.loader(target, self.max_batch)
        except Exception as error:  # a damaged copy: report it, keep trying the registry
            return (
                False,
                f"{why}; the cached copy of version {target.version} is unusable: {_first_line(error)}",
            )
        self._swap(loaded, "cache")
        self.last_error = why
        self.degraded = (
            f"{why}; serving the cached copy of version {target.version} until the registry answers"
        )
        log.warning("%s", self.degraded)
        return True, why

    def _failed(self, why: str, version: str | None) -> bool:
        self.failures += 1
        self.last_error = why
        if version is not None:
            self._refused = (version, why)
        serving = f"; still serving version {self.current.version}" if self.current else "; no model loaded"
        log.error("%s%s", why, serving)
        return False

    def status(self) -> dict[str, Any]:
        return {
            "watching": self.watches_alias,
            "last_checked": self.last_checked.isoformat() if self.last_checked else None,
            "last_error": self.last_error,
            "degraded": self.degraded,
            "served_from": self.served_from,
        }
