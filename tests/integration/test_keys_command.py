"""`leadscore keys` against the lead store (LEADSCORE_KEYS=store or --keys store), `keys import`, and the one rule
for where keys live: the file and the store both named is refused, by the command line and by `serve`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from serving.keys import FileKeyStore
from serving.store import LeadStore, StoreKeys, active_keys

runner = CliRunner()


def keys(*args: str, **env: str | None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["keys", *args], env={"LEADSCORE_KEYS_FILE": None, **env})
    return result.exit_code, result.stdout, result.stderr


def test_create_list_revoke_in_the_store(lead_store: LeadStore) -> None:
    env = {"LEADSCORE_KEYS": "store", "LEADSCORE_DATABASE_URL": lead_store.url}
    code, out, err = keys("create", "--role", "sales", "--label", "alice", **env)
    assert code == 0, err
    key = out.strip()
    assert key.startswith("lsk_") and "in the lead store" in err and key not in err
    service = StoreKeys(lead_store)
    service.refresh()
    record = service.find(key)
    assert record is not None and record.role == "sales" and record.label == "alice"

    code, listing, _ = keys("list", **env)
    assert code == 0 and record.id in listing and "alice" in listing and record.sha256 not in listing

    code, out, _ = keys("revoke", record.id, **env)
    assert code == 0 and f"revoked key {record.id}" in out
    assert active_keys(lead_store) == ()
    code, _, err = keys("revoke", record.id, **env)
    assert (
        code == 2 and err.startswith(f"error: key {record.id} was revoked already") and err.count("\n") == 1
    )


def test_the_flags_name_the_store_too(lead_store: LeadStore) -> None:
    code, _, err = keys("create", "--role", "admin", "--keys", "store", "--database", lead_store.url)
    assert code == 0, err
    assert [k.role for k in active_keys(lead_store)] == ["admin"]


def test_import_moves_a_keys_file_into_the_store_once(lead_store: LeadStore, tmp_path: Path) -> None:
    file = FileKeyStore(tmp_path / "keys.json")
    made = [file.create(role, role) for role in ("score", "sales")]
    before = (tmp_path / "keys.json").read_text()
    code, out, err = keys("import", str(tmp_path / "keys.json"), "--database", lead_store.url)
    assert code == 0, err
    assert "imported 2 of 2 keys" in out and "LEADSCORE_KEYS=store" in err
    assert (tmp_path / "keys.json").read_text() == before  # the file is left as it was
    service = StoreKeys(lead_store)
    service.refresh()
    assert [service.find(key) for _, key in made] == [record for record, _ in made]
    code, out, err = keys("import", str(tmp_path / "keys.json"), "--database", lead_store.url)
    assert code == 0 and "imported 0 of 2 keys" in out and "already there" in err


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ("list",),
            {"LEADSCORE_KEYS": "store", "LEADSCORE_KEYS_FILE": "keys.json"},
            "LEADSCORE_KEYS=store and LEADSCORE_KEYS_FILE are both set",
        ),
        (("list", "--keys", "store", "--keys-file", "keys.json"), {}, "are both set"),
        (("list",), {"LEADSCORE_KEYS": "db"}, "LEADSCORE_KEYS: Input should be 'file' or 'store'"),
        (("list",), {}, "no keys file: set LEADSCORE_KEYS_FILE or pass --keys-file"),
        (
            ("list", "--keys", "store"),
            {"LEADSCORE_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9/x"},
            "lead store unreachable",
        ),
        (("import", "missing.json"), {}, "FILE: missing.json is not a file"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    args: tuple[str, ...], env: dict[str, str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = keys(*args, **{"LEADSCORE_DATABASE_CONNECT_TIMEOUT": "1", **env})
    assert code == 2, err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err


@pytest.mark.usefixtures("no_server")
def test_serve_refuses_the_file_and_the_store_both_named(tmp_path: Path) -> None:
    env = {"LEADSCORE_KEYS": "store", "LEADSCORE_KEYS_FILE": str(tmp_path / "keys.json")}
    result = runner.invoke(app, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: LEADSCORE_KEYS=store and LEADSCORE_KEYS_FILE are both set")
    assert result.stderr.count("\n") == 1


@pytest.mark.usefixtures("no_server")
def test_serve_names_a_wrong_keys_setting_in_one_line() -> None:
    result = runner.invoke(app, ["serve", "--port", "1"], env={"LEADSCORE_KEYS": "database"})
    assert result.exit_code == 2, result.output
    assert result.stderr == "error: LEADSCORE_KEYS: Input should be 'file' or 'store'\n"
