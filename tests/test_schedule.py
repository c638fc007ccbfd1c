"""Schedule maths and the progress bar."""

import datetime as dt
from types import SimpleNamespace

import pytest

from bot.domain.housing import build_schedule, progress_bar, split_caravans

END_2025, END_2026 = dt.date(2025, 12, 31), dt.date(2026, 12, 31)


def test_shushakend_published_figures_add_up():
    schedule = build_schedule(263, 15, [(END_2025, 85), (END_2026, 72)], dt.date(2025, 9, 14))
    assert [(m.due_by, m.homes, m.cumulative) for m in schedule.milestones] == [
        (END_2025, 85, 100),
        (END_2026, 72, 172),
    ]
    assert schedule.unscheduled == 91  # the 91 uninhabitable homes have no published date
    assert schedule.progress == pytest.approx(15 / 263)
    assert not any(m.passed for m in schedule.milestones)


def test_deadlines_before_today_are_marked_passed_and_sorted():
    schedule = build_schedule(259, 10, [(END_2026, 104), (END_2025, 75)], dt.date(2026, 11, 26))
    assert [m.due_by for m in schedule.milestones] == [END_2025, END_2026]
    assert [m.passed for m in schedule.milestones] == [True, False]
    assert schedule.milestones[-1].cumulative == 189


def test_missing_figures_give_no_progress_and_no_remainder():
    assert build_schedule(None, None, [], dt.date(2026, 1, 1)).progress is None
    assert build_schedule(188, None, [], dt.date(2026, 1, 1)).unscheduled is None
    assert build_schedule(0, 0, [], dt.date(2026, 1, 1)).progress is None


def test_remainder_never_negative():
    assert build_schedule(100, 50, [(END_2025, 80)], dt.date(2025, 1, 1)).unscheduled == 0


@pytest.mark.parametrize(
    ("fraction", "bar"),
    [
        (0.0, "░░░░░░░░░░"),
        (0.004, "▓░░░░░░░░░"),  # some progress is never shown as none
        (0.5, "▓▓▓▓▓░░░░░"),
        (0.996, "▓▓▓▓▓▓▓▓▓░"),  # almost is not done
        (1.0, "▓▓▓▓▓▓▓▓▓▓"),
        (1.7, "▓▓▓▓▓▓▓▓▓▓"),
        (-1, "░░░░░░░░░░"),
    ],
)
def test_progress_bar(fraction, bar):
    assert progress_bar(fraction) == bar


def test_split_caravans_upcoming_soonest_first_past_newest_first_undated_last():
    today = dt.date(2026, 11, 26)
    rows = [
        SimpleNamespace(date=d)
        for d in (dt.date(2025, 9, 11), None, dt.date(2026, 12, 20), today, dt.date(2025, 12, 24))
    ]
    upcoming, past = split_caravans(rows, today)
    assert [c.date for c in upcoming] == [today, dt.date(2026, 12, 20)]
    assert [c.date for c in past] == [dt.date(2025, 12, 24), dt.date(2025, 9, 11), None]
