"""`leadscore keys`: create (the key is printed once), list (no secrets) and revoke the scoring service's API keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.options import fail

if TYPE_CHECKING:
    from serving.keys import FileKeyStore

keys_app = typer.Typer(
    help="API keys for the scoring service (roles: score, sales, marketing, admin); stored as hashes in LEADSCORE_KEYS_FILE.",
    no_args_is_help=True,
)

KeysFile = Annotated[
    Path | None,
    typer.Option(
        "--keys-file",
        envvar="LEADSCORE_KEYS_FILE",
        help="The keys file the service reads (default: LEADSCORE_KEYS_FILE).",
    ),
]


def _store(keys_file: Path | None) -> FileKeyStore:
    from serving.keys import FileKeyStore

    if keys_file is None:
        fail("no keys file: set LEADSCORE_KEYS_FILE or pass --keys-file")
    if keys_file.is_dir():
        fail(f"--keys-file: {keys_file} is a folder; name a file, e.g. {keys_file / 'keys.json'}")
    return FileKeyStore(keys_file)


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
    keys_file: KeysFile = None,
) -> None:
    """Make a key and print it once on stdout (only its sha256 is kept); details go to stderr."""
    from serving.keys import ROLES, KeysError

    if role not in ROLES:
        fail(f"--role: {role!r} is not one of {', '.join(ROLES)}")
    store = _store(keys_file)
    try:
        record, key = store.create(role, label)
    except (KeysError, OSError) as error:
        fail(str(error))
    typer.echo(key)
    typer.echo(
        f"created key {record.id} (role {record.role}{f', {label}' if label else ''}) in {store.path}; "
        "it is shown only this once: store it now",
        err=True,
    )


@keys_app.command("list")
def list_keys(keys_file: KeysFile = None) -> None:
    """The keys in the file: id, role, created, label (never a secret or a hash)."""
    from serving.keys import KeysError

    store = _store(keys_file)
    try:
        keys = store.list_keys()
    except (KeysError, OSError) as error:
        fail(str(error))
    if not keys:
        typer.echo(f"no keys in {store.path}; make one with `leadscore keys create --role ROLE`", err=True)
        return
    typer.echo(f"{'id':<10}{'role':<11}{'created':<27}label")
    for k in keys:
        typer.echo(f"{k.id:<10}{k.role:<11}{k.created:<27}{k.label}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `leadscore keys list` shows it.")],
    keys_file: KeysFile = None,
) -> None:
    """Remove a key; the running service refuses it from its next request on (it re-reads the file when it changes)."""
    from serving.keys import KeysError

    store = _store(keys_file)
    try:
        record = store.revoke(key_id)
    except (KeysError, OSError) as error:
        fail(str(error))
    typer.echo(f"revoked key {record.id} (role {record.role}{f', {record.label}' if record.label else ''})")
