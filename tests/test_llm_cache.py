"""The LLM answer cache: keyed by content, model and prompt version, complete answers only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import pytest

from tests.servers.openai_server import OpenAIServer
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.scoring.base import PostToScore, TickerScore
from tickerpulse.scoring.cache import ScoreCache, content_key
from tickerpulse.stages.context import RunParams, StageContext
from tickerpulse.warehouse.migrate import migrate


def _scores(post: PostToScore, value: float = 0.5) -> list[TickerScore]:
    return [TickerScore(post.post_id, t, value, "bullish", f"{t} up") for t in post.tickers]


def test_content_key_ignores_post_id_and_ticker_order() -> None:
    a = PostToScore("t3_a", "GME to the moon", ("GME", "AMC"))
    b = PostToScore("t3_b", "GME to the moon", ("AMC", "GME"))
    assert content_key(a) == content_key(b)
    assert content_key(a) != content_key(PostToScore("t3_a", "GME to the moon!", ("GME", "AMC")))
    assert content_key(a) != content_key(PostToScore("t3_a", "GME to the moon", ("GME",)))


def test_store_then_lookup_answers_for_the_asking_post(fresh_db: str) -> None:
    cache = ScoreCache(fresh_db)
    first = PostToScore("t3_first", "TSLA puts printing", ("TSLA", "NVDA"))
    twin = PostToScore("t3_twin", "TSLA puts printing", ("NVDA", "TSLA"))
    other = PostToScore("t3_other", "never scored", ("AAPL",))
    assert cache.store([(first, _scores(first, -0.6), 120, 30)], "gpt-x", "v1") == 1

    hits = cache.lookup([first, twin, other], "gpt-x", "v1")
    assert set(hits) == {"t3_first", "t3_twin"}
    assert hits["t3_twin"].scores == (
        TickerScore("t3_twin", "NVDA", -0.6, "bullish", "NVDA up"),
        TickerScore("t3_twin", "TSLA", -0.6, "bullish", "TSLA up"),
    )
    assert (hits["t3_first"].tokens_in, hits["t3_first"].tokens_out) == (120, 30)
    # Another model or prompt version is another answer.
    assert cache.lookup([first], "gpt-y", "v1") == {}
    assert cache.lookup([first], "gpt-x", "v2") == {}


def test_store_is_idempotent_and_the_first_answer_wins(fresh_db: str) -> None:
    cache = ScoreCache(fresh_db)
    post = PostToScore("t3_p", "AMD calls", ("AMD",))
    assert cache.store([(post, _scores(post, 0.7), 50, 10)], "m", "v1") == 1
    assert cache.store([(post, _scores(post, -0.9), 99, 99)], "m", "v1") == 0
    hit = cache.lookup([post], "m", "v1")["t3_p"]
    assert (hit.scores[0].score, hit.tokens_in, hit.tokens_out) == (0.7, 50, 10)
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickerpulse.llm_score_cache")
        assert cur.fetchone() == (1,)


@pytest.mark.parametrize(
    "scores",
    [
        [],  # unscored
        [TickerScore("t3_p", "AMD", 0.2, "bullish", "r")],  # INTC missing
        [
            TickerScore("t3_p", "AMD", 0.2, "bullish", "r"),
            TickerScore("t3_p", "INTC", 1.4, "bullish", "r"),  # out of range
        ],
        [
            TickerScore("t3_p", "AMD", 0.2, "bullish", "r"),
            TickerScore("t3_other", "INTC", 0.1, "bullish", "r"),  # another post's answer
        ],
    ],
)
def test_only_complete_answers_are_cached(fresh_db: str, scores: list[TickerScore]) -> None:
    cache = ScoreCache(fresh_db)
    post = PostToScore("t3_p", "AMD beats INTC", ("AMD", "INTC"))
    assert cache.store([(post, scores, 10, 10)], "m", "v1") == 0
    assert cache.lookup([post], "m", "v1") == {}


# --- through the real stages: a second run of an interval makes no LLM call --------------------

START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)  # a window of the shipped sample with tickers


@contextmanager
def llm_endpoint(
    monkeypatch: pytest.MonkeyPatch, model: str = "test-model", extra: dict[str, Any] | None = None
) -> Iterator[OpenAIServer]:
    """The loopback chat-completions server, configured as the `llm_default` connection."""
    with OpenAIServer() as server:
        monkeypatch.setenv("AIRFLOW_CONN_LLM_DEFAULT", server.connection(model, **(extra or {})))
        yield server


def stage_context(run_id: str | None, scorer: str = "llm") -> StageContext:
    settings = load_settings()
    params = RunParams.from_params({"scorer": scorer}, settings)
    return StageContext(Interval(START, START + timedelta(minutes=30)), params, settings, run_id)


def run_stages(ctx: StageContext) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """extract → validate → filter → plan → score (every shard) → prices → load, as the DAG does."""
    from tickerpulse.stages import extract, load, plan, prices, score, validate
    from tickerpulse.stages import filter as filter_stage

    validated = validate.run(ctx, extract.run(ctx))
    filtered = filter_stage.run(ctx, validated)
    score_outs = [score.run(ctx, shard) for shard in plan.run(ctx, filtered)]
    prices.run(ctx, filtered)
    return score_outs, load.run(ctx, validated, filtered, score_outs)


def fetch(dsn: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


SENTIMENT_DIGEST = (
    "SELECT count(*), md5(string_agg(s::text, E'\\n' ORDER BY s::text))"
    " FROM tickerpulse.post_sentiment s"
)


def test_second_run_of_an_interval_makes_no_llm_call(
    pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = pipeline_env["DATABASE_URL"]
    with llm_endpoint(monkeypatch) as server:
        first_outs, first = run_stages(stage_context("manual__first"))
        first_calls = len(server.completions())
        first_rows = fetch(dsn, SENTIMENT_DIGEST)
        cached = fetch(dsn, "SELECT count(*) FROM tickerpulse.llm_score_cache")[0][0]

        second_outs, second = run_stages(stage_context("manual__second"))
        assert len(server.completions()) == first_calls  # not one request more

    assert first_calls > 0
    assert first["llm_calls"] == first_calls
    assert first["cache_hits"] == 0
    assert first["cost_usd"] > 0
    assert first["tokens_in"] > 0
    posts_scored = sum(o["posts"] for o in first_outs)
    assert cached == posts_scored > 0  # every post of the sample run was answered and stored
    assert second["llm_calls"] == 0
    assert second["tokens_in"] == second["tokens_out"] == 0
    assert second["cost_usd"] == 0
    assert second["cache_hits"] == posts_scored
    assert sum(o["cache_hits"] for o in second_outs) == posts_scored
    assert fetch(dsn, SENTIMENT_DIGEST) == first_rows  # byte-identical rows, tokens included
    scorers = fetch(dsn, "SELECT DISTINCT scorer, fallback_reason FROM tickerpulse.post_sentiment")
    assert scorers == [("llm", None)]
    run_row = fetch(
        dsn, "SELECT llm_calls, cache_hits, cost_usd, llm_fallback FROM tickerpulse.pipeline_runs"
    )
    assert run_row == [(0, posts_scored, 0, 0)]


def test_without_the_warehouse_there_is_no_cache(
    pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate(pipeline_env["DATABASE_URL"])  # the filter still reads the symbol table
    monkeypatch.setenv("TICKERPULSE_SINK_WAREHOUSE", "off")
    with llm_endpoint(monkeypatch) as server:
        ctx = stage_context("manual__a")
        ctx = dataclasses.replace(
            ctx, settings=ctx.settings.model_copy(update={"sink_warehouse": False})
        )
        run_stages(ctx)
        once = len(server.completions())
        run_stages(ctx)
        assert once > 0
        assert len(server.completions()) == 2 * once
    tables = fetch(
        pipeline_env["DATABASE_URL"],
        "SELECT (SELECT count(*) FROM tickerpulse.llm_score_cache),"
        " (SELECT count(*) FROM tickerpulse.post_sentiment)",
    )
    assert tables == [(0, 0)]


def test_unanswered_posts_fail_the_task_until_its_last_try(
    pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With retries left, a post the endpoint will not answer fails the task; the retry asks only
    for it (the rest are cached); the last try stores it unscored with the reason."""
    from tests.servers.openai_server import BAD_SCORE
    from tickerpulse.stages import extract, plan, score, validate
    from tickerpulse.stages import filter as filter_stage
    from tickerpulse.stages.score import ScoreIncomplete

    migrate(pipeline_env["DATABASE_URL"])
    with llm_endpoint(monkeypatch) as server:
        ctx = dataclasses.replace(stage_context("manual__retry"), retries_left=1)
        shards = plan.run(ctx, filter_stage.run(ctx, validate.run(ctx, extract.run(ctx))))
        posts = [p for s in shards for p in ctx.lake.read_table(s["shard"]).to_pylist()]
        assert len(posts) > 2
        stubborn = posts[0]["post_id"]
        server.poison[stubborn] = BAD_SCORE  # every answer for it is out of range
        failed = []
        for shard in shards:  # as the mapped tasks do: each shard on its own
            try:
                score.run(ctx, shard)
            except ScoreIncomplete as exc:
                failed.append(str(exc))
        assert len(failed) == 1
        assert failed[0].startswith("1 post(s) not answered")
        first_try = len(server.completions())

        last = dataclasses.replace(ctx, retries_left=0)
        outs = [score.run(last, shard) for shard in shards]
        retry_requests = server.completions()[first_try:]
    sent_again = {p["id"] for r in retry_requests for p in server.posts_sent(r)}
    assert sent_again == {stubborn}  # everything else came from the cache
    rows = [r for o in outs for r in ctx.lake.read_table(o["scores"]).to_pylist()]
    unscored = {r["post_id"]: r["unscored_reason"] for r in rows if r["status"] == "unscored"}
    assert list(unscored) == [stubborn]
    assert "out of range" in unscored[stubborn]
    assert {r["post_id"] for r in rows} == {p["post_id"] for p in posts}
