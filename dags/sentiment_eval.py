"""
### sentiment_eval — measure a sentiment scorer on labelled data

A manual DAG (no schedule): trigger it with a dataset path, a scorer and, for the LLM, a prompt
version. Its one task, `evaluate`, calls `tickerpulse.evaluation.runner.run_for_dag`, which

* reads the dataset: Financial PhraseBank (`sentence@label`, latin-1) or CSV / JSON Lines
  with `id`, `text` and `label` (positive|negative|neutral or bullish|bearish|neutral) or
  `score` in [-1, 1];
* scores it with the chosen scorer **and** with generic VADER (the baseline, same run);
* writes the misclassified examples with the scorer's reasoning to
  `$TICKERPULSE_HOME/eval_reports/<dataset>_<scorer>_<run id>.md`;
* stores one row per scorer in `tickerpulse.eval_runs` with the run's logical date as
  `started_at` (the Grafana dashboard "Ticker Pulse — Sentiment eval" plots them). A retry of
  the same run replaces its rows.

**Params**: `dataset` (a path the worker can read), `scorer` (`offline`, `llm` or `vader`),
`prompt_version` (LLM only; empty means the connection's or `v1`).
The LLM comes from the `llm_default` connection, the warehouse from the environment, as for
`reddit_sentiment`. The same run from a shell: `tickerpulse eval DATASET --scorer ...`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Param, dag, get_current_context, task

from tickerpulse.config import load_settings
from tickerpulse.dag_defaults import default_args

DEFAULT_ARGS = default_args(retries=1, retry_delay=timedelta(minutes=2))


@dag(
    dag_id="sentiment_eval",
    schedule=None,
    start_date=load_settings().start_date,  # TICKERPULSE_START_DATE
    catchup=False,
    default_args=DEFAULT_ARGS,
    tags=["tickerpulse", "sentiment", "eval"],
    doc_md=__doc__,
    params={
        "dataset": Param(
            "../shared/data/financial_phrasebank/Sentences_AllAgree.txt",
            type="string",
            minLength=1,
            description="PhraseBank .txt, or .csv / .jsonl with id, text, label or score.",
        ),
        "scorer": Param(
            "offline",
            type="string",
            enum=["offline", "llm", "vader"],
            description="Scorer to measure; generic VADER is measured alongside as the baseline.",
        ),
        "prompt_version": Param(
            "",
            type="string",
            pattern="^[A-Za-z0-9._-]*$",
            description="Prompt version for the llm scorer (empty: the connection's, else v1).",
        ),
    },
)
def sentiment_eval() -> None:
    @task
    def evaluate() -> dict[str, Any]:
        from tickerpulse.evaluation.runner import run_for_dag

        context = get_current_context()
        params = context["params"]
        dag_run = context["dag_run"]
        started_at = (
            context.get("logical_date") or getattr(dag_run, "run_after", None) or datetime.now(UTC)
        )
        return run_for_dag(
            params["dataset"],
            params["scorer"],
            params["prompt_version"],
            started_at,
            dag_run.run_id,
        )

    evaluate()


sentiment_eval()
