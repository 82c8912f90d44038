"""Real DAG runs of reddit_sentiment on the shipped sample, checked in Postgres.

This is the end-to-end proof: extract → validate → filter → plan_batches → score (mapped) →
prices → load → aggregate, through `dag.test()`, against a real PostgreSQL and a lake folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg2
import pytest
from tools.warehouse_checksum import pipeline_checksums

from tickerpulse.config import SAMPLE_DIR
from tickerpulse.parse import as_epoch

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
SUBREDDITS = ("investing", "stocks", "wallstreetbets")

pytestmark = pytest.mark.slow


def _expected_records(start: datetime, end: datetime) -> int:
    """Records of the sample in [start, end), counted straight from the files."""
    count = 0
    for sub in SUBREDDITS:
        path = SAMPLE_DIR / "reddit" / f"subreddit={sub}" / f"dt={start:%Y-%m-%d}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            when = as_epoch(rec.get("created_utc"))
            if when is None:
                when = as_epoch(rec.get("retrieved_utc"))
            if when is not None and start.timestamp() <= when < end.timestamp():
                count += 1
    return count


@pytest.fixture(scope="module")
def dag(airflow_db: None) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False)
    dag = bag.get_dag("reddit_sentiment")
    for task in dag.tasks:  # a failure must fail the test now, not wait for retry delays
        task.retries = 0
    return dag


def _run(dag: Any, window_start: datetime) -> None:
    """Run the window [start, start + 30 min): a manual run processes the window before its date."""
    dag_run = dag.test(logical_date=window_start + timedelta(minutes=30))
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"


def _fetch(dsn: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


def test_intervals_load_reconcile_and_rerun_identically(
    dag: Any, pipeline_env: dict[str, str]
) -> None:
    dsn = pipeline_env["DATABASE_URL"]
    intervals = [START, START + timedelta(minutes=30)]
    for logical in intervals:
        _run(dag, logical)

    runs = _fetch(
        dsn,
        "SELECT interval_start, extracted, loaded, quarantined, duplicates, bots,"
        " with_tickers, scored FROM tickerpulse.pipeline_runs ORDER BY 1",
    )
    assert [r[0] for r in runs] == intervals
    for start, extracted, loaded, quarantined, duplicates, bots, with_tickers, scored in runs:
        assert extracted == _expected_records(start, start + timedelta(minutes=30)) > 0
        assert extracted == loaded + quarantined + duplicates + bots
        assert with_tickers > 0
        assert scored > 0

    by_reason = _fetch(
        dsn,
        "SELECT dropped_by_reason, quarantined_by_reason, duplicates, bots, quarantined"
        " FROM tickerpulse.pipeline_runs",
    )
    for dropped, quarantined_reasons, duplicates, bots, quarantined in by_reason:
        assert sum(dropped.values()) == duplicates + bots
        assert sum(quarantined_reasons.values()) == quarantined
        assert all(r in {"duplicate", "near_duplicate"} or r.startswith("bot:") for r in dropped)

    totals = _fetch(
        dsn,
        "SELECT sum(loaded), sum(quarantined), sum(duplicates + bots)"
        " FROM tickerpulse.pipeline_runs",
    )[0]
    counts = _fetch(
        dsn,
        "SELECT (SELECT count(*) FROM tickerpulse.posts),"
        " (SELECT count(*) FROM tickerpulse.quarantine),"
        " (SELECT count(*) FROM tickerpulse.dropped)",
    )[0]
    assert tuple(int(x) for x in totals) == counts

    rollup = _fetch(
        dsn,
        "SELECT ticker, mentions, weighted_mean, tier, price_close"
        " FROM tickerpulse.sentiment_30m ORDER BY mentions DESC",
    )
    assert len(rollup) >= 5
    assert all(-1 <= r[2] <= 1 for r in rollup if r[2] is not None)
    assert any(r[4] is not None for r in rollup), "prices were joined"
    assert (
        _fetch(dsn, "SELECT count(DISTINCT interval_start) FROM tickerpulse.dq_results")[0][0] == 2
    )

    lake = Path(pipeline_env["TICKERPULSE_LAKE_URL"].removeprefix("file://"))
    assert (
        lake / "raw/reddit/subreddit=wallstreetbets/dt=2024-03-05/interval=1400.parquet"
    ).exists()

    before = pipeline_checksums(dsn)
    _run(dag, intervals[-1])  # re-run the last interval
    _run(dag, intervals[0])  # and the first: later intervals' history is unchanged too
    assert pipeline_checksums(dsn) == before


def test_llm_scorer_run_from_params(
    dag: Any, pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with params {"scorer": "llm"} scores through the openai client and records usage."""
    from tests.servers.openai_server import OpenAIServer

    with OpenAIServer() as server:
        monkeypatch.setenv("AIRFLOW_CONN_LLM_DEFAULT", server.connection())
        dag_run = dag.test(logical_date=START + timedelta(minutes=30), run_conf={"scorer": "llm"})
        assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
        requests = len(server.requests_to("/v1/chat/completions", "POST"))
    dsn = pipeline_env["DATABASE_URL"]
    calls, tokens_in, version = _fetch(
        dsn, "SELECT llm_calls, tokens_in, scorer_version FROM tickerpulse.pipeline_runs"
    )[0]
    assert calls == requests > 0
    assert tokens_in > 0
    assert version == "test-model@v1"
    rows = _fetch(
        dsn, "SELECT DISTINCT scorer, model, prompt_version FROM tickerpulse.post_sentiment"
    )
    assert rows == [("llm", "test-model", "v1")]


def test_manual_run_without_logical_date_processes_last_complete_window(
    dag: Any, pipeline_env: dict[str, str]
) -> None:
    """A UI trigger with no logical date: the window before the trigger time, loaded (empty)."""
    from tickerpulse.intervals import last_complete_interval

    before = last_complete_interval(datetime.now(UTC))
    dag_run = dag.test(logical_date=None, run_conf={"scorer": "offline"})
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    after = last_complete_interval(datetime.now(UTC))
    rows = _fetch(
        pipeline_env["DATABASE_URL"],
        "SELECT interval_start, interval_end, extracted FROM tickerpulse.pipeline_runs",
    )
    assert len(rows) == 1
    start, end, extracted = rows[0]
    assert start in {before.start, after.start}
    assert end - start == timedelta(minutes=30)
    assert extracted == 0  # the sample has no posts today: an empty window still loads cleanly
    # The validate task's "Data Docs" button: the worker stored its URL for the UI.
    assert _link(dag_run.run_id, "validate") == (
        f"/tickerpulse/data-docs/runs/reddit_sentiment/{quote(dag_run.run_id, safe='')}"
    )
    assert _link(dag_run.run_id, "filter") is None


def _link(run_id: str, task_id: str) -> str | None:
    """The Data Docs extra link Airflow stored for a task of a reddit_sentiment run (XCom)."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        value = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == "reddit_sentiment",
                XComModel.run_id == run_id,
                XComModel.task_id == task_id,
                XComModel.key == "_link_DataDocsLink",
            )
        )
    if value is None:
        return None
    try:
        return str(json.loads(value))  # stored JSON-encoded by some XCom backends
    except (TypeError, ValueError):
        return str(value)


def test_sentiment_eval_dag_stores_an_eval_run(
    airflow_db: None, pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    dataset = tmp_path / "tiny.csv"
    dataset.write_text(
        "id,text,label\n"
        "1,Operating profit rose 20% and the company raised its outlook,positive\n"
        "2,Net sales decreased and the company will cut 300 jobs,negative\n"
        "3,The annual general meeting will be held on Tuesday,neutral\n",
        encoding="utf-8",
    )
    eval_dag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False).get_dag("sentiment_eval")
    for task in eval_dag.tasks:
        task.retries = 0
    dag_run = eval_dag.test(run_conf={"dataset": str(dataset), "scorer": "offline"})
    assert str(getattr(dag_run.state, "value", dag_run.state)) == "success"
    rows = _fetch(
        pipeline_env["DATABASE_URL"],
        "SELECT scorer, n, accuracy FROM tickerpulse.eval_runs ORDER BY scorer",
    )
    assert [(r[0], r[1]) for r in rows] == [("offline", 3), ("vader", 3)]
    assert all(0 <= r[2] <= 1 for r in rows)
