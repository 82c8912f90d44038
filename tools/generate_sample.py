"""Write the synthetic demo sample that `make demo` and the tests replay.

The project ships its own sample instead of copying real Reddit data: every username, id, text and
price here is invented by this module, so it can be committed and regenerated at will. It is built
to exercise every branch of the pipeline on two ordinary trading days: slang, emojis, cashtags,
company names, tickers that are also English words, exact and near duplicates, bots, deleted and
removed content, malformed records, and prices that drift with the synthetic sentiment so the
correlation views show something.

Determinism is the point of the design: one `random.Random(SEED)`, no sets or hashes in any
iteration order, and no libm calls (only +, -, *, / on floats), so the output is byte-identical on
every run, Python version and platform. The tests regenerate the sample and compare it with the
committed copy byte for byte.

Usage: `python -m tools.generate_sample OUT_DIR`
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import accumulate
from pathlib import Path
from textwrap import fill
from typing import Any

SEED = 20240304
DAYS = (date(2024, 3, 4), date(2024, 3, 5))
SUBREDDITS = ("wallstreetbets", "stocks", "investing")
BAR_SECONDS = 30 * 60
MARKET_OPEN_MINUTE = 14 * 60 + 30  # 14:30 UTC (09:30 EST; DST starts 2024-03-10)
MARKET_CLOSE_MINUTE = 21 * 60
BARS_PER_DAY = (MARKET_CLOSE_MINUTE - MARKET_OPEN_MINUTE) // 30
PRICE_HEADER = "bar_start,open,high,low,close,volume"


@dataclass(frozen=True)
class TickerSpec:
    symbol: str
    names: tuple[str, ...]  # company names and nicknames people write instead of the symbol
    price: float  # synthetic level around early March 2024
    vol: float  # per-bar standard deviation of returns
    volume: int  # shares per 30-minute bar, before the intraday shape
    weight: tuple[float, float, float]  # how often each subreddit talks about it (SUBREDDITS order)
    bias: tuple[float, float]  # mood on each day, in [-1, 1]


TICKERS: tuple[TickerSpec, ...] = (
    TickerSpec("GME", ("GameStop", "Gamestop"), 14.2, 0.018, 900_000, (10, 2, 0.5), (0.5, -0.3)),
    TickerSpec("AMC", ("AMC Entertainment",), 4.6, 0.02, 1_600_000, (6, 1, 0.3), (0.2, -0.5)),
    TickerSpec("TSLA", ("Tesla",), 188.0, 0.008, 7_000_000, (9, 6, 3), (-0.5, -0.2)),
    TickerSpec("NVDA", ("Nvidia", "NVIDIA"), 852.0, 0.009, 4_000_000, (12, 8, 5), (0.7, 0.4)),
    TickerSpec("AAPL", ("Apple",), 175.0, 0.004, 5_500_000, (4, 6, 5), (-0.4, -0.1)),
    TickerSpec("PLTR", ("Palantir",), 24.6, 0.012, 5_000_000, (6, 4, 2), (0.5, 0.3)),
    TickerSpec("AMD", ("Advanced Micro Devices",), 205.0, 0.01, 5_000_000, (5, 4, 2), (0.4, -0.2)),
    TickerSpec("BB", ("BlackBerry",), 2.85, 0.012, 600_000, (2, 0.5, 0.2), (0.0, 0.1)),
    TickerSpec("NOK", ("Nokia",), 3.55, 0.007, 1_200_000, (1.5, 0.5, 0.2), (0.0, 0.0)),
    TickerSpec("SOFI", ("SoFi",), 8.6, 0.011, 3_000_000, (3, 3, 1.5), (0.2, -0.2)),
    TickerSpec("MSFT", ("Microsoft",), 414.0, 0.004, 1_600_000, (3, 5, 5), (0.3, 0.0)),
    TickerSpec("AMZN", ("Amazon",), 177.0, 0.005, 3_200_000, (3, 4, 4), (0.2, 0.1)),
    TickerSpec(
        "META", ("Facebook", "Meta Platforms"), 497.0, 0.006, 1_200_000, (3, 4, 3), (0.3, 0.2)
    ),
    TickerSpec("GOOGL", ("Google", "Alphabet"), 134.0, 0.005, 2_800_000, (2, 4, 4), (-0.2, -0.1)),
    TickerSpec("SPY", ("S&P 500",), 512.0, 0.002, 5_000_000, (8, 4, 6), (0.1, -0.2)),
    TickerSpec("QQQ", ("Nasdaq 100",), 445.0, 0.003, 3_500_000, (3, 3, 5), (0.1, -0.3)),
    TickerSpec("COIN", ("Coinbase",), 205.0, 0.015, 1_100_000, (4, 2, 1), (0.6, 0.2)),
    TickerSpec("RIVN", ("Rivian",), 11.2, 0.013, 2_800_000, (2, 2, 1), (-0.3, -0.1)),
    TickerSpec("NIO", ("Nio",), 5.65, 0.012, 3_400_000, (2, 1, 0.5), (-0.3, -0.4)),
    TickerSpec("F", ("Ford",), 12.2, 0.005, 3_600_000, (1, 1.5, 1), (0.0, 0.1)),
    TickerSpec("T", ("AT&T",), 17.1, 0.003, 2_600_000, (0.5, 1, 1.5), (0.0, 0.0)),
    TickerSpec("DIS", ("Disney", "the mouse"), 112.0, 0.005, 800_000, (1, 2, 2), (0.2, 0.0)),
    TickerSpec("INTC", ("Intel",), 43.1, 0.008, 3_000_000, (2, 2, 1.5), (-0.2, 0.1)),
    TickerSpec("BABA", ("Alibaba",), 73.5, 0.008, 1_100_000, (1.5, 2, 1.5), (-0.3, -0.2)),
    TickerSpec("HOOD", ("Robinhood",), 16.3, 0.014, 1_900_000, (2, 1, 0.5), (0.4, 0.2)),
    TickerSpec("MARA", ("Marathon Digital",), 26.4, 0.02, 4_200_000, (3, 1, 0.3), (0.6, -0.3)),
    TickerSpec("RIOT", ("Riot Platforms",), 14.3, 0.019, 2_300_000, (2, 0.8, 0.2), (0.5, -0.3)),
    TickerSpec("SNAP", ("Snapchat",), 11.4, 0.009, 1_800_000, (1, 1, 0.5), (-0.3, 0.2)),
    TickerSpec("UBER", ("Uber Technologies",), 79.3, 0.006, 1_400_000, (1, 2, 1.5), (0.2, 0.1)),
    TickerSpec("NFLX", ("Netflix",), 601.0, 0.005, 250_000, (1, 2, 2), (0.1, 0.2)),
)
# In the symbol list and talked about, but it has no price file: the "delisted" case.
DELISTED = TickerSpec("BBBY", ("Bed Bath & Beyond",), 0.0, 0.0, 0, (0.35, 0.08, 0.04), (-0.6, -0.6))

# (posts, comments) per subreddit per day, before bots, spam and copypasta are added.
VOLUME = {"wallstreetbets": (170, 980), "stocks": (55, 230), "investing": (42, 160)}

# Accounts that are not people. The promo account posts the same link 20+ times a day.
AUTOMOD, VISUALMOD, STONK_BOT, REMIND_BOT = (
    "AutoModerator",
    "VisualMod",
    "stonk_bot_1234",
    "RemindMeBot",
)
PROMO_ACCOUNT = "moonshot_alerts_247"
PROMO_TEXT = (
    "🚀 Want 10x gains? Our FREE Discord calls every runner before it moves. "
    "Join now: https://discord.gg/m00nsh0t-alerts"
)
BOT_AUTHORS = (AUTOMOD, VISUALMOD, STONK_BOT, REMIND_BOT, PROMO_ACCOUNT)

# Same text, different ids and authors.
COPYPASTA = (
    "GME to the moon 🚀🚀🚀 diamond hands 💎🙌 not selling until $1000",
    "I am not a cat. I just like the stock. 🐱",
    "Hedgies r fuk 🦍🦍🦍 buy and HODL",
    "Positions or ban",
)
# Spam families: each posting changes one word or one punctuation mark (near duplicates).
SPAM_BASES = (
    "Tired of losing money? 📈 I turned $500 into $12k with these signals. "
    "DM me or check https://t.me/stonk_signals_pro",
    "FREE stock picks every morning!!! 100% accuracy this month, join us at "
    "https://t.me/stonk_signals_pro before it goes private",
)
SPAM_SWAPS = (
    ("losing", "burning"),
    ("money", "cash"),
    ("turned", "flipped"),
    ("$500", "$600"),
    ("$12k", "$15k"),
    ("signals", "alerts"),
    ("DM me", "message me"),
    ("check", "visit"),
    ("FREE", "Free"),
    ("every morning", "every day"),
    ("100%", "99%"),
    ("month", "week"),
    ("join us", "join"),
    ("!!!", "!"),
    ("?", "??"),
    ("private", "private!"),
    (". ", "! "),
    (" 📈", ""),
)

# Posts from before the sample (Sunday) that early Monday comments still point at.
PHANTOM_THREADS = {"wallstreetbets": "1b5nk2q", "stocks": "1b5mx0d", "investing": "1b5p3wz"}
PHANTOM_POSTS = ("1b5qa1c", "1b5r07x", "1b5rk3m", "1b5sz9e", "1b5ti2v")

MALFORMED_PLAN = (
    ("missing_id", 6),
    ("score_not_numeric", 6),
    ("created_utc_garbage", 6),
    ("body_is_list", 5),
    ("title_and_selftext_null", 5),
)

# ---------------------------------------------------------------------------------------------
# Text banks. {t} and {t2} are ticker mentions; {k} strike, {e} expiry, {p} percent, {m} money,
# {n} a small count, {pe} a P/E ratio, {c} the latest price.

BULL_WSB = (
    "{t} to the moon",
    "Just bought {n} more shares of {t}, diamond hands",
    "YOLO'd ${m} into {t} {k}c {e}. Wish me luck",
    "{t} calls printing today, tendies for dinner",
    "{t} short squeeze hasn't even started yet",
    "Loaded up on {t} before earnings, this is going to rip",
    "{t} breaking out, next stop ${k}",
    "Not selling my {t}, paper hands can leave",
    "{t} is the most undervalued stock in this market, change my mind",
    "Up {p}% on {t} this week, LFG",
    "{t} holding support like a champ, bought the dip",
    "Apes together strong, {t} forever",
    "{t} {k}c {e} is free money",
    "Wife's boyfriend finally let me buy {t} calls",
    "{t} gap up tomorrow, calling it now",
    "Diamond hands on {t} paid off, up ${m}",
)
BULL_FORMAL = (
    "I've been adding to my {t} position, long term the fundamentals look strong",
    "{t} beat expectations and revenue grew {p}% year over year",
    "Bought {t} at ${c} and planning to hold for 5+ years",
    "{t} has a solid balance sheet and growing free cash flow",
    "Analysts raised their price target on {t} to ${k}",
    "Still bullish on {t}, margins keep expanding",
    "{t} is a great company at a fair price right now",
)
BEAR_WSB = (
    "{t} is going to tank, loaded up on {k}p {e}",
    "Good time to sell {t}, we'll make a ton when it drops",
    "Good time to sell {t} calls, we'll make a ton on the premium when this dumps",
    "Bagholding {t} at ${k}, down {p}%",
    "{t} is a bubble, P/E of {pe} is insane",
    "Sold all my {t}, this thing is dead",
    "{t} puts are free money right now",
    "Lost ${m} on {t} calls today. I'm done",
    "{t} guidance was awful, expect a big drop",
    "Shorting {t} here, the chart looks terrible",
    "{t} bulls about to get wrecked",
    "Paper handed my {t} at the bottom again, of course",
    "Bought the top on {t}, now I'm a bagholder",
)
BEAR_FORMAL = (
    "{t} looks overvalued at these levels, trimming my position",
    "Worried about {t}'s margins after the last report",
    "{t} revenue growth is slowing, I'm out",
    "Sold my {t} today, too much downside risk here",
    "{t} at {pe}x earnings makes no sense to me",
    "Not touching {t} until it drops another {p}%",
)
NEUTRAL = (
    "What do you guys think about {t}?",
    "Anyone holding {t} through earnings?",
    "When does {t} report?",
    "{t} IV is crazy right now",
    "Is {t} a buy at these levels or should I wait?",
    "Thoughts on {t} vs {t2}?",
    "Any news on {t} today?",
    "Added {t} to my watchlist",
    "Why is {t} moving today?",
    "Holding {t} and {t2}, not doing anything until Friday",
    "{t} at ${c}, flat all day",
)
# Words that are also listed symbols, used as plain English (no ticker intended).
AMBIGUOUS = (
    "Press F for my portfolio",
    "F",
    "F in the chat for the bears",
    "Press F to pay respects to my calls",
    "ALL IN baby",
    "I'm going ALL IN tomorrow",
    "GO GO GO",
    "BUY NOW or regret it forever",
    "IT is what IT is",
    "Do your own DD",
    "Where is the DD?",
    "The CEO is a genius",
    "CEO just bought more shares, bullish",
    "Turn ON your brain before you trade",
    "HOLD THE LINE",
    "I AM NOT SELLING",
    "EDIT: typo",
    "EDIT: thanks for the award kind stranger",
    "GM apes ☀️",
    "Can't wait for the NEW ATH",
    "FREE money glitch",
    "LOVE this sub",
    "ONE more day of pain",
    "EV stocks are cooked",
    "AI is the future, everything else is noise",
    "TV said the market is going to crash",
    "YOLO",
    "I'm down bad NOW",
    "ARE you kidding me",
)
# The same short words when they do mean the listed company.
AMBIGUOUS_REAL = (
    "$F Ford EV sales were up this month, not bad for a boomer stock",
    "$T dividend is safe, AT&T is my boring income play",
    "$ON Semi looks cheap after the pullback",
    "$AI C3.ai reports this week, IV is through the roof",
    "$DD DuPont is a value play nobody talks about",
)
REACTIONS = (
    "This is the way",
    "Sir, this is a Wendy's",
    "Ban",
    "lmao",
    "Literally can't go tits up",
    "Guh",
    "Not financial advice",
    "I'm financially ruined",
    "Bought the top again",
    "We're so back",
    "It's so over",
    "Checks out",
    "Thanks for the tendies",
    "Bears in shambles",
    "Bulls r fuk",
    "Infinite money glitch",
    "My portfolio is a crime scene",
    "See you at Wendy's",
    "Imagine not having calls",
    "Who's still holding?",
    "Buy high sell low, the WSB way",
    "Theta gang eating good",
    "Be fearful when others are greedy",
    "Time in the market beats timing the market",
    "Just buy VTI and chill",
)
FAKE_CASHTAG = (
    "$MOASS is coming, trust me",
    "Can't stop won't stop $TENDIES",
)
EMOJI_BULL = ("🚀", "🚀🚀🚀", "💎🙌", "📈", "🦍🚀", "💎🙌🚀")
EMOJI_BEAR = ("🌈🐻", "📉", "💀", "🤡", "🌈🐻📉")
EMOJI_NEUTRAL = ("🤔", "👀")

DD_TITLES = (
    "DD: Why {t} is going to {dir} this month",
    "{t} - the most obvious play nobody is talking about",
    "The {name} thesis (long, with numbers)",
    "{t} DD: earnings, options flow and what the chart says",
)
YOLO_TITLES = {
    1: (
        "{t} YOLO update - {day}",
        "Gain porn: +${m} on {t} calls",
        "All in on {t}. See you on the moon or at Wendy's",
        "Am I the only one seeing this on {t}?",
    ),
    -1: (
        "{t} YOLO update - {day}",
        "Loss porn: -${m} on {t} calls, AMA",
        "{t} puts are about to print",
        "{t} is done, change my mind",
    ),
    0: (
        "{t} - what am I missing?",
        "{t} options chain is wild today",
    ),
}
FORMAL_TITLES = (
    "Thoughts on {name} after the latest news?",
    "Is it too late to buy {t}?",
    "Rate my portfolio: {t}, {t2} and some index funds",
    "Why is {t} {move} {p}% today?",
    "{t} vs {t2} for the long term?",
    "{name} is down {p}% from its high, buying opportunity?",
    "Trimming {t}, adding {t2} - reasonable?",
)
GENERAL_TITLES = (
    "Fed meeting next week, what are your plays?",
    "Jobs report Friday - hedging or YOLO?",
    "What's your best trade this year?",
    "How do you deal with a -50% portfolio?",
    "Roth IRA: SPY or QQQ?",
    "Is anyone else just holding cash right now?",
    "First time buying options, what should I know?",
)


@dataclass
class _Author:
    name: str
    created_utc: float
    link_karma: int
    comment_karma: int
    weight: float
    sub_weight: tuple[float, float, float]
    expose_metadata: bool = True


@dataclass
class _Item:
    kind: str  # "post" | "comment"
    sub: str
    t: int  # created, epoch seconds
    author: _Author | str
    title: str | None = None
    text: str = ""
    post: _Item | None = None  # comments: the post they belong to
    phantom_link: str | None = None  # comments on a post outside the sample (e.g. Sunday's thread)
    parent: _Item | None = None  # comments: the comment they reply to, if any
    mentions: list[tuple[str, int]] = field(default_factory=list)  # (symbol, polarity -1/0/1)
    tags: list[str] = field(default_factory=list)
    score: int = 1
    extra_comments: int = 0
    hot: float = 1.0
    children: list[_Item] = field(default_factory=list)
    id: str = ""
    retrieved: int = 0


def _epoch(day: date, minute: int = 0, second: int = 0) -> int:
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int(moment.timestamp()) + minute * 60 + second


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rem = divmod(number, 36)
        out = digits[rem] + out
    return out or "0"


def _slug(title: str | None) -> str:
    words = re.sub(r"[^a-z0-9]+", "_", (title or "").lower()).strip("_")
    return words[:50].rstrip("_") or "post"


def _minute_weights(sub: str) -> list[float]:
    """Activity by minute of the UTC day: US market hours dominate, nights are quiet."""
    weights = []
    for minute in range(1440):
        if 13 * 60 + 30 <= minute < 21 * 60:
            w = 2.6 if sub == "wallstreetbets" else 2.0
            if MARKET_OPEN_MINUTE <= minute < MARKET_OPEN_MINUTE + 60:
                w *= 1.4  # the opening bell
        elif 21 * 60 <= minute:
            w = 1.1
        elif minute < 4 * 60:
            w = 0.6
        elif minute < 10 * 60:
            w = 0.2
        else:
            w = 0.7
        weights.append(w)
    return weights


class _Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.specs = {s.symbol: s for s in (*TICKERS, DELISTED)}
        self.items: list[_Item] = []
        self.authors: list[_Author] = []
        self.bots: dict[str, _Author] = {}
        self.mood: dict[str, list[float]] = {}
        self.threads: dict[tuple[str, date], list[_Item]] = {}
        self.posts_by_sub: dict[str, list[_Item]] = {s: [] for s in SUBREDDITS}
        self.minute_cum = {s: list(accumulate(_minute_weights(s))) for s in SUBREDDITS}
        self.author_cum: dict[str, list[float]] = {}

    # -- small random helpers (arithmetic only, see module docstring) --------------------------

    def normal(self) -> float:
        return sum(self.rng.random() for _ in range(12)) - 6.0

    def heavy(self, scale: float) -> int:
        """A heavy-tailed positive count (Reddit scores): most small, a few huge."""
        return int(scale / (self.rng.random() + 0.004))

    def time_in(self, sub: str, day: date) -> int:
        minute = self.rng.choices(range(1440), cum_weights=self.minute_cum[sub])[0]
        return _epoch(day, minute, self.rng.randrange(60))

    # -- cast ---------------------------------------------------------------------------------

    def make_authors(self) -> None:
        adjectives = (
            "Sad", "Happy", "Salty", "Brave", "Lazy", "Crazy", "Quiet", "Spicy", "Smooth",
            "Lucky", "Fuzzy", "Rich", "Broke", "Hungry", "Sleepy", "Angry", "Shiny", "Rusty",
            "Golden", "Tired", "Clever", "Wild", "Bold", "Humble",
        )  # fmt: skip
        nouns = (
            "Tangerine", "Panda", "Otter", "Falcon", "Pickle", "Walrus", "Badger", "Taco",
            "Giraffe", "Lobster", "Mango", "Penguin", "Toaster", "Wizard", "Ape", "Hamster",
            "Donut", "Llama", "Cactus", "Pretzel", "Koala", "Banana",
        )  # fmt: skip
        wsb_words = (
            "tendie", "theta", "smooth_brain", "diamond_hand", "crayon", "bagholder", "yolo",
            "stonk", "wendys", "gamma", "moon", "ape", "degen", "bull", "bear", "put", "call",
        )  # fmt: skip
        seen: dict[str, bool] = {}
        first = _epoch(date(2011, 1, 1))
        last = _epoch(date(2024, 2, 25))
        while len(self.authors) < 1150:
            r = self.rng.random()
            if r < 0.55:
                name = (
                    f"{self.rng.choice(adjectives)}-{self.rng.choice(nouns)}-"
                    f"{self.rng.randrange(1000, 10000)}"
                )
            elif r < 0.85:
                name = f"{self.rng.choice(wsb_words)}_{self.rng.choice(wsb_words)}"
                if self.rng.random() < 0.6:
                    name += str(self.rng.randrange(1, 1000))
            else:
                name = f"{self.rng.choice(nouns).lower()}{self.rng.choice(wsb_words)}"
                name += str(self.rng.randrange(10, 100))
            if name in seen:
                continue
            seen[name] = True
            pref = self.rng.random()
            if pref < 0.6:
                sub_weight = (1.0, 0.15, 0.08)
            elif pref < 0.85:
                sub_weight = (0.3, 1.0, 0.4)
            else:
                sub_weight = (0.15, 0.4, 1.0)
            self.authors.append(
                _Author(
                    name=name,
                    created_utc=float(first + self.rng.randrange(last - first)),
                    link_karma=self.heavy(40),
                    comment_karma=self.heavy(300),
                    weight=1.0 / (1 + self.rng.random() * 20),
                    sub_weight=sub_weight,
                    expose_metadata=self.rng.random() > 0.04,
                )
            )
        bot_created = {
            AUTOMOD: _epoch(date(2012, 1, 5)),
            VISUALMOD: _epoch(date(2021, 1, 28)),
            STONK_BOT: _epoch(date(2024, 2, 11)),
            REMIND_BOT: _epoch(date(2016, 5, 3)),
            PROMO_ACCOUNT: _epoch(date(2024, 2, 29)),
        }
        for name in BOT_AUTHORS:
            self.bots[name] = _Author(
                name=name,
                created_utc=float(bot_created[name]),
                link_karma=1 if name == PROMO_ACCOUNT else 1000,
                comment_karma=3 if name == PROMO_ACCOUNT else 1_000_000,
                weight=0.0,
                sub_weight=(1.0, 1.0, 1.0),
            )

    def pick_author(self, sub: str) -> _Author:
        if sub not in self.author_cum:
            idx = SUBREDDITS.index(sub)
            weights = [a.weight * a.sub_weight[idx] for a in self.authors]
            self.author_cum[sub] = list(accumulate(weights))
        return self.rng.choices(self.authors, cum_weights=self.author_cum[sub])[0]

    def make_mood(self) -> None:
        """Per ticker, per 30-minute interval of both days: day bias plus a slow wander."""
        for spec in (*TICKERS, DELISTED):
            wander = 0.0
            values = []
            for day_index in range(len(DAYS)):
                for _ in range(48):
                    wander = 0.85 * wander + 0.3 * (self.rng.random() - 0.5) * 2
                    values.append(max(-1.0, min(1.0, spec.bias[day_index] + wander)))
            self.mood[spec.symbol] = values

    def mood_at(self, symbol: str, t: int) -> float:
        index = (t - _epoch(DAYS[0])) // BAR_SECONDS
        return self.mood[symbol][max(0, min(index, len(DAYS) * 48 - 1))]

    # -- text ---------------------------------------------------------------------------------

    def pick_symbol(self, sub: str, exclude: str | None = None) -> str:
        idx = SUBREDDITS.index(sub)
        pool = [s for s in (*TICKERS, DELISTED) if s.symbol != exclude]
        return self.rng.choices(pool, weights=[s.weight[idx] for s in pool])[0].symbol

    def mention(self, symbol: str, sub: str) -> str:
        spec = self.specs[symbol]
        r = self.rng.random()
        cashtag_share = 0.3 if sub == "wallstreetbets" else 0.15
        if r < cashtag_share:
            return f"${symbol}"
        if r < cashtag_share + 0.3 and spec.names:
            return self.rng.choice(spec.names)
        if r < cashtag_share + 0.34 and len(symbol) > 2:
            return symbol.lower()
        return symbol

    def polarity(self, symbol: str, t: int) -> int:
        s = self.mood_at(symbol, t)
        bull = 0.38 + 0.3 * s
        bear = 0.27 - 0.2 * s
        r = self.rng.random()
        return 1 if r < bull else (-1 if r < bull + bear else 0)

    def slots(self, symbol: str, sub: str, second: str | None = None) -> dict[str, str]:
        spec = self.specs[symbol]
        price = spec.price or 0.35
        offset = 1 + (self.rng.random() - 0.4) * 0.3
        strike = price * offset
        step = 0.5 if price < 10 else 1.0 if price < 50 else 5.0 if price < 200 else 10.0
        strike = max(step, int(strike / step + 0.5) * step)
        other = second or self.pick_symbol(sub, exclude=symbol)
        return {
            "t": self.mention(symbol, sub),
            "t2": self.mention(other, sub),
            "k": f"{strike:g}",
            "e": self.rng.choice(("3/8", "3/15", "3/22", "4/19", "6/21", "1/17/25")),
            "p": str(self.rng.randrange(3, 80)),
            "m": f"{self.rng.randrange(3, 400) * 100:,}",
            "n": str(self.rng.randrange(2, 300)),
            "pe": str(self.rng.randrange(35, 400)),
            "c": f"{price * (1 + (self.rng.random() - 0.5) * 0.04):.2f}",
            "name": spec.names[0] if spec.names else symbol,
            "dir": "rip" if self.rng.random() < 0.7 else "tank",
            "move": "up" if self.rng.random() < 0.5 else "down",
            "day": "",
        }

    def ticker_sentence(
        self, symbol: str, sub: str, t: int, slang: bool, pol: int | None = None
    ) -> tuple[str, int]:
        pol = self.polarity(symbol, t) if pol is None else pol
        bank: tuple[str, ...]
        if pol > 0:
            bank = BULL_WSB if slang else BULL_FORMAL
        elif pol < 0:
            bank = BEAR_WSB if slang else BEAR_FORMAL
        else:
            bank = NEUTRAL
        text = self.rng.choice(bank).format(**self.slots(symbol, sub))
        if slang and self.rng.random() < 0.45:
            emojis = EMOJI_BULL if pol > 0 else EMOJI_BEAR if pol < 0 else EMOJI_NEUTRAL
            text += " " + self.rng.choice(emojis)
        return text, pol

    def comment_text(self, item: _Item, focus: str | None) -> None:
        sub, slang = item.sub, item.sub == "wallstreetbets" or self.rng.random() < 0.2
        r = self.rng.random()
        parts: list[str] = []
        if r < 0.11:
            parts.append(self.rng.choice(REACTIONS))
            if slang and self.rng.random() < 0.3:
                parts.append(self.rng.choice(EMOJI_BULL + EMOJI_BEAR))
        elif r < 0.18:
            parts.append(self.rng.choice(AMBIGUOUS))
            if self.rng.random() < 0.4:
                symbol = focus or self.pick_symbol(sub)
                sentence, pol = self.ticker_sentence(symbol, sub, item.t, slang)
                parts.append(sentence)
                item.mentions.append((symbol, pol))
        elif r < 0.19:
            parts.append(self.rng.choice(AMBIGUOUS_REAL))
        elif r < 0.195:
            parts.append(self.rng.choice(FAKE_CASHTAG))
        else:
            symbol = focus if focus and self.rng.random() < 0.6 else self.pick_symbol(sub)
            sentence, pol = self.ticker_sentence(symbol, sub, item.t, slang)
            parts.append(sentence)
            item.mentions.append((symbol, pol))
            if self.rng.random() < 0.25:
                parts.append(self.rng.choice(REACTIONS + AMBIGUOUS[:8]))
            elif self.rng.random() < 0.12:
                other = self.pick_symbol(sub, exclude=symbol)
                sentence, pol = self.ticker_sentence(other, sub, item.t, slang)
                parts.append(sentence)
                item.mentions.append((other, pol))
        joiner = " " if self.rng.random() < 0.7 else "\n\n"
        item.text = joiner.join(
            p if p[-1] in ".!?🚀🙌📈📉💀🤡🐻👀🤔☀️🐱" else p + "." for p in parts
        )
        if len(parts) == 1 and self.rng.random() < 0.5:
            item.text = parts[0]

    def dd_body(self, symbol: str, sub: str, t: int) -> tuple[str, int]:
        spec = self.specs[symbol]
        name = spec.names[0] if spec.names else symbol
        s = self.slots(symbol, sub)
        pol = self.polarity(symbol, t)
        if pol == 0:
            pol = 1
        thesis = (
            f"I've been looking at {name} (${symbol}) for weeks and the market is sleeping on it."
            if pol > 0
            else f"Everyone here is euphoric about {name} (${symbol}). That is exactly the problem."
        )
        numbers = (
            f"Revenue last quarter grew {s['p']}% while the stock trades at {s['pe']}x earnings. "
            f"Short interest is around {self.rng.randrange(3, 30)}% of float and options volume "
            f"on the {s['k']} strike for {s['e']} is up {self.rng.randrange(2, 9)}x vs last week."
        )
        catalyst = self.rng.choice(
            (
                "Catalyst: earnings are close and guidance was conservative last time.",
                "Catalyst: the index rebalance and a product event this month.",
                "Catalyst: insiders have been buying and the CEO sounded confident on the call.",
                "Catalyst: none, just vibes and a chart that looks like a cup and handle.",
            )
        )
        if pol > 0:
            view = self.rng.choice(BULL_WSB).format(**s)
            position = (
                f"Positions: {s['n']} shares and {self.rng.randrange(2, 40)}x {s['k']}c {s['e']}."
            )
        else:
            view = self.rng.choice(BEAR_WSB).format(**s)
            position = f"Positions: {self.rng.randrange(2, 40)}x {s['k']}p {s['e']}."
        risks = self.rng.choice(
            (
                "Risks: macro, the Fed, and me being a smooth brain.",
                "Risks: dilution. They have done it before.",
                "Risks: I could be wrong, this is not financial advice.",
            )
        )
        paragraphs = [thesis, numbers, catalyst, view + ".", risks, position]
        if self.rng.random() < 0.5:
            paragraphs.insert(4, "TL;DR: " + ("🚀🚀🚀" if pol > 0 else "🌈🐻 puts"))
        return "\n\n".join(paragraphs), pol

    # -- posts --------------------------------------------------------------------------------

    def add_threads(self) -> None:
        labels = {
            "wallstreetbets": ("Daily Discussion Thread for {d}", 11 * 60),
            "stocks": ("r/Stocks Daily Discussion & Technicals - {d}", 10 * 60 + 30),
            "investing": ("Daily General Discussion and Advice Thread - {d}", 11 * 60 + 15),
        }
        rules = (
            "Your daily trading discussion thread. Please keep the shitposting to a minimum.\n\n"
            "Links: Earnings calendar | Economic calendar | Rules\n\n"
            "Be kind. No spam, no pump and dumps, no referral links."
        )
        for day in DAYS:
            for sub in SUBREDDITS:
                title, minute = labels[sub]
                thread = self.post(
                    sub,
                    _epoch(day, minute),
                    self.bots[AUTOMOD],
                    title.format(d=f"{day:%B %d, %Y}"),
                    rules,
                    ["bot", "thread"],
                )
                thread.score = 200 + self.rng.randrange(800)
                thread.extra_comments = 4000 + self.rng.randrange(9000)
                self.threads[(sub, day)] = [thread]
            moves = self.post(
                "wallstreetbets",
                _epoch(day, 20 * 60 + 30),
                self.bots[AUTOMOD],
                f"What Are Your Moves Tomorrow, {day:%B %d, %Y}",
                rules,
                ["bot", "thread"],
            )
            moves.extra_comments = 3000 + self.rng.randrange(6000)
            self.threads[("wallstreetbets", day)].append(moves)

    def post(
        self,
        sub: str,
        t: int,
        author: _Author | str,
        title: str,
        text: str,
        tags: list[str] | None = None,
    ) -> _Item:
        item = _Item("post", sub, t, author, title=title, text=text, tags=list(tags or []))
        item.score = self.heavy(3)
        item.hot = 0.5 + self.rng.random() * 2
        self.items.append(item)
        self.posts_by_sub[sub].append(item)
        return item

    def add_posts(self) -> None:
        for day in DAYS:
            for sub in SUBREDDITS:
                for _ in range(VOLUME[sub][0]):
                    self.add_one_post(sub, self.time_in(sub, day))

    def add_one_post(self, sub: str, t: int) -> None:
        author = self.pick_author(sub)
        symbol = self.pick_symbol(sub)
        r = self.rng.random()
        s = self.slots(symbol, sub)
        s["day"] = f"{datetime.fromtimestamp(t, tz=UTC):%A}"
        if sub == "wallstreetbets" and r < 0.18:
            title = self.rng.choice(DD_TITLES).format(**s)
            body, pol = self.dd_body(symbol, sub, t)
            item = self.post(sub, t, author, title, body, ["dd"])
            item.hot *= 3
        elif sub == "wallstreetbets" and r < 0.7:
            pol = self.polarity(symbol, t)
            title = self.rng.choice(YOLO_TITLES[pol]).format(**s)
            body = ""
            if self.rng.random() < 0.55:
                body = self.ticker_sentence(symbol, sub, t, True, pol)[0]
            item = self.post(sub, t, author, title, body)
        elif r < 0.85:
            title = self.rng.choice(FORMAL_TITLES).format(**s)
            body, pol = self.ticker_sentence(symbol, sub, t, sub == "wallstreetbets")
            if self.rng.random() < 0.6:
                more, _ = self.ticker_sentence(symbol, sub, t, False, pol)
                body += "\n\n" + more
            item = self.post(sub, t, author, title, body)
        else:
            title = self.rng.choice(GENERAL_TITLES)
            body = self.rng.choice(REACTIONS) + ". " + self.rng.choice(NEUTRAL).format(**s)
            pol = 0
            item = self.post(sub, t, author, title, body)
        item.mentions.append((symbol, pol))
        if self.rng.random() < 0.05:
            item.author = "[deleted]"
            item.text = "[removed]"
            item.tags.append("removed")

    def add_crossposts(self) -> None:
        """The same post in r/stocks and r/investing a few minutes apart: exact duplicates."""
        for day in DAYS:
            for _ in range(3):
                t = self.time_in("stocks", day)
                author = self.pick_author("stocks")
                symbol = self.pick_symbol("investing")
                s = self.slots(symbol, "investing")
                title = self.rng.choice(FORMAL_TITLES).format(**s)
                body, pol = self.ticker_sentence(symbol, "investing", t, False)
                for sub, delay in (("stocks", 0), ("investing", 60 + self.rng.randrange(600))):
                    item = self.post(sub, t + delay, author, title, body, ["crosspost"])
                    item.mentions.append((symbol, pol))

    # -- comments -----------------------------------------------------------------------------

    def thread_for(self, sub: str, t: int) -> _Item | None:
        current = None
        for day in DAYS:
            for thread in self.threads[(sub, day)]:
                if thread.t <= t:
                    current = thread
        return current

    def place_comment(self, item: _Item) -> None:
        """Attach to the live discussion thread, a recent post, or a post outside the sample."""
        sub, t = item.sub, item.t
        thread = self.thread_for(sub, t)
        share = 0.4 if sub == "wallstreetbets" else 0.3
        if self.rng.random() < share:
            if thread is None:
                item.phantom_link = PHANTOM_THREADS[sub]
                return
            item.post = thread
        else:
            recent = [p for p in self.posts_by_sub[sub] if t - 43200 < p.t < t - 30]
            if not recent:
                item.phantom_link = self.rng.choice(PHANTOM_POSTS)
                return
            weights = [p.hot / (1 + (t - p.t) / 3600) for p in recent]
            item.post = self.rng.choices(recent, weights=weights)[0]
        siblings = [c for c in item.post.children if c.t < t]
        if siblings and self.rng.random() < 0.45:
            item.parent = self.rng.choice(siblings)
        item.post.children.append(item)

    def add_comments(self) -> None:
        plan: list[_Item] = []
        for day in DAYS:
            for sub in SUBREDDITS:
                for _ in range(VOLUME[sub][1]):
                    t = self.time_in(sub, day)
                    plan.append(_Item("comment", sub, t, self.pick_author(sub)))
        plan.sort(key=lambda c: c.t)  # stable: ties keep generation order
        for item in plan:
            self.place_comment(item)
            focus = None
            if item.post is not None and item.post.mentions:
                focus = item.post.mentions[0][0]
            self.comment_text(item, focus)
            item.score = self.heavy(1.5) if self.rng.random() > 0.1 else -self.rng.randrange(1, 30)
            r = self.rng.random()
            if r < 0.03:
                item.author, item.text = "[deleted]", "[deleted]"
                item.tags.append("deleted")
                item.mentions.clear()
            elif r < 0.05:
                item.author, item.text = "[deleted]", "[removed]"
                item.tags.append("removed")
                item.mentions.clear()
            elif r < 0.06:
                item.text = "[removed]"  # removed by a moderator, author still known
                item.tags.append("removed")
                item.mentions.clear()
            self.items.append(item)

    def bot_comment(
        self, sub: str, t: int, author: str, text: str, on: _Item | None = None
    ) -> _Item:
        item = _Item("comment", sub, t, self.bots[author], text=text, tags=["bot"])
        if on is None:
            self.place_comment(item)
        else:
            item.post = on
            on.children.append(item)
        item.score = 1
        self.items.append(item)
        return item

    def add_bots(self) -> None:
        wsb_posts = [p for p in self.posts_by_sub["wallstreetbets"] if "thread" not in p.tags]
        for post in wsb_posts:
            if "dd" in post.tags or self.rng.random() < 0.12:
                report = (
                    "**User Report**| | | |\n:--|:--|:--|:--\n"
                    f"**Total Submissions** | {self.rng.randrange(1, 40)} | **First Seen In WSB** "
                    f"| {self.rng.randrange(1, 36)} months ago\n"
                    f"**Total Comments** | {self.rng.randrange(5, 3000)} | **Previous Best DD** |\n"
                    f"**Account Age** | {self.rng.randrange(1, 12)} years | |\n\n"
                    "[**Join WSB Discord**](https://discord.gg/wsbverse)"
                )
                self.bot_comment("wallstreetbets", post.t + 5, VISUALMOD, report, on=post)
            elif self.rng.random() < 0.1:
                text = (
                    "Your submission was automatically removed because your account does not "
                    "meet the minimum karma requirement. Please read the rules."
                )
                self.bot_comment("wallstreetbets", post.t + 3, AUTOMOD, text, on=post)
        for day in DAYS:
            for bar in range(BARS_PER_DAY):
                t = _epoch(day, MARKET_OPEN_MINUTE + bar * 30 + self.rng.randrange(25))
                symbol = self.pick_symbol("wallstreetbets")
                s = self.slots(symbol, "wallstreetbets")
                side = "C" if self.rng.random() < 0.55 else "P"
                text = (
                    f"🤖 Unusual options activity: ${symbol} {s['k']}{side} {s['e']} - "
                    f"{self.rng.randrange(500, 20000):,} contracts swept, premium ${s['m']}"
                )
                item = self.bot_comment("wallstreetbets", t, STONK_BOT, text)
                item.mentions.append((symbol, 0))
            for _ in range(24):
                sub = self.rng.choice(("wallstreetbets", "wallstreetbets", "stocks"))
                self.bot_comment(sub, self.time_in(sub, day), PROMO_ACCOUNT, PROMO_TEXT)
            for _ in range(4):
                sub = self.rng.choice(SUBREDDITS)
                t = self.time_in(sub, day)
                text = (
                    f"I will be messaging you in 1 day on [**{day:%Y-%m-%d}"
                    f" {self.rng.randrange(10, 23)}:{self.rng.randrange(10, 60)}:00 UTC**] to "
                    "remind you of [**this link**]\n\n^(Info | Custom | Your Reminders)"
                )
                self.bot_comment(sub, t, REMIND_BOT, text)

    def add_copypasta_and_spam(self) -> None:
        for text in COPYPASTA:
            for _ in range(6 + self.rng.randrange(4)):
                day = self.rng.choice(DAYS)
                sub = "wallstreetbets" if self.rng.random() < 0.85 else "stocks"
                item = _Item("comment", sub, self.time_in(sub, day), self.pick_author(sub))
                item.text, item.tags, item.score = text, ["copypasta"], self.heavy(2)
                if text.startswith("GME"):
                    item.mentions.append(("GME", 1))
                self.place_comment(item)
                self.items.append(item)
        for base in SPAM_BASES:
            swaps = [(old, new) for old, new in SPAM_SWAPS if old in base]
            self.rng.shuffle(swaps)
            for text in [base, *(base.replace(old, new, 1) for old, new in swaps)]:
                self.spam_comment(text)

    def spam_comment(self, text: str) -> None:
        """A throwaway account, days old, posting one variant of a spam family."""
        sub = self.rng.choice(SUBREDDITS)
        spammer = _Author(
            name=f"{self.rng.choice(('signal', 'alpha', 'trade', 'profit'))}_"
            f"{self.rng.choice(('king', 'guru', 'queen', 'pro'))}{self.rng.randrange(100, 999)}",
            created_utc=float(_epoch(date(2024, 3, 1)) + self.rng.randrange(200000)),
            link_karma=1,
            comment_karma=self.rng.randrange(-5, 5),
            weight=0.0,
            sub_weight=(1.0, 1.0, 1.0),
        )
        item = _Item("comment", sub, self.time_in(sub, self.rng.choice(DAYS)), spammer)
        item.text, item.tags, item.score = text, ["spam"], self.rng.randrange(-3, 2)
        self.place_comment(item)
        self.items.append(item)

    # -- records ------------------------------------------------------------------------------

    def assign_ids(self) -> None:
        ordered = sorted(self.items, key=lambda i: i.t)
        post_id = int("1b5z800", 36)
        comment_id = int("kt0a000", 36)
        for item in ordered:
            if item.kind == "post":
                post_id += 1 + self.rng.randrange(40)
                item.id = _base36(post_id)
            else:
                comment_id += 1 + self.rng.randrange(90)
                item.id = _base36(comment_id)
            item.retrieved = item.t + 60 + self.rng.randrange(840)

    def record(self, item: _Item) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "id": item.id,
            "subreddit": item.sub,
            "created_utc": float(item.t),
            "retrieved_utc": item.retrieved,
            "score": item.score,
        }
        author = item.author
        rec["author"] = author if isinstance(author, str) else author.name
        if isinstance(author, _Author) and author.expose_metadata:
            rec["author_created_utc"] = author.created_utc
            rec["author_link_karma"] = author.link_karma
            rec["author_comment_karma"] = author.comment_karma
        if item.kind == "post":
            rec["name"] = f"t3_{item.id}"
            rec["title"] = item.title
            rec["selftext"] = item.text
            rec["num_comments"] = len(item.children) + item.extra_comments
            rec["num_comments"] += self.rng.randrange(0, 3 * len(item.children) + 5)
            rec["permalink"] = f"/r/{item.sub}/comments/{item.id}/{_slug(item.title)}/"
        else:
            rec["name"] = f"t1_{item.id}"
            rec["body"] = item.text
            if item.post is not None:
                link_id, slug = item.post.id, _slug(item.post.title)
            else:
                link_id = item.phantom_link or PHANTOM_THREADS[item.sub]
                slug = (
                    "weekend_discussion_thread" if link_id in PHANTOM_THREADS.values() else "post"
                )
            rec["link_id"] = f"t3_{link_id}"
            rec["parent_id"] = f"t1_{item.parent.id}" if item.parent else f"t3_{link_id}"
            rec["permalink"] = f"/r/{item.sub}/comments/{link_id}/{slug}/{item.id}/"
        return rec

    def break_records(self, records: list[tuple[_Item, dict[str, Any]]]) -> int:
        """Damage a few ordinary records the way real dumps are damaged."""
        ordinary = [
            (item, rec)
            for item, rec in records
            if not item.tags and not isinstance(item.author, str) and item.text
        ]
        chosen = self.rng.sample(range(len(ordinary)), 200)
        broken = 0
        for kind, count in MALFORMED_PLAN:
            done = 0
            while done < count:
                item, rec = ordinary[chosen.pop()]
                if kind == "body_is_list" and item.kind != "comment":
                    continue
                if kind == "title_and_selftext_null" and item.kind != "post":
                    continue
                if kind == "missing_id":
                    del rec["id"], rec["name"]
                elif kind == "score_not_numeric":
                    rec["score"] = "lots"
                elif kind == "created_utc_garbage":
                    rec["created_utc"] = "yesterday"
                elif kind == "body_is_list":
                    rec["body"] = rec["body"].split()
                else:
                    rec["title"] = None
                    rec["selftext"] = None
                item.tags.append("malformed")
                done += 1
                broken += 1
        return broken

    # -- prices -------------------------------------------------------------------------------

    def prices(self) -> dict[str, list[str]]:
        """30-minute bars whose returns follow the mentions' sentiment of the preceding interval."""
        sums: dict[tuple[str, int], list[int]] = {}
        day0 = _epoch(DAYS[0])
        for item in self.items:
            for symbol, pol in item.mentions:
                key = (symbol, (item.t - day0) // BAR_SECONDS)
                sums.setdefault(key, []).append(pol)
        files: dict[str, list[str]] = {}
        for spec in TICKERS:
            close = spec.price
            lines = [PRICE_HEADER]
            for day_index, day in enumerate(DAYS):
                for bar in range(BARS_PER_DAY):
                    start = _epoch(day, MARKET_OPEN_MINUTE + bar * 30)
                    index = (start - day0) // BAR_SECONDS
                    pols = sums.get((spec.symbol, index - 1), [])
                    sentiment = (
                        sum(pols) / len(pols) if pols else 0.5 * self.mood[spec.symbol][index]
                    )
                    if bar == 0 and day_index > 0:
                        gap = spec.vol * (0.8 * self.mood[spec.symbol][index - 1] + self.normal())
                        close *= 1 + gap
                    open_ = close
                    ret = spec.vol * (0.9 * sentiment + 0.7 * self.normal())
                    close = open_ * (1 + ret)
                    high = max(open_, close) * (1 + spec.vol * 0.6 * self.rng.random())
                    low = min(open_, close) * (1 - spec.vol * 0.6 * self.rng.random())
                    shape = 2.0 if bar in (0, BARS_PER_DAY - 1) else 1.0
                    buzz = 1 + 0.15 * len(pols)
                    volume = int(spec.volume * shape * buzz * (0.7 + 0.6 * self.rng.random()))
                    stamp = datetime.fromtimestamp(start, tz=UTC).isoformat()
                    lines.append(f"{stamp},{open_:.4f},{high:.4f},{low:.4f},{close:.4f},{volume}")
            files[spec.symbol] = lines
        return files

    # -- all together -------------------------------------------------------------------------

    def build(self) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, int]]:
        self.make_authors()
        self.make_mood()
        self.add_threads()
        self.add_posts()
        self.add_crossposts()
        self.add_comments()
        self.add_bots()
        self.add_copypasta_and_spam()
        self.assign_ids()
        records = [(item, self.record(item)) for item in self.items]
        malformed = self.break_records(records)

        by_file: dict[str, list[tuple[int, int, str]]] = {}
        for order, (item, rec) in enumerate(records):
            when = item.retrieved if rec["created_utc"] == "yesterday" else item.t
            day = datetime.fromtimestamp(when, tz=UTC).date()
            path = f"reddit/subreddit={item.sub}/dt={day:%Y-%m-%d}.jsonl"
            line = json.dumps(rec, ensure_ascii=False, sort_keys=True)
            by_file.setdefault(path, []).append((when, order, line))
        reddit = {
            path: [line for *_, line in sorted(rows)] for path, rows in sorted(by_file.items())
        }

        texts: dict[str, int] = {}
        for _, rec in records:
            text = f"{rec.get('title') or ''}\n{rec.get('selftext') or rec.get('body') or ''}"
            if isinstance(rec.get("body"), list) or text.strip() in ("", "[deleted]", "[removed]"):
                continue
            texts[text] = texts.get(text, 0) + 1
        prices = self.prices()
        counts = {
            "records": len(records),
            "posts": sum(1 for item in self.items if item.kind == "post"),
            "comments": sum(1 for item in self.items if item.kind == "comment"),
            "reddit_files": len(reddit),
            "malformed": malformed,
            "exact_duplicates": sum(n - 1 for n in texts.values() if n > 1),
            "near_duplicates": sum(1 for item in self.items if "spam" in item.tags),
            "bot_records": sum(1 for item in self.items if "bot" in item.tags),
            "deleted_authors": sum(1 for _, rec in records if rec["author"] == "[deleted]"),
            "removed_bodies": sum(1 for item in self.items if "removed" in item.tags),
            "price_files": len(prices),
            "price_bars": sum(len(lines) - 1 for lines in prices.values()),
        }
        return reddit, prices, counts


def _readme(counts: dict[str, int]) -> str:
    rows = "\n".join(f"| {key} | {value} |" for key, value in counts.items())
    scope = fill(
        f"Days: {', '.join(str(d) for d in DAYS)}. Subreddits: {', '.join(SUBREDDITS)}. "
        f"{len(TICKERS)} tickers with prices: {', '.join(s.symbol for s in TICKERS)}.",
        width=100,
    )
    contents = fill(
        "Slang and emojis, cashtags, bare symbols, company names, English words that are also "
        "symbols (F, ALL, IT, DD, CEO, GO, NOW, ON...), bullish, bearish and neutral texts, "
        "copypasta (exact duplicates), spam that changes one word (near duplicates), bots "
        f"({', '.join(BOT_AUTHORS)}), `[deleted]` authors and `[removed]` bodies, and malformed "
        'records: a missing `id`, `score` as "lots", `created_utc` as "yesterday", `body` as a '
        "list, `title` and `selftext` both null.",
        width=100,
    )
    return f"""# Synthetic demo sample

**Everything here is synthetic.** It was written by `tools.generate_sample` (seed {SEED})
and is not real Reddit or market data: usernames, ids, texts and prices are invented. Regenerate
it, byte for byte, with:

    python -m tools.generate_sample include/tickerpulse/data/sample

## Layout

- `reddit/subreddit=<name>/dt=<YYYY-MM-DD>.jsonl`: one Reddit API `data` object per line (posts
  `t3`, comments `t1`), sorted by `created_utc` (records whose `created_utc` is unusable sit at
  their `retrieved_utc`).
- `prices/<TICKER>.csv`: 30-minute bars `bar_start,open,high,low,close,volume` for 14:30-21:00 UTC.
  Returns drift with the synthetic sentiment of the preceding interval. BBBY is mentioned but has
  no price file (the "delisted" case).

{scope}

## What it contains on purpose

{contents}

## Counts

| what | count |
| --- | --- |
{rows}
"""


def write_sample(out_dir: Path) -> dict[str, int]:
    """Write the sample under `out_dir` and return its counts.

    Stale `.jsonl`/`.csv` files from an earlier layout are removed so the folder always equals
    what the generator makes; nothing else in `out_dir` is touched.
    """
    out_dir = Path(out_dir)
    reddit, prices, counts = _Generator().build()
    wanted: dict[Path, str] = {}
    for rel, lines in reddit.items():
        wanted[out_dir / rel] = "\n".join(lines) + "\n"
    for symbol, lines in prices.items():
        wanted[out_dir / "prices" / f"{symbol}.csv"] = "\n".join(lines) + "\n"
    wanted[out_dir / "README.md"] = _readme(counts)
    for pattern in ("reddit/subreddit=*/dt=*.jsonl", "prices/*.csv"):
        for old in sorted(out_dir.glob(pattern)):
            if old not in wanted:
                old.unlink()
    for path, content in wanted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))
    return counts


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tools.generate_sample OUT_DIR", file=sys.stderr)
        return 2
    counts = write_sample(Path(args[0]))
    for key, value in counts.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
