from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tickerpulse.intervals import Interval, resolve_interval


def t(h: int, m: int, s: int = 0) -> datetime:
    return datetime(2024, 3, 5, h, m, s, tzinfo=UTC)


def test_scheduled_run_uses_its_data_interval() -> None:
    assert resolve_interval(t(14, 0), t(14, 30), t(20, 0)) == Interval(t(14, 0), t(14, 30))


def test_manual_run_without_logical_date_takes_last_complete_window() -> None:
    assert resolve_interval(None, None, t(14, 47, 12)) == Interval(t(14, 0), t(14, 30))
    assert resolve_interval(None, None, t(14, 30)) == Interval(t(14, 0), t(14, 30))


def test_zero_length_interval_falls_back_to_window_before_it() -> None:
    assert resolve_interval(t(14, 47), t(14, 47), t(23, 0)) == Interval(t(14, 0), t(14, 30))


def test_naive_datetimes_are_utc_and_key_is_partition_path() -> None:
    naive = datetime(2024, 3, 5, 9, 30)
    interval = resolve_interval(naive, naive + timedelta(minutes=30), t(23, 0))
    assert interval.start == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert interval.key == "dt=2024-03-05/interval=0930"
    assert Interval.from_dict(interval.to_dict()) == interval
