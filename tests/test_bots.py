"""Bot heuristics: each rule, its order, and ordinary names that must not be flagged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tickerpulse.bots import bot_reason

POSTED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
OLD = POSTED - timedelta(days=400)


def reason(
    author: str | None, created: object = OLD, karma: object = 5000, posts: int = 1
) -> str | None:
    return bot_reason(author, created, karma, posts, at=POSTED)


@pytest.mark.parametrize("author", [None, "", "[deleted]", "[removed]", "  "])
def test_deleted_author(author: str | None) -> None:
    assert reason(author) == "bot:deleted_author"


def test_automoderator_and_known_bots() -> None:
    assert reason("AutoModerator") == "bot:automoderator"
    assert reason("automoderator") == "bot:automoderator"
    assert reason("VisualMod") == "bot:known_bot"
    assert reason("RemindMeBot") == "bot:known_bot"


@pytest.mark.parametrize(
    "author", ["stock_bot", "ticker-bot-2", "TendieBot", "PriceBot9", "bot_alerts", "sneakpeekbot2"]
)
def test_bot_like_names(author: str) -> None:
    assert reason(author) == "bot:name_pattern"


@pytest.mark.parametrize(
    "author", ["abbott", "robotics_fan", "Robot", "i_am_a_robot", "talbot", "BottomFeeder", "both"]
)
def test_ordinary_names_are_people(author: str) -> None:
    assert reason(author) is None


def test_rate() -> None:
    assert reason("diamond_hands_42", posts=10) is None
    assert reason("diamond_hands_42", posts=11) == "bot:rate"
    assert bot_reason("diamond_hands_42", OLD, 5000, 4, max_posts_per_window=3, at=POSTED) == (
        "bot:rate"
    )


def test_new_low_karma_account_needs_both_and_known_fields() -> None:
    young = POSTED - timedelta(days=1)
    assert reason("newbie", created=young, karma=3) == "bot:new_low_karma_account"
    assert reason("newbie", created=young, karma=10) is None  # enough karma
    assert reason("newbie", created=POSTED - timedelta(days=3), karma=3) is None  # old enough
    assert reason("newbie", created=None, karma=3) is None
    assert reason("newbie", created=young, karma=None) is None
    assert reason("newbie", created=young, karma=float("nan")) is None


def test_account_age_is_judged_at_post_time_and_accepts_epoch_and_naive() -> None:
    young = POSTED - timedelta(hours=6)
    assert reason("newbie", created=young.timestamp(), karma=0) == "bot:new_low_karma_account"
    assert reason("newbie", created=young.replace(tzinfo=None), karma=0) == (
        "bot:new_low_karma_account"
    )
    # judged at run time instead, the same account is old by now
    assert bot_reason("newbie", young, 0, 1) is None


def test_rule_order_is_fixed() -> None:
    assert bot_reason("AutoModerator", POSTED, 0, 99, at=POSTED) == "bot:automoderator"
    assert bot_reason("stock_bot", POSTED, 0, 99, at=POSTED) == "bot:name_pattern"
    assert bot_reason("newbie", POSTED, 0, 99, at=POSTED) == "bot:rate"
