"""Registry URIs are parsed one way for training reports and for serving."""

from __future__ import annotations

import pytest

from features.model_uri import RegistryRef, registry_ref


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("models:/lead-scoring@champion", RegistryRef("lead-scoring", "champion", None)),
        ("models:/lead-scoring/12", RegistryRef("lead-scoring", None, "12")),
        ("models:/x_edu@challenger", RegistryRef("x_edu", "challenger", None)),
    ],
)
def test_registry_uris_name_a_model_and_an_alias_or_a_version(uri: str, expected: RegistryRef) -> None:
    assert registry_ref(uri) == expected


@pytest.mark.parametrize(
    "uri",
    ["runs:/abc/model", "/tmp/model", "models:/", "models:/a", "models:/a/b/c", "models:/a@", "models:/@x"],
)
def test_other_uris_are_not_registry_uris(uri: str) -> None:
    assert registry_ref(uri) is None


def test_ref_is_the_alias_else_the_version() -> None:
    assert registry_ref("models:/m@champion").ref == "champion"  # type: ignore[union-attr]
    assert registry_ref("models:/m/3").ref == "3"  # type: ignore[union-attr]
