"""The default_args every Ticker Pulse DAG shares: owner, retries and the failure callback.

Imported by the DAG files at parse time, so it imports nothing heavy: the callback loads
`tickerpulse.ops.events` only when a task has failed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def on_failure(context: Any) -> None:
    """Write a run-event row and notify the optional `tickerpulse_alerts` connection."""
    from tickerpulse.ops.events import on_task_failure

    on_task_failure(context)


def default_args(
    retries: int, retry_delay: timedelta, exponential_backoff: bool = False
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "owner": "tickerpulse",
        "retries": retries,
        "retry_delay": retry_delay,
        "on_failure_callback": on_failure,
    }
    if exponential_backoff:
        args["retry_exponential_backoff"] = True
    return args
