# The Airflow image for docker-compose.yml: the official image plus the project's pinned packages.
#
# The tag must match the apache-airflow pin in requirements.lock, and its Python the one the lock
# was compiled for (`uv pip compile --python-version 3.11`); tests/test_compose.py checks both,
# because a lock installed on top of a different Airflow or Python resolves to something untested.
FROM apache/airflow:3.3.2-python3.11

# Installed as the airflow user, as the image's docs ask; naming "apache-airflow==${AIRFLOW_VERSION}"
# (set by the base image) makes pip fail instead of silently swapping the Airflow the image ships.
USER airflow
COPY --chown=airflow:0 requirements.lock /opt/airflow/requirements.lock
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.lock

# docker-compose.yml runs the CeleryExecutor. requirements.lock pins the Celery provider and
# celery (<5.7: 5.7 removed an import the provider uses), the versions tests/test_celery_workers.py
# ran on two workers. Fail the build, not the first `docker compose up`, if installing the lock
# over the base image's own constraints left a broken or inconsistent set.
RUN python -c "import airflow.providers.celery.executors.celery_executor, redis" \
    && pip check

# The package is put on PYTHONPATH rather than pip-installed: docker-compose.yml bind-mounts
# ./include over this copy, so the containers run the working tree's code without a rebuild, and
# the image still works on its own (e.g. on Kubernetes) with the copy baked in. sql/ sits next to
# include/ because the migration runner finds it relative to the package.
COPY --chown=airflow:0 include /opt/airflow/include
COPY --chown=airflow:0 sql /opt/airflow/sql
ENV PYTHONPATH=/opt/airflow/include
