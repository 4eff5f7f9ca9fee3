"""Holdout metrics checked against values worked out by hand on tiny arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.evaluate import (
    GRADES,
    evaluate,
    expected_calibration_error,
    gains_table,
    grade_table,
    lift_at,
)

# Four leads whose metrics are easy to work out on paper.
Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])
G = np.array(["D", "B", "C", "A"])


def test_ece_is_near_zero_for_a_calibrated_predictor() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(200_000)
    y = (rng.random(p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.01


def test_ece_of_overconfident_predictor_is_the_gap() -> None:
    y = np.array([1, 0] * 50)
    p = np.full(100, 0.9)
    assert expected_calibration_error(y, p) == pytest.approx(0.4)


def test_ece_weights_bins_by_count() -> None:
    # 0.05 bin: 3 leads, 1 converted -> gap |1/3 - 0.05|; 0.95 bin: 1 lead converted -> gap 0.05.
    y = np.array([1, 0, 0, 1])
    p = np.array([0.05, 0.05, 0.05, 0.95])
    expected = (3 * abs(1 / 3 - 0.05) + 1 * 0.05) / 4
    assert expected_calibration_error(y, p) == pytest.approx(expected)


def test_ece_puts_probability_one_in_the_last_bin() -> None:
    # Both leads share the [0.9, 1.0] bin: mean predicted 0.975, observed 0.5.
    assert expected_calibration_error(np.array([1, 0]), np.array([0.95, 1.0])) == pytest.approx(0.475)


def test_lift_of_perfect_ranking_is_inverse_base_rate() -> None:
    y = np.array([1] * 10 + [0] * 90)
    p = np.linspace(1.0, 0.0, 100)
    assert lift_at(y, p, 0.1) == pytest.approx(10.0)


def test_lift_takes_ceil_of_fraction_without_float_error() -> None:
    # 0.07 * 100 is 7.000000000000001 in floating point; the top group must still be 7 leads, not 8.
    y = np.array([1] * 7 + [0] * 93)
    p = np.linspace(1.0, 0.0, 100)
    assert lift_at(y, p, 0.07) == pytest.approx(1.0 / 0.07)
    # ceil(0.25 * 10) = 3 leads: two of the three convert, base rate 0.3.
    y = np.array([1, 1, 0, 1] + [0] * 6)
    assert lift_at(y, np.linspace(1.0, 0.0, 10), 0.25) == pytest.approx((2 / 3) / 0.3)


def test_lift_breaks_ties_in_input_order() -> None:
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    p = np.full(10, 0.5)
    assert lift_at(y, p, 0.1) == pytest.approx(10.0)
    assert lift_at(y[::-1], p, 0.1) == pytest.approx(0.0)


def test_lift_without_conversions_raises() -> None:
    with pytest.raises(ValueError, match="no converted leads"):
        lift_at(np.zeros(10, dtype=int), np.linspace(0, 1, 10))


def test_gains_table_hand_computed() -> None:
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    p = np.linspace(0.9, 0.0, 10)
    gains = gains_table(y, p, bins=5)
    assert gains["decile"].tolist() == [1, 2, 3, 4, 5]
    assert gains["leads"].tolist() == [2, 2, 2, 2, 2]
    assert gains["conversions"].tolist() == [2, 1, 0, 0, 0]
    assert gains["conversion_rate"].tolist() == pytest.approx([1.0, 0.5, 0, 0, 0])
    assert gains["cumulative_leads_pct"].tolist() == pytest.approx([20, 40, 60, 80, 100])
    assert gains["cumulative_conversions_pct"].tolist() == pytest.approx([200 / 3, 100, 100, 100, 100])
    assert gains["lift"].tolist() == pytest.approx([1 / 0.3, 0.5 / 0.3, 0, 0, 0])
    assert gains["cumulative_lift"].tolist() == pytest.approx(
        [1 / 0.3, 0.75 / 0.3, 0.5 / 0.3, 0.375 / 0.3, 1.0]
    )
    assert gains["mean_probability"].iloc[0] == pytest.approx(0.85)


def test_gains_table_on_uneven_random_data() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(1003)
    y = (rng.random(p.size) < p).astype(int)
    gains = gains_table(y, p)
    assert len(gains) == 10
    assert gains["leads"].sum() == 1003
    assert gains["leads"].max() - gains["leads"].min() <= 1
    assert gains["conversions"].sum() == y.sum()
    assert gains["cumulative_conversions_pct"].iloc[-1] == pytest.approx(100.0)
    assert gains["cumulative_lift"].iloc[-1] == pytest.approx(1.0)
    assert gains["mean_probability"].is_monotonic_decreasing


def test_gains_table_with_fewer_leads_than_bins_has_no_empty_groups() -> None:
    gains = gains_table(np.array([1, 0, 0]), np.array([0.9, 0.5, 0.1]), bins=10)
    assert gains["leads"].tolist() == [1, 1, 1]


def test_grade_table_has_all_grades_even_when_empty() -> None:
    y = np.array([1, 0, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.2, 0.3, 0.1])
    table = grade_table(y, p, np.array(["A", "A", "C", "C", "C"]))
    assert table["grade"].tolist() == list(GRADES)
    assert table["leads"].tolist() == [2, 0, 3, 0]
    assert table["leads"].sum() == len(y)
    assert table["share_pct"].tolist() == pytest.approx([40, 0, 60, 0])
    assert table["conversions"].tolist() == [1, 0, 1, 0]
    assert table["conversion_rate"].iloc[[0, 2]].tolist() == pytest.approx([0.5, 1 / 3])
    assert table["conversion_rate"].iloc[[1, 3]].isna().all()
    assert table["mean_probability"].iloc[0] == pytest.approx(0.85)


def test_grade_table_rejects_unknown_grade() -> None:
    with pytest.raises(ValueError, match="'E'"):
        grade_table(Y, P, np.array(["A", "B", "E", "D"]))


def test_evaluate_matches_hand_computed_metrics() -> None:
    metrics = evaluate(Y, P, G).metrics
    # 3 of the 4 (positive, negative) pairs are ordered correctly.
    assert metrics["roc_auc"] == pytest.approx(0.75)
    # Ranked 0.8(+), 0.4(-), 0.35(+): precision 1 at recall 0.5, 2/3 at recall 1.
    assert metrics["pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert metrics["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.6, 0.35, 0.8])))
    assert metrics["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert metrics["lift_top_decile"] == pytest.approx(2.0)
    assert metrics["base_rate"] == pytest.approx(0.5)
    assert (metrics["n"], metrics["positives"]) == (4, 2)


def test_log_loss_is_finite_for_certain_wrong_predictions() -> None:
    metrics = evaluate(np.array([0, 1, 1]), np.array([1.0, 0.0, 1.0]), np.array(["A", "D", "A"])).metrics
    assert math.isfinite(metrics["log_loss"])
    assert metrics["log_loss"] > 10


def test_flat_metrics_are_prefixed_and_skip_empty_grades() -> None:
    flat = evaluate(Y, P, np.array(["A", "A", "C", "A"])).flat_metrics()
    assert flat["holdout_roc_auc"] == pytest.approx(0.75)
    assert flat["holdout_conversion_rate_A"] == pytest.approx(1 / 3)
    assert flat["holdout_conversion_rate_C"] == pytest.approx(1.0)
    assert "holdout_conversion_rate_B" not in flat
    assert all(key.startswith("holdout_") for key in flat)
    assert all(isinstance(value, float) and math.isfinite(value) for value in flat.values())
    assert "val_ece" in evaluate(Y, P, G).flat_metrics(prefix="val_")


@pytest.mark.parametrize("label", [0, 1])
def test_single_class_raises(label: int) -> None:
    with pytest.raises(ValueError, match="single class") as error:
        evaluate(np.full(4, label), P, G)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("y", "p", "grades", "message"),
    [
        (Y, P[:3], G, "y_prob"),
        (Y, P, G[:3], "grades"),
        (np.array([0, 2, 1, 0]), P, G, "0/1"),
        (Y, np.array([0.1, np.nan, 0.5, 0.5]), G, r"\[0, 1\]"),
        (Y, np.array([0.1, 1.5, 0.5, 0.5]), G, r"\[0, 1\]"),
    ],
)
def test_bad_inputs_raise_naming_the_problem(
    y: np.ndarray, p: np.ndarray, grades: np.ndarray, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        evaluate(y, p, grades)
