"""
### reddit_sentiment — what Reddit says about stocks, every 30 minutes

Each run processes one 30-minute data interval `[data_interval_start, data_interval_end)` and
replaces exactly that interval's rows, so a retry, re-run or backfill is safe.
A manual run with no logical date processes the last complete 30-minute window.

| task | calls | writes |
|---|---|---|
| `extract` | `tickerpulse.stages.extract.run` (posts and every comment; the collector's landing files) | `raw/reddit/subreddit=…/dt=…/interval=….parquet`, `interval_coverage` |
| `validate` | `tickerpulse.stages.validate.run` (Great Expectations; "Data Docs" button: this run's report) | `validated/`, `quarantine/`, Data Docs, `tickerpulse.dq_results` |
| `filter` | `tickerpulse.stages.filter.run` (bots, duplicates, tickers) | `filtered/`, `dropped/` |
| `plan_batches` | `tickerpulse.stages.plan.run` (token-bounded batches → shards) | `batches/…/shard=NNN.parquet` |
| `score` (mapped over shards) | `tickerpulse.stages.score.run` | `scores/…/shard=NNN.parquet` |
| `prices` | `tickerpulse.stages.prices.run` | `tickerpulse.prices` |
| `load` | `tickerpulse.stages.load.run` (one transaction) | `posts`, `post_sentiment`, `quarantine`, `dropped`, `pipeline_runs` |
| `aggregate` | `tickerpulse.stages.aggregate.run` | `tickerpulse.sentiment_30m`, `sentiment_1d`, `sentiment_24h` (what Grafana reads) |
| `late_scores` | `tickerpulse.stages.late_scores.run` (Reddit scores: posts up to 36 h old, ticker comments at 1/6/24 h) | `posts.score`, `removed`, `late_score_runs`; rebuilds the affected rollups |

**Params**: `subreddits`, `post_limit`, `scorer` (`offline` or `llm`), `llm_policy` (`always`,
`market_hours`, `extended_hours`, `sample_outside`: LLM scoring off or down outside market hours),
`refresh_raw`. Their defaults are the environment's (`TICKERPULSE_SUBREDDITS`,
`TICKERPULSE_POST_LIMIT`, `TICKERPULSE_SCORER`, `TICKERPULSE_LLM_POLICY`,
`TICKERPULSE_REFRESH_RAW`), read when this file is parsed, so scheduled runs and backfills use
them; a manual run's params override them for that run.

**Start date**: intervals before `TICKERPULSE_START_DATE` fail in their first task with a message
saying what to set (Airflow's own start date here is a technical one, see `DAG_START_DATE`).
Sources, lake and warehouse come from the environment: see `.env.example` and the README.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.timetables.interval import CronDataIntervalTimetable

from tickerpulse.choices import LlmPolicy, Scorer, values
from tickerpulse.config import DAG_START_DATE, POST_LIMIT_MAX, SUBREDDIT_PATTERN, load_settings
from tickerpulse.dag_defaults import default_args
from tickerpulse.data_docs_link import data_docs_task

SETTINGS = load_settings()  # the param defaults, read when this file is parsed
SENTIMENT_ASSET = Asset("tickerpulse://warehouse/sentiment_30m")


DEFAULT_ARGS = default_args(retries=2, retry_delay=timedelta(minutes=1), exponential_backoff=True)


def _ctx() -> Any:
    from tickerpulse.airflow_tasks import context_from_airflow

    return context_from_airflow(get_current_context())  # type: ignore[arg-type]


@dag(
    dag_id="reddit_sentiment",
    schedule=CronDataIntervalTimetable("*/30 * * * *", timezone="UTC"),
    start_date=DAG_START_DATE,
    catchup=False,
    max_active_runs=1,  # each interval dedupes against the 24 h loaded before it
    default_args=DEFAULT_ARGS,
    tags=["tickerpulse", "reddit", "sentiment"],
    doc_md=__doc__,
    params={
        "subreddits": Param(
            list(SETTINGS.subreddits),
            type="array",
            items={"type": "string", "pattern": SUBREDDIT_PATTERN},
            minItems=1,
            description="Subreddits to read.",
        ),
        "post_limit": Param(
            SETTINGS.post_limit,
            type="integer",
            minimum=1,
            maximum=POST_LIMIT_MAX,
            description="Newest items to read per subreddit.",
        ),
        "scorer": Param(
            SETTINGS.scorer.value,
            type="string",
            enum=values(Scorer),
            description="offline: packaged lexicon, no network. llm: the llm_default connection.",
        ),
        "llm_policy": Param(
            SETTINGS.llm_policy.value,
            type="string",
            enum=values(LlmPolicy),
            description=(
                "With scorer=llm: use the LLM always, only around market hours (offline outside),"
                " or on a sample outside market hours (TICKERPULSE_LLM_SAMPLE_RATE)."
            ),
        ),
        "refresh_raw": Param(
            SETTINGS.refresh_raw,
            type="boolean",
            description="Fetch again even when the raw partition already exists.",
        ),
    },
)
def reddit_sentiment() -> None:
    @task
    def extract() -> dict[str, Any]:
        from tickerpulse.stages import extract as stage

        return stage.run(_ctx())

    @data_docs_task  # @task, plus the "Data Docs" extra link to this run's report
    def validate(extract_out: dict[str, Any]) -> dict[str, Any]:
        from tickerpulse.stages import validate as stage

        return stage.run(_ctx(), extract_out)

    @task
    def filter(validate_out: dict[str, Any]) -> dict[str, Any]:  # noqa: A001 - the stage's name
        from tickerpulse.stages import filter as stage

        return stage.run(_ctx(), validate_out)

    @task
    def plan_batches(filter_out: dict[str, Any]) -> list[dict[str, Any]]:
        from tickerpulse.stages import plan as stage

        return stage.run(_ctx(), filter_out)

    @task(pool="llm", max_active_tis_per_dagrun=8)
    def score(shard: dict[str, Any]) -> dict[str, Any]:
        from tickerpulse.stages import score as stage

        return stage.run(_ctx(), shard)

    @task
    def prices(filter_out: dict[str, Any]) -> dict[str, Any]:
        from tickerpulse.stages import prices as stage

        return stage.run(_ctx(), filter_out)

    @task
    def load(
        validate_out: dict[str, Any],
        filter_out: dict[str, Any],
        score_outs: list[dict[str, Any]],
        prices_out: dict[str, Any],
    ) -> dict[str, Any]:
        from tickerpulse.stages import load as stage

        # Index by length: iterating the lazy XCom sequence probes one past the end and logs a 404.
        shards = [score_outs[i] for i in range(len(score_outs))]
        return stage.run(_ctx(), validate_out, filter_out, shards)

    @task(outlets=[SENTIMENT_ASSET])
    def aggregate(load_out: dict[str, Any]) -> dict[str, Any]:
        from tickerpulse.stages import aggregate as stage

        return stage.run(_ctx(), load_out)

    @task
    def late_scores(aggregate_out: dict[str, Any]) -> dict[str, int]:
        from tickerpulse.stages import late_scores as stage

        return stage.run(_ctx())

    validated = validate(extract())
    filtered = filter(validated)
    scores = score.expand(shard=plan_batches(filtered))
    loaded = load(validated, filtered, scores, prices(filtered))
    late_scores(aggregate(loaded))


reddit_sentiment()
