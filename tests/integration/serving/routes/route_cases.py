"""Settings for the route tests' apps: the session's trained model, a given lead store, no watching."""

from __future__ import annotations

from typing import Any

from serving.settings import Settings

MODEL_URI = "models:/serving-leads@champion"  # what tests/integration/serving/conftest.py trains


def app_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "model_uri": MODEL_URI,
        "watch_seconds": 0,
        "max_batch": 500,
        "max_body_bytes": 1_000_000,
        "database_url": database_url,
        "database_retry_after": 7,
        "sla_hours": {"A": 1, "B": 4, "C": 24, "D": None},
    }
    return Settings(**(values | overrides))
