"""Run in a subprocess by tests/test_data_docs.py: Airflow's own API app, in a fresh Airflow home
with this project's plugins folder, asked for the Data Docs app with and without a login.
Prints one JSON object. A subprocess, because Airflow caches its plugins per process."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    home = tempfile.mkdtemp(prefix="tp-plugin-")
    os.environ.update(
        AIRFLOW_HOME=home,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        TICKERPULSE_HOME=home,
    )
    from airflow.api_fastapi.app import create_app
    from airflow.utils.db import resetdb
    from fastapi.testclient import TestClient

    resetdb(skip_init=False)
    client = TestClient(create_app())
    anonymous = client.get("/tickerpulse/data-docs/")
    passwords = json.loads(Path(home, "simple_auth_manager_passwords.json.generated").read_text())
    user, password = next(iter(passwords.items()))
    token = client.post("/auth/token", json={"username": user, "password": password})
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    index = client.get("/tickerpulse/data-docs/", headers=bearer)
    plugins = client.get("/api/v2/plugins", headers=bearer).json()["plugins"]
    mine = next(p for p in plugins if p["name"] == "tickerpulse_data_docs")
    print(
        json.dumps(
            {
                "anonymous": anonymous.status_code,
                "logged_in": index.status_code,
                "index_title": "Data-quality reports by run" in index.text,
                "apps": [a["url_prefix"] for a in mine["fastapi_apps"]],
                "views": sorted((v["destination"], v["href"]) for v in mine["external_views"]),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
