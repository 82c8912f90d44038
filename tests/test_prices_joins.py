"""As-of price, next-open entry and forward returns, on prints built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from tickerpulse.prices.joins import Prints, join_moment


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _intraday(day_opens: list[datetime], known_until: datetime | None) -> Prints:
    """13 bars a session, the open rising by 1 a bar from 100, close = open + 1."""
    rows = []
    for session_open in day_opens:
        for i in range(13):
            start = session_open + timedelta(minutes=30 * i)
            rows.append((start, start + timedelta(minutes=30), 100.0 + i, 101.0 + i))
    frame = pd.DataFrame(rows, columns=["bar_start", "bar_end", "open", "close"])
    return Prints.from_bars(frame, "30m", known_until)


def _daily(rows: list[tuple[datetime, datetime, float, float]], known: datetime | None) -> Prints:
    frame = pd.DataFrame(rows, columns=["bar_start", "bar_end", "open", "close"])
    return Prints.from_bars(frame, "1d", known)


NONE = _daily([], None)
FRI, TUE = utc(2021, 1, 15, 14, 30), utc(2021, 1, 19, 14, 30)  # Monday 18th is a holiday


def test_a_weekend_post_enters_at_the_next_open_and_sees_fridays_close() -> None:
    prints = _intraday([FRI, TUE], known_until=utc(2021, 1, 19, 21, 0))
    joined = join_moment(utc(2021, 1, 16, 15, 0), prints, NONE)

    assert not joined.in_session
    assert joined.price_asof == 113.0  # Friday's last close
    assert (joined.entry_time, joined.entry_price) == (TUE, 100.0)
    assert joined.returns["30m"] == pytest.approx(101.0 / 100.0 - 1)
    assert joined.returns["1h"] == pytest.approx(102.0 / 100.0 - 1)
    assert joined.returns["1d"] is None
    assert not joined.complete  # Wednesday not known yet


def test_an_in_session_post_is_priced_as_of_and_enters_at_the_next_print() -> None:
    prints = _intraday([FRI, TUE], known_until=utc(2021, 1, 19, 21, 0))
    joined = join_moment(
        FRI + timedelta(minutes=40), prints, NONE, also_at=FRI + timedelta(hours=1)
    )

    assert joined.in_session
    assert joined.price_asof == 101.0  # the first bar's close, printed at 15:00
    assert joined.entry_time == FRI + timedelta(minutes=60)
    assert joined.price_at == 102.0  # at the interval end: the open of the 15:30 bar
    assert joined.returns["1d"] == pytest.approx(102.0 / 102.0 - 1)  # same time Tuesday


def test_returns_not_yet_known_are_filled_by_a_later_run() -> None:
    post = utc(2021, 1, 15, 20, 50)  # 15:50 New York: 30 trading minutes end on Tuesday
    early = join_moment(post, _intraday([FRI, TUE], known_until=utc(2021, 1, 15, 21, 0)), NONE)
    late = join_moment(post, _intraday([FRI, TUE], known_until=utc(2021, 1, 19, 21, 0)), NONE)

    assert early.returns["30m"] is None
    assert not early.complete
    # Entry at Friday's 16:00 close (113); 30 trading minutes later is 10:00 Tuesday (101).
    assert (late.entry_time, late.entry_price) == (utc(2021, 1, 15, 21, 0), 113.0)
    assert late.returns["30m"] == pytest.approx(101.0 / 113.0 - 1)


def test_daily_bars_give_day_horizons_only() -> None:
    sessions = [
        (utc(2021, 1, d, 14, 30), utc(2021, 1, d, 21, 0), float(o), float(c))
        for d, o, c in [(15, 10, 11), (19, 12, 13), (20, 14, 15), (21, 16, 17), (22, 18, 19)]
    ] + [(utc(2021, 1, 25, 14, 30), utc(2021, 1, 25, 21, 0), 20.0, 21.0)]
    daily = _daily(sessions, known=utc(2021, 1, 25, 21, 0))
    in_session = join_moment(utc(2021, 1, 15, 16, 0), _daily([], None), daily)
    weekend = join_moment(utc(2021, 1, 16, 16, 0), _daily([], None), daily)

    assert in_session.entry_price == 11.0  # the first print after: Friday's close
    assert in_session.returns["1d"] == pytest.approx(13.0 / 11.0 - 1)
    assert in_session.returns["5d"] == pytest.approx(21.0 / 11.0 - 1)
    assert in_session.returns["30m"] is None
    assert in_session.complete
    assert weekend.entry_price == 12.0  # Tuesday's open
    assert weekend.returns["1d"] == pytest.approx(14.0 / 12.0 - 1)  # open to open
