"""Registry model URIs, `models:/NAME@ALIAS` and `models:/NAME/VERSION`: how training, reports and serving name models."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REGISTRY_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>[^/]+))")


@dataclass(frozen=True)
class RegistryRef:
    """A registered model and either the alias or the version the URI names."""

    name: str
    alias: str | None
    version: str | None

    @property
    def ref(self) -> str:
        """The alias, else the version."""
        return self.alias or str(self.version)


def registry_ref(uri: str) -> RegistryRef | None:
    """The parts of a registry URI; None for anything else (`runs:/...`, a path)."""
    match = _REGISTRY_URI.fullmatch(uri)
    return RegistryRef(match["name"], match["alias"], match["version"]) if match else None
