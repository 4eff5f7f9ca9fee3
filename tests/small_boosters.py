"""Small LightGBM boosters on a number, a count, a category and a flag, and awkward rows to score with them."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

NAN = np.nan


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A number with gaps, a count with many zeros, a 10-level category with gaps, and a 0/1 flag."""
    rng = np.random.default_rng(seed)
    number = rng.normal(size=n)
    number[rng.random(n) < 0.15] = NAN
    count = rng.poisson(0.7, n).astype(float)
    category = rng.integers(0, 10, n).astype(float)
    category[rng.random(n) < 0.1] = NAN
    flag = (rng.random(n) < 0.4).astype(float)
    x = np.column_stack([number, count, category, flag])
    logit = np.nan_to_num(number) + 0.8 * count - 1.2 * np.isin(category, [2, 5, 7]) + flag - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return x, y


def small_booster(num_leaves: int, rounds: int = 60, **params: object) -> lgb.Booster:
    x, y = sample(2000, 0)
    base = {"objective": "binary", "verbosity": -1, "num_threads": 1, "num_leaves": num_leaves}
    base |= {"min_data_in_leaf": 5, "min_data_per_group": 5, "cat_smooth": 1.0, "max_cat_to_onehot": 4}
    data = lgb.Dataset(x, label=y, categorical_feature=[2], params={"verbosity": -1})
    return lgb.train(base | params, data, num_boost_round=rounds)


def awkward_rows(n: int, seed: int) -> np.ndarray:
    """Real-looking rows with a third of the values swapped for NaN, infinities, zeros, unseen or odd codes."""
    x, _ = sample(n, seed)
    rng = np.random.default_rng(seed + 1)
    odd = [NAN, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 1e300, -1.0, 0.5, 2.5, 10.0, 11.0, 1e9, -0.5]
    swap = rng.random(x.shape) < 0.33
    x[swap] = rng.choice(odd, size=int(swap.sum()))
    return x


def edge_rows(booster: lgb.Booster, n: int, seed: int) -> np.ndarray:
    """Rows whose every value is an edge of some split: each threshold and the doubles either side of it, LightGBM's
    zero band (+-1e-35 as a float) and its neighbours, +-0, NaN, infinities, and every category code with odd ones."""
    zero = float(np.float32(1e-35))
    splits = booster.trees_to_dataframe().dropna(subset=["split_feature"])
    width = booster.num_feature()
    edges: list[set[float]] = [
        {NAN, 0.0, -0.0, zero, -zero, np.inf, -np.inf, 1e-40, -1e-40, 1e300, -1e300} for _ in range(width)
    ]
    for zero_value in (zero, -zero):
        for e in edges:
            e |= {np.nextafter(zero_value, np.inf), np.nextafter(zero_value, -np.inf)}
    names = booster.feature_name()
    for feature, threshold, kind in splits[["split_feature", "threshold", "decision_type"]].itertuples(
        index=False
    ):
        j = names.index(feature)
        if kind == "==":
            codes = [float(c) for c in str(threshold).split("||")]
            edges[j] |= {*codes, max(codes) + 1, -1.0, -0.5, 0.5, 1e9}
        else:
            t = float(threshold)
            edges[j] |= {t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf)}
    rng = np.random.default_rng(seed)
    choices = [np.array(sorted(e, key=lambda v: (np.isnan(v), v))) for e in edges]
    return np.column_stack([c[rng.integers(len(c), size=n)] for c in choices])
