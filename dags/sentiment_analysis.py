"""
### sentiment_analysis — does what Reddit says lead what the price does?

Runs after every `reddit_sentiment` run (it is scheduled on the Asset
`tickerpulse://warehouse/sentiment_30m` that the `aggregate` task emits) **and** daily at 22:30
UTC, after the US close, when the day's closing prices are final
(`AssetOrTimeSchedule`). One task, `analyse`, calls
`tickerpulse.analysis.task.run_for_dag`, which for the day analysed:

* tops up the daily price bars the window needs (only ranges missing from the cache);
* per ticker with at least `min_mentions` mentions in the trailing `window_days`, correlates
  bucket sentiment (scored-weighted mean) and mention volume with forward returns at +30 min,
  +1 h (30-minute bars), +1 and +5 trading days: Pearson and Spearman with n and p-values, and the
  lag (trading days, or 30-minute buckets) with the strongest relationship;
* scores the sign of each trading day's sentiment against the next day's return, next to an
  always-up baseline.

Results replace that day's rows in `tickerpulse.correlations` and `tickerpulse.hit_rates`, which
the Grafana dashboard "Sentiment vs price" reads. A re-run is safe.

**Params**: `window_days`, `min_mentions`, `fetch_daily`, `computed_for` (YYYY-MM-DD, empty = the
run's day).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, Param, dag, get_current_context, task
from airflow.timetables.assets import AssetOrTimeSchedule
from airflow.timetables.trigger import CronTriggerTimetable

from tickerpulse.config import load_settings
from tickerpulse.dag_defaults import default_args

SENTIMENT_ASSET = Asset("tickerpulse://warehouse/sentiment_30m")


DEFAULT_ARGS = default_args(retries=2, retry_delay=timedelta(minutes=2), exponential_backoff=True)


@dag(
    dag_id="sentiment_analysis",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("30 22 * * *", timezone="UTC"),
        # Airflow's annotation names the serialized class; the SDK Asset is what its docs pass.
        assets=SENTIMENT_ASSET,  # type: ignore[arg-type]
    ),
    start_date=load_settings().start_date,  # TICKERPULSE_START_DATE
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tickerpulse", "analysis", "prices"],
    doc_md=__doc__,
    params={
        "window_days": Param(30, type="integer", minimum=2, maximum=365),
        "min_mentions": Param(5, type="integer", minimum=1),
        "fetch_daily": Param(True, type="boolean", description="Top up daily bars first."),
        "computed_for": Param("", type="string", description="YYYY-MM-DD; empty: the run's day"),
    },
)
def sentiment_analysis() -> None:
    @task
    def analyse() -> dict[str, Any]:
        from tickerpulse.analysis.task import run_for_dag

        context = get_current_context()
        dag_run = context.get("dag_run")
        return run_for_dag(
            context.get("logical_date"),
            getattr(dag_run, "run_after", None),
            dict(context["params"]),
        )

    analyse()


sentiment_analysis()
