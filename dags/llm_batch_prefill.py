"""
### llm_batch_prefill — LLM scores for a backfill at Batch API price (half price, 24 h window)

A manual DAG (no schedule). It asks the OpenAI Batch API, in **one** batch job, for every post of
the 30-minute intervals in `[start, end)` that the LLM score cache does not hold yet, and puts the
answers in the cache (keyed by content hash, model and prompt version). A backfill of
`reddit_sentiment` with `scorer=llm` over the same intervals then makes **no** chat-completions
call for those posts: each one is a cache hit.

| task | calls | writes |
|---|---|---|
| `plan` | `tickerpulse.stages.prefill.plan`: reads the shards `plan_batches` wrote for each interval, skips cached posts, packs requests under the token budget, one `custom_id` per request | `llm_batch/from=…_to=…/requests.parquet`, `input.jsonl` |
| `submit` | `tickerpulse.stages.prefill.submit`: uploads the file, creates the batch (a retry reuses the batch it already created) | `llm_batch/…/batch.json` |
| `wait` | `BatchJobSensor`, deferred to `BatchJobTrigger` (polls with `openai.AsyncOpenAI` in the triggerer, no worker slot held); fails for good if the batch failed, expired or was cancelled | – |
| `collect` | `tickerpulse.stages.prefill.collect`: matches answers by `custom_id`, checks each one like the online scorer, caches the valid ones | `tickerpulse.llm_score_cache`, `llm_batch/…/output.jsonl`, `errors.jsonl` |

**Before:** the intervals need their shards, i.e. an earlier run of `reddit_sentiment` over them
(the default `scorer=offline` is enough). Posts whose answer was invalid or whose request failed
are not cached; `collect` counts them by reason, and the online backfill asks for them.

**The whole flow** for 2024-03-05 14:00–17:00 UTC (six intervals). `end` is exclusive, while a
backfill's `--to-date` is the logical date of its last run (inclusive), hence 16:30:

```bash
airflow dags trigger llm_batch_prefill \\
    --conf '{"start": "2024-03-05T14:00:00+00:00", "end": "2024-03-05T17:00:00+00:00"}'
# when it has succeeded:
airflow backfill create --dag-id reddit_sentiment \\
    --from-date 2024-03-05T14:00:00+00:00 --to-date 2024-03-05T16:30:00+00:00 \\
    --dag-run-conf '{"scorer": "llm"}' --reprocess-behavior completed --max-active-runs 1
```

**Params**: `start`, `end` (ISO date-times on :00 or :30, UTC when no zone is given);
`llm_policy` (give the backfill's: posts it would score offline are not asked).
The LLM is the `llm_default` connection (the Batch API is served at the same base URL); the
poll interval is `TICKERPULSE_BATCH_POLL_SECONDS` (default 60). The `wait` task needs a running
triggerer (`airflow triggerer`; `airflow standalone` starts one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from tickerpulse.config import load_settings
from tickerpulse.dag_defaults import default_args
from tickerpulse.scoring.batch_trigger import BatchJobSensor

DEFAULT_ARGS = default_args(retries=2, retry_delay=timedelta(minutes=1), exponential_backoff=True)


@dag(
    dag_id="llm_batch_prefill",
    schedule=None,
    start_date=load_settings().start_date,  # TICKERPULSE_START_DATE
    catchup=False,
    max_active_runs=1,  # two batches for the same range would pay twice for the same posts
    default_args=DEFAULT_ARGS,
    tags=["tickerpulse", "sentiment", "llm", "backfill"],
    doc_md=__doc__,
    params={
        "start": Param(
            "2024-03-05T14:00:00+00:00",
            type="string",
            format="date-time",
            description="First interval's start (inclusive), on :00 or :30.",
        ),
        "end": Param(
            "2024-03-05T17:00:00+00:00",
            type="string",
            format="date-time",
            description="Last interval's end (exclusive), on :00 or :30.",
        ),
        "llm_policy": Param(
            "always",
            type="string",
            enum=["always", "market_hours", "extended_hours", "sample_outside"],
            description="The llm_policy the backfill will use: only its LLM posts are asked.",
        ),
    },
)
def llm_batch_prefill() -> None:
    @task
    def plan() -> dict[str, Any]:
        from tickerpulse.stages import prefill as stage

        params = get_current_context()["params"]
        settings = stage.settings_for_task()
        return stage.plan(settings, params["start"], params["end"], params["llm_policy"])

    @task
    def submit(plan_out: dict[str, Any]) -> dict[str, Any]:
        from tickerpulse.stages import prefill as stage

        return stage.submit(stage.settings_for_task(), plan_out)

    @task
    def collect(
        plan_out: dict[str, Any], submit_out: dict[str, Any], wait_out: Any
    ) -> dict[str, Any]:
        from tickerpulse.stages import prefill as stage

        return stage.collect(stage.settings_for_task(), plan_out, submit_out)

    planned: Any = plan()  # XComArgs, resolved to the tasks' dicts when they run
    submitted: Any = submit(planned)
    wait = BatchJobSensor(task_id="wait", batch=submitted)
    collect(planned, submitted, wait.output)


llm_batch_prefill()
