"""A short soak in the suite, and the pieces the soak relies on.

`make soak` (tests/soak.py) runs a whole day; here one interval at a high fault rate proves the
same promise on every run of the suite: real DAG runs against the loopback servers, faults
injected and recovered, and a warehouse equal, table by table, to a fault-free run's.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg2
import pytest

from tests.servers.yahoo_server import (
    ALL_FAULT_KINDS,
    TRANSPORT_FAULT_KINDS,
    YahooServer,
    regular_session_bars,
)
from tests.soak import output_checksums, run_soak
from tickerpulse.sources.prices_yfinance import YFinancePriceSource
from tickerpulse.warehouse.migrate import migrate

DAY = date(2024, 3, 5)
START, END = datetime(2024, 3, 5, 14, 0, tzinfo=UTC), datetime(2024, 3, 5, 20, 0, tzinfo=UTC)


@pytest.fixture
def yahoo(isolated_yfinance_cache: None) -> Iterator[YahooServer]:
    bars = {"AAPL": regular_session_bars(DAY, 200.0), "MSFT": regular_session_bars(DAY, 400.0)}
    with YahooServer(bars) as server:
        yield server


@pytest.mark.parametrize("kind", TRANSPORT_FAULT_KINDS)
def test_yahoo_transport_faults_reach_yfinance_as_failures(yahoo: YahooServer, kind: str) -> None:
    """What makes the prices stage retry: the failure is seen, not mistaken for no trades."""
    yahoo.chaos_delay = 1.0
    source = YFinancePriceSource(session=yahoo.session(read_timeout=0.5))
    yahoo.set_chaos(1.0, (kind,), seed=3)
    result = source.fetch(["AAPL", "MSFT"], START, END)
    assert result.frame.empty
    assert set(result.failed) == {"AAPL", "MSFT"}
    assert yahoo.faults_injected[kind] >= 2
    yahoo.set_chaos(0.0, ())
    assert len(source.fetch(["AAPL", "MSFT"], START, END).frame) == 22  # and then recovers


@pytest.mark.parametrize("kind", sorted(set(ALL_FAULT_KINDS) - set(TRANSPORT_FAULT_KINDS)))
def test_yahoo_empty_and_malformed_answers_look_like_no_trades(
    yahoo: YahooServer, kind: str
) -> None:
    """Why the soak leaves these out by default: yfinance hides them, nothing says 'failed'."""
    yahoo.set_chaos(1.0, (kind,), seed=3)
    result = YFinancePriceSource(session=yahoo.session()).fetch(["AAPL"], START, END)
    assert result.frame.empty
    assert not result.failed
    assert not result.unknown
    assert yahoo.faults_injected[kind] >= 1


def test_yahoo_chaos_is_seeded_and_near_its_rate(yahoo: YahooServer) -> None:
    def draws(seed: int) -> list[str | None]:
        yahoo.set_chaos(0.1, TRANSPORT_FAULT_KINDS, seed=seed)
        return [yahoo.chaos_kind() for _ in range(2000)]

    first = draws(7)
    assert first == draws(7)
    assert 150 < sum(k is not None for k in first) < 250


def test_output_checksums_ignore_run_telemetry_only(fresh_db: str, tmp_path: Path) -> None:
    """A retried run may spend more LLM calls; it may not change what it produced."""
    migrate(fresh_db)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO tickerpulse.pipeline_runs (interval_start, interval_end, extracted,"
            " quarantined, duplicates, bots, loaded, with_tickers, scored, unscored, llm_calls,"
            " tokens_in, tokens_out, cost_usd, cache_hits, scorer_version, dq_docs_path)"
            " VALUES (%s, %s, 3, 0, 0, 0, 3, 2, 2, 0, 1, 100, 10, 0.01, 0, 'm@v1', %s)",
            (START, START.replace(minute=30), f"{tmp_path}/home/data_docs/x.html"),
        )
    before = output_checksums(fresh_db, tmp_path)
    assert before["pipeline_runs"][0] == 1
    assert "task_runs" not in before  # operational history is never compared

    def change(statement: str) -> dict[str, tuple[int, str]]:
        with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
            cur.execute(statement)
        return output_checksums(fresh_db, tmp_path)

    assert change("UPDATE tickerpulse.pipeline_runs SET llm_calls = 3, tokens_in = 300") == before
    assert change("UPDATE tickerpulse.pipeline_runs SET scored = 1, unscored = 1") != before


@pytest.mark.slow
def test_short_soak_recovers_every_fault(pg_admin_dsn: str, tmp_path: Path) -> None:
    """One interval, 30% of the external calls failing: the warehouse is unchanged."""
    args = argparse.Namespace(
        start="2024-03-05T14:00:00+00:00",
        intervals=1,
        fault_rate=0.3,
        seed=5,
        reruns=3,
        parallel=(os.cpu_count() or 1) > 1,
        kinds=[],
    )
    report = run_soak(args, tmp_path, admin=pg_admin_dsn)
    print(report.render())
    injected = report.injected()
    by_server = {
        server: sum(n for (name, _), n in injected.items() if name == server)
        for server in ("reddit", "llm", "yahoo")
    }
    assert by_server["reddit"] > 0, injected
    assert by_server["yahoo"] > 0, injected
    assert report.faulted.calls["llm"] > 1
    assert report.clean.states == report.faulted.states == ["success"]
    assert not report.clean.faults  # the fault-free arm had none
    assert report.clean_sums["posts"][0] > 0
    assert report.clean_sums["post_sentiment"][0] > 0
    assert report.differing == []
    assert report.equal
    assert report.recovered() == injected


def test_an_empty_answer_for_one_ticker_is_asked_again(yahoo: YahooServer) -> None:
    """An empty 200 for one ticker while another has bars is retried, not taken as 'no trades'."""
    from tickerpulse.prices.fetch import RetryPolicy, run_request
    from tickerpulse.prices.planning import FetchRequest

    yahoo.set_chaos(0.5, ("empty",), seed=11)
    request = FetchRequest("30m", START, END, ("AAPL", "MSFT"), {})
    source = YFinancePriceSource(session=yahoo.session())
    report = run_request(source, request, RetryPolicy(attempts=8, base_delay=0.0))
    assert yahoo.faults_injected["empty"] >= 1
    assert {t: o.status for t, o in report.outcomes.items()} == {"AAPL": "ok", "MSFT": "ok"}
    assert set(report.frame["ticker"]) == {"AAPL", "MSFT"}
