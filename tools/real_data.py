"""The real-data check: r/wallstreetbets comments of Jan–Feb 2021 and the daily prices of that
period, through the warehouse and the analysis, end to end.

Nothing here is copied into the project: the paths to `../shared/data` are arguments.

Prices come from three sets of Yahoo exports (see stock_prices_daily/SOURCE.md), which do not
share a basis: the 2021 downloads are as traded then, the Dec 2022 downloads of GME and TSLA are
adjusted for their 2022 splits (4:1, 3:1). They are put on one basis, the 2021 one, by undoing
those splits (price x ratio, volume / ratio) before merging; a test checks the overlap agrees.
Forward-filled weekend/holiday rows (volume NA) are dropped: they are not trading days.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tickerpulse.intervals import floor_to_interval
from tickerpulse.warehouse.queries import query

CHECK_TICKERS = ("GME", "AMC", "BB", "NOK", "PLTR")
# Splits between the 2021 and the Dec 2022 downloads, from SOURCE.md: new shares per old share.
SPLITS_BETWEEN_DOWNLOADS = {"GME": 4.0, "TSLA": 3.0}
YAHOO_HEADER = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
PRICE_DIRS = (
    "esbenkc_WSB-Impact",
    "lilfetz22_Reddit_sentiment_analysis",
    "sean-ta_CS4620-WSB",
)


def _read_esbenkc(path: Path) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = defaultdict(dict)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["volume"] in ("", "NA"):
                continue  # a forward-filled non-trading day
            out[row["symbol"]].setdefault(
                row["date"],
                [
                    row["open"],
                    row["high"],
                    row["low"],
                    row["close"],
                    row["adjusted"],
                    row["volume"],
                ],
            )
    return out


def _read_yahoo(path: Path, split_ratio: float = 1.0) -> dict[str, list[str]]:
    out = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("Close") in (None, "", "null"):
                continue
            prices = [float(row[c]) * split_ratio for c in YAHOO_HEADER[1:6]]
            volume = round(float(row["Volume"]) / split_ratio)
            out[row["Date"]] = [f"{p:.6f}" for p in prices] + [str(volume)]
    return out


def build_daily_price_files(prices_root: Path, out_root: Path) -> dict[str, int]:
    """`out_root/prices_daily/<TICKER>.csv` for every ticker in the three sets, on one basis.

    Earlier sets win where they overlap (the 2021 downloads are the record of that time).
    """
    merged: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for ticker, rows in _read_esbenkc(prices_root / PRICE_DIRS[0] / "market_prices.csv").items():
        merged[ticker].update(rows)
    for folder, rescale in ((PRICE_DIRS[1], False), (PRICE_DIRS[2], True)):
        for path in sorted((prices_root / folder).glob("*.csv")):
            ticker = path.stem.upper()
            ratio = SPLITS_BETWEEN_DOWNLOADS.get(ticker, 1.0) if rescale else 1.0
            for day, values in _read_yahoo(path, ratio).items():
                merged[ticker].setdefault(day, values)
    target = out_root / "prices_daily"
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    for ticker, rows in sorted(merged.items()):
        with (target / f"{ticker}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(YAHOO_HEADER)
            for day in sorted(rows):
                writer.writerow([day, *rows[day]])
        counts[ticker] = len(rows)
    return counts


def read_comments(path: Path) -> list[dict[str, Any]]:
    """wsb_io.csv: the column named `title` holds the comment body (SOURCE.md)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {
                "post_id": f"t1_{row['id']}",
                "subreddit": row["subreddit"],
                "author": row["author"],
                "body": row["title"],
                "created_utc": datetime.fromtimestamp(int(float(row["created_utc"])), UTC),
                "score": int(float(row["score"] or 0)),
                "permalink": row["permalink"],
            }
            for row in csv.DictReader(handle)
        ]


def load_comments(
    cur: Any, comments: Iterable[dict[str, Any]], scorer: Any, extractor: Any
) -> dict[str, int]:
    """Posts and per-ticker sentiment rows, as the load stage would write them."""
    from tickerpulse.dedupe import content_hash, simhash64
    from tickerpulse.scoring.base import label_for

    buckets: set[datetime] = set()
    posts = mentions = 0
    for c in comments:
        found = extractor.extract(c["body"])
        interval_start = floor_to_interval(c["created_utc"])
        author = hashlib.sha256(f"realdata:{c['author']}".encode()).hexdigest()[:32]
        cur.execute(
            query("analysis_realdata_insert_post"),
            {
                "post_id": c["post_id"],
                "kind": "comment",
                "subreddit": c["subreddit"],
                "author_hash": author,
                "body": c["body"],
                "created_utc": c["created_utc"],
                "score": c["score"],
                "permalink": c["permalink"],
                "content_hash": content_hash(c["body"]),
                "simhash": simhash64(c["body"]),
                "tickers": [m.ticker for m in found],
                "interval_start": interval_start,
            },
        )
        posts += 1
        if not found:
            continue
        score, reasoning = scorer.score_text(c["body"])
        for m in found:
            cur.execute(
                query("analysis_realdata_insert_sentiment"),
                {
                    "post_id": c["post_id"],
                    "ticker": m.ticker,
                    "scorer_version": f"offline@{scorer.version}",
                    "score": score,
                    "label": label_for(score),
                    "reasoning": reasoning,
                    "mention_kind": m.how,
                    "mention_weight": m.weight,
                    "interval_start": interval_start,
                },
            )
            mentions += 1
        buckets.add(interval_start)
    return {"posts": posts, "mentions": mentions, "buckets": len(buckets)}


def aggregate_buckets(dsn: str, starts: Iterable[datetime]) -> int:
    """The pipeline's own 30-minute rollup (the aggregate stage's `rebuild_bucket`)."""
    from tickerpulse.stages.aggregate import rebuild_bucket

    count = 0
    for start in sorted(set(starts)):
        rebuild_bucket(dsn, start, start + timedelta(minutes=30))
        count += 1
    return count


def run_check(
    dsn: str,
    comments_csv: Path,
    prices_root: Path,
    work_dir: Path,
    tickers: Sequence[str] = CHECK_TICKERS,
) -> dict[str, Any]:
    """Load, fetch prices through the cache, join mentions, analyse; return the numbers."""
    from datetime import date

    from tickerpulse.analysis.job import AnalysisConfig, run_analysis
    from tickerpulse.prices.fetch import RetryPolicy
    from tickerpulse.prices.store import refresh_mentions
    from tickerpulse.scoring.offline import OfflineScorer
    from tickerpulse.sources.prices_replay import ReplayPriceSource
    from tickerpulse.symbols import load_symbols
    from tickerpulse.tickers import TickerExtractor
    from tickerpulse.warehouse.db import connect
    from tickerpulse.warehouse.migrate import migrate

    migrate(dsn)
    build_daily_price_files(prices_root, work_dir)
    comments = read_comments(comments_csv)
    with connect(dsn) as conn, conn.cursor() as cur:
        loaded = load_comments(cur, comments, OfflineScorer(), TickerExtractor(load_symbols()))
    aggregate_buckets(dsn, (floor_to_interval(c["created_utc"]) for c in comments))
    computed_for = date(2021, 2, 8)
    source = ReplayPriceSource(work_dir)
    no_wait = RetryPolicy(attempts=2, base_delay=0.0)
    config = AnalysisConfig(window_days=30, min_mentions=3)
    first = run_analysis(dsn, computed_for, config, source, no_wait)
    again = run_analysis(dsn, computed_for, config, source, no_wait)  # all cached now
    first_post = min(c["created_utc"] for c in comments)
    with connect(dsn) as conn, conn.cursor() as cur:
        joined = refresh_mentions(
            cur,
            floor_to_interval(first_post),
            computed_for_end(computed_for),
            now=datetime(2021, 3, 1, tzinfo=UTC),
        )
        cur.execute(
            query("analysis_results_for"), {"computed_for": computed_for, "tickers": list(tickers)}
        )
        correlations = cur.fetchall()
        cur.execute(
            query("analysis_hit_rates_for"),
            {"computed_for": computed_for, "tickers": list(tickers)},
        )
        hit_rates = cur.fetchall()
        cur.execute(query("scorecard_latest"), {"on_or_before": computed_for, "limit": 1000})
        card = cur.fetchall()
    return {
        "loaded": loaded,
        "analysis": first,
        "rerun_calls": again["fetched"].get("calls", 0),
        "mention_prices": joined,
        "correlations": correlations,
        "hit_rates": hit_rates,
        "scorecard": card,
    }


def computed_for_end(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
