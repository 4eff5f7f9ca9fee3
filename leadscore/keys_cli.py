"""`leadscore keys`: create (the key is printed once), list (no secrets), revoke and import the service's API keys.

The keys are wherever the service finds them (serving/key_source.py): the lead store with LEADSCORE_KEYS=store (or
`--keys store`), else the file LEADSCORE_KEYS_FILE (or `--keys-file`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from leadscore.options import DatabaseOption, fail
from serving.settings import Settings

if TYPE_CHECKING:
    from serving.keys import KeyStore

keys_app = typer.Typer(
    help="API keys for the scoring service (roles: score, sales, marketing, admin), stored as hashes in the lead "
    "store (LEADSCORE_KEYS=store) or in LEADSCORE_KEYS_FILE.",
    no_args_is_help=True,
)

KeysFile = Annotated[
    Path | None,
    typer.Option("--keys-file", help="The keys file the service reads (default: LEADSCORE_KEYS_FILE)."),
]
KeysWhere = Annotated[
    Literal["file", "store"] | None,
    typer.Option(
        "--keys", help=f"{Settings.model_fields['keys'].description} Default: LEADSCORE_KEYS, else file."
    ),
]


def _settings(**overrides: Any) -> Settings:
    """The service's settings (LEADSCORE_* environment) with the command's options on top; one line when wrong."""
    from pydantic import ValidationError

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        fail(f"LEADSCORE_{str(first['loc'][0]).upper()}: {first['msg']}")


@contextmanager
def _key_store(keys: str | None, keys_file: Path | None, database: str | None) -> Iterator[KeyStore]:
    """The key store the service with these settings reads; any KeysError or store outage in the block is one line."""
    from sqlalchemy.exc import ArgumentError

    from serving.key_source import open_key_store
    from serving.keys import KeysError
    from serving.store import StoreUnavailable

    settings = _settings(keys=keys, keys_file=keys_file, database_url=database)
    try:
        store = open_key_store(settings)
        if store is None:
            fail(
                "no keys file: set LEADSCORE_KEYS_FILE or pass --keys-file (or keep keys in the lead store: "
                "LEADSCORE_KEYS=store or --keys store)"
            )
        yield store
    except (KeysError, OSError, StoreUnavailable) as error:
        fail(str(error))
    except ArgumentError:
        fail(f"--database: not a database URL: {settings.database_url.split(':', 1)[0]}:...")


@keys_app.command("create")
def create(
    role: Annotated[
        str,
        typer.Option(
            help="score (scoring, ingest), sales (queue, outcomes), marketing (dashboard, reports; read-only) "
            "or admin (all)."
        ),
    ],
    label: Annotated[str, typer.Option(help="Who or what uses the key, e.g. 'hubspot' or 'alice'.")] = "",
    keys: KeysWhere = None,
    keys_file: KeysFile = None,
    database: DatabaseOption = None,
) -> None:
    """Make a key and print it once on stdout (only its sha256 is kept); details go to stderr."""
    from serving.keys import ROLES

    if role not in ROLES:
        fail(f"--role: {role!r} is not one of {', '.join(ROLES)}")
    with _key_store(keys, keys_file, database) as store:
        record, key = store.create(role, label)
    typer.echo(key)
    typer.echo(
        f"created key {record.id} (role {record.role}{f', {label}' if label else ''}) in {store.where}; "
        "it is shown only this once: store it now",
        err=True,
    )


@keys_app.command("list")
def list_keys(keys: KeysWhere = None, keys_file: KeysFile = None, database: DatabaseOption = None) -> None:
    """The keys in use: id, role, created, label (never a secret or a hash; revoked keys are left out)."""
    with _key_store(keys, keys_file, database) as store:
        found = store.list_keys()
    if not found:
        typer.echo(f"no keys in {store.where}; make one with `leadscore keys create --role ROLE`", err=True)
        return
    typer.echo(f"{'id':<10}{'role':<11}{'created':<27}label")
    for k in found:
        typer.echo(f"{k.id:<10}{k.role:<11}{k.created:<27}{k.label}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `leadscore keys list` shows it.")],
    keys: KeysWhere = None,
    keys_file: KeysFile = None,
    database: DatabaseOption = None,
) -> None:
    """Revoke a key: refused from the next request (file), within LEADSCORE_KEYS_REFRESH_SECONDS (store)."""
    with _key_store(keys, keys_file, database) as store:
        record = store.revoke(key_id)
    typer.echo(f"revoked key {record.id} (role {record.role}{f', {record.label}' if record.label else ''})")


@keys_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="A keys file (LEADSCORE_KEYS_FILE), read and left as it is.")],
    database: DatabaseOption = None,
) -> None:
    """Copy a keys file's keys into the lead store (for LEADSCORE_KEYS=store); a second run changes nothing."""
    from sqlalchemy.exc import ArgumentError

    from serving.keys import FileKeyStore, KeysError
    from serving.store import StoreKeys, StoreUnavailable, import_keys, open_lead_store

    if not file.is_file():
        fail(f"FILE: {file} is not a file")
    settings = _settings(database_url=database)
    try:
        keys = FileKeyStore(file).list_keys()
        store = StoreKeys(open_lead_store(settings))
        done = import_keys(store.store, keys)
    except (KeysError, OSError, StoreUnavailable) as error:
        fail(str(error))
    except ArgumentError:
        fail(f"--database: not a database URL: {settings.database_url.split(':', 1)[0]}:...")
    typer.echo(f"imported {len(done.added)} of {len(keys)} keys from {file} into {store.where}")
    if done.present:
        typer.echo(f"already there: {', '.join(done.present)}", err=True)
    if done.revoked:
        typer.echo(f"revoked in the lead store, left revoked: {', '.join(done.revoked)}", err=True)
    typer.echo("next: set LEADSCORE_KEYS=store and unset LEADSCORE_KEYS_FILE for every replica", err=True)
