"""API keys: stored only as hashes, matched exactly, written atomically, re-read when the file changes."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from coroutines import run
from starlette.datastructures import Headers

from serving.auth import Authorizer, ExposureError, check_exposure, is_loopback
from serving.keys import FileKeyStore, KeysError, digest


def test_a_created_key_is_found_and_only_its_hash_is_stored(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    record, key = store.create("score", "hubspot")
    text = (tmp_path / "keys.json").read_text()
    assert key not in text and key.split("_")[-1] not in text
    assert digest(key) in text and json.loads(text)["keys"][0]["label"] == "hubspot"
    assert store.find(key) == record
    assert store.find(key + "x") is None and store.find(key[:-1]) is None and store.find("") is None
    assert oct((tmp_path / "keys.json").stat().st_mode & 0o777) == "0o600"


def test_keys_are_random_and_revoking_one_leaves_the_others(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    made = [store.create(role, "") for role in ("score", "sales", "admin")]
    assert len({key for _, key in made}) == 3 and len({r.id for r, _ in made}) == 3
    gone = store.revoke(made[1][0].id)
    assert gone.role == "sales"
    assert store.find(made[1][1]) is None
    assert [store.find(key) for _, key in (made[0], made[2])] == [made[0][0], made[2][0]]
    with pytest.raises(KeysError, match="no key with id 'nope'"):
        store.revoke("nope")


def test_another_process_writing_the_file_is_seen_without_restart(tmp_path: Path) -> None:
    serving = FileKeyStore(tmp_path / "keys.json")
    assert serving.list_keys() == []
    record, key = FileKeyStore(tmp_path / "keys.json").create("admin", "ops")  # the CLI, elsewhere
    assert serving.find(key) == record
    FileKeyStore(tmp_path / "keys.json").revoke(record.id)
    assert serving.find(key) is None


def test_a_write_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    for _ in range(3):
        store.create("score", "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "keys.json.lock"]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not valid JSON"),
        ('{"keys": {}}', '"keys"'),
        (
            '{"keys": [{"id": "a", "role": "root", "label": "", "created": "", "sha256": "x"}]}',
            "keys[0].role",
        ),
        ('{"keys": [{"id": "a", "role": "score"}]}', "keys[0]: missing or not text: label, created, sha256"),
    ],
)
def test_a_malformed_keys_file_is_one_line_naming_the_problem(
    tmp_path: Path, content: str, named: str
) -> None:
    (tmp_path / "keys.json").write_text(content)
    with pytest.raises(KeysError, match=r"keys\.json") as error:
        FileKeyStore(tmp_path / "keys.json").list_keys()
    assert named in str(error.value) and "\n" not in str(error.value)


def headers(**values: str) -> Headers:
    return Headers({k.replace("_", "-"): v for k, v in values.items()})


def test_roles_admin_may_do_everything_score_and_sales_only_their_own(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    keys = {role: store.create(role, "")[1] for role in ("score", "sales", "admin")}
    authorizer = Authorizer(store)
    allowed = {
        (role, needed)
        for role, key in keys.items()
        for needed in ("score", "sales", "admin")
        if _lets_in(authorizer, key, needed)
    }
    assert allowed == {
        ("score", "score"),
        ("sales", "sales"),
        ("admin", "score"),
        ("admin", "sales"),
        ("admin", "admin"),
    }


def _lets_in(authorizer: Authorizer, key: str, needed: str) -> bool:
    from fastapi import HTTPException

    try:
        run(authorizer.check(headers(authorization=f"Bearer {key}"), frozenset({needed}), "x"))  # type: ignore[arg-type]
    except HTTPException as error:
        assert error.status_code == 403, error.detail
        return False
    return True


def test_both_headers_carry_a_key_and_a_bad_scheme_is_refused(tmp_path: Path) -> None:
    from fastapi import HTTPException

    store = FileKeyStore(tmp_path / "keys.json")
    record, key = store.create("score", "")
    authorizer = Authorizer(store)
    need = frozenset({"score"})
    assert run(authorizer.check(headers(x_api_key=key), need, "x")) == record  # type: ignore[arg-type]
    assert run(authorizer.check(headers(authorization=f"bearer  {key} "), need, "x")) == record  # type: ignore[arg-type]
    with pytest.raises(HTTPException) as error:
        run(authorizer.check(headers(authorization=f"Basic {key}"), need, "x"))  # type: ignore[arg-type]
    assert error.value.status_code == 401 and "Bearer" in error.value.detail


def test_an_unreadable_keys_file_lets_nobody_in(tmp_path: Path) -> None:
    from fastapi import HTTPException

    store = FileKeyStore(tmp_path / "keys.json")
    _, key = store.create("admin", "")
    (tmp_path / "keys.json").write_text("{broken")
    with pytest.raises(HTTPException) as error:
        run(Authorizer(store).check(headers(x_api_key=key), frozenset({"admin"}), "x"))
    assert error.value.status_code == 503 and "keys.json" not in str(error.value.detail)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "example.com", ""])
def test_without_keys_only_loopback_is_allowed(tmp_path: Path, host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(
        ExposureError, match=re.escape(f"refusing to listen on {host}: no API keys are configured")
    ):
        check_exposure(host, None)
    empty = FileKeyStore(tmp_path / "keys.json")
    with pytest.raises(ExposureError, match="holds no key"):
        check_exposure(host, empty)
    empty.create("admin", "")
    check_exposure(host, empty)


def test_keys_survive_a_crashed_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileKeyStore(tmp_path / "keys.json")
    record, key = store.create("sales", "")

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        store.create("admin", "")
    monkeypatch.undo()
    assert FileKeyStore(tmp_path / "keys.json").find(key) == record
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "keys.json.lock"]


def test_concurrent_creates_lose_no_key(tmp_path: Path) -> None:
    """Two `leadscore keys create` at once: the lock makes each read-modify-write whole."""
    from concurrent.futures import ThreadPoolExecutor

    def create(i: int) -> str:
        return FileKeyStore(tmp_path / "keys.json").create("score", f"k{i}")[1]

    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(create, range(24)))
    store = FileKeyStore(tmp_path / "keys.json")
    assert len(store.list_keys()) == 24 and all(store.find(key) for key in keys)
