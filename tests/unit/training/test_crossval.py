"""Fold preparation: each fold's matrices come from a preprocessor that learned from that fold's fitting rows only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.schema import parse_schema
from training.crossval import prepare_folds
from training.fit import build_preprocessor

SCHEMA = parse_schema(
    {
        "id": "lead_id",
        "label": "converted",
        "numeric": ["visits"],
        "categorical": ["source"],
        "na_values": ["Select"],
    }
)


def _frame() -> pd.DataFrame:
    """Text cells as a CSV gives them; 'affiliate' occurs only in the last 30 rows."""
    rng = np.random.default_rng(0)
    n = 120
    source = rng.choice(["ads", "email", "Select"], n).astype(object)
    source[-30:] = "affiliate"
    return pd.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(n)],
            "source": source,
            "visits": [str(v) for v in rng.integers(0, 9, n)],
            "converted": rng.integers(0, 2, n).astype(str),
        }
    )


def test_each_fold_is_encoded_by_a_preprocessor_fitted_on_its_own_fitting_rows() -> None:
    frame = _frame()
    rows = np.arange(len(frame))
    splits = [(rows[:60], rows[60:90]), (rows[:90], rows[90:])]
    folds = prepare_folds(frame, splits, lambda n: build_preprocessor(SCHEMA, n), [1.0, 2.0])

    for fold, (fit_rows, valid_rows) in zip(folds, splits, strict=True):
        alone = build_preprocessor(SCHEMA, len(fit_rows)).fit(frame.iloc[fit_rows])
        np.testing.assert_array_equal(fold.fit_matrix, alone.transform(frame.iloc[fit_rows]))
        np.testing.assert_array_equal(fold.valid_matrix, alone.transform(frame.iloc[valid_rows]))
    assert [f.weight for f in folds] == [1.0, 2.0]
    # 'affiliate' first appears in the second fold's validation rows: unseen there, so it takes the 'other' code
    source = SCHEMA.features.index("source")
    other = len(
        build_preprocessor(SCHEMA, 90).fit(frame.iloc[:90]).named_steps["encode"].categories_["source"]
    )
    assert (folds[1].valid_matrix[:, source] == other).all()
    # the placeholder 'Select' is missing, not a category
    assert np.isnan(folds[0].fit_matrix[(frame["source"].iloc[:60] == "Select").to_numpy(), source]).all()
