"""Which API keys the settings name: the keys file, the lead store's table, or none (auth off, loopback only).

One rule for the service and `leadscore keys`: LEADSCORE_KEYS=store puts keys in the lead store (what replicas
need); otherwise LEADSCORE_KEYS_FILE names the file, and without it auth is off. Both set is refused rather than
guessed, so an upgrade or a typo never turns auth off or hides keys.
"""

from __future__ import annotations

from serving.keys import FileKeyStore, KeysError, KeyStore
from serving.settings import Settings
from serving.store import LeadStore, StoreKeys, open_lead_store

BOTH = (
    "LEADSCORE_KEYS=store and LEADSCORE_KEYS_FILE are both set: keys live in one place; copy the file's keys with "
    "`leadscore keys import FILE`, then unset LEADSCORE_KEYS_FILE"
)


def open_key_store(settings: Settings, lead_store: LeadStore | None = None) -> KeyStore | None:
    """The settings' key store (nothing is read yet); KeysError when they name two."""
    if settings.keys == "store":
        if settings.keys_file is not None:
            raise KeysError(BOTH)
        return StoreKeys(lead_store or open_lead_store(settings), settings.keys_refresh_seconds)
    if settings.keys_file is None:
        return None
    if settings.keys_file.is_dir():
        raise KeysError(
            f"LEADSCORE_KEYS_FILE: {settings.keys_file} is a folder; name a file, e.g. {settings.keys_file / 'keys.json'}"
        )
    return FileKeyStore(settings.keys_file)
