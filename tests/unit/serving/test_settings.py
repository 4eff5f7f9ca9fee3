"""The service's settings: from the environment, or given by name in code (a notebook, a benchmark, a test)."""

from __future__ import annotations

import pytest

from serving.settings import Settings


def test_the_tracking_uri_comes_from_mlflow_s_variable_or_leadscore_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("LEADSCORE_TRACKING_URI", "sqlite:///leadscore.db")
    assert Settings().tracking_uri == "sqlite:///leadscore.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow-env.db")
    assert Settings().tracking_uri == "sqlite:///mlflow-env.db"


def test_a_setting_given_by_name_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-env.db")
    assert Settings(tracking_uri="sqlite:///given.db").tracking_uri == "sqlite:///given.db"
