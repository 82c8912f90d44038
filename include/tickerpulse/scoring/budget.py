"""A per-run LLM spend cap shared by every mapped score task of one DAG run.

The tasks of a run score shards in parallel, possibly on different workers, so the running total
lives in Postgres (tickerpulse.llm_budgets, one row per run). Before each call the scorer reserves
the call's worst case (its input tokens and its `max_tokens`) with one atomic UPDATE that
succeeds only while the total stays under the limit; after the call the reservation is replaced
by what the call actually cost. The cap is therefore never exceeded, even by calls in flight, and
an unused worst case is handed back for later calls.

When a reservation is refused the scorer stops sending and reports those posts as over budget;
the score stage scores them with the offline scorer and flags the rows.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg2
import psycopg2.extensions

from tickerpulse.scoring.cost import Price
from tickerpulse.warehouse.db import resolve_dsn
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

if TYPE_CHECKING:
    from tickerpulse.config import Settings

log = logging.getLogger(__name__)

BUDGET_REACHED = "llm budget reached"


@dataclass(frozen=True)
class BudgetState:
    limit_usd: float
    reserved_usd: float
    spent_usd: float
    refused: int


class LocalSpendGuard:
    """The same cap held in memory, for one task alone (when the warehouse sink is off)."""

    def __init__(self, limit_usd: float, price: Price) -> None:
        self.limit_usd = limit_usd
        self.price = price
        self.reserved_usd = 0.0
        self.spent_usd = 0.0
        self.refused = 0
        self._lock = threading.Lock()

    def reserve(self, tokens_in: int, tokens_out: int) -> bool:
        usd = self.price.cost(tokens_in, tokens_out)
        with self._lock:
            if round(self.reserved_usd + usd, 6) > self.limit_usd:
                self.refused += 1
                return False
            self.reserved_usd = round(self.reserved_usd + usd, 6)
            return True

    def settle(self, reserved_in: int, reserved_out: int, actual_in: int, actual_out: int) -> None:
        actual = self.price.cost(actual_in, actual_out)
        with self._lock:
            self.reserved_usd = round(
                self.reserved_usd - self.price.cost(reserved_in, reserved_out) + actual, 6
            )
            self.spent_usd = round(self.spent_usd + actual, 6)


class PgSpendGuard:
    """SpendGuard (tickerpulse.scoring.base) backed by one row of tickerpulse.llm_budgets.

    One connection per guard, in autocommit: each reserve and settle is its own statement, so
    other tasks see it at once. A lock serialises use of the connection across threads.
    """

    def __init__(self, dsn: str, run_key: str, limit_usd: float, price: Price) -> None:
        migrate(dsn)
        self.run_key = run_key
        self.price = price
        self._lock = threading.Lock()
        self._conn: psycopg2.extensions.connection = psycopg2.connect(
            dsn, application_name="tickerpulse-budget"
        )
        self._conn.autocommit = True
        with self._conn.cursor() as cur:
            cur.execute(query("llm_budget_open"), {"run_key": run_key, "limit_usd": limit_usd})

    def reserve(self, tokens_in: int, tokens_out: int) -> bool:
        """Reserve a call's worst case; False means the budget is reached: do not send it."""
        usd = self.price.cost(tokens_in, tokens_out)
        with self._lock, self._conn.cursor() as cur:
            cur.execute(query("llm_budget_reserve"), {"run_key": self.run_key, "usd": usd})
            if cur.fetchone() is not None:
                return True
            cur.execute(query("llm_budget_refused"), {"run_key": self.run_key})
        log.info("llm budget of run %s reached: a call of $%.6f refused", self.run_key, usd)
        return False

    def settle(self, reserved_in: int, reserved_out: int, actual_in: int, actual_out: int) -> None:
        """Replace a reservation by the call's actual cost (0, 0 for a call that never answered)."""
        with self._lock, self._conn.cursor() as cur:
            cur.execute(
                query("llm_budget_settle"),
                {
                    "run_key": self.run_key,
                    "reserved_usd": self.price.cost(reserved_in, reserved_out),
                    "actual_usd": self.price.cost(actual_in, actual_out),
                },
            )

    def state(self) -> BudgetState:
        with self._lock, self._conn.cursor() as cur:
            cur.execute(query("llm_budget_state"), {"run_key": self.run_key})
            row = cur.fetchone()
        if row is None:
            raise LookupError(f"no budget row for run {self.run_key!r}")
        return BudgetState(float(row[0]), float(row[1]), float(row[2]), int(row[3]))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> PgSpendGuard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_guard(
    settings: Settings, run_key: str, price: Price
) -> PgSpendGuard | LocalSpendGuard | None:
    """The run's spend guard: None without a cap; in Postgres, shared by all the run's tasks."""
    limit = settings.llm_budget_usd
    if limit is None:
        return None
    if not settings.warehouse_on:
        log.warning(
            "warehouse sink off: the LLM budget of $%.4f applies to each score task on its own",
            limit,
        )
        return LocalSpendGuard(limit, price)
    return PgSpendGuard(resolve_dsn(settings), run_key, limit, price)
