"""Sub-score impacts: each group's contributions added left to right, whatever the other groups' sizes."""

from __future__ import annotations

import numpy as np

from features.groups import group_index, group_logits


def test_each_group_adds_its_own_members_in_order_and_no_other_column() -> None:
    rng = np.random.default_rng(3)
    contributions = rng.normal(size=(5, 7)) * 10.0 ** rng.integers(-8, 3, size=(5, 7))
    contributions[0] = [-0.0, -0.0, 0.1, 0.2, 0.3, -0.0, 0.4]  # a group of -0.0 alone sums to 0.0, not -0.0
    groups = [[0, 1, 5], [6, 2, 3, 4], [4]]  # of different lengths: the shorter ones are padded
    base = rng.normal(size=5)

    impacts, logits = group_logits(contributions, base, group_index(groups, width=7))

    for g, columns in enumerate(groups):
        for i in range(5):
            want = 0.0
            for j in columns:  # what LightGBM and the batch path do: one addition after another
                want = want + float(contributions[i, j])
            assert impacts[g][i] == want + 0.0
            assert logits[g * 5 + i] == base[i] + impacts[g][i]
    assert str(impacts[0][0]) == "0.0"
