"""Service configuration: environment variables through one settings class."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the scoring service reads from its environment (LEADSCORE_* and MLflow's own variable)."""

    # populate_by_name: Settings(tracking_uri=...) is taken as given (without it pydantic ignores the field's name and
    # reads MLflow's variable instead)
    model_config = SettingsConfigDict(
        env_prefix="LEADSCORE_", extra="ignore", frozen=True, populate_by_name=True
    )

    model_uri: str = Field(
        default="models:/lead-scoring@champion",
        description="Model to serve; an @alias is watched for updates.",
    )
    tracking_uri: str = Field(
        default="sqlite:///mlflow.db",
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "LEADSCORE_TRACKING_URI"),
        description="MLflow tracking and registry URI.",
    )
    watch_seconds: float = Field(
        default=30.0, ge=0.0, description="How often to check the alias; 0 turns watching off."
    )
    max_batch: int = Field(default=10_000, ge=1, description="Most leads accepted in one batch request.")
    max_body_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1, description="Larger request bodies are refused (413) before parsing."
    )
    top_reasons: int = Field(
        default=3, ge=0, le=20, description="Positive and negative reasons returned per lead."
    )
    predict_threads: int = Field(
        default=1, ge=1, description="LightGBM threads per request (one is fastest for few rows)."
    )
    max_text_length: int = Field(
        default=1_000,
        ge=1,
        description="Longest text accepted in one lead field (ids, categories); longer is a 422.",
    )
    keys_file: Path | None = Field(
        default=None,
        description="API keys (hashes and roles, see `leadscore keys`); unset means auth off and loopback only.",
    )
    keys: Literal["file", "store"] = Field(
        default="file",
        description="Where API keys live: `file` (LEADSCORE_KEYS_FILE; unset: auth off, loopback only) or "
        "`store` (the lead store's api_keys table, which replicas share; auth always on).",
    )
    keys_refresh_seconds: float = Field(
        default=5.0,
        gt=0,
        description="With keys in the store: how often a replica reads them again, so a revoke anywhere is refused "
        "everywhere within this time (an unknown key reads them at once).",
    )
    host: str = Field(
        default="127.0.0.1",
        description="Where `leadscore serve` listens; beyond loopback only with API keys.",
    )

    model_cache_dir: Path | None = Field(
        default_factory=lambda: default_model_cache(),
        description="Local copies of the models served, used when the registry is unreachable at startup "
        "(default $XDG_CACHE_HOME/leadscore/models or ~/.cache/leadscore/models; empty turns it off).",
    )
    registry_timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait for the MLflow registry before treating it as unreachable.",
    )

    @field_validator("keys_file", "model_cache_dir", mode="before")
    @classmethod
    def _empty_means_unset(cls, value: Any) -> Any:
        """LEADSCORE_KEYS_FILE= (empty) is no keys file, not the current folder (and so for the model cache)."""
        return None if isinstance(value, str) and not value.strip() else value

    # the lead store (serving/store): leads, score history, outcomes
    database_url: str = Field(
        default="sqlite:///leadscore.db",
        description="Lead store: a SQLite file (default) or postgresql+psycopg://user@host/db.",
    )
    database_retry_after: int = Field(
        default=5,
        ge=1,
        description="Retry-After seconds sent with a 503 while the lead store is unreachable.",
    )
    database_connect_timeout: float = Field(
        default=5.0, gt=0, description="Seconds to wait for the lead store before answering 503."
    )
    source_field: str = Field(default="lead_source", description="Payload field holding a lead's source.")
    campaign_field: str = Field(
        default="utm_campaign", description="Payload field holding a lead's campaign."
    )
    owner_field: str = Field(default="owner", description="Payload field holding a lead's sales owner.")
    display_fields: list[str] = Field(
        default=[],
        description="Payload fields the queue shows to identify and reach a lead, in order "
        '(JSON: ["name", "company", "email", "phone", "crm_url"]); e-mail, phone and http(s) values become links.',
    )
    sla_hours: dict[str, float | None] = Field(
        default={"A": 1.0, "B": 4.0, "C": 24.0, "D": None},
        description='First-contact deadline per grade in hours, null to nurture (JSON: {"A": 1, "D": null}).',
    )
    rejection_reasons: list[str] = Field(
        default=["bad fit", "no budget", "no authority", "no need", "unreachable", "duplicate", "spam"],
        min_length=1,
        description="Reasons sales may give when rejecting a lead (JSON list).",
    )

    # monitoring (serving/monitor.py, docs/monitoring.md): drift against the model's reference profile
    monitor_days: float = Field(
        default=7.0, gt=0, description="Default monitoring window: the leads that arrived in the last N days."
    )
    monitor_psi_watch: float = Field(default=0.1, gt=0, description="PSI from which drift is worth watching.")
    monitor_psi_alert: float = Field(default=0.25, gt=0, description="PSI above which drift alerts.")
    monitor_min_leads: int = Field(
        default=200, ge=1, description="Fewest leads in the window for any drift alert (fewer: noise)."
    )
    monitor_share_rise: float = Field(
        default=0.10,
        gt=0,
        le=1,
        description="Rise in a feature's missing or unseen share (absolute, vs training) that alerts.",
    )
    # live performance from sales outcomes (serving/live_performance.py)
    monitor_outcome_days: float = Field(
        default=91.0,
        gt=0,
        description="Live accuracy covers the leads that arrived in the N days before the window's end "
        "(outcomes take a sales cycle to come in).",
    )
    monitor_min_outcomes: int = Field(
        default=100, ge=1, description="Fewest leads with a final outcome before a group is judged."
    )
    monitor_conversion_tolerance: float = Field(
        default=0.1, gt=0, description="Relative gap of observed vs expected conversion that may alert."
    )
    monitor_ece_alert: float = Field(
        default=0.05, gt=0, lt=1, description="ECE whose interval lies wholly above this alerts."
    )
    monitor_auc_margin: float = Field(
        default=0.05, ge=0, lt=1, description="ROC AUC wholly below the holdout's minus this alerts."
    )

    @model_validator(mode="after")
    def _bands_in_order(self) -> Settings:
        if self.monitor_psi_watch > self.monitor_psi_alert:
            raise ValueError("monitor_psi_watch must not be above monitor_psi_alert")
        return self


def default_model_cache() -> Path:
    """The user's cache folder (XDG), where the service keeps local copies of the models it served."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "leadscore" / "models"
