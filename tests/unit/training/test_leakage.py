"""The leakage guard: refuse a feature that alone nearly decides the label, and never flag an id-like column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.schema import parse_schema
from training.data import DataError
from training.leakage import check_leakage, single_feature_auc

N = 2000
rng = np.random.default_rng(0)
Y = (rng.random(N) < 0.3).astype(int)
FRAME = pd.DataFrame(
    {
        "lead_id": [f"L{i}" for i in range(N)],
        "status": np.where(Y == 1, "Won", np.where(rng.random(N) < 0.5, "Lost", "Disqualified")),
        "visits": (rng.poisson(3, N) + 2 * Y).astype(str),
        "noise": rng.choice(["a", "b", "c"], N),
        "unique_code": [f"C{i}" for i in range(N)],
        "score_after_call": np.where(Y == 1, rng.normal(90, 3, N), rng.normal(20, 3, N)).astype(str),
    }
)
SCHEMA = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits", "score_after_call"],
        "categorical": ["status", "noise", "unique_code"],
    }
)


@pytest.fixture(scope="module")
def power() -> pd.Series:
    return single_feature_auc(FRAME, Y, SCHEMA)


def test_post_outcome_columns_score_near_one_and_honest_ones_do_not(power: pd.Series) -> None:
    assert power["status"] > 0.99
    assert power["score_after_call"] > 0.99
    assert 0.55 < power["visits"] < 0.9
    assert power["noise"] < 0.6
    assert power["unique_code"] < 0.6  # out-of-fold rates: a per-lead code carries no signal


def test_refuses_naming_the_column_unless_allowed(power: pd.Series) -> None:
    with pytest.raises(
        DataError, match=r"feature '(status|score_after_call)' alone predicts .*--allow-leaky"
    ):
        check_leakage(power, allow_leaky=False)
    warnings = check_leakage(power, allow_leaky=True)
    assert any("'status'" in w for w in warnings) and any("'score_after_call'" in w for w in warnings)
    assert not any("'visits'" in w for w in warnings)


def test_honest_table_passes_silently(power: pd.Series) -> None:
    assert check_leakage(power[["visits", "noise", "unique_code"]], allow_leaky=False) == []
