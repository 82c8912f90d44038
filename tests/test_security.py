"""Security properties that a code change could silently break.

* SQL is never built from strings: an `ast` scan of every Python source of the project.
* Airflow's log masker hides every credential the project reads (connections, DSNs, webhooks),
  checked through a logger built like Airflow's task log (structlog + Airflow's `mask_logs`).
* Nothing that looks like a key is tracked by git.
* Author names reach the warehouse only as salted hashes, quarantined raw records included.

The read-only role is covered in tests/test_roles.py (INSERT/UPDATE/DELETE/TRUNCATE/CREATE attempts
and a privilege catalogue check); prompt-injection isolation at the LLM client in
tests/test_llm_scorer.py; prompt-injection text through the real stages in tests/test_bad_input.py.
"""

from __future__ import annotations

import ast
import io
import json
import logging
import math
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIRS = ("include", "dags", "plugins")

# --- all SQL parameterised ---------------------------------------------------------------------

SQL_METHODS = frozenset({"execute", "executemany", "copy_expert", "mogrify"})


def _is_built(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> bool:
    """Whether an SQL argument is text assembled at run time (not a literal, a named query, or
    psycopg2.sql composition, whose `.format` is on an `sql.SQL(...)` call, not on a string)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr in ("format", "join") and isinstance(node.func.value, ast.Constant):
            return True
    if isinstance(node, ast.Name):  # `statement = f"..."; cur.execute(statement)`
        return any(_is_built(value, {}) for value in assigned.get(node.id, []))
    return False


def _sql_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in ("query", "sql", "operation"):
            return keyword.value
    return None


def string_built_sql(source: str, filename: str) -> list[str]:
    """`file:line` of every execute/executemany/copy_expert/mogrify call given string-built SQL."""
    tree = ast.parse(source, filename=filename)
    found: set[str] = set()
    scopes = [
        tree,
        *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
    ]
    for scope in scopes:
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(
                node.target, ast.Name
            ):
                if node.value is not None:
                    value = node.value
                    if isinstance(node, ast.AugAssign):  # `q += x` is concatenation
                        value = ast.BinOp(ast.Name(node.target.id), ast.Add(), node.value)
                    assigned.setdefault(node.target.id, []).append(value)
        for node in ast.walk(scope):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS
            ):
                continue
            argument = _sql_argument(node)
            if argument is not None and _is_built(argument, assigned):
                found.add(f"{filename}:{node.lineno}")
    return sorted(found, key=lambda s: (s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])))


def _python_sources() -> Iterator[Path]:
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


PLANTED = """
from psycopg2 import sql

def bad(cur, table, post_id, text):
    cur.execute(f"SELECT * FROM posts WHERE id = '{post_id}'")                 # 5
    cur.execute("DELETE FROM posts WHERE id = '%s'" % post_id)                 # 6
    cur.executemany("INSERT INTO t VALUES ('" + text + "')", [])               # 7
    cur.copy_expert("COPY {} FROM STDIN".format(table), None)                  # 8
    statement = "SELECT " + text
    cur.mogrify(statement)                                                     # 10
    q = "SELECT 1"
    q += text
    cur.execute(q)                                                             # 13
    cur.execute(query=f"SELECT {text}")                                        # 14

def good(cur, table, post_id):
    cur.execute("SELECT * FROM posts WHERE id = %s", (post_id,))
    cur.execute("SELECT * FROM posts WHERE id = %(id)s", {"id": post_id})
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    copy = sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(table))
    cur.copy_expert(copy.as_string(cur), None)
    cur.execute("SELECT 1" " + 1")
    cur.execute(query("named_query"), {"id": post_id})
    plain = "SELECT 2"
    cur.execute(plain)
"""


def test_the_scanner_catches_every_planted_string_built_statement() -> None:
    assert string_built_sql(PLANTED, "planted.py") == [
        f"planted.py:{line}" for line in (5, 6, 7, 8, 10, 13, 14)
    ]


def test_no_sql_is_built_from_strings_in_the_project() -> None:
    offenders = [
        hit
        for path in _python_sources()
        for hit in string_built_sql(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not offenders, "SQL built from strings (use parameters or psycopg2.sql):\n" + "\n".join(
        offenders
    )


def test_the_scan_sees_the_project_s_sql_calls() -> None:
    """Guard against a scan that passes because it looks at nothing."""
    calls = 0
    for path in _python_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                calls += node.func.attr in SQL_METHODS
    assert calls >= 20


# --- Airflow's secret masking ------------------------------------------------------------------


@pytest.fixture
def task_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A stdlib logger whose records go through the processor chain Airflow's task log uses
    (airflow.sdk.log.configure_logging: structlog's ProcessorFormatter with `mask_logs`), on a
    private handler so the global logging configuration is left alone."""
    import structlog
    from airflow.sdk._shared.logging.structlog import structlog_processors
    from airflow.sdk.log import mask_logs

    shared, for_stdlib, _ = structlog_processors(json_output=True, colors=False)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared, mask_logs],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, for_stdlib],
        use_get_message=False,
        pass_foreign_args=True,
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("tickerpulse.test_security.task_log")
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.handlers = []


SECRETS = {
    # Built at run time, so the tracked-file key scan below has nothing to find in this file.
    "reddit_secret": "rEdDiT-cl1ent-" + "s3cret-9f8e7d",
    "reddit_password": "hunter2-reddit-" + "pa55word",
    "llm_key": "sk-test-" + "Zx9Yw8Vu7Ts6" * 2,
    "llm_header": "Bearer hdr-" + "q1w2e3r4t5" * 2,
    "aws_secret": "wJalrXUtn" + "FEMI/K7MD" + "ENG/bPxRfiCY-test-only",
    "aws_extra_secret": "extra-aws-" + "s3cr3t" * 3,
    "db_password": "pg-pa55word-with-'quote",
    "url_password": "url-pa55:w@rd/x",
    "slack_token": "T00000000/B00000000/" + "X" * 24,
    "webhook_path": "/hook/" + "a1b2c3d4" * 4,
}


def _set_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    conns = {
        "reddit_default": {
            "conn_type": "generic",
            "login": "client-id-public",
            "password": SECRETS["reddit_secret"],
            "extra": {"user_agent": "tickerpulse-test", "password": SECRETS["reddit_password"]},
        },
        "llm_default": {
            "conn_type": "generic",
            "host": "https://llm.example.com/v1",
            "password": SECRETS["llm_key"],
            "extra": {"model": "m", "headers": {"Authorization": SECRETS["llm_header"]}},
        },
        "aws_default": {
            "conn_type": "aws",
            "login": "AKIA" + "TESTTESTTESTTEST",
            "password": SECRETS["aws_secret"],
            "extra": {"aws_secret_access_key": SECRETS["aws_extra_secret"]},
        },
        "tickerpulse_db": {
            "conn_type": "postgres",
            "host": "db.example",
            "login": "loader",
            "password": SECRETS["db_password"],
            "schema": "tickerpulse",
        },
        "slack_alerts": {
            "conn_type": "slackwebhook",
            "password": "https://hooks.slack.com/services/" + SECRETS["slack_token"],
        },
        "http_alerts": {
            "conn_type": "http",
            "host": "https://alerts.example.com" + SECRETS["webhook_path"],
        },
    }
    for conn_id, conn in conns.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))


def test_every_credential_the_project_reads_is_masked_in_task_logs(
    task_log: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tickerpulse.connections import get_connection, mask_dsn, postgres_dsn
    from tickerpulse.ops.events import webhook_target

    _set_connections(monkeypatch)
    logger, stream = task_log
    reddit = get_connection("reddit_default")
    llm = get_connection("llm_default")
    aws = get_connection("aws_default")
    db = get_connection("tickerpulse_db")
    slack = webhook_target(get_connection("slack_alerts"))
    hook = webhook_target(get_connection("http_alerts"))
    assert reddit
    assert llm
    assert aws
    assert db
    assert slack
    assert hook
    from urllib.parse import quote

    database_url = f"postgresql://loader:{quote(SECRETS['url_password'], safe='')}@db.example/tp"
    mask_dsn(database_url)

    logger.info("reddit conn %s", reddit)
    logger.info("llm conn %s", llm)
    logger.info("aws conn %s and secret %s", aws, aws["password"])
    logger.info("warehouse dsn %s", postgres_dsn(db))
    logger.info("DATABASE_URL=%s", database_url)
    logger.info("password in clear: %s", SECRETS["url_password"])
    logger.warning("webhook notification failed for %s and %s", slack[0], hook[0])
    try:
        raise RuntimeError(f"could not connect with {SECRETS['llm_key']}")
    except RuntimeError:
        logger.exception("llm call failed")
    output = stream.getvalue()

    assert output.count("***") >= len(SECRETS)
    leaked = [name for name, secret in SECRETS.items() if secret in output]
    assert not leaked, f"secrets visible in the task log: {leaked}\n{output}"
    assert "client-id-public" in output  # a login is not a secret; the log is not blanked


def test_airflow_s_own_connection_lookup_masks_the_lake_s_aws_secret(
    task_log: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The S3 lake goes through ObjectStoragePath, i.e. Airflow's connection lookup."""
    from airflow.sdk import BaseHook

    _set_connections(monkeypatch)
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_LAKE",
        json.dumps({"conn_type": "aws", "login": "k", "password": SECRETS["aws_secret"] + "-2"}),
    )
    conn = BaseHook.get_connection("aws_lake")
    logger, stream = task_log
    logger.info("s3 secret %s", conn.password)
    assert SECRETS["aws_secret"] + "-2" not in stream.getvalue()
    assert "s3 secret ***" in stream.getvalue()


def test_the_masking_test_would_see_a_leak(task_log: tuple[logging.Logger, io.StringIO]) -> None:
    """A value nobody registered passes through: the check above is not vacuous."""
    logger, stream = task_log
    logger.info("not registered: %s", "plain-value-never-masked-4711")
    assert "plain-value-never-masked-4711" in stream.getvalue()


# --- nothing key-like is tracked ---------------------------------------------------------------

KEY_PATTERNS = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"(?i)aws_?secret_?access_?key['\"]?\s*[:=]\s*['\"]?[A-Za-z0-9/+]{40}\b"
    ),
    "OpenAI-style API key": re.compile(r"\bsk-(?:proj-|live-)?[A-Za-z0-9_-]{20,}"),
    "private key block": re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
    "Slack webhook": re.compile(
        r"hooks\.slack\.com/services/T[A-Z0-9]{8,}/B[A-Z0-9]{8,}/[A-Za-z0-9]{20,}"
    ),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
}
# NAME = "value" / NAME: value / "name": "value" where NAME mentions a secret.
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<name>[A-Za-z0-9_.-]*(?:secret|password|passwd|token|api_?key|access_?key)[A-Za-z0-9_]*)
    ['"]?\s*[:=]\s*
    (?P<quote>['"]?)(?P<value>[A-Za-z0-9+/=_\-.~]{20,})(?P=quote)
    """
)
# Text files that are data, not configuration: their long random-looking strings are content.
_SKIP_SUFFIXES = (".lock", ".parquet", ".png", ".jpg", ".gif", ".ico", ".svg", ".woff", ".woff2")
_SKIP_PARTS = ("include/tickerpulse/data/",)


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def high_entropy_assignments(text: str) -> list[str]:
    """`name=value` lines whose name says secret and whose value looks random, not a placeholder."""
    hits = []
    for match in _ASSIGNMENT.finditer(text):
        value = match.group("value")
        if "change-me" in value or value.lower().startswith(("your-", "example", "test")):
            continue
        classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[+/_\-]"))
        if _entropy(value) >= 3.5 and classes >= 3:
            hits.append(f"{match.group('name')}=…{value[-4:]}")
    return hits


def key_findings(text: str) -> list[str]:
    found = [label for label, pattern in KEY_PATTERNS.items() if pattern.search(text)]
    found += [f"high-entropy secret assignment {h}" for h in high_entropy_assignments(text)]
    return found


def _tracked_files() -> list[str]:
    result = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False, timeout=60
    )
    if result.returncode != 0:
        pytest.skip(f"not a git checkout: {result.stderr.decode(errors='replace').strip()}")
    return [name for name in result.stdout.decode().split("\0") if name]


def test_no_tracked_file_holds_anything_that_looks_like_a_key() -> None:
    files = _tracked_files()
    assert len(files) > 50  # the scan looked at the repository, not at nothing
    findings = []
    for name in files:
        if name.endswith(_SKIP_SUFFIXES) or name.startswith(_SKIP_PARTS):
            continue
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        findings += [f"{name}: {label}" for label in key_findings(text)]
    assert not findings, "key-like text in tracked files:\n" + "\n".join(findings)


# Built from pieces so that this file itself never holds a key-looking literal.
_FAKE_KEYS = [
    "AKIA" + "Q3EXAMPLE7TESTKEY".upper()[:16],
    "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEYzz",
    "OPENAI_API_KEY=sk-" + "proj-" + "a1B2c3D4e5" * 3,
    "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
    "-----BEGIN " + "PRIVATE KEY-----",
    "https://hooks.slack.com/services/" + "T0123ABCD/B0123ABCD/" + "aBcDeFgHiJkLmNoPqRsTuVwX",
    "xox" + "b-1234567890-abcdefghij",
    'db_password = "' + "Q7x9" + "mZp2Lw8Rt5Yv3Nk6Hs" + '"',
    '{"client_secret": "' + "Zq8" + "Rm3Tx7Wp2Lk9Vb4Nc6Hd" + '"}',
    "GITHUB_TOKEN=gh" + "p_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
]
_NOT_KEYS = [
    "AIRFLOW_DB_PASSWORD=change-me-airflow-db-password",
    '"password": "your-client-secret"',
    "token_budget = 6000",
    "TICKERPULSE_TOKEN_BUDGET=6000",
    "password = conn.get('password')",
    "secret_name = tickerpulse_default_connection_name",
]


@pytest.mark.parametrize("text", _FAKE_KEYS)
def test_the_key_scan_catches_key_shapes(text: str) -> None:
    assert key_findings(text), text


@pytest.mark.parametrize("text", _NOT_KEYS)
def test_the_key_scan_ignores_placeholders_and_code(text: str) -> None:
    assert not key_findings(text), text


# --- author names are stored hashed ------------------------------------------------------------


def test_author_hash_is_salted_stable_and_not_the_name() -> None:
    from tickerpulse.author_hash import author_hash

    first = author_hash("diamond_hands_42", "salt-a")
    assert first == author_hash("diamond_hands_42", "salt-a")
    assert first != author_hash("diamond_hands_42", "salt-b")
    assert first != author_hash("diamond_hands_43", "salt-a")
    assert first is not None
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert "diamond" not in first
    assert author_hash(None, "salt-a") is None


def test_the_salt_is_configurable_with_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from tickerpulse.config import load_settings

    monkeypatch.delenv("TICKERPULSE_AUTHOR_SALT", raising=False)
    assert load_settings().author_salt  # a default exists, so hashing is always on
    monkeypatch.setenv("TICKERPULSE_AUTHOR_SALT", "my-own-salt-1234")
    assert load_settings().author_salt == "my-own-salt-1234"
