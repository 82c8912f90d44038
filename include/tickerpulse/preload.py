"""Import, once per worker, what reddit_sentiment's task processes need.

Airflow starts every task in a process forked from its worker (a Celery pool process, or a
LocalExecutor worker forked from the scheduler). Modules already imported before that fork are in
memory when the task starts; otherwise each task imports pandas, pyarrow and Great Expectations
again, which costs 2-7 s per task on an idle 2-core host and far more on a busy one.

Importing this module is the whole effect. Celery workers load it before they fork their pool with
`[celery] extra_celery_config = {"imports": ["tickerpulse.preload"]}` (docker-compose.yml,
tests/test_rest_backfill.py); a LocalExecutor scheduler with TICKERPULSE_PRELOAD_MODULES
(plugins/tickerpulse_listener.py). The cost is about 260 MB in the worker's own process; a cold
task process would import the same modules itself.
"""

from __future__ import annotations

import importlib

MODULES = (
    "pandas",
    "pyarrow.parquet",
    "great_expectations",
    "exchange_calendars",
    "tickerpulse.airflow_tasks",
    "tickerpulse.stages.extract",
    "tickerpulse.stages.validate",
    "tickerpulse.stages.filter",
    "tickerpulse.stages.plan",
    "tickerpulse.stages.score",
    "tickerpulse.stages.prices",
    "tickerpulse.stages.load",
    "tickerpulse.stages.aggregate",
    "tickerpulse.stages.late_scores",
    "tickerpulse.market_calendar",
    "tickerpulse.scoring.offline",
    "tickerpulse.sources.factory",
    "tickerpulse.sources.prices_replay",
    "tickerpulse.sources.reddit_replay",
)

for _name in MODULES:
    importlib.import_module(_name)
