"""A blocking call (a registry lookup) waited on for at most a few seconds, without piling up threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar

T = TypeVar("T")


class Bounded(Generic[T]):
    """Runs a blocking call (a registry lookup) in a daemon thread and waits for it at most `seconds`.

    A call still running from an earlier attempt is waited on rather than started again, so a hanging registry
    never piles up threads; after `3 * seconds` it is abandoned (it ends when MLflow's own retries give up) and a
    fresh one starts, so a registry that is back is noticed within that time whatever MLflow's retry settings are.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pending: Future[T] | None = None
        self._started = 0.0

    def __call__(self, call: Callable[[], T]) -> T:
        stale = time.monotonic() - self._started > 3 * self.seconds
        if self._pending is None or self._pending.done() or stale:
            future: Future[T] = Future()
            self._pending, self._started = future, time.monotonic()

            def run() -> None:
                try:
                    future.set_result(call())
                except BaseException as error:  # handed to whoever waits on the future
                    future.set_exception(error)

            threading.Thread(target=run, name="registry-check", daemon=True).start()
        try:
            return self._pending.result(timeout=self.seconds)
        except FutureTimeout:
            raise TimeoutError(f"the registry did not answer within {self.seconds:g} s") from None
