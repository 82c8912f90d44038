"""Waiting for an OpenAI batch without holding a worker slot for up to 24 hours.

`BatchJobSensor` defers to `BatchJobTrigger`, which runs in the triggerer and polls the batch with
`openai.AsyncOpenAI` until it reaches a terminal state; the sensor then resumes on a worker and
fails with the batch's own status and errors unless it completed. The trigger's kwargs are stored
in the metadata database, so they carry the connection id, never the API key: the trigger reads
the connection itself when it starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException
from airflow.triggers.base import BaseTrigger, TriggerEvent

from tickerpulse.config import load_settings
from tickerpulse.connections import get_connection
from tickerpulse.scoring.batch_api import TERMINAL, client_from_connection, describe


async def _connection(conn_id: str) -> dict[str, Any] | None:
    """`AIRFLOW_CONN_*` directly (as tasks read it), else Airflow's async lookup (triggerer)."""
    settings = load_settings()
    if settings.connection_env(conn_id):
        return get_connection(conn_id, settings)
    from airflow.sdk import BaseHook

    try:
        conn = await BaseHook.aget_connection(conn_id)
    except Exception:  # noqa: BLE001 - "not found" differs per secrets backend
        return None
    return {"host": conn.host, "password": conn.password, "extra": conn.extra_dejson}


class BatchJobTrigger(BaseTrigger):
    """Polls one batch until it is completed, failed, expired or cancelled; fires once."""

    def __init__(self, batch_id: str, conn_id: str, poll_interval: float = 60.0) -> None:
        super().__init__()
        self.batch_id = batch_id
        self.conn_id = conn_id
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "batch_id": self.batch_id,
                "conn_id": self.conn_id,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        conn = await _connection(self.conn_id)
        if conn is None or not conn.get("host"):
            yield self._event("error", f"the connection {self.conn_id!r} is not defined")
            return
        # The client is closed before the event is yielded: the triggerer may never resume this
        # generator after its first event, so cleanup after the yield would not run in the loop.
        status, summary = await self._poll(conn)
        yield self._event(status, summary)

    async def _poll(self, conn: dict[str, Any]) -> tuple[str, str]:
        """(terminal status, summary), or ("error", why) when polling cannot go on."""
        import openai  # here: the DAG file imports this module at parse time

        # Errors worth polling through: the batch is still there, the endpoint had a bad minute.
        transient = (openai.APIConnectionError, openai.InternalServerError, openai.RateLimitError)
        extra = conn.get("extra") or {}
        async with openai.AsyncOpenAI(
            base_url=conn["host"],
            api_key=conn.get("password") or "",
            max_retries=int(extra.get("max_retries", 2)),
            timeout=float(extra.get("timeout", 60.0)),
        ) as client:
            while True:
                try:
                    batch = await client.batches.retrieve(self.batch_id)
                except transient as exc:
                    self.log.warning("polling batch %s: %s; will poll again", self.batch_id, exc)
                except openai.APIStatusError as exc:  # 401, 404: polling again cannot help
                    return "error", f"polling batch {self.batch_id} failed: {exc}"
                else:
                    if batch.status in TERMINAL:
                        return batch.status, describe(batch)
                    self.log.info("%s", describe(batch))
                await asyncio.sleep(self.poll_interval)

    def _event(self, status: str, summary: str) -> TriggerEvent:
        return TriggerEvent({"batch_id": self.batch_id, "status": status, "summary": summary})


class BatchJobSensor(BaseSensorOperator):
    """Waits for the batch named by `batch` (the submit task's output: batch_id, conn_id,
    poll_interval). Deferrable by default; with `deferrable=False` it pokes like any sensor.
    A submit that had nothing to send (batch_id None) succeeds at once."""

    template_fields: Sequence[str] = ("batch",)

    def __init__(
        self,
        *,
        batch: Any,
        deferrable: bool = True,
        poke_interval: float = 60.0,
        timeout: float = timedelta(hours=25).total_seconds(),  # the 24 h window, plus margin
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        self.batch = batch
        self.deferrable = deferrable

    def execute(self, context: Any) -> Any:
        ref = dict(self.batch or {})
        if not ref.get("batch_id"):
            self.log.info("nothing was submitted; nothing to wait for")
            return {"batch_id": None, "status": "nothing_submitted"}
        if not self.deferrable:
            return super().execute(context)
        self.defer(
            trigger=BatchJobTrigger(
                batch_id=ref["batch_id"],
                conn_id=ref["conn_id"],
                poll_interval=float(ref.get("poll_interval") or self.poke_interval),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def poke(self, context: Any) -> PokeReturnValue:
        ref = dict(self.batch)
        conn = get_connection(ref["conn_id"])
        if conn is None:
            raise AirflowFailException(f"the connection {ref['conn_id']!r} is not defined")
        batch = client_from_connection(conn).batches.retrieve(ref["batch_id"])
        self.log.info("%s", describe(batch))
        if batch.status not in TERMINAL:
            return PokeReturnValue(is_done=False)
        event = {"batch_id": batch.id, "status": batch.status, "summary": describe(batch)}
        return PokeReturnValue(is_done=True, xcom_value=self._finish(event))

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        return self._finish(event)

    @staticmethod
    def _finish(event: dict[str, Any]) -> dict[str, Any]:
        """A batch that did not complete fails the task for good: a retry would find the same
        terminal state. Running the DAG again submits a new batch."""
        if event.get("status") != "completed":
            raise AirflowFailException(
                f"{event.get('summary')}: nothing from this batch is cached. Run the prefill "
                "again to submit a new batch, or backfill with scorer=llm online."
            )
        return event
