"""History end to end: the real r/wallstreetbets submissions of 2020-12-01 (a Pushshift extract in
../shared/data), compressed to .zst here as Pushshift ships its dumps, imported with
`tickerpulse import`, then backfilled through the real `reddit_sentiment` DAG (`dag.test()` per
interval, the path of `airflow dags test`), with daily prices from the real 2020 Yahoo exports.

What it proves: the DAG runs before the old hard-coded start date once TICKERPULSE_START_DATE is
set; extract reads the imported partitions (the replay folder holds no posts at all, so every
record loaded can only have come from the import); every record is accounted for; the rollups
are priced from daily bars without look-ahead (posts end at 16:27 UTC, before the close, so the
price is the previous session's close); a second import changes no byte of any partition.

The archive spans 33 intervals (00:00-16:30 UTC). A `dag.test` run costs seconds, so the test
backfills a subset: the first interval, the two around the open and the last one.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from tools.real_data import build_daily_price_files

from tests.conftest import shared_data
from tests.test_archive_import import zst_long_window
from tickerpulse.cli import main
from tickerpulse.intervals import INTERVAL, floor_to_interval

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DAY = datetime(2020, 12, 1, tzinfo=UTC)
BACKFILLED = [
    DAY,
    DAY + timedelta(hours=14),
    DAY + timedelta(hours=14, minutes=30),
    DAY + timedelta(hours=16),
]
# market_prices.csv, 2020-11-30 (a Monday): the last close a reader on Tuesday morning saw.
NOV_30_CLOSE = {"PLTR": 27.110001, "TSLA": 567.599976, "GME": 16.559999, "AMC": 4.27}


def _records_by_interval(path: Path) -> Counter[datetime]:
    """Unique submissions per 30-minute interval, counted straight from the file."""
    seen: set[str] = set()
    counts: Counter[datetime] = Counter()
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["id"] in seen:
            continue
        seen.add(record["id"])
        counts[floor_to_interval(datetime.fromtimestamp(record["created_utc"], UTC))] += 1
    return counts


def _partitions(lake: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake)): p.read_bytes()
        for p in sorted((lake / "raw").rglob("*.parquet"))
        if not p.name.startswith(".")
    }


def _fetch(dsn: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


def test_import_then_backfill_the_real_2020_day(
    airflow_db: None,
    pipeline_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ndjson = shared_data("wsb_pushshift_esbenkc", "wallstreetbets.ndjson")
    replay = tmp_path / "replay"  # prices only: no posts, so extract can only read the lake
    build_daily_price_files(shared_data("stock_prices_daily"), replay)
    monkeypatch.setenv("TICKERPULSE_REPLAY_DIR", str(replay))
    monkeypatch.setenv("TICKERPULSE_START_DATE", "2020-12-01T00:00:00+00:00")
    monkeypatch.setenv("TICKERPULSE_SUBREDDITS", "wallstreetbets")
    lake = Path(pipeline_env["TICKERPULSE_LAKE_URL"].removeprefix("file://"))
    dsn = pipeline_env["DATABASE_URL"]

    dump = tmp_path / "RS_2020-12_wallstreetbets.zst"
    dump.write_bytes(zst_long_window(ndjson.read_bytes()))
    assert main(["import", "--no-progress", str(dump)]) == 0
    printed = capsys.readouterr().out
    assert (
        "lines read 1,300 = written 1,100 + already in the lake 0 + repeated in the input 200"
        in (printed)
    )
    assert "--from-date 2020-12-01T00:00:00+00:00 --to-date 2020-12-01T16:00:00+00:00" in printed
    expected = _records_by_interval(ndjson)
    partitions = _partitions(lake)
    assert len(partitions) == 33  # 00:00 to 16:00, every interval, none empty on this busy day
    assert sum(expected.values()) == 1100

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"), safe_mode=False)  # parsed with the env above
    dag = bag.get_dag("reddit_sentiment")
    from tickerpulse.config import load_settings

    # The tasks refuse intervals before TICKERPULSE_START_DATE (the DAG's own start date is a
    # technical one, before any Reddit post): the import told us to set it to the archive's day.
    assert load_settings().start_date == DAY
    for task in dag.tasks:
        task.retries = 0
    for start in BACKFILLED:
        run = dag.test(logical_date=start + INTERVAL, run_conf={"subreddits": ["wallstreetbets"]})
        assert str(getattr(run.state, "value", run.state)) == "success"

    runs = _fetch(
        dsn,
        "SELECT interval_start, extracted, loaded, quarantined, duplicates, bots"
        " FROM tickerpulse.pipeline_runs ORDER BY 1",
    )
    assert [r[0] for r in runs] == BACKFILLED
    for start, extracted, loaded, quarantined, duplicates, bots in runs:
        assert extracted == expected[start]  # every imported record entered the run
        assert extracted == loaded + quarantined + duplicates + bots
    assert sum(r[2] for r in runs) > 0
    posts = _fetch(dsn, "SELECT count(*), min(created_utc) FROM tickerpulse.posts")
    assert posts[0][0] == sum(r[2] for r in runs)
    assert posts[0][1] >= DAY

    # Rollups priced from daily bars, as known at each bucket's end: Monday's close.
    priced = _fetch(
        dsn,
        "SELECT ticker, price_close, price_bar_size, price_change_pct"
        " FROM tickerpulse.sentiment_30m WHERE price_close IS NOT NULL",
    )
    assert priced, "no rollup of a ticker with daily prices"
    for ticker, close, size, change in priced:
        assert size == "1d"
        assert change == 0.0  # no session closed inside any backfilled bucket
        if ticker in NOV_30_CLOSE:
            assert close == pytest.approx(NOV_30_CLOSE[ticker])
    assert not _fetch(dsn, "SELECT 1 FROM tickerpulse.post_sentiment WHERE ticker = 'HOOD'")
    # "Robinhood" in these posts is the broker: HOOD first traded 20 months later. Each such
    # mention is kept with its reason and counted on its run.
    dropped = _fetch(dsn, "SELECT ticker, reason FROM tickerpulse.dropped_mentions")
    assert ("HOOD", "not_yet_trading") in dropped
    counted = _fetch(
        dsn,
        "SELECT coalesce(sum(value::int), 0) FROM tickerpulse.pipeline_runs,"
        " jsonb_each_text(mentions_dropped_by_reason)",
    )
    assert counted == [(len(dropped),)]

    # A second import of the same dump writes nothing and leaves every partition as it was.
    assert main(["import", "--no-progress", str(dump)]) == 0
    again = capsys.readouterr().out
    assert "written 0 + already in the lake 1,300" in again
    assert _partitions(lake) == partitions
