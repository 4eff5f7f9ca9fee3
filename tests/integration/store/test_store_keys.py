"""API keys in the lead store on both backends: hashes only, matched from memory, shared by replicas, never lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from coroutines import run
from fastapi import HTTPException
from sqlalchemy import event, text
from starlette.datastructures import Headers

from serving.auth import Authorizer, ExposureError, check_exposure
from serving.keys import FileKeyStore, KeysError
from serving.store import (
    LeadStore,
    StoreKeys,
    StoreUnavailable,
    active_keys,
    add_key,
    import_keys,
    revoke_key,
)

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/leadscore"  # the discard port: nothing listens there


class Clock:
    """A hand-moved clock for the re-read rate limit."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def replica(lead_store: LeadStore) -> Iterator[StoreKeys]:
    """The keys as a second replica sees them: its own engine on the same database."""
    other = LeadStore(lead_store.url)
    yield StoreKeys(other)
    other.close()


def queries(store: LeadStore) -> list[str]:
    """Every statement the store's engine runs from now on."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(store.engine, "before_cursor_execute", record)
    return seen


def test_only_the_hash_is_stored_and_a_key_is_matched_from_memory(lead_store: LeadStore) -> None:
    keys = StoreKeys(lead_store)
    record, key = keys.create("sales", "alice")
    with lead_store.engine.connect() as connection:
        stored = [tuple(row) for row in connection.execute(text("SELECT * FROM api_keys"))]
    assert len(stored) == 1 and record.sha256 in stored[0] and not any(key in str(v) for v in stored[0])
    keys.refresh()
    ran = queries(lead_store)
    assert [keys.find(key) for _ in range(100)] == [record] * 100
    assert keys.find(key + "x") is None and keys.find("") is None
    assert ran == []  # per request: no query at all
    assert active_keys(lead_store) == (record,) and keys.list_keys() == [record]


def test_a_revoke_on_one_replica_is_refused_by_the_other_at_its_next_refresh(
    lead_store: LeadStore, replica: StoreKeys
) -> None:
    here = StoreKeys(lead_store)
    record, key = here.create("score", "hubspot")
    replica.refresh()
    assert replica.find(key) == record
    here.revoke(record.id)
    assert here.find(key) is None  # the replica that revoked refuses it at once
    assert replica.find(key) == record  # the other still holds what it read ...
    replica.refresh()
    assert replica.find(key) is None  # ... until its next refresh (every LEADSCORE_KEYS_REFRESH_SECONDS)
    assert replica.list_keys() == []


def test_a_key_made_elsewhere_works_at_once_and_misses_reread_at_most_once_a_second(
    lead_store: LeadStore,
) -> None:
    clock = Clock()
    keys = StoreKeys(lead_store, clock=clock)
    keys.refresh()
    record, key = add_key(lead_store, "admin", "ops")  # another replica, or the command line
    clock.now += 0.1
    assert keys.find(key) is None
    assert keys.reread() is True and keys.find(key) == record
    _, newer = add_key(lead_store, "sales", "bo")
    clock.now += 0.5
    ran = queries(lead_store)
    assert keys.reread() is False and keys.find(newer) is None and ran == []  # guessing keys costs no query
    clock.now += 0.6
    assert keys.reread() is True and keys.find(newer) is not None


def test_revoking_an_unknown_or_revoked_key_names_it(lead_store: LeadStore) -> None:
    record, _ = add_key(lead_store, "score", "")
    with pytest.raises(KeysError, match=rf"no key with id 'nope' in the lead store \(ids: {record.id}\)"):
        revoke_key(lead_store, "nope")
    revoke_key(lead_store, record.id)
    with pytest.raises(KeysError, match=f"key {record.id} was revoked already, at 20"):
        revoke_key(lead_store, record.id)
    with pytest.raises(KeysError, match="label: at most 200 characters"):
        add_key(lead_store, "score", "x" * 201)


def test_concurrent_creates_and_revokes_on_two_replicas_lose_no_key(
    lead_store: LeadStore, replica: StoreKeys
) -> None:
    here = StoreKeys(lead_store)
    doomed = [here.create("score", f"old {i}")[0] for i in range(6)]
    made: list[str] = []
    start = threading.Barrier(2)

    def work(keys: StoreKeys, side: int) -> None:
        start.wait()
        for i in range(8):
            made.append(keys.create("sales", f"side {side} #{i}")[1])
            keys.revoke(doomed[side * 3 + i % 3].id) if i < 3 else None

    threads = [threading.Thread(target=work, args=(keys, n)) for n, keys in enumerate((here, replica))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    here.refresh()
    assert len(made) == 16 and all(here.find(key) is not None for key in made)
    assert {k.label for k in here.list_keys()} == {f"side {s} #{i}" for s in (0, 1) for i in range(8)}


def test_import_copies_a_keys_file_once_and_never_brings_back_a_revoked_key(
    lead_store: LeadStore, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    file = FileKeyStore(tmp_path / "keys.json")
    made = [file.create(role, f"file {role}") for role in ("score", "admin")]
    first = import_keys(lead_store, file.list_keys())
    assert sorted(first.added) == sorted(r.id for r, _ in made) and first.present == first.revoked == []
    keys = StoreKeys(lead_store)
    keys.refresh()
    assert [keys.find(key) for _, key in made] == [record for record, _ in made]  # same keys, same records
    revoke_key(lead_store, made[0][0].id)
    again = import_keys(lead_store, file.list_keys())
    assert (again.added, again.present, again.revoked) == ([], [made[1][0].id], [made[0][0].id])
    keys.refresh()
    assert keys.find(made[0][1]) is None


def test_import_refuses_an_id_taken_by_another_key_and_imports_nothing(
    lead_store: LeadStore, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    taken, _ = add_key(lead_store, "score", "")
    file = FileKeyStore(tmp_path / "keys.json")
    file.create("admin", "")
    clash = file.list_keys()[0]
    (tmp_path / "keys.json").write_text(
        (tmp_path / "keys.json").read_text().replace(f'"id": "{clash.id}"', f'"id": "{taken.id}"')
    )
    with pytest.raises(KeysError, match=f"key id {taken.id} is taken in the lead store by a different key"):
        import_keys(lead_store, [*file.list_keys()])
    assert active_keys(lead_store) == (taken,)


def check(keys: StoreKeys, key: str) -> object:
    """What the service answers for this key on a guarded route: the record, or the HTTP error's status."""
    try:
        return run(
            Authorizer(keys, retry_after=7).check(Headers({"x-api-key": key}), frozenset({"score"}), "x")
        )
    except HTTPException as error:
        assert error.status_code != 503 or error.headers == {"Retry-After": "7"}
        return error.status_code


def test_while_the_store_is_unreachable_known_keys_work_and_unknown_ones_are_503(
    lead_store: LeadStore,
) -> None:
    keys = StoreKeys(lead_store)
    record, key = keys.create("score", "")
    keys.refresh()
    down = LeadStore(UNREACHABLE, connect_timeout=1)
    keys.store = down  # the database goes away
    keys.refresh()  # logged, not raised: the keys read before are kept
    assert check(keys, key) == record  # scoring goes on with the keys read before the outage
    assert check(keys, "lsk_00000000_unknown") == 503  # a key it has not read cannot be checked now
    assert check(keys, "lsk_00000000_unknown") == 503  # again, without trying the database (under a second)
    down.close()


def test_a_replica_that_never_read_its_keys_lets_nobody_in() -> None:
    down = LeadStore(UNREACHABLE, connect_timeout=1)
    keys = StoreKeys(down)
    keys.refresh()
    with pytest.raises(StoreUnavailable):
        keys.reread()
    assert check(keys, "lsk_00000000_anything") == 503
    down.close()


def test_beyond_loopback_needs_a_key_in_the_store(lead_store: LeadStore) -> None:
    keys = StoreKeys(lead_store)
    with pytest.raises(
        ExposureError, match=r"refusing to listen on 0\.0\.0\.0: the lead store \(.*\) holds no key"
    ):
        check_exposure("0.0.0.0", keys)
    keys.create("admin", "")
    check_exposure("0.0.0.0", keys)
    down = LeadStore(UNREACHABLE, connect_timeout=1)
    check_exposure(
        "0.0.0.0", StoreKeys(down)
    )  # cannot count them: starts, auth on, 503 until the store is back
    down.close()
