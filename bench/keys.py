"""What checking an API key costs per request with the keys in the lead store, against the keys file in the same run.

The work of the auth dependency (`Authorizer.check`: headers, sha256, constant-time match against every key) is
timed in one event loop for a known key and for an unknown one, with 10 and 1,000 keys, for `FileKeyStore` (the
baseline: a stat per request) and `StoreKeys` on SQLite and on a fresh PostgreSQL database (127.0.0.1:5432, dropped
afterwards). An unknown key makes `StoreKeys` read the table at most once a second, so its cost includes those reads.

    .venv/bin/python bench/keys.py [--seconds 1] [--database postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import HTTPException
from starlette.datastructures import Headers

sys.path.insert(0, str(Path(__file__).parent))
from load import SHARED_POSTGRES, temporary_database

from serving.auth import Authorizer
from serving.keys import FileKeyStore, KeyStore, Role
from serving.store import LeadStore, StoreKeys

ALLOWED: frozenset[Role] = frozenset({"score"})


def per_check(keys: KeyStore, key: str, seconds: float) -> float:
    """Microseconds per `Authorizer.check` of `key`, over about `seconds` of checks in one event loop."""
    authorizer = Authorizer(keys)
    headers = Headers({"x-api-key": key})

    async def run() -> float:
        done, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            for _ in range(200):
                with contextlib.suppress(HTTPException):  # the unknown key's 401
                    await authorizer.check(headers, ALLOWED, "POST /v1/score")
            done += 200
        return (time.perf_counter() - began) / done * 1e6

    return asyncio.run(run())


def measure(
    name: str, make: Callable[[int], tuple[KeyStore, str]], counts: list[int], seconds: float
) -> dict:
    rows = {}
    for count in counts:
        keys, known = make(count)
        rows[(count, "known")] = per_check(keys, known, seconds)
        rows[(count, "unknown")] = per_check(keys, "lsk_00000000_" + "x" * 43, seconds)
    return {name: rows}


def filled(keys: KeyStore, count: int) -> str:
    made = [keys.create("score", f"k{i}")[1] for i in range(count)]
    return made[count // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time spent per case")
    parser.add_argument("--database", default=SHARED_POSTGRES, help="admin URL of the PostgreSQL server")
    args = parser.parse_args()
    counts = [10, 1000]
    with tempfile.TemporaryDirectory(prefix="leadscore-bench-keys-") as folder:
        report(measured(Path(folder), counts, args), counts)


def measured(work: Path, counts: list[int], args: argparse.Namespace) -> dict:
    """Per store kind, the microseconds of a known and an unknown key's check, keys files and SQLite under `work`."""
    results: dict = {}

    def file_store(count: int) -> tuple[KeyStore, str]:
        keys = FileKeyStore(work / f"keys-{count}.json")
        return keys, filled(keys, count)

    results |= measure("keys file (baseline)", file_store, counts, args.seconds)

    def store_keys(url: Callable[[int], str]) -> Callable[[int], tuple[KeyStore, str]]:
        def make(count: int) -> tuple[KeyStore, str]:
            keys = StoreKeys(LeadStore(url(count)))
            known = filled(keys, count)
            keys.refresh()  # as the service does at start and every LEADSCORE_KEYS_REFRESH_SECONDS
            return keys, known

        return make

    results |= measure(
        "lead store, SQLite", store_keys(lambda n: f"sqlite:///{work / f'keys-{n}.db'}"), counts, args.seconds
    )
    with temporary_database(args.database) as first, temporary_database(args.database) as second:
        urls = {10: first, 1000: second}
        results |= measure("lead store, PostgreSQL", store_keys(urls.__getitem__), counts, args.seconds)
    return results


def report(results: dict, counts: list[int]) -> None:
    base = results["keys file (baseline)"]
    print(
        f"{'keys in':<26}{'keys':>6}  {'known key µs':>13} {'x file':>7}  {'unknown key µs':>15} {'x file':>7}"
    )
    for name, rows in results.items():
        for count in counts:
            known, unknown = rows[(count, "known")], rows[(count, "unknown")]
            print(
                f"{name:<26}{count:>6}  {known:>13.1f} {known / base[(count, 'known')]:>6.2f}x"
                f"  {unknown:>15.1f} {unknown / base[(count, 'unknown')]:>6.2f}x"
            )


if __name__ == "__main__":
    main()
