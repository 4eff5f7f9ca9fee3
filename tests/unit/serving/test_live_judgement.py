"""When live performance raises an alert and when it says why it did not: the rules on hand-made sums."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from serving.live_groups import Group, LiveSettings, make_group
from serving.live_performance import judge
from serving.live_tally import FIELDS

SETTINGS = LiveSettings()


def group(key: str, final: int, won: int, expected: float, still_open: int = 0) -> Group:
    sums = dict.fromkeys(FIELDS, 0.0)
    sums.update(
        leads=final + still_open, final=final, positives=won, open=still_open, final_probability=expected
    )
    return make_group(key, np.array([sums[name] for name in FIELDS]), SETTINGS)


def test_a_clear_but_small_gap_on_many_outcomes_is_no_alert_unless_no_tolerance_is_allowed() -> None:
    """31.2 % observed against 32.1 % expected on 23,019 leads: 3 standard errors, but only 3 % apart."""
    b = group("B", 23_019, 7_174, 7_387.9)
    assert judge(b, [], None, SETTINGS)[0] == []
    (alert,) = judge(b, [], None, replace(SETTINGS, conversion_tolerance=0.0))[0]
    assert (alert.metric, alert.subject) == ("conversion", "overall")
    assert alert.value == 7_174 / 23_019 and alert.threshold == 7_387.9 / 23_019


def test_each_judged_group_is_held_to_a_stricter_level_so_that_all_together_keep_one_chance_in_20() -> None:
    overall = group("overall", 1_000, 400, 200.0)
    grades = [
        group("A", 600, 300, 120.0),
        group("B", 300, 80, 60.0),
        group("C", 100, 20, 20.0),
        group("D", 40, 0, 1),
    ]
    alerts, notes = judge(overall, grades, None, SETTINGS)
    assert [(a.metric, a.subject) for a in alerts] == [("conversion", "overall"), ("conversion", "grade A")]
    assert (
        "98.8% interval" in alerts[0].message
    )  # 1 - 0.05 / 4: overall and the three grades with 100 outcomes
    assert notes[0] == "conversion not judged for grade D (40): fewer than 100 leads with a final outcome"


def test_nothing_is_judged_without_leads_or_outcomes_and_the_notes_say_so() -> None:
    empty = group("overall", 0, 0, 0.0)
    assert judge(empty, [], 0.8, SETTINGS) == (
        [],
        ["no leads were created in the window: nothing to measure"],
    )
    waiting = group("overall", 0, 0, 0.0, still_open=500)
    alerts, notes = judge(waiting, [], 0.8, SETTINGS)
    assert alerts == [] and "no lead created in the window has a final outcome yet" in notes[0]
    assert waiting.pending and not group("overall", 400, 80, 80.0, still_open=100).pending
