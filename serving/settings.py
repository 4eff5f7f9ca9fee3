"""Service configuration: environment variables through one settings class."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the scoring service reads from its environment (LEADSCORE_* and MLflow's own variable)."""

    model_config = SettingsConfigDict(env_prefix="LEADSCORE_", extra="ignore", frozen=True)

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
