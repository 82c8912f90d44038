"""The read-only JSON API over HTTP on loopback, on the demo's data loaded by the real stages.

The warehouse holds two intervals of the shipped sample (2024-03-05 14:00-15:00 UTC) run through
extract, validate, filter, plan, score, prices, load and aggregate. The API runs in uvicorn as a
login that is a member of tickerpulse_reader only; its numbers are checked against the rollups
the pipeline wrote, its errors are 4xx with a message, and schemathesis fuzzes every operation of
its OpenAPI spec and finds no 5xx.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg2
import pytest
import requests
import uvicorn
from psycopg2 import sql as pgsql

from tests.conftest import new_database
from tickerpulse.api.app import create_app
from tickerpulse.api.db import APP_NAME, ReaderCheckFailed, ReaderPool, check_reader, with_user
from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.stages import aggregate, extract, load, plan, prices, score, validate
from tickerpulse.stages import filter as filter_stage
from tickerpulse.stages.context import RunParams, StageContext

START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)
INTERVALS = [START + timedelta(minutes=30 * i) for i in range(2)]
LAST = INTERVALS[-1]
END = LAST + timedelta(minutes=30)
# The module's warehouse runs the pipeline's stages (about a minute with the imports on 2 cores).
pytestmark = pytest.mark.slow


def run_pipeline(starts: list[datetime]) -> None:
    """The reddit_sentiment tasks for each interval, in order, in this process."""
    settings = load_settings()
    params = RunParams.from_params({}, settings)
    for start in starts:
        ctx = StageContext(Interval(start, start + timedelta(minutes=30)), params, settings)
        validated = validate.run(ctx, extract.run(ctx))
        filtered = filter_stage.run(ctx, validated)
        scores = [score.run(ctx, shard) for shard in plan.run(ctx, filtered)]
        prices.run(ctx, filtered)
        aggregate.run(ctx, load.run(ctx, validated, filtered, scores))


@dataclass(frozen=True)
class Api:
    url: str
    dsn: str  # the loader's, for checking what the API reads against the rollups
    login: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def api(pg_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    root = tmp_path_factory.mktemp("api")
    with new_database(pg_admin_dsn, "tp_test_api") as dsn, pytest.MonkeyPatch.context() as mp:
        for key, value in {
            "DATABASE_URL": dsn,
            "TICKERPULSE_HOME": str(root / "home"),
            "TICKERPULSE_LAKE_URL": (root / "lake").as_uri(),
            "TICKERPULSE_REDDIT_SOURCE": "replay",
            "TICKERPULSE_PRICE_SOURCE": "replay",
            "TICKERPULSE_SCORER": "offline",
        }.items():
            mp.setenv(key, value)
        run_pipeline(INTERVALS)
        login = f"tp_test_api_{uuid.uuid4().hex[:10]}"
        admin = psycopg2.connect(dsn)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(
                pgsql.SQL("CREATE ROLE {} LOGIN IN ROLE tickerpulse_reader").format(
                    pgsql.Identifier(login)
                )
            )
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(dsn=with_user(dsn, login)),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )  # fmt: skip
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        try:
            yield Api(f"http://127.0.0.1:{port}", dsn, login)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            with admin.cursor() as cur:
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                    (login,),
                )
                cur.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(login)))
            admin.close()


def get(api: Api, path: str, **params: Any) -> requests.Response:
    return requests.get(api.url + path, params=params, timeout=30)


def rows(dsn: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def test_the_leaderboard_of_a_bucket_is_the_pipelines_30_minute_rollup(api: Api) -> None:
    response = get(api, "/v1/leaderboard", window="30m", limit=100)
    assert response.status_code == 200, response.text
    board = response.json()
    assert board["end"].startswith("2024-03-05T15:00")  # the latest loaded bucket's end
    stored = rows(
        api.dsn,
        "SELECT rank, ticker, mentions, weighted_mean, confidence, tier, rank_24h_ago,"
        " mentions_24h_ago, calls, puts FROM tickerpulse.sentiment_30m WHERE bucket_start = %s"
        " ORDER BY rank",
        LAST,
    )
    assert board["count"] == len(stored) > 5
    got = board["results"]
    assert [(r["rank"], r["ticker"], r["mentions"]) for r in got] == [s[:3] for s in stored]
    for r, s in zip(got, stored, strict=True):
        assert r["sentiment"] == pytest.approx(s[3], abs=2e-6), r["ticker"]
        assert r["confidence"] == pytest.approx(s[4], abs=2e-6), r["ticker"]
        assert r["tier"] == s[5]
        assert (r["rank_24h_ago"], r["mentions_24h_ago"]) == (s[6], s[7])
        assert (r["calls"], r["puts"]) == (s[8], s[9])
    assert set(got[0]) >= {"rank", "ticker", "name", "mentions", "upvotes", "rank_24h_ago",
                           "mentions_24h_ago", "sentiment", "tier", "confidence", "surge_z",
                           "trend", "put_call_ratio"}  # fmt: skip


def test_the_24h_leaderboard_matches_the_rolling_24h_rollup(api: Api) -> None:
    board = get(api, "/v1/leaderboard", window="24h", limit=100).json()
    stored = rows(
        api.dsn,
        "SELECT ticker, mentions, weighted_mean, confidence, rank FROM tickerpulse.sentiment_24h"
        " WHERE bucket_start = %s ORDER BY rank",
        LAST,
    )
    assert [(r["ticker"], r["mentions"], r["rank"]) for r in board["results"]] == [
        (t, m, rank) for t, m, _w, _c, rank in stored
    ]
    for r, (_t, _m, mean, conf, _rank) in zip(board["results"], stored, strict=True):
        assert r["sentiment"] == pytest.approx(mean, abs=2e-6)
        assert r["confidence"] == pytest.approx(conf, abs=2e-6)


def test_subreddits_and_pages_add_up(api: Api) -> None:
    everything = get(api, "/v1/leaderboard", window="7d", limit=100).json()["results"]
    totals = {r["ticker"]: r["mentions"] for r in everything}
    split: dict[str, int] = {}
    for sub in ("wallstreetbets", "stocks", "investing"):
        for r in get(api, "/v1/leaderboard", window="7d", limit=100, subreddit=sub).json()[
            "results"
        ]:
            split[r["ticker"]] = split.get(r["ticker"], 0) + r["mentions"]
    assert split == totals
    first = get(api, "/v1/leaderboard", window="7d", limit=3).json()
    second = get(api, "/v1/leaderboard", window="7d", limit=3, page=2).json()
    assert first["pages"] == -(-first["count"] // 3)
    assert [r["rank"] for r in first["results"] + second["results"]] == [1, 2, 3, 4, 5, 6]
    assert [r["ticker"] for r in first["results"] + second["results"]] == [
        r["ticker"] for r in everything[:6]
    ]


def test_a_tickers_series_and_the_posts_behind_a_bucket(api: Api) -> None:
    top = get(api, "/v1/leaderboard", window="30m").json()["results"][0]["ticker"]
    series = get(
        api, f"/v1/tickers/{top}/series", start="2024-03-05T14:00Z", end="2024-03-05T15:00Z"
    ).json()
    assert [p["bucket_start"][:16] for p in series["points"]] == sorted(
        p["bucket_start"][:16] for p in series["points"]
    )
    last = series["points"][-1]
    assert last["bucket_start"].startswith("2024-03-05T14:30")
    posts = get(api, f"/v1/tickers/${top.lower()}/buckets/2024-03-05T14:41:00Z/posts").json()
    assert posts["ticker"] == top
    assert len(posts["posts"]) == last["mentions"]
    assert not any(key.startswith("author") or key == "body" for p in posts["posts"] for key in p)
    counted = [p for p in posts["posts"] if p["counted"]]
    mean = sum(p["weight"] * p["score"] for p in counted) / sum(p["weight"] for p in counted)
    assert mean == pytest.approx(last["sentiment"], abs=1e-5)  # the weights explain the number


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/v1/leaderboard", {"window": "1h"}, 422, "30m"),
        ("/v1/leaderboard", {"limit": 0}, 422, "greater than or equal to 1"),
        ("/v1/leaderboard", {"subreddit": "a;drop table"}, 422, "pattern"),
        ("/v1/leaderboard", {"end": "0001-01-01T00:00:00"}, 400, "outside"),
        ("/v1/leaderboard", {"end": "yesterday"}, 422, "datetime"),
        ("/v1/leaderboard", {"window": "30m", "page": 999}, 404, "past the last page"),
        ("/v1/tickers/GME/series", {"start": "2024-01-01", "end": "2024-03-01"}, 400, "31 days"),
        ("/v1/tickers/GME/series", {"start": "2024-03-02", "end": "2024-03-01"}, 400, "after"),
        ("/v1/tickers/G'ME/series", {"start": "2024-03-01", "end": "2024-03-02"}, 422, "pattern"),
        ("/v1/tickers/ZZZZ/buckets/2024-03-05T14:30Z/posts", {}, 404, "no mentions"),
    ],
)
def test_bad_parameters_get_a_4xx_that_says_why(
    api: Api, path: str, params: dict[str, Any], status: int, says: str
) -> None:
    response = get(api, path, **params)
    assert response.status_code == status, response.text
    assert says in response.text


def test_the_api_reads_as_the_reader_login_only(api: Api) -> None:
    assert get(api, "/v1/health").json()["status"] == "ok"
    sessions = rows(
        api.dsn,
        "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = %s"
        " AND datname = current_database()",
        APP_NAME,
    )
    assert sessions == [(api.login,)]
    memberships = rows(
        api.dsn,
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
        " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
        api.login,
    )
    assert memberships == [("tickerpulse_reader",)]
    assert check_reader(with_user(api.dsn, api.login)) == api.login


def test_the_api_refuses_a_login_that_can_write(api: Api) -> None:
    with pytest.raises(ReaderCheckFailed, match="superuser"):
        ReaderPool(api.dsn)  # the loader's DSN: a superuser on the test server
    writer = f"tp_test_writer_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(api.dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(pgsql.SQL("CREATE ROLE {} LOGIN IN ROLE tickerpulse_reader").format(
                pgsql.Identifier(writer)))  # fmt: skip
            cur.execute(pgsql.SQL("GRANT INSERT ON tickerpulse.symbols TO {}").format(
                pgsql.Identifier(writer)))  # fmt: skip
        with pytest.raises(ReaderCheckFailed, match="may write 1 table"):
            ReaderPool(with_user(api.dsn, writer))
    finally:
        with admin.cursor() as cur:
            cur.execute(pgsql.SQL("DROP OWNED BY {}").format(pgsql.Identifier(writer)))
            cur.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(writer)))
        admin.close()


def test_a_fuzzer_on_the_openapi_spec_finds_no_server_error(api: Api) -> None:
    """schemathesis draws requests for every operation from the generated OpenAPI spec, valid
    and invalid; none may get a 5xx, and valid ones must match the response schema."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_url(api.url + "/openapi.json")
    failures: list[str] = []
    calls = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, database=None, derandomize=True,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        def fuzz(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=api.url, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query}: "
                                f"{response.status_code} {response.text[:200]}")  # fmt: skip
            # Every built-in check (5xx, response schema, status codes, invalid data rejected)
            # but "valid data accepted": the time range (2000..2100), start < end and at most 31
            # days per series are range checks OpenAPI cannot state, answered 400 by design.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        fuzz()
    assert not failures, failures
    assert calls >= 75
    assert time.monotonic() - started < 60
