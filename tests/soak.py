"""The soak: one day of the sample through real DAG runs, with random faults in external calls.

`python -m tests.soak --intervals 48 --fault-rate 0.1 --seed 1` runs the `reddit_sentiment` DAG
(`dag.test()`, the path of `airflow dags test`) over consecutive 30-minute intervals twice, each
time into a fresh warehouse: once with no faults, once with `--fault-rate` of the calls to every
external service failing at random. Every external call goes through the real client library to a
loopback server speaking the real protocol: praw to `RedditServer` (fed the sample day's records),
the openai client to `OpenAIServer` (scorer `llm`), yfinance to `YahooServer`. The lake is a local
folder (moto's S3 is left out: its faults have their own test, and it would double the run time).
LLM batches are capped at 8 posts (in at most 2 shards), so the LLM sees about as many calls as
the other services instead of one per interval.

Recovery is what production would do, nothing more: the clients' own retries, then Airflow's task
retries (the DAG's `retries`, with the delay cut to a second so the soak does not sleep for
minutes), then, if a run still fails, a re-run of the interval (`--reruns`), which the pipeline
promises is idempotent. At the end the two warehouses are compared table by table with a
checksum, and a table of faults injected against recovered is printed. The exit status is
non-zero if any table differs or any interval never succeeded.

Each arm runs in its own process (its own Airflow home and metadata DB, its own servers), so the
two cannot share yfinance's process-wide state or Airflow's task-instance rows. Columns that
record how a run went rather than what it produced (call counts, tokens spent on retried calls,
attempts, timings) are left out of the checksum and listed in the output; see RUN_TELEMETRY.

Each arm's log is `<work>/<arm>.log` (Airflow at WARNING unless SOAK_LOG_LEVEL says otherwise);
pass `--work DIR` to keep it, the working folder is a temporary one by default.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DAY_START = datetime(2024, 3, 5, 0, 0, tzinfo=UTC)  # the sample's second day, 48 intervals
INTERVAL = timedelta(minutes=30)
SERVERS = ("reddit", "llm", "yahoo")

# Every fault kind each server has. Yahoo's `empty` and `malformed` reach yfinance as "no bars for
# that ticker"; the prices stage asks again before it believes that. LLM content faults (invalid
# JSON, dropped or duplicated ids, out-of-range scores, truncation) are re-asked in smaller
# batches; a post still unanswered fails the score task while it has retries left.
DEFAULT_KINDS: dict[str, tuple[str, ...]] = {
    "reddit": (
        "http_429",
        "http_500",
        "http_503",
        "timeout",
        "malformed_json",
        "malformed_listing",
    ),
    "llm": (
        "http_429",
        "http_500",
        "http_503",
        "timeout",
        "http_400",
        "invalid_json",
        "length",
        "drop_id",
        "duplicate_id",
        "unknown_id",
        "bad_score",
        "extra_ticker",
        "drop_ticker",
        "extra_field",
    ),
    "yahoo": ("http_429", "http_500", "http_503", "timeout", "empty", "malformed"),
}

# Columns that describe the run, not its output: they differ between a run that had to retry
# and one that did not, by design. Everything else must be byte-identical.
RUN_TELEMETRY: dict[str, tuple[str, ...]] = {
    "pipeline_runs": ("llm_calls", "tokens_in", "tokens_out", "cost_usd", "cache_hits"),
    # Tokens a post is charged with are what the run really spent on it: a re-ask after a fault
    # costs tokens, so they differ by design. The scores, labels and reasoning must not.
    "post_sentiment": ("tokens_in", "tokens_out"),
    "llm_score_cache": ("tokens_in", "tokens_out"),
    "price_coverage": ("attempts",),
    "llm_calls": ("*",),  # one row per HTTP call, with its latency and attempt number
    "llm_budgets": ("*",),  # money reserved and spent, including on calls that failed
}


# -- one arm ------------------------------------------------------------------------------------
@dataclass
class ArmResult:
    arm: str
    wall_s: float = 0.0
    states: list[str] = field(default_factory=list)  # per interval, final state
    reruns: list[int] = field(default_factory=list)  # per interval, extra dag.test() runs
    task_retries: list[int] = field(default_factory=list)  # per interval, Airflow task retries
    calls: dict[str, int] = field(default_factory=dict)  # server -> requests that could fault
    faults: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # server/kind/interval
    kinds: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> ArmResult:
        return cls(**json.loads(text))


def sample_reddit_records(day_start: datetime) -> list[dict[str, Any]]:
    """The sample's well-formed records of the day: what a Reddit listing can carry at all."""
    from tickerpulse.config import SAMPLE_DIR, load_settings
    from tickerpulse.parse import as_epoch
    from tickerpulse.sources.reddit_replay import ReplayRedditSource

    source = ReplayRedditSource(SAMPLE_DIR)
    records = []
    for sub in load_settings().subreddits:
        for record in source.fetch(sub, day_start, day_start + timedelta(days=1), 100_000):
            if _reddit_typed(record) and as_epoch(record.get("created_utc")) is not None:
                records.append(dict(record))
    return records


def _reddit_typed(record: Any) -> bool:
    """Fields typed as Reddit's API types them. The sample's mistyped records (a score of
    "lots", a missing id) test the replay path's quarantine; no Reddit listing carries them."""
    typed = {
        "id": str,
        "name": str,
        "subreddit": str,
        "score": int,
        "num_comments": int,
        "title": str,
        "selftext": str,
        "body": str,
    }
    if not isinstance(record.get("id"), str) or not isinstance(record.get("name"), str):
        return False
    return all(
        key not in record or isinstance(record[key], kind) and not isinstance(record[key], bool)
        for key, kind in typed.items()
    )


def sample_yahoo_bars() -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The sample's 30-minute bars as Yahoo's 15-minute bars, and as daily bars.

    yfinance asks for 15-minute bars when the caller wants 30 minutes, and the pipeline asks for
    daily bars for anything older than Yahoo's ~60-day intraday reach (the sample is from 2024).
    """
    import csv

    from tests.servers.yahoo_server import NEW_YORK, Bar
    from tickerpulse.config import SAMPLE_DIR

    intraday: dict[str, list[Bar]] = {}
    daily: dict[str, list[Bar]] = {}
    for path in sorted((SAMPLE_DIR / "prices").glob("*.csv")):
        ticker = path.stem
        by_day: dict[Any, list[Bar]] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                start = datetime.fromisoformat(row["bar_start"]).astimezone(UTC)
                o, h, lo, c = (float(row[k]) for k in ("open", "high", "low", "close"))
                volume = int(float(row["volume"]))
                bar = Bar(start, o, h, lo, c, volume)
                by_day.setdefault(start.astimezone(NEW_YORK).date(), []).append(bar)
                mid, half = round((o + c) / 2, 4), volume // 2
                intraday.setdefault(ticker, []).append(Bar(start, o, h, lo, mid, half))
                later = start + timedelta(minutes=15)
                intraday[ticker].append(Bar(later, mid, h, lo, c, volume - half))
        for day, bars in sorted(by_day.items()):
            bars.sort(key=lambda b: b.start)
            daily.setdefault(ticker, []).append(
                Bar(
                    datetime.combine(day, datetime.min.time(), NEW_YORK),
                    bars[0].open,
                    max(b.high for b in bars),
                    min(b.low for b in bars),
                    bars[-1].close,
                    sum(b.volume for b in bars),
                )
            )
    return intraday, daily


def _server_kinds(module: Any, wanted: Sequence[str]) -> tuple[str, ...]:
    """The wanted kinds the server knows (all of them once its ALL_FAULT_KINDS is in place)."""
    known = getattr(module, "ALL_FAULT_KINDS", None)
    if known is None:
        return ()
    return tuple(kind for kind in wanted if kind in known)


def _count_task_retries(dag_id: str, logical_date: datetime) -> int:
    """Tries beyond the first, over the run's task instances (Airflow's own retries)."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        run = (
            session.query(DagRun)
            .filter(DagRun.dag_id == dag_id, DagRun.logical_date == logical_date)
            .one_or_none()
        )
        if run is None:
            return 0
        tries = (
            session.query(TaskInstance.try_number)
            .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run.run_id)
            .all()
        )
    return sum(max(0, int(t[0] or 0) - 1) for t in tries)


def run_arm(
    arm: str,
    start: datetime,
    intervals: int,
    rate: float,
    seed: int,
    reruns: int,
    work: Path,
    wanted_kinds: dict[str, tuple[str, ...]] | None = None,
) -> ArmResult:
    """Run the DAG over `intervals` intervals from `start` in this process (env already set)."""
    from tests.servers import openai_server, reddit_server, yahoo_server
    from tests.servers.openai_server import OpenAIServer
    from tests.servers.reddit_server import RedditServer
    from tests.servers.yahoo_server import YahooServer

    wanted_kinds = wanted_kinds or {}
    result = ArmResult(arm)
    began = time.monotonic()
    intraday, daily = sample_yahoo_bars()
    with ExitStack() as stack:
        reddit = stack.enter_context(RedditServer(sample_reddit_records(DAY_START)))
        llm = stack.enter_context(OpenAIServer())
        yahoo = stack.enter_context(YahooServer(intraday, daily=daily))
        servers = {"reddit": reddit, "llm": llm, "yahoo": yahoo}
        modules = {"reddit": reddit_server, "llm": openai_server, "yahoo": yahoo_server}
        _configure_clients(reddit, llm, yahoo, work)
        if arm == "faulted" and rate > 0:
            for offset, name in enumerate(SERVERS):
                kinds = _server_kinds(modules[name], wanted_kinds.get(name, DEFAULT_KINDS[name]))
                result.kinds[name] = list(kinds)
                if kinds:
                    servers[name].set_chaos(rate, kinds, seed=seed * 100 + offset)
        dag = _load_dag()
        for i in range(intervals):
            window = start + i * INTERVAL
            before = {name: Counter(s.faults_injected) for name, s in servers.items()}
            state, extra, retried = _run_interval(dag, window + INTERVAL, reruns)
            result.states.append(state)
            result.reruns.append(extra)
            result.task_retries.append(retried)
            for name, server in servers.items():
                new = Counter(server.faults_injected) - before[name]
                for kind, n in new.items():
                    result.faults.setdefault(name, {}).setdefault(kind, [0] * intervals)[i] = n
            so_far = sum(sum(s.faults_injected.values()) for s in servers.values())
            print(
                f"[{arm}] {window:%H:%M}: {state}"
                + (f" after {extra} re-run(s)" if extra else "")
                + (f", {retried} task retries" if retried else "")
                + f", faults so far {so_far}",
                flush=True,
            )
        result.calls = {
            "reddit": len([r for r in reddit.requests if r.path != "/api/v1/access_token"]),
            "llm": len(llm.requests_to("/v1/chat/completions", "POST")),
            "yahoo": len(yahoo.chart_requests()),
        }
    result.wall_s = round(time.monotonic() - began, 1)
    return result


def _configure_clients(reddit: Any, llm: Any, yahoo: Any, work: Path) -> None:
    """Point the pipeline's live clients at the loopback servers, with short timeouts."""
    import yfinance as yf

    from tickerpulse.sources import prices_yfinance

    os.environ["AIRFLOW_CONN_REDDIT_DEFAULT"] = reddit.connection(
        user_agent="tickerpulse-soak", timeout=1.0, retry_backoff=0.1, retry_max_wait=1.0
    )
    os.environ["AIRFLOW_CONN_LLM_DEFAULT"] = llm.connection(timeout=1.0, max_retries=2)
    for server in (reddit, llm, yahoo):  # a `timeout` fault stalls past the client's 1 s
        for knob in ("stall_seconds", "chaos_delay", "timeout_sleep_s"):
            if hasattr(server, knob):
                setattr(server, knob, 1.5)
    # yfinance hard-codes https://*.yahoo.com; the pipeline builds its session with
    # `_default_session()`, so the soak hands it one whose adapter goes to the loopback server.
    prices_yfinance._default_session = lambda: yahoo.session(read_timeout=1.0)
    yf.set_tz_cache_location(str(work / "yf-cache"))


def _load_dag() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False)
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag("reddit_sentiment")
    for task in dag.tasks:  # the DAG's retries, without minutes of waiting between them
        task.retry_delay = timedelta(seconds=1)
        task.retry_exponential_backoff = False
    return dag


def _run_interval(dag: Any, logical: datetime, reruns: int) -> tuple[str, int, int]:
    """(final state, re-runs needed, task retries) for one interval's DAG run."""
    retried = 0
    for attempt in range(reruns + 1):
        dag_run = dag.test(logical_date=logical, run_conf={"scorer": "llm"})
        state = str(getattr(dag_run.state, "value", dag_run.state))
        retried += _count_task_retries(dag.dag_id, logical)
        if state == "success":
            return state, attempt, retried
    return state, reruns, retried


def _arm_main(args: argparse.Namespace) -> int:
    work = Path(args.work)
    airflow_home = work / "airflow"
    airflow_home.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("SOAK_LOG_LEVEL", "WARNING"),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home}/airflow.db",
        "DATABASE_URL": args.dsn,
        "TICKERPULSE_HOME": str(work / "home"),
        "TICKERPULSE_LAKE_URL": (work / "lake").as_uri(),
        "TICKERPULSE_REDDIT_SOURCE": "praw",
        "TICKERPULSE_PRICE_SOURCE": "yfinance",
        "TICKERPULSE_SCORER": "llm",
        # Small LLM batches in at most two shards: many chat calls (each a chance for a fault)
        # without many more mapped tasks.
        "TICKERPULSE_MAX_ITEMS_PER_BATCH": "8",
        "TICKERPULSE_MAX_SHARDS": "2",
        "YF_DISABLE_CURL_CFFI": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    os.environ.update(env)  # before Airflow is imported: it reads its configuration then
    from airflow.utils.db import resetdb

    resetdb(skip_init=False)
    from tickerpulse.demo import ensure_llm_pool

    ensure_llm_pool()
    result = run_arm(
        args.arm,
        _start(args),
        args.intervals,
        args.fault_rate,
        args.seed,
        args.reruns,
        work,
        parse_kinds(args.kinds),
    )
    Path(args.out).write_text(result.to_json(), encoding="utf-8")
    return 0


def parse_kinds(specs: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """`["llm=all", "yahoo=http_500,empty"]` -> {server: kinds}; "all" is the server's list."""
    from tests.servers import openai_server, reddit_server, yahoo_server

    modules = {"reddit": reddit_server, "llm": openai_server, "yahoo": yahoo_server}
    out: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        server, _, kinds = spec.partition("=")
        if server not in modules:
            raise SystemExit(f"--kinds: unknown server {server!r}; one of {sorted(modules)}")
        known = tuple(getattr(modules[server], "ALL_FAULT_KINDS", ()))
        chosen = known if kinds == "all" else tuple(k for k in kinds.split(",") if k)
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise SystemExit(f"--kinds: {server} has no fault kinds {unknown}; it has {known}")
        out[server] = chosen
    return out


def _start(args: argparse.Namespace) -> datetime:
    return datetime.fromisoformat(args.start).astimezone(UTC)


# -- the warehouses -------------------------------------------------------------------------
def admin_dsn(work: Path) -> str:
    """The local PostgreSQL when one answers, else an embedded one (as `make demo` does)."""
    if os.environ.get("TICKERPULSE_SOAK_ADMIN_DSN"):
        return os.environ["TICKERPULSE_SOAK_ADMIN_DSN"]
    from tickerpulse.warehouse.embedded import embedded_dsn, local_admin_dsn

    return local_admin_dsn() or embedded_dsn(work / "pgdata")


@contextmanager
def fresh_database(admin: str, prefix: str) -> Iterator[str]:
    import psycopg2
    from psycopg2 import sql

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if admin.startswith("postgres"):
            from urllib.parse import urlsplit, urlunsplit

            yield urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
        else:
            pieces = [p for p in admin.split() if not p.startswith("dbname=")]
            yield " ".join([*pieces, f"dbname={name}"])
    finally:
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        conn.close()


def output_checksums(
    dsn: str, work: Path, schema: str = "tickerpulse"
) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5)} over the pipeline's output: ops tables and RUN_TELEMETRY left out,
    with the arm's working folder (in Data Docs paths and lake URLs) written as `<work>`, since
    each arm has its own."""
    from tools.warehouse_checksum import pipeline_checksums

    return pipeline_checksums(
        dsn, schema=schema, skip_columns=RUN_TELEMETRY, replace=(str(work), "<work>")
    )


# -- the report -----------------------------------------------------------------------------
def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass
class SoakReport:
    clean: ArmResult
    faulted: ArmResult
    clean_sums: dict[str, tuple[int, str]]
    faulted_sums: dict[str, tuple[int, str]]

    @property
    def differing(self) -> list[str]:
        tables = sorted(set(self.clean_sums) | set(self.faulted_sums))
        return [t for t in tables if self.clean_sums.get(t) != self.faulted_sums.get(t)]

    @property
    def unfinished(self) -> int:
        return sum(s != "success" for s in [*self.clean.states, *self.faulted.states])

    @property
    def equal(self) -> bool:
        return not self.differing and not self.unfinished and bool(self.clean_sums)

    def injected(self) -> dict[tuple[str, str], int]:
        return {
            (server, kind): sum(per_interval)
            for server, kinds in sorted(self.faulted.faults.items())
            for kind, per_interval in sorted(kinds.items())
        }

    def recovered(self) -> dict[tuple[str, str], int]:
        """Faults of intervals that ended in success, when the warehouses ended equal."""
        if self.differing:
            return {key: 0 for key in self.injected()}
        ok = [s == "success" for s in self.faulted.states]
        return {
            (server, kind): sum(n for n, good in zip(per, ok, strict=True) if good)
            for server, kinds in sorted(self.faulted.faults.items())
            for kind, per in sorted(kinds.items())
        }

    def render(self) -> str:
        tables = sorted(set(self.clean_sums) | set(self.faulted_sums))
        sums = _table(
            ["table", "rows", "fault-free md5", "faulted md5", "equal"],
            [
                (
                    t,
                    self.clean_sums.get(t, (0, ""))[0],
                    self.clean_sums.get(t, (0, "-"))[1],
                    self.faulted_sums.get(t, (0, "-"))[1],
                    "yes" if self.clean_sums.get(t) == self.faulted_sums.get(t) else "NO",
                )
                for t in tables
            ],
        )
        injected, recovered = self.injected(), self.recovered()
        fault_rows: list[tuple[object, ...]] = [
            (server, kind, n, recovered[(server, kind)]) for (server, kind), n in injected.items()
        ]
        total_faults = sum(injected.values())
        fault_rows.append(("all", "", total_faults, sum(recovered.values())))
        faults = _table(["server", "kind", "injected", "recovered"], fault_rows)
        call_rows = []
        for name in SERVERS:
            made = self.faulted.calls.get(name, 0)
            hit = sum(n for (s, _), n in injected.items() if s == name)
            kinds = ",".join(self.faulted.kinds.get(name, [])) or "(none)"
            call_rows.append((name, made, hit, f"{hit / max(1, made):.3f}", kinds))
        calls = _table(["server", "calls", "faults", "fault rate", "kinds"], call_rows)
        total_calls = sum(self.faulted.calls.values())
        telemetry = ", ".join(
            f"{t}.{'*' if '*' in c else '/'.join(c)}" for t, c in sorted(RUN_TELEMETRY.items())
        )
        lines = [
            "checksums (pipeline output; ops tables and run telemetry excluded):",
            sums,
            f"excluded run telemetry: {telemetry}",
            "",
            "faults injected against recovered:",
            faults,
            "",
            calls,
            f"external calls {total_calls}, faults {total_faults}, achieved rate "
            f"{total_faults / max(1, total_calls):.3f}",
            f"intervals: {len(self.faulted.states)}; faulted arm: "
            f"{sum(self.faulted.task_retries)} Airflow task retries, "
            f"{sum(self.faulted.reruns)} interval re-runs, "
            f"{sum(s != 'success' for s in self.faulted.states)} never succeeded; "
            f"fault-free arm: {sum(self.clean.task_retries)} task retries",
            f"wall time: fault-free {self.clean.wall_s:.0f} s, faulted {self.faulted.wall_s:.0f} s",
            "RESULT: "
            + (
                "the faulted warehouse equals the fault-free one"
                if self.equal
                else f"DIFFERENT ({', '.join(self.differing) or 'unfinished intervals'})"
            ),
        ]
        return "\n".join(lines)


def _spawn_arm(
    arm: str, args: argparse.Namespace, dsn: str, work: Path, log: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    out = work / f"{arm}.json"
    command = [
        sys.executable,
        "-m",
        "tests.soak",
        "--arm",
        arm,
        "--dsn",
        dsn,
        "--work",
        str(work / arm),
        "--out",
        str(out),
        "--start",
        args.start,
        "--intervals",
        str(args.intervals),
        "--fault-rate",
        str(args.fault_rate),
        "--seed",
        str(args.seed),
        "--reruns",
        str(args.reruns),
        *[f"--kinds={k}" for k in args.kinds],
    ]
    handle = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)
    return process, out


def run_soak(args: argparse.Namespace, work: Path, admin: str | None = None) -> SoakReport:
    """Both arms into fresh databases on the server of `admin` (found if not given), compared."""
    admin = admin or admin_dsn(work)
    with (
        fresh_database(admin, "tp_soak_clean") as clean_dsn,
        fresh_database(admin, "tp_soak_faulted") as faulted_dsn,
    ):
        arms = {"clean": clean_dsn, "faulted": faulted_dsn}
        results: dict[str, ArmResult] = {}
        pending = list(arms)
        while pending:
            batch = pending if args.parallel else pending[:1]
            pending = pending[len(batch) :]
            running = []
            for arm in batch:
                log = work / f"{arm}.log"
                print(f"soak: {arm} arm, {args.intervals} intervals (log: {log})", flush=True)
                running.append((arm, log, *_spawn_arm(arm, args, arms[arm], work, log)))
            for arm, log, process, out in running:
                if process.wait() != 0 or not out.exists():
                    tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
                    raise SystemExit(f"soak: the {arm} arm crashed:\n{tail}")
                results[arm] = ArmResult.from_json(out.read_text(encoding="utf-8"))
                for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
                    if line.startswith(f"[{arm}]"):
                        print(line)
        return SoakReport(
            results["clean"],
            results["faulted"],
            output_checksums(clean_dsn, work / "clean"),
            output_checksums(faulted_dsn, work / "faulted"),
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--start", default=DAY_START.isoformat(), help="first interval (UTC)")
    parser.add_argument("--intervals", type=int, default=48)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reruns", type=int, default=3, help="re-runs of a failed interval")
    parser.add_argument(
        "--kinds",
        action="append",
        default=[],
        metavar="SERVER=KIND,...",
        help="fault kinds of one server (reddit, llm, yahoo), or SERVER=all for every kind it has",
    )
    parser.add_argument("--parallel", action="store_true", help="run both arms at once")
    parser.add_argument("--work", help="working folder (default: a temporary one)")
    parser.add_argument("--arm", choices=["clean", "faulted"], help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.arm:
        return _arm_main(args)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tickerpulse-soak-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        report = run_soak(args, work)
    print()
    print(report.render())
    print(f"soak wall time: {time.monotonic() - began:.0f} s")
    return 0 if report.equal else 1


if __name__ == "__main__":
    sys.exit(main())
