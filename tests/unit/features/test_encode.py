"""Encoding categories: kept values get their own code, rare and new ones share 'other', missing stays missing."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from features.encode import OTHER, CategoryEncoder


def training_leads() -> pd.DataFrame:
    """Cleaned leads: 30 from the web, 25 by email, 3 by fax (rare), 2 without a source."""
    source = ["Web"] * 30 + ["Email"] * 25 + ["Fax"] * 3 + [np.nan] * 2
    country = (["US", "DE", "NA"] * 20)[: len(source)]
    views = np.arange(len(source), dtype=float)
    views[5] = np.nan
    return pd.DataFrame({"page_views": views, "lead_source": source, "country": country})


def fitted(**params: int) -> CategoryEncoder:
    return CategoryEncoder(["lead_source", "country"], **params).fit(training_leads())


def column(encoder: CategoryEncoder, frame: pd.DataFrame, name: str) -> np.ndarray:
    return encoder.transform(frame)[:, list(frame.columns).index(name)]


def test_rare_and_unseen_categories_share_the_other_code() -> None:
    encoder = fitted(min_count=20)
    frame = pd.DataFrame({"page_views": [1.0] * 4, "lead_source": ["Web", "Email", "Fax", "Carrier pigeon"]})
    frame["country"] = "US"
    codes = column(encoder, frame, "lead_source")
    other = encoder.other_code("lead_source")
    assert codes[2] == codes[3] == other
    assert codes[0] != codes[1]
    assert other not in codes[:2]
    assert encoder.categories_["lead_source"] == ["Email", "Web"]


def test_min_count_decides_what_is_rare() -> None:
    assert fitted(min_count=3).categories_["lead_source"] == ["Email", "Fax", "Web"]
    assert fitted(min_count=4).categories_["lead_source"] == ["Email", "Web"]
    assert fitted(min_count=26).categories_["lead_source"] == ["Web"]


def test_missing_stays_missing() -> None:
    encoder = fitted(min_count=20)
    frame = training_leads()
    out = encoder.transform(frame)
    source = out[:, 1]
    assert np.isnan(source).tolist() == frame["lead_source"].isna().tolist()
    assert np.isnan(source).sum() == 2


def test_max_categories_keeps_the_most_frequent() -> None:
    encoder = fitted(min_count=1, max_categories=2)
    assert encoder.categories_["lead_source"] == ["Email", "Web"]
    assert fitted(min_count=1, max_categories=1).categories_["lead_source"] == ["Web"]
    codes = column(encoder, training_leads(), "lead_source")
    assert set(codes[~np.isnan(codes)]) == {0.0, 1.0, encoder.other_code("lead_source")}


def test_decode_maps_codes_back() -> None:
    encoder = fitted(min_count=20)
    frame = training_leads()
    codes = column(encoder, frame, "lead_source")
    decoded = [encoder.decode("lead_source", code) for code in codes]
    expected = [None if pd.isna(v) else (v if v in ("Web", "Email") else OTHER) for v in frame["lead_source"]]
    assert decoded == expected
    assert encoder.decode("lead_source", encoder.other_code("lead_source")) == "(other)"
    assert encoder.decode("lead_source", np.nan) is None


def test_unseen_flags_rare_and_new_values_but_not_missing_ones() -> None:
    encoder = fitted(min_count=20)
    frame = pd.DataFrame(
        {
            "page_views": [1.0] * 5,
            "lead_source": ["Web", "Fax", "Carrier pigeon", np.nan, None],
            "country": ["US", "FR", np.nan, "NA", "DE"],
        },
        index=[10, 11, 12, 13, 14],
    )
    assert encoder.unseen_rows(encoder.transform(frame)) == [
        [],
        ["lead_source", "country"],
        ["lead_source"],
        [],
        [],
    ]


def test_numeric_columns_pass_through_unchanged() -> None:
    frame = training_leads()
    out = fitted(min_count=20).transform(frame)
    assert out.shape == (len(frame), 3)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out[:, 0], frame["page_views"].to_numpy())


def test_columns_are_matched_by_name_not_position() -> None:
    encoder = fitted(min_count=20)
    frame = training_leads()
    np.testing.assert_array_equal(
        encoder.transform(frame[["country", "lead_source", "page_views"]]), encoder.transform(frame)
    )
    assert encoder.get_feature_names_out().tolist() == ["page_views", "lead_source", "country"]


def test_fitted_encoder_survives_pickling() -> None:
    encoder = fitted(min_count=20)
    frame = training_leads()
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(encoder)).transform(frame), encoder.transform(frame)
    )


def test_non_text_categories_are_encoded_as_fitted() -> None:
    frame = pd.DataFrame({"company_size": [10, 10, 50, 50]})
    encoder = CategoryEncoder(["company_size"], min_count=1).fit(frame)
    assert encoder.categories_["company_size"] == ["10", "50"]
    assert encoder.transform(frame)[:, 0].tolist() == [0.0, 0.0, 1.0, 1.0]


def test_text_and_object_columns_encode_alike() -> None:
    fitted = CategoryEncoder(["source"], min_count=1).fit(
        pd.DataFrame({"source": ["web", "ads", "web", None]})
    )
    values = ["web", None, "ads", "new", "web"]
    as_object = fitted.transform(pd.DataFrame({"source": pd.Series(values, dtype=object)}))
    as_text = fitted.transform(pd.DataFrame({"source": pd.Series(values, dtype="str")}))
    np.testing.assert_array_equal(as_object, as_text)
    np.testing.assert_array_equal(as_object[:, 0], [1.0, np.nan, 0.0, 2.0, 1.0])
