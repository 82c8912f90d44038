"""The read-only JSON API: what ApeWisdom's API gives, plus sentiment, surge and options intent.

* `GET /v1/leaderboard?window=30m|24h|7d&subreddit=&page=&limit=&end=`: tickers by mentions, with
  ApeWisdom's fields (rank, ticker, name, mentions, upvotes, rank_24h_ago, mentions_24h_ago) and
  sentiment, tier, confidence, surge_z, trend, calls, puts and put_call_ratio; paged like
  ApeWisdom (count, pages, current_page, results).
* `GET /v1/tickers/{ticker}/series?start=&end=&subreddit=`: one ticker, per 30 minutes.
* `GET /v1/tickers/{ticker}/buckets/{bucket_start}/posts`: the posts behind one bucket, as
  `tickerpulse explain` lists them, without author names.

Every query is a .sql file under sql/queries/ with parameters only. Bad parameters are a 4xx with a
message saying what is wrong; times are ISO 8601 (UTC when no zone is given) within
MIN_TIME..MAX_TIME, so no date arithmetic can overflow into a 500.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tickerpulse.aggregation import AggregationConfig, Mention, weight_parts
from tickerpulse.api.db import ReaderPool
from tickerpulse.warehouse.queries import query

BUCKET = timedelta(minutes=30)
WINDOWS = {"30m": BUCKET, "24h": timedelta(hours=24), "7d": timedelta(days=7)}
MIN_TIME = datetime(2000, 1, 1, tzinfo=UTC)
MAX_TIME = datetime(2100, 1, 1, tzinfo=UTC)
MAX_SERIES = timedelta(days=31)
TICKER_PATTERN = r"^\$?[A-Za-z][A-Za-z0-9]{0,5}([.\-][A-Za-z]{1,2})?$"
SUBREDDIT_PATTERN = r"^[A-Za-z0-9_]{2,21}$"
REDDIT = "https://www.reddit.com"

Window = Literal["30m", "24h", "7d"]


class LeaderboardRow(BaseModel):
    rank: int
    ticker: str
    name: str | None = Field(description="company name from the symbol directory")
    mentions: int = Field(description="posts and comments mentioning the ticker in the window")
    upvotes: int = Field(description="sum of the Reddit scores (below 0 counted as 0)")
    rank_24h_ago: int | None
    mentions_24h_ago: int
    sentiment: float | None = Field(description="time-decayed, weighted mean in [-1, 1]")
    tier: str
    confidence: float | None
    surge_z: float | None = Field(
        description="peak robust z-score of unique authors against the ticker's own baseline "
        "(all subreddits); null for tickers seen for less than a week"
    )
    trend: Literal["rising", "falling", "stable"] | None
    calls: int = Field(description="mentions that talk calls")
    puts: int = Field(description="mentions that talk puts")
    put_call_ratio: float | None = Field(description="puts / calls; null without calls")


class Leaderboard(BaseModel):
    window: Window
    start: datetime
    end: datetime
    subreddit: str | None
    count: int = Field(description="tickers in the window")
    pages: int
    current_page: int
    results: list[LeaderboardRow]


class SeriesPoint(BaseModel):
    bucket_start: datetime
    mentions: int
    upvotes: int
    scored: int
    sentiment: float | None
    calls: int
    puts: int
    surge_z: float | None
    trend: Literal["rising", "falling", "stable"] | None
    price_close: float | None


class Series(BaseModel):
    ticker: str
    start: datetime
    end: datetime
    subreddit: str | None
    points: list[SeriesPoint]


class BucketPost(BaseModel):
    post_id: str
    kind: str
    subreddit: str
    title: str | None
    created_utc: datetime
    upvotes: int | None
    permalink: str | None
    counted: bool = Field(description="false for a removed post or an unscored mention")
    weight: float = Field(description="its weight in the bucket's weighted mean")
    mention_kind: str
    status: str
    score: float | None
    label: str | None
    reasoning: str | None
    option_side: Literal["call", "put", "both"] | None
    option_strike: float | None
    option_expiry: str | None
    option_action: Literal["buy", "sell"] | None


class BucketPosts(BaseModel):
    ticker: str
    bucket_start: datetime
    posts: list[BucketPost]


class Problem(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": Problem, "description": "a parameter is out of range"},
    404: {"model": Problem, "description": "nothing to serve for these parameters"},
}


def _utc(moment: datetime, name: str) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not MIN_TIME <= moment <= MAX_TIME:
        raise HTTPException(
            400, f"{name} {moment.isoformat()} is outside {MIN_TIME.date()}..{MAX_TIME.date()}"
        )
    return moment.astimezone(UTC)


def _floor(moment: datetime) -> datetime:
    return moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)


def _ceil(moment: datetime) -> datetime:
    floor = _floor(moment)
    return floor if floor == moment else floor + BUCKET


def _ticker(raw: str) -> str:
    return raw.lstrip("$").upper()


def create_app(pool: ReaderPool | None = None, dsn: str | None = None) -> FastAPI:
    """The app over `pool`, or over a pool opened on `dsn` when it starts."""
    cfg = AggregationConfig.from_settings()
    state: dict[str, ReaderPool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state["pool"] = pool or ReaderPool(dsn or "")
        try:
            yield
        finally:
            if pool is None:
                state["pool"].close()

    app = FastAPI(
        title="Ticker Pulse API",
        version="1",
        description="Read-only JSON over the Ticker Pulse warehouse: a leaderboard like "
        "ApeWisdom's with sentiment, surge and options intent, one ticker's series, and the "
        "posts behind a bucket. Times are UTC.",
        lifespan=lifespan,
    )

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.get("/v1/health", responses=ERRORS)
    def health() -> dict[str, str]:
        with state["pool"].cursor() as cur:
            cur.execute(query("api_latest_bucket"))
            (latest,) = cur.fetchone()
        return {"status": "ok", "latest_bucket_end": latest.isoformat() if latest else ""}

    @app.get("/v1/leaderboard", response_model=Leaderboard, responses=ERRORS)
    def leaderboard(
        window: Window = "24h",
        subreddit: Annotated[str | None, Query(pattern=SUBREDDIT_PATTERN)] = None,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        limit: Annotated[int, Query(ge=1, le=100)] = 25,
        end: Annotated[
            datetime | None,
            Query(description="window end (rounded up to 30 minutes); default: latest data"),
        ] = None,
    ) -> Leaderboard:
        with state["pool"].cursor() as cur:
            if end is None:
                cur.execute(query("api_latest_bucket"))
                (latest,) = cur.fetchone()
                if latest is None:
                    raise HTTPException(404, "the warehouse has no rollups yet: run the pipeline")
                stop = latest
            else:
                stop = _ceil(_utc(end, "end"))
            start = stop - WINDOWS[window]
            cur.execute(
                query("api_leaderboard"),
                {
                    "start": start,
                    "end": stop,
                    "subreddit": subreddit,
                    "offset": (page - 1) * limit,
                    "limit": limit,
                    "decay": cfg.decay_lambda,
                    "post_count_k": cfg.post_count_k,
                    "post_count_max_bonus": cfg.post_count_max_bonus,
                    "confidence_scale": cfg.confidence_scale,
                },
            )
            names = [d.name for d in cur.description or []]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        total = int(rows[0]["total"]) if rows else 0
        if not rows and page > 1:
            raise HTTPException(404, f"page {page} is past the last page of this leaderboard")
        return Leaderboard(
            window=window,
            start=start,
            end=stop,
            subreddit=subreddit,
            count=total,
            pages=math.ceil(total / limit) if total else 0,
            current_page=page,
            results=[LeaderboardRow(**{k: v for k, v in r.items() if k != "total"}) for r in rows],
        )

    @app.get("/v1/tickers/{ticker}/series", response_model=Series, responses=ERRORS)
    def series(
        ticker: Annotated[str, Path(pattern=TICKER_PATTERN)],
        start: datetime,
        end: datetime,
        subreddit: Annotated[str | None, Query(pattern=SUBREDDIT_PATTERN)] = None,
    ) -> Series:
        first, stop = _floor(_utc(start, "start")), _ceil(_utc(end, "end"))
        if stop <= first:
            raise HTTPException(400, "end must be after start")
        if stop - first > MAX_SERIES:
            raise HTTPException(400, f"at most {MAX_SERIES.days} days per request")
        symbol = _ticker(ticker)
        with state["pool"].cursor() as cur:
            cur.execute(
                query("api_series"),
                {"ticker": symbol, "start": first, "end": stop, "subreddit": subreddit},
            )
            names = [d.name for d in cur.description or []]
            points = [SeriesPoint(**dict(zip(names, r, strict=True))) for r in cur.fetchall()]
        return Series(ticker=symbol, start=first, end=stop, subreddit=subreddit, points=points)

    @app.get(
        "/v1/tickers/{ticker}/buckets/{bucket_start}/posts",
        response_model=BucketPosts,
        responses=ERRORS,
    )
    def bucket_posts(
        ticker: Annotated[str, Path(pattern=TICKER_PATTERN)],
        bucket_start: Annotated[datetime, Path(description="any time in the bucket")],
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> BucketPosts:
        begin = _floor(_utc(bucket_start, "bucket_start"))
        symbol = _ticker(ticker)
        with state["pool"].cursor() as cur:
            cur.execute(
                query("api_bucket_posts"),
                {
                    "ticker": symbol,
                    "bucket_start": begin,
                    "limit": limit,
                    "offset": (page - 1) * limit,
                },
            )
            rows = cur.fetchall()
        if not rows and page == 1:
            raise HTTPException(
                404, f"no mentions of {symbol} in the bucket at {begin.isoformat()}"
            )
        posts = []
        for (pid, kind, sub, title, created, upvotes, link, removed, mention_kind, amb, status,
             score, label, reasoning, side, strike, expiry, action) in rows:  # fmt: skip
            parts = weight_parts(
                Mention(pid, sub, created, upvotes, amb, status, score), begin + BUCKET, cfg
            )
            counted = not removed and status == "scored" and score is not None
            posts.append(
                BucketPost(
                    post_id=pid,
                    kind=kind,
                    subreddit=sub,
                    title=title,
                    created_utc=created,
                    upvotes=upvotes,
                    permalink=(REDDIT + link) if link and link.startswith("/") else link,
                    counted=counted,
                    weight=round(parts.total, 6) if counted else 0.0,
                    mention_kind=mention_kind,
                    status=status,
                    score=score,
                    label=label,
                    reasoning=reasoning,
                    option_side=side,
                    option_strike=strike,
                    option_expiry=expiry.isoformat() if expiry else None,
                    option_action=action,
                )
            )
        return BucketPosts(ticker=symbol, bucket_start=begin, posts=posts)

    return app
