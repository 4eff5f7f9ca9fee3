"""What the monitor raises: one alert per feature or metric that crossed its threshold, in one line a person reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Alert:
    """A crossed threshold: which metric, about what (a feature, "score", a grade or a week), its value and limit."""

    metric: str  # e.g. "feature_psi", "score_psi", "unseen_share", "missing_share", "conversion", "ece"
    subject: str
    value: float
    threshold: float
    message: str  # one line naming the subject, the value and the threshold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return self.message
