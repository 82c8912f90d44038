"""The LLM price table, the per-run spend cap, and the offline fallback when the cap is reached."""

from __future__ import annotations

import json
import threading
from typing import Any

import psycopg2
import pytest

from tests.test_llm_cache import fetch, llm_endpoint, stage_context
from tickerpulse.config import load_settings
from tickerpulse.scoring.base import PostToScore
from tickerpulse.scoring.budget import BUDGET_REACHED, LocalSpendGuard, PgSpendGuard
from tickerpulse.scoring.cost import DEFAULT_PRICES, FALLBACK_PRICE, Price, price_for
from tickerpulse.scoring.offline import OfflineScorer
from tickerpulse.stages.plan import SHARD_SCHEMA

# --- the price table ------------------------------------------------------------------------


def test_default_prices_match_model_families() -> None:
    shipped = load_settings({})
    assert price_for("gpt-4o-mini", shipped) == DEFAULT_PRICES["gpt-4o-mini"]
    assert price_for("gpt-4o-mini-2024-07-18", shipped) == DEFAULT_PRICES["gpt-4o-mini"]
    assert price_for("gpt-4o-2024-08-06", shipped) == DEFAULT_PRICES["gpt-4o"]  # not gpt-4o-mini
    assert price_for("some-local-model", shipped) == FALLBACK_PRICE  # never free
    assert Price(0.15, 0.60).cost(1_000_000, 500_000) == pytest.approx(0.45)


def test_env_overrides_win_in_order() -> None:
    table = json.dumps({"my-model": {"in": 3, "out": 4}, "gpt-4o-mini": [1, 2]})
    env = {"TICKERPULSE_LLM_PRICES": table}
    assert price_for("my-model", load_settings(env)) == Price(3, 4)
    assert price_for("gpt-4o-mini", load_settings(env)) == Price(1, 2)
    assert price_for("gpt-4o", load_settings(env)) == DEFAULT_PRICES["gpt-4o"]
    # The older one-price-for-all setting still applies to models the JSON does not name.
    legacy = {**env, "TICKERPULSE_LLM_PRICE_IN": "0.5", "TICKERPULSE_LLM_PRICE_OUT": "1.5"}
    assert price_for("gpt-4o", load_settings(legacy)) == Price(0.5, 1.5)
    assert price_for("my-model", load_settings(legacy)) == Price(3, 4)
    only_in = load_settings({"TICKERPULSE_LLM_PRICE_IN": "0.5"})
    assert price_for("gpt-4o", only_in) == Price(0.5, FALLBACK_PRICE.usd_per_m_out)


@pytest.mark.parametrize(
    "raw",
    ['["not", "an object"]', '{"m": {"in": 1}}', '{"m": [1]}', '{"m": [1, 2]'],
)
def test_a_malformed_price_table_is_an_error(raw: str) -> None:
    with pytest.raises(ValueError, match="TICKERPULSE_LLM_PRICES"):
        load_settings({"TICKERPULSE_LLM_PRICES": raw})


# --- the spend guard ------------------------------------------------------------------------

PER_TOKEN = Price(1000.0, 1000.0)  # $0.001 a token: costs are exact in micro-dollars


def test_reserve_refuses_past_the_limit_and_settle_hands_back_the_unused(fresh_db: str) -> None:
    with PgSpendGuard(fresh_db, "run-a", 1.0, PER_TOKEN) as guard:
        assert guard.reserve(400, 200)  # $0.60 held
        assert not guard.reserve(300, 200)  # would be $1.10
        guard.settle(400, 200, 150, 50)  # actually cost $0.20
        assert guard.reserve(300, 200)  # $0.70 now fits
        state = guard.state()
    assert (state.limit_usd, state.reserved_usd, state.spent_usd, state.refused) == (
        1.0,
        0.7,
        0.2,
        1,
    )
    with PgSpendGuard(fresh_db, "run-b", 1.0, PER_TOKEN) as other:  # another run, its own cap
        assert other.reserve(500, 500)


def test_tasks_of_one_run_share_the_cap_and_never_overshoot(fresh_db: str) -> None:
    """Four 'tasks' (guards on their own connections), each reserving from many threads."""
    guards = [PgSpendGuard(fresh_db, "run-shared", 0.5, PER_TOKEN) for _ in range(4)]
    granted: list[bool] = []
    lock = threading.Lock()

    def hammer(guard: PgSpendGuard) -> None:
        for _ in range(10):
            ok = guard.reserve(7, 3)  # $0.01 each
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=hammer, args=(g,)) for g in guards for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state = guards[0].state()
    for guard in guards:
        guard.close()
    assert len(granted) == 80
    assert sum(granted) == 50  # exactly the cap, not one call more
    assert state.reserved_usd == 0.5
    assert state.refused == 30


def test_local_guard_holds_the_same_rule() -> None:
    guard = LocalSpendGuard(0.05, PER_TOKEN)
    assert guard.reserve(30, 10)
    assert not guard.reserve(10, 1)
    guard.settle(30, 10, 5, 5)
    assert guard.reserve(10, 1)
    assert guard.spent_usd == pytest.approx(0.01)


# --- through the real stages: a tiny budget -------------------------------------------------


def _reservations(ctx: Any, refs: list[dict[str, Any]]) -> list[float]:
    """What each planned batch will reserve, priced at PER_TOKEN."""
    from tickerpulse.scoring.factory import make_scorer
    from tickerpulse.scoring.llm import estimate_prompt_tokens

    scorer = make_scorer("llm", ctx.settings)
    batches: dict[int, list[PostToScore]] = {}
    for ref in refs:
        for row in ctx.lake.read_table(ref["shard"], SHARD_SCHEMA).to_pylist():
            post = PostToScore(row["post_id"], row["text"], tuple(row["tickers"]))
            batches.setdefault(row["batch_no"], []).append(post)
    out = []
    for posts in batches.values():
        body = scorer.request_body(posts)  # type: ignore[attr-defined]
        out.append(PER_TOKEN.cost(estimate_prompt_tokens(body["messages"]), body["max_tokens"]))
    return out


def test_a_tiny_budget_stops_calls_and_scores_the_rest_offline(
    pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tickerpulse.stages import extract, load, plan, prices, score, validate
    from tickerpulse.stages import filter as filter_stage

    dsn = pipeline_env["DATABASE_URL"]
    monkeypatch.setenv("TICKERPULSE_TOKEN_BUDGET", "500")  # many small batches
    monkeypatch.setenv("TICKERPULSE_MAX_ITEMS_PER_BATCH", "4")
    monkeypatch.setenv("TICKERPULSE_LLM_PRICES", json.dumps({"test-model": [1000.0, 1000.0]}))
    with llm_endpoint(monkeypatch, extra={"concurrency": 2}) as server:
        ctx = stage_context("manual__tiny_budget")
        validated = validate.run(ctx, extract.run(ctx))
        filtered = filter_stage.run(ctx, validated)
        refs = plan.run(ctx, filtered)
        reservations = _reservations(ctx, refs)
        limit = round(2.5 * sum(reservations) / len(reservations), 6)
        assert len(reservations) >= 6
        assert sum(reservations) > 2 * limit  # the cap must bite

        monkeypatch.setenv("TICKERPULSE_LLM_BUDGET_USD", str(limit))
        ctx = stage_context("manual__tiny_budget")  # settings are read when a task starts
        outs = [score.run(ctx, ref) for ref in refs]
        prices.run(ctx, filtered)
        run = load.run(ctx, validated, filtered, outs)
        requests = len(server.completions())

    # None lost or duplicated: every (post, ticker) to score has exactly one row.
    expected = sorted(
        (row["post_id"], t)
        for ref in refs
        for row in ctx.lake.read_table(ref["shard"], SHARD_SCHEMA).to_pylist()
        for t in row["tickers"]
    )
    rows = fetch(
        dsn,
        "SELECT post_id, ticker, scorer, status, fallback_reason, scorer_version"
        " FROM tickerpulse.post_sentiment ORDER BY 1, 2",
    )
    assert [(r[0], r[1]) for r in rows] == expected
    llm = [r for r in rows if r[2] == "llm"]
    fallback = [r for r in rows if r[2] == "offline"]
    assert llm, "some posts by the LLM, the rest offline"
    assert fallback, "some posts by the LLM, the rest offline"
    assert all(r[4] is None for r in llm)
    assert all(r[4] == BUDGET_REACHED and r[5] == OfflineScorer.version for r in fallback)
    fallback_posts = {r[0] for r in fallback}
    assert not fallback_posts & {r[0] for r in llm}  # a post is one or the other

    # Calls stopped within the cap, and the run metrics say what happened.
    (limit_usd, reserved, spent, refused) = fetch(
        dsn, "SELECT limit_usd, reserved_usd, spent_usd, refused FROM tickerpulse.llm_budgets"
    )[0]
    assert float(limit_usd) == limit
    assert float(spent) <= float(reserved) <= limit
    assert refused >= 1
    assert 0 < requests < len(reservations)
    metrics = fetch(
        dsn,
        "SELECT llm_calls, tokens_in, tokens_out, cost_usd, llm_fallback"
        " FROM tickerpulse.pipeline_runs",
    )[0]
    assert metrics[0] == requests
    assert metrics[4] == len(fallback_posts) == run["llm_fallback"]
    assert float(metrics[3]) == pytest.approx(float(spent)) == PER_TOKEN.cost(*metrics[1:3])
    # One trace row per call, adding up to the run's tokens; fallback answers are not cached.
    calls = fetch(
        dsn, "SELECT count(*), sum(tokens_in), sum(tokens_out) FROM tickerpulse.llm_calls"
    )
    assert calls == [(requests, metrics[1], metrics[2])]
    cached = fetch(dsn, "SELECT count(*) FROM tickerpulse.llm_score_cache")[0][0]
    assert cached == len({r[0] for r in llm if r[3] == "scored"})


def test_no_budget_means_no_cap(pipeline_env: dict[str, str]) -> None:
    ctx = stage_context("manual__free")
    assert ctx.settings.llm_budget_usd is None
    from tickerpulse.scoring.budget import make_guard

    assert make_guard(ctx.settings, ctx.run_key, PER_TOKEN) is None
    with psycopg2.connect(pipeline_env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('tickerpulse.llm_budgets')")
        assert cur.fetchone() == (None,)  # nothing was opened


def test_the_airflow_run_id_keys_the_budget(pipeline_env: dict[str, str]) -> None:
    """All mapped score tasks of a run build their context from the same Airflow run id."""
    from datetime import timedelta

    from tickerpulse.airflow_tasks import context_from_airflow
    from tickerpulse.stages.context import StageContext

    start = stage_context("x").interval.start
    airflow_context = {
        "run_id": "scheduled__2024-03-05T14:30:00+00:00",
        "params": {"scorer": "offline"},
        "data_interval_start": start,
        "data_interval_end": start + timedelta(minutes=30),
    }
    ctx = context_from_airflow(airflow_context)
    assert ctx.run_key == "scheduled__2024-03-05T14:30:00+00:00"
    assert StageContext.from_dict(ctx.to_dict(), ctx.settings).run_key == ctx.run_key
    assert stage_context(None).run_key == "interval:dt=2024-03-05/interval=1400"
