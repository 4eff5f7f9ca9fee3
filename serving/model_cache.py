"""A local copy of each registered model version the service loaded, so it can start while the registry is down.

Layout under the cache folder, one folder per (tracking URI, registered model name):

    <root>/<sha of tracking URI and name>/<version>/       the version's MLflow model folder, complete or absent
    <root>/<sha of tracking URI and name>/<ref>.json       what `@alias` (or `/version`) last resolved to

A version folder appears only by renaming a finished download (temp folder + rename) and a pointer only by replacing
its file, so a crash at any moment leaves either the previous cache or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import mlflow

if TYPE_CHECKING:
    from serving.model_store import Target

log = logging.getLogger(__name__)

STALE_SECONDS = 3600.0  # an unfinished download older than this was left by a crash


class ModelCache:
    """Versions downloaded from one registry, and which version each alias or version URI last named."""

    def __init__(self, root: Path, tracking_uri: str) -> None:
        self.root = root
        self.tracking_uri = tracking_uri

    def folder(self, name: str) -> Path:
        key = hashlib.sha256(f"{self.tracking_uri}\n{name}".encode()).hexdigest()[:20]
        return self.root / key

    def fetch(self, target: Target) -> Path:
        """The version's local model folder: the cached copy, else downloaded from the registry and put in place."""
        assert target.name is not None, "only registered versions are cached"
        folder = self.folder(target.name)
        final = folder / target.version
        if (final / "MLmodel").is_file():
            return final
        folder.mkdir(parents=True, exist_ok=True)
        self._sweep(folder)
        partial = Path(tempfile.mkdtemp(prefix=".download-", dir=folder))
        try:
            mlflow.artifacts.download_artifacts(artifact_uri=target.load_uri, dst_path=str(partial))
            if not (partial / "MLmodel").is_file():
                raise FileNotFoundError(f"{target.load_uri} has no MLmodel file")
            try:
                partial.rename(final)
            except OSError:  # another process finished the same version first: keep theirs
                if not (final / "MLmodel").is_file():
                    raise
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return final

    def remember(self, target: Target) -> None:
        """Record that `target` is what its alias (or version) names and loads fine; drop versions no one names."""
        assert target.name is not None
        folder = self.folder(target.name)
        record = {**asdict(target), "tracking_uri": self.tracking_uri, "cached_at": time.time()}
        handle, temporary = tempfile.mkstemp(prefix=".pointer-", dir=folder)
        with os.fdopen(handle, "w") as out:
            json.dump(record, out)
        os.replace(temporary, self._pointer(folder, target.alias or target.version))
        named = {json.loads(p.read_text())["version"] for p in folder.glob("*.json")}
        for child in folder.iterdir():
            if child.is_dir() and not child.name.startswith(".") and child.name not in named:
                shutil.rmtree(child, ignore_errors=True)

    def recall(self, name: str, ref: str) -> Target | None:
        """What `models:/name@ref` (or `/ref`) named when it was last loaded, if its copy is still here."""
        from serving.model_store import Target

        pointer = self._pointer(self.folder(name), ref)
        try:
            record = json.loads(pointer.read_text())
            target = Target(**{k: record[k] for k in ("load_uri", "version", "name", "alias", "run_id")})
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return target if (self.folder(name) / target.version / "MLmodel").is_file() else None

    def describe(self, name: str) -> str:
        return str(self.folder(name))

    @staticmethod
    def _pointer(folder: Path, ref: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in ref)
        return folder / f"{safe}.json"

    @staticmethod
    def _sweep(folder: Path) -> None:
        """Remove downloads a crash left behind (old enough that no live process is still writing them)."""
        for child in folder.glob(".download-*"):
            with contextlib.suppress(OSError):
                if time.time() - child.stat().st_mtime > STALE_SECONDS:
                    shutil.rmtree(child, ignore_errors=True)
        for child in folder.glob(".pointer-*"):
            with contextlib.suppress(OSError):
                if time.time() - child.stat().st_mtime > STALE_SECONDS:
                    child.unlink()
