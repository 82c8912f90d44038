"""The XNYS calendar answers for holidays, early closes, next opens and the scoring policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tickerpulse import market_calendar as mc


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_holidays_and_early_closes() -> None:
    assert mc.is_holiday(date(2021, 1, 18))  # Martin Luther King Jr. Day
    assert not mc.is_holiday(date(2021, 1, 16))  # a Saturday is a weekend, not a holiday
    assert mc.session_on(date(2021, 1, 18)) is None
    friday = mc.session_on(date(2024, 11, 29))  # the day after Thanksgiving closes at 13:00
    assert friday is not None
    assert friday.early_close
    assert friday.close == utc(2024, 11, 29, 18, 0)
    assert not mc.is_early_close(date(2024, 11, 27))


def test_next_open_skips_weekend_and_holiday() -> None:
    saturday = utc(2021, 1, 16, 15, 30)
    assert mc.next_open(saturday) == utc(2021, 1, 19, 14, 30)  # Tuesday, after MLK day
    in_session = utc(2021, 1, 19, 16, 0)
    assert mc.next_open(in_session) == in_session
    assert mc.is_open(in_session)
    assert not mc.is_open(utc(2021, 1, 19, 21, 0))


def test_sessions_between_clips_to_trading_hours() -> None:
    sessions = mc.sessions_between(utc(2021, 1, 15, 0), utc(2021, 1, 20, 0))
    assert [s.day for s in sessions] == [date(2021, 1, 15), date(2021, 1, 19)]
    assert mc.sessions_between(utc(2021, 1, 16), utc(2021, 1, 17)) == []


def test_trading_time_rolls_over_the_close_and_holidays() -> None:
    late = utc(2021, 1, 15, 20, 45)  # 15:45 New York, 15 minutes before the close
    assert mc.add_trading_time(late, timedelta(minutes=30)) == utc(2021, 1, 19, 14, 45)
    assert mc.same_time_sessions_later(utc(2021, 1, 15, 15, 0), 1) == utc(2021, 1, 19, 15, 0)
    # From 15:00 New York to an early-close day: capped at that day's 13:00 close.
    assert mc.same_time_sessions_later(utc(2024, 11, 27, 20, 0), 1) == utc(2024, 11, 29, 18, 0)


@pytest.mark.parametrize(
    ("start", "policy", "mode"),
    [
        (utc(2021, 1, 19, 15, 0), "market_hours", "llm"),
        (utc(2021, 1, 16, 15, 0), "market_hours", "offline"),
        (utc(2021, 1, 18, 15, 0), "market_hours", "offline"),  # holiday
        (utc(2021, 1, 19, 12, 0), "extended_hours", "llm"),  # 07:00 New York, pre-market
        (utc(2021, 1, 19, 12, 0), "market_hours", "offline"),
        (utc(2021, 1, 20, 3, 0), "extended_hours", "offline"),  # 22:00 New York
        (utc(2021, 1, 16, 15, 0), "sample_outside", "sample"),
        (utc(2021, 1, 16, 15, 0), "always", "llm"),
    ],
)
def test_scoring_mode(start: datetime, policy: str, mode: str) -> None:
    assert mc.scoring_mode(start, start + timedelta(minutes=30), policy) == mode


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="scoring policy"):
        mc.scoring_mode(utc(2021, 1, 19), utc(2021, 1, 19, 0, 30), "night_owl")
