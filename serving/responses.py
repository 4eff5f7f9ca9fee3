"""Response models of the scoring API (the request models come from the model's schema, see requests.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_json
from starlette.responses import Response


class JSONBytes(Response):
    """JSON written by pydantic-core's serializer: a tenth of the standard library's time for an answer of plain
    dicts, lists, strings and numbers (the scoring routes build theirs to match the models below)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content)


class Reason(BaseModel):
    """One feature's push on the lead's calibrated log-odds."""

    feature: str
    value: str | float | None = Field(description="The lead's value after cleaning (booleans as 1.0/0.0).")
    label: str = Field(
        description='The reason in words, from the schema\'s labels or the humanised name ("Page views: 12").'
    )
    impact: float = Field(description="Change in calibrated log-odds this feature caused for this lead.")
    unseen: bool = Field(
        False, description="True when the category was never (or too rarely) seen in training."
    )


class Reasons(BaseModel):
    positive: list[Reason]
    negative: list[Reason]


class SubScore(BaseModel):
    """One group of features on its own: the average lead plus this group's contributions, on the same scale."""

    probability: float = Field(description="sigmoid(calibrated baseline + the group's summed impacts).")
    score: int = Field(ge=0, le=100, description="That probability on the model's 0-100 score scale.")
    impact: float = Field(description="The group's summed impacts on the calibrated log-odds.")


class LeadScore(BaseModel):
    lead_id: str | None = Field(description="The lead's id as sent (null when it had none).")
    probability: float = Field(ge=0.0, le=1.0, description="Calibrated probability of conversion.")
    score: int = Field(ge=0, le=100, description="Share of training leads this lead outranks, 0-100.")
    grade: str = Field(description="A, B, C or D by the model's score cuts.")
    reasons: Reasons | None = Field(
        description="Top positive and negative reasons (null when not asked for)."
    )
    fit: SubScore | None = Field(
        None, description="Fit (who the lead is), when the schema defines the group."
    )
    engagement: SubScore | None = Field(None, description="Engagement (what the lead did), when defined.")
    unseen: list[str] = Field(
        description="Categorical features whose value the model never learned: scored as 'other'."
    )
    model_version: str


class BatchScores(BaseModel):
    model_version: str
    count: int
    scores: list[LeadScore]


class Problem(BaseModel):
    """An error: one line saying what is wrong, naming the field."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class RequestErrors(BaseModel):
    """A request the API cannot score: `detail` names the first bad field, `errors` lists them all."""

    detail: str
    errors: list[FieldError]


class FeatureInfo(BaseModel):
    name: str
    kind: str
    group: str | None


class ModelInfo(BaseModel):
    """The model being served, and the watcher's view of the registry."""

    uri: str = Field(description="The URI the service was told to serve.")
    name: str | None
    version: str
    alias: str | None
    run_id: str | None
    loaded_at: str
    id_column: str
    features: list[FeatureInfo]
    na_values: list[str]
    holdout_metrics: dict[str, float]
    grade_score_cuts: dict[str, float]
    grade_probability_cuts: dict[str, float]
    watching: bool
    last_checked: str | None
    last_error: str | None = Field(
        description="Why the latest attempt to load a new version failed, if it did."
    )


class Health(BaseModel):
    status: str
    model_version: str | None = None
    detail: str | None = None
