"""Offline checks of the compose stack: docker-compose.yml, Dockerfile and .env.example.

No Docker engine runs in CI, so these tests catch what would otherwise only show up on someone's
first `docker compose up`: a file compose rejects, a variable nobody documented, a bind mount of a
folder that is not in the repository, an image whose Airflow differs from the lock, and example
values that disagree with each other (a password changed in one place and not in the DSN).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
LOCK_FILE = ROOT / "requirements.lock"

# ${VAR}, ${VAR:-default}, ${VAR?err}, ... and bare $VAR; "$$" is compose's escape for a literal $.
_BRACED_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_BARE_VAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")

# Shapes of real credentials that must never appear in an example file.
_SECRET_PATTERNS = {
    "OpenAI-style API key": re.compile(r"sk-[A-Za-z0-9_-]{20,}"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "private key block": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
}


def compose_variables(text: str) -> set[str]:
    """Names compose interpolates in one string, ignoring `$$` escapes."""
    unescaped = text.replace("$$", "")
    return set(_BRACED_VAR.findall(unescaped)) | set(_BARE_VAR.findall(unescaped))


def _strings(node: Any) -> list[str]:
    """Every key and scalar string of a parsed YAML document (what compose interpolates)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    return [node] if isinstance(node, str) else []


def load_compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def parse_env_file(text: str) -> dict[str, str]:
    """The NAME=value lines of a dotenv file, with one level of surrounding quotes removed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        match = _ENV_LINE.match(raw.strip())
        if not match:
            continue
        name, value = match.groups()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def env_example() -> dict[str, str]:
    return parse_env_file(ENV_EXAMPLE.read_text(encoding="utf-8"))


def run_schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def bind_mount_sources(compose: dict[str, Any]) -> list[tuple[str, str]]:
    """(service, host path) for every bind mount; named volumes are skipped."""
    named = set((compose.get("volumes") or {}).keys())
    found: list[tuple[str, str]] = []
    for service_name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                if volume.get("type") == "bind":
                    found.append((service_name, str(volume["source"])))
                continue
            source = str(volume).split(":", 1)[0]
            if source in named:
                continue
            found.append((service_name, source))
    return found


# --- the compose file itself -------------------------------------------------------------------


def test_compose_file_passes_the_compose_spec_schema() -> None:
    result = run_schema_check(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(
            lambda c: c["services"]["airflow-apiserver"]["depends_on"]["airflow-init"].update(
                condition="service_finished"
            ),
            id="unknown-depends_on-condition",
        ),
        pytest.param(
            lambda c: c["services"]["airflow-worker"].update(volume=["./dags:/opt/airflow/dags"]),
            id="misspelt-service-key",
        ),
        pytest.param(
            lambda c: c["services"]["airflow-apiserver"].update(ports="8080:8080"),
            id="ports-not-a-list",
        ),
    ],
)
def test_schema_check_rejects_a_broken_compose_file(break_it: Any, tmp_path: Path) -> None:
    compose = load_compose()
    break_it(compose)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(yaml.safe_dump(compose, sort_keys=False), encoding="utf-8")
    result = run_schema_check(broken)
    assert result.returncode != 0, "the schema check accepted a broken file: it cannot fail"


def test_stack_has_the_services_of_the_official_airflow_file_and_ours() -> None:
    services = set(load_compose()["services"])
    expected = {
        "postgres",
        "redis",
        "minio",
        "minio-init",
        "airflow-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "grafana",
    }
    assert expected <= services, f"missing: {sorted(expected - services)}"


def test_long_running_services_have_healthchecks_and_wait_for_init() -> None:
    services = load_compose()["services"]
    one_shot = {"airflow-init", "minio-init"}
    for name, service in services.items():
        if name in one_shot:
            assert service.get("restart", "no") == "no", name
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
        if name.startswith("airflow-"):
            depends = service["depends_on"]
            assert depends["airflow-init"]["condition"] == "service_completed_successfully"
            assert depends["postgres"]["condition"] == "service_healthy"
            assert depends["redis"]["condition"] == "service_healthy"
    init_depends = services["airflow-init"]["depends_on"]
    assert init_depends["minio-init"]["condition"] == "service_completed_successfully"
    assert services["grafana"]["depends_on"]["airflow-init"]["condition"] == (
        "service_completed_successfully"
    )


def test_airflow_services_share_executor_settings() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        if not name.startswith("airflow-"):
            continue
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith(
            "http://airflow-apiserver:8080/"
        ), name
        assert "AIRFLOW__CORE__PARALLELISM" in env, name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert service["build"] == ".", name


def test_airflow_init_migrates_both_databases() -> None:
    init = load_compose()["services"]["airflow-init"]
    script = "\n".join(init["command"])
    assert init["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"
    assert "/entrypoint airflow" in script
    assert "python -m tickerpulse.warehouse.migrate" in script


def test_only_init_and_apiserver_see_the_ui_password_file() -> None:
    services = load_compose()["services"]
    with_auth = {
        name
        for name, service in services.items()
        if any(str(v).startswith("airflow-auth:") for v in service.get("volumes") or [])
    }
    assert with_auth == {"airflow-init", "airflow-apiserver"}


def test_grafana_mounts_the_provisioning_and_dashboards() -> None:
    volumes = load_compose()["services"]["grafana"]["volumes"]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
    dashboards = next(v for v in volumes if v.startswith("./grafana/dashboards:"))
    provider = yaml.safe_load(
        (ROOT / "grafana/provisioning/dashboards/provider.yaml").read_text(encoding="utf-8")
    )
    # The provider must look where compose puts the files.
    assert dashboards.split(":")[1] == provider["providers"][0]["options"]["path"]


# --- variables and mounts ----------------------------------------------------------------------


def test_compose_variables_helper_finds_braced_bare_and_skips_escaped() -> None:
    text = "${A} ${B:-x} ${C:?msg} $D $${NOT_ME} $$NOR_ME"
    assert compose_variables(text) == {"A", "B", "C", "D"}


def test_every_compose_variable_is_documented_in_env_example() -> None:
    used: set[str] = set()
    for text in _strings(load_compose()):
        used |= compose_variables(text)
    assert used, "found no variables at all: the parser is broken"
    documented = set(env_example())
    missing = sorted(used - documented)
    assert not missing, f"used in docker-compose.yml but not in .env.example: {missing}"


@pytest.mark.parametrize(
    "name",
    [
        "DATABASE_URL",
        "TICKERPULSE_HOME",
        "TICKERPULSE_LAKE_URL",
        "TICKERPULSE_REDDIT_SOURCE",
        "TICKERPULSE_PRICE_SOURCE",
        "TICKERPULSE_SCORER",
        "TICKERPULSE_SUBREDDITS",
        "TICKERPULSE_AUTHOR_SALT",
        "AIRFLOW_CONN_AWS_DEFAULT",
        "AIRFLOW_CONN_TICKERPULSE_DB",
        "AIRFLOW_CONN_REDDIT_DEFAULT",
        "AIRFLOW_CONN_LLM_DEFAULT",
    ],
)
def test_project_setting_is_documented_and_passed_to_airflow(name: str) -> None:
    assert name in env_example()
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{name}="))
    assert lines[index - 1].startswith("#"), f"{name} has no comment above it in .env.example"
    env = load_compose()["x-airflow-common"]["environment"]
    assert name in compose_variables(str(env.get(name, ""))), f"{name} not passed via ${{{name}}}"


def test_every_bind_mounted_host_path_exists() -> None:
    mounts = bind_mount_sources(load_compose())
    assert mounts, "found no bind mounts at all: the parser is broken"
    for service, source in mounts:
        assert source.startswith("./"), f"{service}: bind mount {source} is not repo-relative"
        assert (ROOT / source).exists(), f"{service}: bind mount source {source} does not exist"


def test_postgres_init_script_is_mounted_and_creates_the_roles() -> None:
    scripts = sorted((ROOT / "docker/postgres-init").glob("*.sh"))
    assert scripts
    text = "\n".join(s.read_text(encoding="utf-8") for s in scripts)
    for fragment in (
        "CREATE DATABASE airflow OWNER airflow",
        "CREATE DATABASE %I OWNER tickerpulse_loader",
        "CREATE ROLE tickerpulse_reader NOLOGIN",
        "GRANT tickerpulse_reader TO tickerpulse_grafana",
    ):
        assert fragment in text


# --- Dockerfile versus the lock ----------------------------------------------------------------


def _locked_version(package: str) -> str:
    match = re.search(
        rf"^{re.escape(package)}==([^\s;]+)", LOCK_FILE.read_text(encoding="utf-8"), re.M
    )
    assert match, f"{package} is not pinned in requirements.lock"
    return match.group(1)


def test_dockerfile_base_image_matches_the_locked_airflow_and_python() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(froms) == 1, froms
    match = re.fullmatch(r"apache/airflow:(\d+\.\d+\.\d+)(?:-python(\d+\.\d+))?", froms[0])
    assert match, f"unexpected base image {froms[0]}"
    assert match.group(1) == _locked_version("apache-airflow")
    locked_python = re.search(r"--python-version\s+(\d+\.\d+)", LOCK_FILE.read_text("utf-8"))
    if locked_python and match.group(2):
        assert match.group(2) == locked_python.group(1)


def test_dockerfile_installs_the_lock_as_the_airflow_user() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    user_line = text.index("USER airflow")
    install = re.search(r"^RUN pip install --no-cache-dir .*-r \S*requirements\.lock", text, re.M)
    assert install, "the lock is not installed with pip install --no-cache-dir -r"
    assert user_line < install.start()
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in install.group(0)
    assert "PYTHONPATH=/opt/airflow/include" in text or "pip install --no-deps -e ." in text


# --- .env.example ------------------------------------------------------------------------------


def test_env_example_holds_no_real_looking_secret() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for label, pattern in _SECRET_PATTERNS.items():
        assert not pattern.search(text), f".env.example contains a {label}"


@pytest.mark.parametrize(
    "sample",
    [
        "OPENAI_KEY=sk-" + "a1B2c3D4" * 4,
        "AWS=AKIA" + "ABCDEFGHIJKLMNOP",
        "-----BEGIN RSA " + "PRIVATE KEY-----",  # split so no key-looking line is tracked
    ],
)
def test_secret_scan_catches_real_looking_keys(sample: str) -> None:
    assert any(p.search(sample) for p in _SECRET_PATTERNS.values())


def test_env_example_passwords_are_placeholders() -> None:
    env = env_example()
    for name, value in env.items():
        if name.endswith(("PASSWORD", "SECRET", "SECRET_KEY", "SALT")) and value:
            assert value.startswith("change-me"), f"{name} is not an obvious placeholder"


def test_env_example_warehouse_copies_agree() -> None:
    env = env_example()
    dsn = urlsplit(env["DATABASE_URL"])
    assert dsn.scheme.startswith("postgresql")
    assert dsn.username == "tickerpulse_loader"
    assert dsn.password == env["WAREHOUSE_DB_PASSWORD"]
    assert dsn.hostname == "postgres"
    assert dsn.path.lstrip("/") == env["WAREHOUSE_DB_NAME"]

    conn = json.loads(env["AIRFLOW_CONN_TICKERPULSE_DB"])
    assert conn["conn_type"] == "postgres"
    assert conn["login"] == dsn.username
    assert conn["password"] == dsn.password
    assert conn["host"] == dsn.hostname
    assert conn["schema"] == env["WAREHOUSE_DB_NAME"]


def test_env_example_lake_copies_agree() -> None:
    env = env_example()
    conn = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
    assert conn["conn_type"] == "aws"
    assert conn["login"] == env["MINIO_ROOT_USER"]
    assert conn["password"] == env["MINIO_ROOT_PASSWORD"]
    assert conn["extra"]["endpoint_url"] == "http://minio:9000"
    assert conn["extra"]["region_name"]

    lake = urlsplit(env["TICKERPULSE_LAKE_URL"])
    assert lake.scheme == "s3"
    assert lake.username == "aws_default", "the lake URL must name the aws_default connection"
    assert lake.hostname == env["TICKERPULSE_LAKE_BUCKET"]


def test_env_example_optional_connections_are_empty_or_valid_json() -> None:
    env = env_example()
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    for name, keys in (
        ("AIRFLOW_CONN_REDDIT_DEFAULT", ("login", "password", "extra")),
        ("AIRFLOW_CONN_LLM_DEFAULT", ("host", "password", "extra")),
    ):
        examples = [
            line.lstrip("# ").split("=", 1)[1]
            for line in text.splitlines()
            if line.startswith(f"# {name}=")
        ]
        assert examples, f"{name} has no commented example"
        for raw in [env[name], *examples]:
            if not raw:
                continue
            conn = json.loads(raw.strip("'"))
            assert conn["conn_type"] == "generic"
            assert all(key in conn for key in keys), (name, conn)


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("TICKERPULSE_REDDIT_SOURCE", {"replay", "praw"}),
        ("TICKERPULSE_PRICE_SOURCE", {"replay", "yfinance"}),
        ("TICKERPULSE_SCORER", {"offline", "llm"}),
    ],
)
def test_env_example_choices_are_valid(name: str, allowed: set[str]) -> None:
    assert env_example()[name] in allowed


def test_parse_env_file_strips_quotes_and_skips_comments() -> None:
    parsed = parse_env_file('# A=1\nB=\'{"x": 1}\'\nC=\nD="q"\n')
    assert parsed == {"B": '{"x": 1}', "C": "", "D": "q"}


def test_lock_pins_the_celery_provider_the_compose_stack_runs() -> None:
    assert _locked_version("apache-airflow-providers-celery")
    assert _locked_version("celery")
    assert _locked_version("redis")


def test_worker_preloads_modules_that_exist() -> None:
    """A module the workers cannot import stops every worker at start-up."""
    import importlib.util

    env = load_compose()["services"]["airflow-worker"]["environment"]
    imports = json.loads(env["AIRFLOW__CELERY__EXTRA_CELERY_CONFIG"])["imports"]
    assert imports == ["tickerpulse.preload"]
    assert all(importlib.util.find_spec(name) is not None for name in imports)


def test_dockerfile_fails_the_build_without_the_celery_provider() -> None:
    """The lock pins the Celery provider; the build checks pip kept a working one on top of the
    official image's."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    check = re.search(r"^RUN python -c \"import airflow\.providers\.celery[^\"]*\"", text, re.M)
    assert check, "no build-time import check of the Celery executor"
    assert text.index("requirements.lock") < check.start()


def test_airflow_init_creates_the_llm_pool_the_score_task_uses() -> None:
    init = load_compose()["services"]["airflow-init"]
    script = "\n".join(init["command"])
    assert "airflow pools set llm" in script
    dag_text = (ROOT / "dags/reddit_sentiment.py").read_text(encoding="utf-8")
    assert 'pool="llm"' in dag_text


@pytest.mark.parametrize("sink", ["OBJECT_STORE", "WAREHOUSE", "LLM_SCORING"])
def test_sink_switches_reach_airflow_and_are_documented(sink: str) -> None:
    name = f"TICKERPULSE_SINK_{sink}"
    assert env_example()[name] == "on"
    env = load_compose()["x-airflow-common"]["environment"]
    assert name in compose_variables(str(env[name]))
