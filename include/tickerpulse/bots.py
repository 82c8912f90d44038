"""Heuristics for posts that are not a person's opinion.

Moderator bots, reminder bots and throwaway accounts flooding a ticker would otherwise count as
voices. Each rule returns its own reason so the drop counts say which rule fired; the order is
fixed (most certain first) so a re-run gives the same reason.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

NEW_ACCOUNT_AGE = timedelta(days=2)
LOW_KARMA = 10

DELETED_AUTHORS = frozenset({"", "[deleted]", "[removed]"})
KNOWN_BOTS = frozenset(
    name.casefold()
    for name in (
        "VisualMod",
        "RemindMeBot",
        "WSBVoteBot",
        "wsbapp",
        "SnapshillBot",
        "sneakpeekbot",
        "RepostSleuthBot",
        "SaveVideo",
        "savevideobot",
        "stabbot",
        "converter-bot",
        "timezone_bot",
        "tweet_poster",
        "TweetsInCommentsBot",
        "WikiTextBot",
        "GifReversingBot",
        "B0tRank",
        "LinkifyBot",
        "RepostCheckerBot",
        "Chart_Bot",
        "QualityVote",
        "ClickableLinkBot",
        "MAGIC_EYE_BOT",
        "TotesMessenger",
        "image_linker_bot",
        "GoodBot_BadBot",
        "FatFingerHelperBot",
    )
)

# Ordinary words that end in "bot"; a name ending in one of these is a person, not a bot.
_BOT_WORDS = ("robot", "abbot", "talbot", "cabot", "turbot", "sabot", "jabot")
_NAME_PATTERNS = (
    re.compile(r"(?i)(?:^|[_\-.])bot[_\-]?\d*$"),  # foo_bot, foo-bot-2, bot
    re.compile(r"[a-z\d]Bot\d*$"),  # CamelCase: RemindMeBot, StockBot9
    re.compile(r"(?i)^bot[_\-]"),  # bot_alerts
    re.compile(r"(?i)auto[_\-]?mod"),
)


def _is_bot_name(name: str) -> bool:
    if any(pattern.search(name) for pattern in _NAME_PATTERNS):
        return True
    stem = name.casefold().rstrip("0123456789")  # sneakpeekbot, but not robot or abbott
    return stem.endswith("bot") and not stem.endswith(_BOT_WORDS)


def _as_datetime(value: Any) -> datetime | None:
    """Account creation time from a datetime (naive means UTC) or epoch seconds; None if unknown."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value != value:  # pandas NaT
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _known_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def bot_reason(
    author: str | None,
    author_created_utc: Any,
    author_karma: Any,
    posts_by_author_in_window: int,
    max_posts_per_window: int = 10,
    *,
    at: datetime | None = None,
) -> str | None:
    """Why this post looks automated, as "bot:<rule>", or None for a person.

    `at` is when the post was written (pass the post's created_utc): account age is judged then,
    not at run time, so re-running an old interval gives the same answer. It defaults to now.
    """
    name = (author or "").strip() if isinstance(author, str) else ""
    if name.casefold() in DELETED_AUTHORS:
        return "bot:deleted_author"
    lowered = name.casefold()
    if lowered == "automoderator":
        return "bot:automoderator"
    if lowered in KNOWN_BOTS:
        return "bot:known_bot"
    if _is_bot_name(name):
        return "bot:name_pattern"
    if posts_by_author_in_window > max_posts_per_window:
        return "bot:rate"
    created = _as_datetime(author_created_utc)
    karma = _known_int(author_karma)
    if created is not None and karma is not None:
        now = _as_datetime(at) or datetime.now(UTC)
        if now - created < NEW_ACCOUNT_AGE and karma < LOW_KARMA:
            return "bot:new_low_karma_account"
    return None
