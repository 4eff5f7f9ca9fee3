"""The model store: a failed load keeps what is served and says why; a version is loaded (or refused) once."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from serving.model_store import ModelStore, Target

URI = "runs:/0123/model"  # not a registry URI: resolved without asking MLflow


class Loader:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail
        self.calls = 0

    def __call__(self, target: Target, max_batch: int) -> Any:
        self.calls += 1
        if self.fail:
            raise self.fail
        return SimpleNamespace(version=target.version, target=target)


def test_a_failed_load_is_reported_and_not_retried_until_the_version_changes() -> None:
    loader = Loader(fail=RuntimeError("disk on fire\nsecond line"))
    store = ModelStore(uri=URI, max_batch=10, loader=loader)
    assert store.refresh() is False and store.refresh() is False
    assert store.current is None and loader.calls == 1 and store.failures == 1
    assert store.last_error == f"cannot load {URI}: disk on fire"
    assert store.status()["watching"] is False and store.status()["last_checked"]


def test_a_good_load_goes_live_once() -> None:
    loader = Loader()
    store = ModelStore(uri=URI, max_batch=10, loader=loader)
    assert store.refresh() is True and store.refresh() is False
    assert store.current is not None and store.current.version == URI
    assert (loader.calls, store.swaps, store.last_error) == (1, 1, None)


def test_only_alias_uris_are_watched() -> None:
    assert ModelStore(uri="models:/leads@champion", max_batch=1).watches_alias
    assert not ModelStore(uri="models:/leads/3", max_batch=1).watches_alias
