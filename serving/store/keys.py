"""API keys in the lead store (table `api_keys`), so every replica of the service checks the same keys.

Only each key's sha256, role, label and creation time are stored (serving/keys.py makes and matches keys); a revoke
marks the row, so `leadscore keys import` can never bring a revoked key back. `StoreKeys` is the service's
`KeyStore`: a request is matched against the keys held in memory (no query); `refresh`, run every
LEADSCORE_KEYS_REFRESH_SECONDS by the app, picks up keys made or revoked elsewhere (another replica, `leadscore
keys`); a key not in memory makes one read at once (`reread`, at most one a second), so a new key works everywhere
without waiting. Each write is one row inserted or updated, so concurrent creates and revokes never lose a key.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from serving.keys import ROLES, ApiKey, KeysError, Role, match, new_key
from serving.store.clock import as_utc, utcnow
from serving.store.database import LeadStore, StoreUnavailable, first_line
from serving.store.tables import ID_LENGTH, KEY_ID_LENGTH, StoredKey

log = logging.getLogger(__name__)

# seconds: an unknown key reads the table again at most this often (guessing keys costs one read a second)
MISS_READ_GAP = 1.0
CREATE_TRIES = 3  # a random id or hash that is already taken is drawn again


def _api_key(row: StoredKey) -> ApiKey:
    return ApiKey(
        id=row.id,
        role=row.role,  # type: ignore[arg-type]  # the table only ever receives ROLES
        label=row.label,
        created=as_utc(row.created).isoformat(),
        sha256=row.sha256,
    )


def _created(record: ApiKey) -> datetime:
    try:
        return as_utc(datetime.fromisoformat(record.created))
    except ValueError:
        raise KeysError(f"key {record.id}: created {record.created!r} is not an ISO 8601 time") from None


def _check_label(label: str) -> None:
    if len(label) > ID_LENGTH:
        raise KeysError(f"label: at most {ID_LENGTH} characters")
    if "\x00" in label:
        raise KeysError("label: must not contain a NUL character")


def active_keys(store: LeadStore) -> tuple[ApiKey, ...]:
    """Every key not revoked, oldest first."""
    with store.transaction() as session:
        rows = session.scalars(
            select(StoredKey).where(StoredKey.revoked_at.is_(None)).order_by(StoredKey.created, StoredKey.id)
        )
        return tuple(_api_key(row) for row in rows)


def add_key(store: LeadStore, role: Role, label: str) -> tuple[ApiKey, str]:
    """A new key stored as its hash; the key itself is returned once."""
    _check_label(label)
    for attempt in range(CREATE_TRIES):
        record, key = new_key(role, label)
        try:
            with store.transaction() as session:
                session.add(
                    StoredKey(
                        id=record.id,
                        role=record.role,
                        label=label,
                        created=_created(record),
                        sha256=record.sha256,
                    )
                )
            return record, key
        except IntegrityError:  # the random 32-bit id is taken already (rare): draw another key
            if attempt == CREATE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def revoke_key(store: LeadStore, key_id: str) -> ApiKey:
    """Mark a key revoked; KeysError when there is no such key, or it was revoked before."""
    with store.transaction() as session:
        done = session.execute(
            update(StoredKey)
            .where(StoredKey.id == key_id, StoredKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        row = session.get(StoredKey, key_id)
        if row is not None and done.rowcount == 1:  # type: ignore[attr-defined]
            return _api_key(row)
        if row is not None and row.revoked_at is not None:
            raise KeysError(f"key {key_id} was revoked already, at {as_utc(row.revoked_at).isoformat()}")
        known = ", ".join(session.scalars(select(StoredKey.id).where(StoredKey.revoked_at.is_(None))))
        raise KeysError(f"no key with id {key_id!r} in the lead store (ids: {known or 'none'})")


@dataclass(frozen=True)
class Imported:
    """What `import_keys` did with each key it was given, by key id."""

    added: list[str]
    present: list[str]  # the same key (same hash) is in the store already
    revoked: list[str]  # revoked in the store: not brought back


def import_keys(store: LeadStore, keys: Sequence[ApiKey]) -> Imported:
    """Copy keys (hashes, roles, labels, creation times) into the store in one transaction; running it again
    changes nothing. KeysError, with nothing imported, when an id is taken by a different key."""
    for record in keys:
        if record.role not in ROLES:
            raise KeysError(f"key {record.id}: role {record.role!r} is not one of {', '.join(ROLES)}")
        if not record.id or len(record.id) > KEY_ID_LENGTH:
            raise KeysError(f"key {record.id!r}: an id of 1 to {KEY_ID_LENGTH} characters is needed")
        _check_label(record.label)
    added: list[str] = []
    present: list[str] = []
    revoked: list[str] = []
    try:
        with store.transaction() as session:
            for record in keys:
                same = session.scalars(
                    select(StoredKey).where(StoredKey.sha256 == record.sha256)
                ).one_or_none()
                if same is not None:
                    (revoked if same.revoked_at is not None else present).append(record.id)
                    continue
                if session.get(StoredKey, record.id) is not None:
                    raise KeysError(
                        f"key id {record.id} is taken in the lead store by a different key; nothing was imported"
                    )
                created = _created(record)
                session.add(
                    StoredKey(
                        id=record.id,
                        role=record.role,
                        label=record.label,
                        created=created,
                        sha256=record.sha256,
                    )
                )
                session.flush()
                added.append(record.id)
    except IntegrityError:
        raise KeysError(
            "the keys changed while importing (another command at the same time); nothing was imported: run it again"
        ) from None
    return Imported(added, present, revoked)


class StoreKeys:
    """The service's keys from the lead store: matched in memory, refreshed in the background, re-read on a miss."""

    def __init__(
        self, store: LeadStore, refresh_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._keys: tuple[ApiKey, ...] = ()
        self._read_at: float | None = None  # when the last successful read began
        self._missed_at = float("-inf")  # when a miss last read (or tried to)
        self._error: str | None = None  # why the last read failed; None after a success
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        from sqlalchemy.engine import make_url

        return f"the lead store ({make_url(self.store.url).render_as_string(hide_password=True)})"

    def find(self, key: str) -> ApiKey | None:
        """The key's record among the keys in memory (no query). While the store is unreachable these are the keys
        last read, so scoring goes on; a key revoked just before an outage is refused once the store is back."""
        return match(self._keys, key)

    def refresh(self) -> None:
        """Read the keys again; when the store is unreachable keep those in memory (logged once per outage)."""
        with self._lock, contextlib.suppress(StoreUnavailable):
            self._read()

    def reread(self) -> bool:
        """After a miss: True once the keys in memory were read after the caller looked (read now, unless another
        thread just did); False when a miss read them under a second ago; StoreUnavailable when reading fails."""
        asked = self._clock()
        with self._lock:
            if self._read_at is not None and self._read_at > asked:
                return True
            if asked - self._missed_at < MISS_READ_GAP:
                if self._error is not None:
                    raise StoreUnavailable(f"API keys cannot be read from the lead store: {self._error}")
                return False
            self._missed_at = asked
            self._read()
            return True

    def _read(self) -> None:
        """One read of the table into memory (the caller holds the lock)."""
        began = self._clock()
        try:
            keys = active_keys(self.store)
        except StoreUnavailable as error:
            if self._error is None:
                held = (
                    f"keeping the {len(self._keys)} keys read before"
                    if self._read_at is not None
                    else "none read yet"
                )
                log.error("API keys cannot be read from the lead store (%s); %s", error, held)
            self._error = first_line(error)
            raise
        if self._error is not None:
            log.warning("API keys read from the lead store again (%d keys)", len(keys))
        self._keys, self._read_at, self._error = keys, began, None

    def list_keys(self) -> list[ApiKey]:
        """The keys as the store holds them now (a query; the command line and the start-up check use it)."""
        return list(active_keys(self.store))

    def create(self, role: Role, label: str) -> tuple[ApiKey, str]:
        return add_key(self.store, role, label)

    def revoke(self, key_id: str) -> ApiKey:
        record = revoke_key(self.store, key_id)
        self._keys = tuple(k for k in self._keys if k.id != key_id)  # this process refuses it at once
        return record
