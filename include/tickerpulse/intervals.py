"""The 30-minute data interval every task is keyed to.

A run with a logical date processes exactly its data interval. A manual run from the UI may have no
logical date (Airflow 3 allows that); it then processes the last *complete* 30-minute window before
the moment it was triggered, so it never reads a window that is still filling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

INTERVAL = timedelta(minutes=30)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """Partition key used in lake paths: dt=YYYY-MM-DD/interval=HHMM."""
        return f"dt={self.start:%Y-%m-%d}/interval={self.start:%H%M}"

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Interval:
        return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]))


def _utc(value: datetime) -> datetime:
    """A plain `datetime` in UTC: Airflow hands us pendulum objects, which GX mishandles."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    v = value.astimezone(UTC)
    return datetime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond, tzinfo=UTC)


def floor_to_interval(moment: datetime) -> datetime:
    moment = _utc(moment)
    return moment.replace(minute=(moment.minute // 30) * 30, second=0, microsecond=0)


def last_complete_interval(now: datetime) -> Interval:
    end = floor_to_interval(now)
    return Interval(end - INTERVAL, end)


def resolve_interval(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    now: datetime,
) -> Interval:
    """The interval a run must process.

    A data interval that is not exactly one aligned 30-minute window (a manual run, a zero-length
    interval from a trigger timetable) falls back to the last complete window before `now`.
    """
    if data_interval_start is not None and data_interval_end is not None:
        start, end = _utc(data_interval_start), _utc(data_interval_end)
        if end - start == INTERVAL and floor_to_interval(start) == start:
            return Interval(start, end)
        return last_complete_interval(end)
    return last_complete_interval(now)
