"""Operations: run metrics and events, backups, retention and the sink switches.

Everything here runs inside tasks (or the scheduler, for run-level listener hooks) and never at
DAG parse time. Airflow is imported only lazily, where an Airflow Variable or the task context is
the point.
"""
