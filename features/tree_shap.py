"""Exact TreeSHAP for a booster of small trees: each tree's answer for every way a row can split, worked out once,
then looked up for a matrix of rows (`score_batch`; one lead is a matrix of one row).

LightGBM's TreeSHAP walks every tree per row (~200 us for 1,400 three-leaf trees); most of it is the walk, not the
arithmetic. For a tree with k splits, the row's contributions depend only on which way it goes at each of the k
nodes, so the 2**k possible answers (the sequence of additions LightGBM makes, in its order) are computed when the
model is loaded, by the same recursion and the same floating-point operations as LightGBM's `Tree::TreeSHAP`
(features/lgbm_trees.py). Scoring then decides every node at once (numpy), picks each tree's sequence, and adds
them up in LightGBM's order (column sums of (trees, rows) blocks, which add in sequence), so the numbers are bit for bit those of `predict(pred_contrib=True)`; the raw score comes the same way.
`build` proves that on rows that hit every threshold, category and missing-value rule, and returns None (use
LightGBM itself) when the trees are too big or anything differs.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import lightgbm as lgb
import numpy as np

from features.lgbm_trees import ZERO, Tree, leaf_of, numeric_left, parse_tree, probe_rows, shap_additions

MAX_SPLITS = 6  # per tree (7 leaves, training's default): 2**6 answers each; larger trees use LightGBM's walk
MAX_ANSWERS = 131_072  # trees x answers per tree: about 7 s of building and tens of MB at most


class TreeShapTable:
    """Raw score and contributions of one row, from per-tree answer tables (see the module docstring)."""

    def __init__(self, trees: list[Tree], width: int, expected: float) -> None:
        self.width = width
        self.expected = expected  # the baseline column: the trees' expected values, summed by LightGBM
        splits = max((len(t.feature) for t in trees), default=0)
        patterns = 1 << splits
        count = len(trees)
        # Which way a node goes depends on one feature's value. Per feature, the values that send all its nodes the
        # same ways form a few states: for a number, where it falls among the feature's thresholds and whether it
        # counts as zero (or NaN); for a category, its code (or none of them). Each state's pattern bits in every
        # tree are summed in advance, so a row costs one state per feature and one sum over features.
        nodes_of: dict[int, list[tuple[int, int]]] = {}
        for t, tree in enumerate(trees):
            for i, feature in enumerate(tree.feature):
                nodes_of.setdefault(feature, []).append((t, i))
        self._states: list[
            tuple[int, int, list[float] | None, int]
        ] = []  # feature, first state, thresholds, levels
        blocks = []
        offset = 0
        for feature, nodes in sorted(nodes_of.items()):
            categorical = {trees[t].categories[i] is not None for t, i in nodes}
            if len(categorical) != 1:
                raise ValueError(f"feature {feature} has both numeric and categorical splits")
            if categorical == {False}:
                thresholds = sorted({trees[t].threshold[i] for t, i in nodes})
                block = np.zeros((1 + 2 * (len(thresholds) + 1), count), dtype=np.uint8)
                for t, i in nodes:
                    left = numeric_left(trees[t], i, len(block), thresholds.index(trees[t].threshold[i]))
                    block[:, t] += left.astype(np.uint8) << i
                self._states.append((feature, offset, thresholds, 0))
            else:
                levels = 1 + max(max(trees[t].categories[i] or {0}) for t, i in nodes)
                block = np.zeros(
                    (1 + levels, count), dtype=np.uint8
                )  # state 0: NaN, negative or unknown code
                for t, i in nodes:
                    for code in trees[t].categories[i] or ():
                        block[1 + code, t] += 1 << i
                self._states.append((feature, offset, None, levels))
            blocks.append(block)
            offset += len(block)
        self._deltas = np.vstack(blocks) if blocks else np.zeros((1, count), dtype=np.uint8)
        self._tree_rows = np.arange(count, dtype=np.intp) * patterns
        # answers per (tree, pattern): the leaf value reached, and the additions padded to one length
        answers = [
            [
                (leaf_of(tree, bits), shap_additions(tree, bits))
                for bits in ([bool(p >> i & 1) for i in range(len(tree.feature))] for p in range(patterns))
            ]
            for tree in trees
        ]
        longest = max((len(a) for per_tree in answers for _, a in per_tree), default=0)
        self._leaf_value = np.zeros(count * patterns)
        # Only the order of additions to the same feature matters, so each answer is kept sorted by feature
        # (stable: each feature's own order stays). Every leaf is visited whichever way the row goes, so a tree's
        # sorted features are the same for all its patterns: one feature layout per tree, only amounts looked up.
        self._add_to = np.full((count, longest), width + 1, dtype=np.intp)  # padding adds 0.0 to a spare slot
        self._amount = np.zeros((count * patterns, longest))
        for t, (tree, per_tree) in enumerate(zip(trees, answers, strict=True)):
            layout: list[int] | None = None
            for p, (leaf, additions) in enumerate(per_tree):
                row = t * patterns + p
                self._leaf_value[row] = tree.leaf_value[leaf]
                ordered = sorted(additions, key=lambda addition: addition[0])
                features = [feature for feature, _ in ordered]
                if layout is None:
                    layout = features
                    self._add_to[t, : len(features)] = features
                elif features != layout:
                    raise ValueError(f"tree {t}: the additions' features depend on the row")
                self._amount[row, : len(ordered)] = [amount for _, amount in ordered]
        # one row with contributions: each tree's leaf value rides along as one more addition (to slot width + 2),
        # so one bincount adds up the contributions and, in tree order, the raw score
        self._one_amount = np.hstack([self._amount, self._leaf_value[:, None]])
        raw_slot = np.full((count, 1), width + 2, dtype=np.intp)
        self._one_add_to = np.hstack([self._add_to, raw_slot]).reshape(-1)
        self._one_slot = np.zeros(count, dtype=np.intp)
        self._batch = _BatchPlan.of(self, trees)

    def _rows(self, row: np.ndarray) -> np.ndarray:
        """Each tree's table row for this feature row: which way it goes at every node, as a pattern number."""
        values = row.tolist()
        states = []
        for feature, first, thresholds, levels in self._states:
            x = values[feature]
            if -ZERO <= x <= ZERO:  # LightGBM reads a row's values this close to zero as 0.0
                x = 0.0
            if x != x:
                states.append(first)
            elif thresholds is not None:
                states.append(first + 1 + 2 * bisect_left(thresholds, x) + (-ZERO <= x <= ZERO))
            elif -1.0 < x < levels:  # C++ truncates the code toward zero: -0.5 reads as 0
                states.append(first + 1 + int(x))
            else:
                states.append(first)
        # a tree's pattern number is under 2**MAX_SPLITS: its bits add up in uint8 (half the time of intp)
        return self._tree_rows + self._deltas.take(states, axis=0).sum(axis=0, dtype=np.uint8)

    def _one(self, row: np.ndarray, contributions: bool) -> tuple[float, np.ndarray | None]:
        """`score_batch` of a single row (the API's one lead) in a few numpy calls: one bincount adds up, in the
        same order, what the batch plan adds column by column."""
        rows = self._rows(row)
        # np.take along an axis is several times faster than fancy indexing for these small gathers
        if not contributions:
            leaves = self._leaf_value.take(rows)
            return float(np.bincount(self._one_slot, weights=leaves, minlength=1)[0]), None
        amounts = np.take(self._one_amount, rows, axis=0).reshape(-1)
        out = np.bincount(self._one_add_to, weights=amounts, minlength=self.width + 3)
        out[self.width] = self.expected
        return float(out[self.width + 2]), out[: self.width + 1]

    def score_batch(self, matrix: np.ndarray, contributions: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw scores (n,) and, when asked, per-feature TreeSHAP values with the baseline last (n, width + 1).

        Both in LightGBM's own order of additions from 0.0 (GBDT::PredictRaw, GBDT::PredictContrib), so they equal
        `predict(raw_score=True)` and `predict(pred_contrib=True)` exactly. Rows go in blocks (_BatchPlan).
        """
        n = len(matrix)
        if n == 1:
            one_raw, one_contrib = self._one(matrix[0], contributions)
            return np.array([one_raw]), None if one_contrib is None else one_contrib[None, :]
        raw = np.empty(n)
        contrib = np.empty((n, self.width + 1)) if contributions else None
        # with contributions, a block gathers (trees, rows, slots) floats: at most CONTRIB_CELLS of them
        cells = CONTRIB_CELLS // max(1, len(self._tree_rows) * self._amount.shape[1])
        size = max(16, min(CONTRIB_BLOCK, cells)) if contributions else RAW_BLOCK
        for start in range(0, n, size):
            block = matrix[start : start + size]
            if len(block) == 1:  # numpy sums a one-column array pairwise, not in order: pad to two rows
                block = np.vstack([block, block])
            got_raw, got_contrib = self._batch.score(self, block, contributions)
            stop = min(start + size, n)
            raw[start:stop] = got_raw[: stop - start]
            if contrib is not None and got_contrib is not None:
                contrib[start:stop] = got_contrib[: stop - start]
        return raw, contrib


# Rows scored at once, so that a block's arrays stay in cache. Raw scores: 2-4 ms per 1,000 rows in blocks of 64 to
# 256 (a 658-tree model). Contributions gather a block's additions in one take of (trees, rows, slots) floats; on a
# 993-tree model with 5 slots, 1,000 rows took 15-17 ms in blocks of 256 and 21 ms in blocks of 64, against 22-31 ms
# when each feature gathered its own (bench/request_cpu.py's machine, shared); CONTRIB_CELLS caps a block's gather
# (10 MB) for models with more trees or slots.
RAW_BLOCK = 256
CONTRIB_BLOCK = 256
CONTRIB_CELLS = 1_300_000


@dataclass(frozen=True)
class _BatchPlan:
    """The table's lookups for many rows at once, each step one numpy call over a block.

    A block's pattern numbers add up each feature's state bits for every tree as (rows, trees) rows of the table's
    uint8 deltas (copies of whole rows: the cheapest gather numpy has). Sums of values then run along axis 0 of
    C-contiguous (trees, rows) arrays, which numpy adds term after term for every row (for two or more rows; one
    column it sums pairwise): in tree order, as LightGBM does, so the results are `score`'s.
    """

    thresholds: list[np.ndarray | None]  # per entry of _states: its sorted thresholds, None for a category
    # per feature: (feature, trees, amount slots) of its additions, in LightGBM's order
    adds: list[tuple[int, np.ndarray, np.ndarray]]

    @classmethod
    def of(cls, table: TreeShapTable, trees: list[Tree]) -> _BatchPlan:
        adds = []
        for feature in range(table.width):
            where = np.nonzero(table._add_to == feature)  # row-major: tree after tree, each tree's own order
            if len(where[0]):
                adds.append((feature, where[0].astype(np.intp), where[1].astype(np.intp)))
        return cls(
            thresholds=[None if th is None else np.asarray(th, dtype=float) for _, _, th, _ in table._states],
            adds=adds,
        )

    def _states(self, table: TreeShapTable, columns: np.ndarray) -> list[np.ndarray]:
        """Per feature the trees split on, each row's state (a row of `table._deltas`), as `TreeShapTable._rows`
        finds it."""
        states = []
        for k, (feature, first, _, levels) in enumerate(table._states):
            x = columns[feature]
            x = np.where((x >= -ZERO) & (x <= ZERO), 0.0, x)  # LightGBM reads these as 0.0 (and -0.0 as 0.0)
            thresholds = self.thresholds[k]
            if thresholds is not None:
                state = first + 1 + 2 * np.searchsorted(thresholds, x, side="left") + (x == 0.0)
                states.append(np.where(np.isnan(x), first, state))
            else:  # C++ truncates a code toward zero; NaN, negative and unknown codes are state 0
                known = (x > -1.0) & (x < levels)
                states.append(np.where(known, first + 1 + np.where(known, x, 0.0).astype(np.intp), first))
        return states

    def score(
        self, table: TreeShapTable, block: np.ndarray, contributions: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        columns = np.ascontiguousarray(block.T)
        pattern = np.zeros((block.shape[0], len(table._tree_rows)), dtype=np.uint8)
        for state in self._states(table, columns):
            pattern += table._deltas.take(state, axis=0)  # under 2**MAX_SPLITS: no uint8 overflow
        rows = np.ascontiguousarray(pattern.T) + table._tree_rows[:, None]  # (trees, rows)
        # + 0.0: LightGBM starts each sum at 0.0, numpy at the first term (which only differs for a -0.0 result)
        raw = table._leaf_value.take(rows).sum(axis=0) + 0.0
        if not contributions:
            return raw, None
        amounts = table._amount.take(rows, axis=0)  # (trees, rows, slots): every answer's additions at once
        out = np.zeros((block.shape[0], table.width + 1))
        for feature, tree_index, slot in self.adds:
            out[:, feature] = amounts[tree_index, :, slot].sum(axis=0) + 0.0
        out[:, table.width] = table.expected
        return raw, out


def build(booster: lgb.Booster) -> TreeShapTable | None:
    """The table for this booster, or None when it cannot serve it exactly (big or unusual trees, or any mismatch)."""
    model = booster.dump_model()
    if model.get("num_tree_per_iteration", 1) != 1 or model.get("average_output"):
        return None
    infos = model["tree_info"]
    if booster.best_iteration > 0:
        infos = infos[: booster.best_iteration]
    splits = max((info.get("num_leaves", 1) - 1 for info in infos), default=0)
    if not infos or splits > MAX_SPLITS or len(infos) << splits > MAX_ANSWERS:
        return None
    if any("leaf_coeff" in str(info) or ("is_linear" in info and info["is_linear"]) for info in infos):
        return None
    trees = [parse_tree(info["tree_structure"]) for info in infos]
    width = int(model["max_feature_idx"]) + 1
    probe = probe_rows(trees, width)
    contrib = np.asarray(booster.predict(probe, pred_contrib=True, num_threads=1))
    raw = np.asarray(booster.predict(probe, raw_score=True, num_threads=1))
    try:
        table = TreeShapTable(trees, width, float(contrib[0, -1]))
    except ValueError:
        return None
    for rows in (probe, probe[:1]):  # a batch, and one row alone
        got_raw, got_contrib = table.score_batch(rows, contributions=True)
        if got_contrib is None or not np.array_equal(got_raw, raw[: len(rows)]):
            return None
        if not np.array_equal(got_contrib, contrib[: len(rows)]):
            return None
    return table
