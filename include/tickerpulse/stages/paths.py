"""Where each stage's partition of an interval lives in the lake.

Every path is a pure function of the interval (and subreddit or shard), so a re-run overwrites
exactly the files of its own interval and nothing else.
"""

from __future__ import annotations

from tickerpulse.intervals import Interval


def raw(subreddit: str, interval: Interval) -> str:
    return f"raw/reddit/subreddit={subreddit}/{interval.key}.parquet"


def validated(interval: Interval) -> str:
    return f"validated/{interval.key}.parquet"


def quarantine(interval: Interval) -> str:
    return f"quarantine/{interval.key}.parquet"


def filtered(interval: Interval) -> str:
    return f"filtered/{interval.key}.parquet"


def dropped(interval: Interval) -> str:
    return f"dropped/{interval.key}.parquet"


def shard(interval: Interval, shard_no: int) -> str:
    return f"batches/{interval.key}/shard={shard_no:03d}.parquet"


def scores(interval: Interval, shard_no: int) -> str:
    return f"scores/{interval.key}/shard={shard_no:03d}.parquet"
