"""Why a ticker scored what it did in one 30-minute bucket: the posts, their weights, their reasons.

A trader who sees "GME strong_bullish" on a dashboard must be able to check it. This reads the
(post, ticker) rows of the bucket from the warehouse and recomputes each weight with the Python
reference of the rollup formula (tickerpulse.aggregation), so the printed contributions add up to
the stored weighted mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tickerpulse.aggregation import AggregationConfig, Mention, WeightParts, aggregate, weight_parts
from tickerpulse.config import Settings
from tickerpulse.symbols import canonical_symbol
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query

BUCKET = timedelta(minutes=30)
REDDIT = "https://www.reddit.com"


def bucket_of(at: datetime) -> datetime:
    """The start of the 30-minute bucket containing `at` (naive means UTC)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 30, second=0, microsecond=0)


@dataclass(frozen=True)
class Contribution:
    post_id: str
    subreddit: str
    created_utc: datetime
    upvotes: int | None
    kind: str
    status: str
    score: float | None
    label: str | None
    reasoning: str | None
    permalink: str | None
    removed: bool
    parts: WeightParts

    @property
    def weight(self) -> float:
        return 0.0 if self.removed or self.status != "scored" else self.parts.total


@dataclass(frozen=True)
class Explanation:
    ticker: str
    bucket_start: datetime
    contributions: list[Contribution]
    stored: dict[str, object] | None  # the sentiment_30m row, if aggregated
    recomputed_mean: float | None

    def render(self) -> str:
        end = self.bucket_start + BUCKET
        lines = [f"{self.ticker} {self.bucket_start:%Y-%m-%d %H:%M}-{end:%H:%M} UTC"]
        if self.stored:
            s = self.stored
            lines.append(
                f"  rollup: mentions={s['mentions']} scored={s['scored']} "
                f"weighted_mean={_num(s['weighted_mean'])} raw_mean={_num(s['raw_mean'])} "
                f"confidence={_num(s['confidence'])} tier={s['tier']} rank={s['rank']} "
                f"(24h ago: rank={s['rank_24h_ago']}, mentions={s['mentions_24h_ago']})"
            )
        else:
            lines.append("  rollup: not aggregated yet")
        lines.append(f"  recomputed weighted mean: {_num(self.recomputed_mean)}")
        total = sum(c.weight for c in self.contributions)
        for c in sorted(self.contributions, key=lambda c: (-c.weight, c.post_id)):
            share = c.weight / total if total else 0.0
            p = c.parts
            lines.append(
                f"  {c.post_id} r/{c.subreddit} {c.created_utc:%H:%M} weight={c.weight:.4f} "
                f"({share:.0%}; ambiguity {p.ambiguity:.2f} x decay {p.decay:.3f} x source "
                f"{p.source:.2f} x upvotes {p.upvotes:.2f}) score={_num(c.score)} [{c.kind}]"
                + (" REMOVED" if c.removed else "")
                + ("" if c.status == "scored" else " UNSCORED")
            )
            if c.reasoning:
                lines.append(f"      reasoning: {c.reasoning}")
            if c.permalink:
                link = c.permalink if c.permalink.startswith("http") else REDDIT + c.permalink
                lines.append(f"      {link}")
        return "\n".join(lines)


def _num(value: object) -> str:
    return "-" if value is None else f"{float(value):+.3f}"  # type: ignore[arg-type]


def explain(
    settings: Settings | str, ticker: str, at: datetime, cfg: AggregationConfig | None = None
) -> Explanation:
    cfg = cfg or AggregationConfig.from_settings(
        settings if isinstance(settings, Settings) else None
    )
    start = bucket_of(at)
    symbol = canonical_symbol(ticker.strip().lstrip("$"))
    params: dict[str, object] = {"ticker": symbol, "bucket_start": start}
    with connect(settings) as conn, conn.cursor() as cur:
        cur.execute(query("explain_bucket"), params)
        rows = cur.fetchall()
        cur.execute(query("explain_rollup"), params)
        names = [d[0] for d in cur.description or ()]
        found = cur.fetchone()
    stored = dict(zip(names, found, strict=True)) if found else None
    end = start + BUCKET
    contributions = []
    mentions = []
    for (pid, sub, created, upvotes, removed, author, link, kind, amb, status, score, label,
         reasoning, unscored_reason) in rows:  # fmt: skip
        m = Mention(pid, sub, created, upvotes, amb, status, score, author)
        if not removed:
            mentions.append(m)
        contributions.append(
            Contribution(
                pid, sub, created, upvotes, kind, status, score, label,
                reasoning or unscored_reason, link, bool(removed), weight_parts(m, end, cfg),
            )
        )  # fmt: skip
    recomputed = aggregate(mentions, end, cfg).weighted_mean if mentions else None
    return Explanation(symbol, start, contributions, stored, recomputed)
