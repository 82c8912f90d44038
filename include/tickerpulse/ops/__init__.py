"""Operations: run metrics and events, backups, retention and the sink switches.

Everything here runs inside tasks (or the scheduler, for run-level listener hooks) and never at
DAG parse time. Airflow is imported only lazily, where an Airflow Variable or the task context is
the point.
"""

from __future__ import annotations

# Tables that record operational history (who ran when, backups, failures). A re-run of an
# interval adds rows to them while the pipeline tables stay byte-identical, so compare warehouse
# checksums without them.
# llm_budgets and llm_calls (sql/009) are per-run spend and call traces: history, not output.
# interval_coverage (sql/020) describes the fetch that made a raw partition (when Reddit was read,
# how far the listings reached), written by the fetch alone, not by a run that reads the partition
# back; reddit_budget* (sql/021) are the shared request budget's state.
OPS_TABLES = frozenset(
    {
        "task_runs",
        "dag_runs",
        "run_events",
        "backups",
        "llm_budgets",
        "llm_calls",
        "interval_coverage",
        "reddit_budget",
        "reddit_budget_grants",
    }
)
