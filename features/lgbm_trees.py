"""LightGBM trees as plain lists, read from `Booster.dump_model`, and TreeSHAP's recursion on them in Python.

The recursion is LightGBM's `Tree::TreeSHAP` (src/io/tree.cpp) operation for operation, so the additions it lists
are the ones LightGBM makes, in its order: features/tree_shap.py tabulates them per tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float literal widened to double)
_MISSING = {"None": 0, "Zero": 1, "NaN": 2}


@dataclass(frozen=True)
class Tree:
    """One tree in LightGBM's layout: node i >= 0 internal, ~leaf for leaves."""

    feature: list[int]
    threshold: list[float]
    categories: list[frozenset[int] | None]
    missing: list[int]
    default_left: list[bool]
    left: list[int]
    right: list[int]
    internal_count: list[int]
    leaf_value: list[float]
    leaf_count: list[int]

    def count(self, node: int) -> float:
        return float(self.internal_count[node] if node >= 0 else self.leaf_count[~node])


def parse_tree(structure: dict[str, Any]) -> Tree:
    splits = max(_split_indices(structure), default=-1) + 1
    leaves = splits + 1
    tree = Tree(
        feature=[0] * splits,
        threshold=[0.0] * splits,
        categories=[None] * splits,
        missing=[0] * splits,
        default_left=[False] * splits,
        left=[0] * splits,
        right=[0] * splits,
        internal_count=[0] * splits,
        leaf_value=[0.0] * leaves,
        leaf_count=[0] * leaves,
    )

    def visit(node: dict[str, Any]) -> int:
        if "leaf_index" in node:
            leaf = int(node["leaf_index"])
            tree.leaf_value[leaf] = float(node["leaf_value"])
            tree.leaf_count[leaf] = int(node.get("leaf_count", 0))
            return ~leaf
        i = int(node["split_index"])
        tree.feature[i] = int(node["split_feature"])
        if node["decision_type"] == "==":
            tree.categories[i] = frozenset(int(c) for c in str(node["threshold"]).split("||"))
        else:  # the JSON dump writes thresholds beyond +-1e300 (infinite ones) as +-1e300
            threshold = float(node["threshold"])
            tree.threshold[i] = math.copysign(math.inf, threshold) if abs(threshold) >= 1e300 else threshold
        tree.missing[i] = _MISSING[node["missing_type"]]
        tree.default_left[i] = bool(node["default_left"])
        tree.internal_count[i] = int(node["internal_count"])
        tree.left[i] = visit(node["left_child"])
        tree.right[i] = visit(node["right_child"])
        return i

    if "leaf_index" in structure or "split_index" in structure:
        visit(structure)
    else:  # a constant tree: one leaf, no index
        tree.leaf_value[0] = float(structure.get("leaf_value", 0.0))
    return tree


def _split_indices(node: dict[str, Any]) -> list[int]:
    if "split_index" not in node:
        return []
    return [
        int(node["split_index"]),
        *_split_indices(node["left_child"]),
        *_split_indices(node["right_child"]),
    ]


# LightGBM's Tree::ExtendPath, UnwindPath, UnwoundPathSum and TreeSHAP (src/io/tree.cpp), operation for operation.
# A path element is [feature, zero_fraction, one_fraction, pweight].


def _extend(path: list[list[Any]], depth: int, zero: float, one: float, feature: int) -> None:
    path[depth] = [feature, zero, one, 1.0 if depth == 0 else 0.0]
    for i in range(depth - 1, -1, -1):
        path[i + 1][3] += one * path[i][3] * (i + 1) / float(depth + 1)
        path[i][3] = zero * path[i][3] * (depth - i) / float(depth + 1)


def _unwind(path: list[list[Any]], depth: int, index: int) -> None:
    one, zero = path[index][2], path[index][1]
    next_one = path[depth][3]
    for i in range(depth - 1, -1, -1):
        if one != 0:
            tmp = path[i][3]
            path[i][3] = next_one * (depth + 1) / float((i + 1) * one)
            next_one = tmp - path[i][3] * zero * (depth - i) / float(depth + 1)
        else:
            path[i][3] = (path[i][3] * (depth + 1)) / float(zero * (depth - i))
    for i in range(index, depth):
        path[i][0], path[i][1], path[i][2] = path[i + 1][0], path[i + 1][1], path[i + 1][2]


def _unwound_sum(path: list[list[Any]], depth: int, index: int) -> float:
    one, zero = path[index][2], path[index][1]
    next_one = path[depth][3]
    total = 0.0
    for i in range(depth - 1, -1, -1):
        if one != 0:
            tmp = next_one * (depth + 1) / float((i + 1) * one)
            total += tmp
            next_one = path[i][3] - tmp * zero * ((depth - i) / float(depth + 1))
        else:
            total += (path[i][3] / zero) / ((depth - i) / float(depth + 1))
    return total


def shap_additions(tree: Tree, goes_left: list[bool]) -> list[tuple[int, float]]:
    """The (feature, amount) additions TreeSHAP makes, in order, for a row going left where `goes_left` says."""
    out: list[tuple[int, float]] = []

    def recurse(
        node: int, depth: int, parent: list[list[Any]], zero: float, one: float, feature: int
    ) -> None:
        path = [list(element) for element in parent[:depth]] + [[]]
        _extend(path, depth, zero, one, feature)
        if node < 0:
            for i in range(1, depth + 1):
                weight = _unwound_sum(path, depth, i)
                element = path[i]
                out.append((element[0], weight * (element[2] - element[1]) * tree.leaf_value[~node]))
            return
        hot, cold = (
            (tree.left[node], tree.right[node]) if goes_left[node] else (tree.right[node], tree.left[node])
        )
        total = tree.count(node)
        hot_zero, cold_zero = tree.count(hot) / total, tree.count(cold) / total
        incoming_zero, incoming_one = 1.0, 1.0
        split = tree.feature[node]
        index = next((k for k in range(depth + 1) if path[k][0] == split), None)
        if index is not None:
            incoming_zero, incoming_one = path[index][1], path[index][2]
            _unwind(path, depth, index)
            depth -= 1
        recurse(hot, depth + 1, path, hot_zero * incoming_zero, incoming_one, split)
        recurse(cold, depth + 1, path, cold_zero * incoming_zero, 0.0, split)

    if tree.left:  # a constant tree adds only its expected value (the baseline column)
        recurse(0, 0, [], 1.0, 1.0, -1)
    return out


def numeric_left(tree: Tree, node: int, states: int, rank: int) -> np.ndarray:
    """LightGBM's NumericalDecision at `node` for each state of a number: state 0 is NaN; state 1 + 2 * below + zero
    is a value with `below` of the feature's sorted thresholds under it, `zero` when it counts as zero. `rank` is the
    node's threshold's place among those thresholds."""
    missing, default_left = tree.missing[node], tree.default_left[node]
    below, zero = np.divmod(np.arange(states) - 1, 2)
    left = below <= rank
    if missing == 1:  # zero is the missing value
        left = np.where(zero == 1, default_left, left)
    # NaN: the missing value when NaN is; else read as 0.0, which is missing when zero is
    left[0] = default_left if missing in (1, 2) else tree.threshold[node] >= 0.0
    return left


def leaf_of(tree: Tree, goes_left: list[bool]) -> int:
    node = 0
    while node >= 0:
        node = tree.left[node] if goes_left[node] else tree.right[node]
    return ~node


def probe_rows(trees: list[Tree], width: int, count: int = 256, seed: int = 0) -> np.ndarray:
    """Rows that hit every split's edge cases: each threshold and its neighbours, every category, NaN, zeros."""
    values: list[set[float]] = [
        {math.nan, 0.0, -0.0, ZERO, -ZERO, 1.0, -1.0, 1e300, math.inf, -math.inf, 1.7e308}
        for _ in range(width)
    ]
    for tree in trees:
        for i, feature in enumerate(tree.feature):
            categories = tree.categories[i]
            if categories is not None:
                values[feature] |= {float(c) for c in categories} | {float(max(categories) + 1), 0.5}
            else:
                t = tree.threshold[i]
                values[feature] |= {t, math.nextafter(t, math.inf), math.nextafter(t, -math.inf)}
    rng = np.random.default_rng(seed)
    choices = [np.array(sorted(v, key=lambda x: (math.isnan(x), x))) for v in values]
    return np.array([[c[rng.integers(len(c))] for c in choices] for _ in range(count)], dtype=np.float64)
