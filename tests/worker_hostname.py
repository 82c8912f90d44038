"""[core] hostname_callable for the Celery test's workers: each reports the name it was given.

Airflow records the hostname of the machine that ran a task instance (task_instance.hostname).
In docker compose every worker container has its own hostname; the test's two workers share this
machine's, so each is started with its own name in TP_TEST_WORKER_HOSTNAME and this callable in
AIRFLOW__CORE__HOSTNAME_CALLABLE, which makes "ran on both workers" visible in the metadata DB.
"""

from __future__ import annotations

import os


def hostname() -> str:
    return os.environ["TP_TEST_WORKER_HOSTNAME"]
