"""ISO weeks of arrival, as live performance groups leads by them."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from serving.live_tally import iso_week, week_index


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        ("2026-03-02T00:00:00", "2026-W10"),  # a Monday starts the week
        ("2026-03-01T23:59:59.999999", "2026-W09"),  # the Sunday before ends the previous one
        ("2026-12-31T12:00:00", "2026-W53"),  # 2026 has 53 ISO weeks
        ("2027-01-03T12:00:00", "2026-W53"),  # and its last one ends in 2027
        ("2024-12-30T08:00:00", "2025-W01"),  # while 2025's first starts in 2024
        ("1970-01-01T00:00:00", "1970-W01"),
    ],
)
def test_iso_weeks_match_the_calendar(moment: str, week: str) -> None:
    index = week_index(np.array([moment], dtype="datetime64[us]"))[0]
    assert iso_week(int(index)) == week
    year, number, _ = datetime.fromisoformat(moment).isocalendar()
    assert week == f"{year}-W{number:02d}"
