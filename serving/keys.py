"""API keys: shown once when created, stored only as sha256 hashes with a role, matched in constant time.

A key is `lsk_<id>_<secret>` with a 256-bit random secret, so one sha256 is as strong as a slow hash would be; the
public `<id>` names the key in `leadscore keys list` and `revoke`. Storage sits behind `KeyStore`: a JSON file
(`FileKeyStore`, one machine) or the lead store's table (`serving.store.keys.StoreKeys`, shared by replicas).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, cast, get_args

Role = Literal["score", "sales", "marketing", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
PREFIX = "lsk_"
FILE_VERSION = 1


class KeysError(ValueError):
    """A keys file or key operation that cannot proceed: one line naming what is wrong."""


@dataclass(frozen=True)
class ApiKey:
    """One stored key: its public id, role, label, creation time and the sha256 of the key (never the key)."""

    id: str
    role: Role
    label: str
    created: str
    sha256: str


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def new_key(role: Role, label: str) -> tuple[ApiKey, str]:
    """A fresh key and its stored record; the plaintext is returned once and never kept."""
    if role not in ROLES:
        raise KeysError(f"role {role!r} is not one of {', '.join(ROLES)}")
    key_id = secrets.token_hex(4)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    return ApiKey(id=key_id, role=role, label=label, created=created, sha256=digest(key)), key


def match(keys: tuple[ApiKey, ...], key: str) -> ApiKey | None:
    """The stored key this plaintext hashes to; every record is compared, each in constant time."""
    wanted = digest(key)
    found = None
    for record in keys:
        if hmac.compare_digest(record.sha256, wanted):
            found = record
    return found


class KeyStore(Protocol):
    """Where keys live; the service needs `find` and `reread`, the command line the rest."""

    @property
    def where(self) -> str: ...  # for messages: the file, or the lead store
    def find(self, key: str) -> ApiKey | None: ...  # cheap enough for every request: memory, or a stat
    def reread(
        self,
    ) -> bool: ...  # after a miss: read storage again now? (blocking: called off the event loop)
    def list_keys(self) -> list[ApiKey]: ...
    def create(self, role: Role, label: str) -> tuple[ApiKey, str]: ...
    def revoke(self, key_id: str) -> ApiKey: ...


def _record(raw: Any, where: str) -> ApiKey:
    if not isinstance(raw, dict):
        raise KeysError(f"{where}: expected an object")
    missing = [
        name for name in ("id", "role", "label", "created", "sha256") if not isinstance(raw.get(name), str)
    ]
    if missing:
        raise KeysError(f"{where}: missing or not text: {', '.join(missing)}")
    if raw["role"] not in ROLES:
        raise KeysError(f"{where}.role: {raw['role']!r} is not one of {', '.join(ROLES)}")
    return ApiKey(
        id=raw["id"],
        role=cast(Role, raw["role"]),
        label=raw["label"],
        created=raw["created"],
        sha256=raw["sha256"],
    )


def parse(text: str, name: str) -> tuple[ApiKey, ...]:
    """The keys in a keys file's text; KeysError naming the first problem."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise KeysError(f"{name}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeysError(f'{name}: expected {{"version": {FILE_VERSION}, "keys": [...]}}')
    return tuple(_record(raw, f"{name}: keys[{i}]") for i, raw in enumerate(data["keys"]))


class FileKeyStore:
    """Keys in a JSON file (hashes only), re-read when the file changes, rewritten atomically under a lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int, int] | None = None
        self._keys: tuple[ApiKey, ...] = ()

    def current(self) -> tuple[ApiKey, ...]:
        """The keys as the file holds them now (a stat per call; parsed again only when the file changed)."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._keys = None, ()
            return ()
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._stamp:
            keys = parse(self.path.read_text(encoding="utf-8"), self.path.name)
            self._stamp, self._keys = stamp, keys
        return self._keys

    @property
    def where(self) -> str:
        return str(self.path)

    def find(self, key: str) -> ApiKey | None:
        return match(self.current(), key)

    def reread(self) -> bool:
        return False  # `find` stats the file every time: a miss has nothing newer to read

    def list_keys(self) -> list[ApiKey]:
        return list(self.current())

    def create(self, role: Role, label: str) -> tuple[ApiKey, str]:
        record, key = new_key(role, label)
        with self._locked():
            self._write((*self.current(), record))
        return record, key

    def revoke(self, key_id: str) -> ApiKey:
        with self._locked():
            keys = self.current()
            gone = [k for k in keys if k.id == key_id]
            if not gone:
                known = ", ".join(k.id for k in keys) or "none"
                raise KeysError(f"no key with id {key_id!r} in {self.path.name} (ids: {known})")
            self._write(tuple(k for k in keys if k.id != key_id))
        return gone[0]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (two `leadscore keys` commands at once must not lose a key)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, keys: tuple[ApiKey, ...]) -> None:
        """Temp file in the same folder, fsync, then os.replace: readers see the old file or the new one."""
        payload = {"version": FILE_VERSION, "keys": [asdict(k) for k in keys]}
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(payload, out, indent=2)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
