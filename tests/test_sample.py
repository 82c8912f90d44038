"""The shipped demo sample is exactly what the generator makes, and has what it promises."""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter
from datetime import UTC, datetime
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from tools import generate_sample as generate

import tickerpulse

DATA_DIR = Path(tickerpulse.__file__).resolve().parent / "data"
SAMPLE = DATA_DIR / "sample"
SYMBOLS = DATA_DIR / "symbols.csv"


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def records() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(SAMPLE.glob("reddit/subreddit=*/dt=*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            out.append((path.relative_to(SAMPLE).as_posix(), json.loads(line)))
    return out


def _text(rec: dict[str, Any]) -> str:
    parts = [rec.get("title"), rec.get("selftext"), rec.get("body")]
    return "\n".join(p for p in parts if isinstance(p, str))


def test_shipped_sample_is_byte_identical_to_a_fresh_generation(tmp_path: Path) -> None:
    counts = generate.write_sample(tmp_path)
    fresh, shipped = _files(tmp_path), _files(SAMPLE)
    assert sorted(fresh) == sorted(shipped)
    for name, content in fresh.items():
        assert content == shipped[name], f"{name} differs: run python -m {generate.__name__}"
    assert counts["records"] == sum(
        c.count(b"\n") for n, c in fresh.items() if n.endswith(".jsonl")
    )
    assert f"| records | {counts['records']} |" in fresh["README.md"].decode()


def test_main_writes_the_sample_and_removes_stale_files(tmp_path: Path) -> None:
    stale = tmp_path / "prices" / "ZZZZ.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    assert generate.main([str(tmp_path)]) == 0
    assert not stale.exists()
    assert keep.read_text() == "mine"
    assert (tmp_path / "prices" / "GME.csv").is_file()
    assert generate.main([]) == 2


def test_sample_shape(records: list[tuple[str, dict[str, Any]]]) -> None:
    files = Counter(path for path, _ in records)
    assert len(files) == 6  # 3 subreddits x 2 days
    assert {p.split("/")[1] for p in files} == {
        "subreddit=wallstreetbets",
        "subreddit=stocks",
        "subreddit=investing",
    }
    assert 2500 <= len(records) <= 4000
    assert (SAMPLE / "README.md").read_text().lower().count("synthetic") >= 2
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 3 * 1024 * 1024
    market = [
        r
        for _, r in records
        if isinstance(r["created_utc"], float) and 13.5 <= (r["created_utc"] % 86400) / 3600 < 21
    ]
    assert len(market) / len(records) > 0.5  # 7.5 of 24 hours would be 31% if flat


def test_lines_are_canonical_sorted_and_in_their_day(records: list[tuple[str, Any]]) -> None:
    for path in sorted(SAMPLE.glob("reddit/subreddit=*/dt=*.jsonl")):
        day = datetime.fromisoformat(path.stem.removeprefix("dt=")).replace(tzinfo=UTC)
        times = []
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            assert json.dumps(rec, ensure_ascii=False, sort_keys=True) == line
            when = rec["created_utc"] if isinstance(rec["created_utc"], float) else None
            times.append(when if when is not None else rec["retrieved_utc"])
        assert times == sorted(times)
        assert day.timestamp() <= times[0]
        assert times[-1] < day.timestamp() + 86400


def test_records_look_like_reddit_things(records: list[tuple[str, Any]]) -> None:
    ids = [r["id"] for _, r in records if "id" in r]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[0-9a-z]{7}", i) for i in ids)
    comments = {r["id"]: r for _, r in records if r.get("name", "").startswith("t1_")}
    posts = {r["id"]: r for _, r in records if r.get("name", "").startswith("t3_")}
    assert len(posts) > 400
    assert len(comments) > 2000
    for rec in posts.values():
        assert rec["permalink"].startswith(f"/r/{rec['subreddit']}/comments/{rec['id']}/")
        assert isinstance(rec["num_comments"], int)
    resolved = 0
    for rec in comments.values():
        assert rec["link_id"].startswith("t3_")
        assert rec["permalink"].startswith(f"/r/{rec['subreddit']}/comments/{rec['link_id'][3:]}/")
        parent = rec["parent_id"]
        if parent.startswith("t1_"):
            resolved += parent[3:] in comments
        else:
            assert parent == rec["link_id"]
            resolved += 1
    assert resolved / len(comments) > 0.99
    in_sample_posts = sum(c["link_id"][3:] in posts for c in comments.values())
    assert in_sample_posts / len(comments) > 0.9
    for _, rec in records:
        if isinstance(rec["created_utc"], float):
            assert 60 <= rec["retrieved_utc"] - rec["created_utc"] <= 900
    with_karma = [r for _, r in records if "author_link_karma" in r]
    assert 0.8 < len(with_karma) / len(records) < 1


def test_malformed_records_are_present_and_rare(records: list[tuple[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    for _, rec in records:
        if "id" not in rec:
            kinds["missing_id"] += 1
        if rec["score"] == "lots":
            kinds["score"] += 1
        if rec["created_utc"] == "yesterday":
            kinds["created"] += 1
        if isinstance(rec.get("body"), list):
            kinds["body_list"] += 1
        if "title" in rec and rec["title"] is None and rec["selftext"] is None:
            kinds["title_null"] += 1
    assert set(kinds) == {"missing_id", "score", "created", "body_list", "title_null"}
    assert 0.005 <= sum(kinds.values()) / len(records) <= 0.01


def test_duplicates_near_duplicates_bots_and_deletions(records: list[tuple[str, Any]]) -> None:
    by_text: dict[str, list[dict[str, Any]]] = {}
    for _, rec in records:
        by_text.setdefault(_text(rec), []).append(rec)
    copypasta = by_text["I am not a cat. I just like the stock. 🐱"]
    assert len({r["author"] for r in copypasta}) >= 5
    assert len({r["id"] for r in copypasta}) == len(copypasta)

    spam = sorted(t for t in by_text if "t.me/stonk_signals_pro" in t)
    assert len(spam) >= 15
    for text in spam:  # every variant has a sibling that differs by one small edit
        assert (
            max(SequenceMatcher(None, text, other).ratio() for other in spam if other != text) > 0.9
        )

    authors = Counter(r["author"] for _, r in records)
    for bot in ("AutoModerator", "VisualMod", "stonk_bot_1234"):
        assert authors[bot] >= 5
    promo = [r for _, r in records if r["author"] == generate.PROMO_ACCOUNT]
    per_day = Counter(int(r["created_utc"] // 86400) for r in promo)
    assert len(per_day) == 2
    assert min(per_day.values()) >= 20
    assert len({_text(r) for r in promo}) == 1
    assert authors["[deleted]"] / len(records) > 0.01
    deleted = [r for _, r in records if r["author"] == "[deleted]"]
    assert all("author_link_karma" not in r for r in deleted)
    bodies = Counter(_text(r).split("\n")[-1] for _, r in records)
    assert bodies["[removed]"] >= 20
    assert bodies["[deleted]"] >= 20


def test_language_ingredients(records: list[tuple[str, Any]]) -> None:
    corpus = "\n".join(_text(r) for _, r in records)
    lower = corpus.lower()
    for slang in (
        "tendies", "diamond hands", "to the moon", "bagholder", "puts", "calls",
        "short squeeze", "paper hands", "yolo", "dd",
    ):  # fmt: skip
        assert slang in lower, slang
    for emoji in ("🚀", "💎", "🙌", "🌈🐻", "📉", "📈"):
        assert emoji in corpus, emoji
    for name in ("GameStop", "Tesla", "Nvidia", "Palantir", "Apple", "Disney"):
        assert name in corpus, name
    cashtags = Counter(re.findall(r"\$([A-Z]{1,5})\b", corpus))
    assert sum(cashtags.values()) > 300
    assert cashtags["GME"] > 10
    assert "MOASS" in cashtags  # a cashtag that is no listed symbol
    assert len(re.findall(r"\bGME\b", corpus)) > 50  # bare symbols too
    for phrase in ("Press F", "ALL IN", "IT is what IT is", "The CEO", "GO GO GO", "BUY NOW"):
        assert phrase in corpus, phrase
    assert "Good time to sell" in corpus
    assert "we'll make a ton" in corpus
    assert "BBBY" in corpus or "Bed Bath & Beyond" in corpus


def _symbols() -> list[dict[str, str]]:
    with SYMBOLS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_prices_cover_market_hours_for_each_ticker() -> None:
    files = sorted((SAMPLE / "prices").glob("*.csv"))
    tickers = [f.stem for f in files]
    assert len(tickers) == len(generate.TICKERS) == 30
    expected = [
        f"2024-03-0{d}T{h:02d}:{m:02d}:00+00:00"
        for d in (4, 5)
        for h, m in [(14 + (30 + 30 * i) // 60, (30 + 30 * i) % 60) for i in range(13)]
    ]
    for path in files:
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        assert path.read_text().startswith("bar_start,open,high,low,close,volume\n")
        assert [r["bar_start"] for r in rows] == expected
        for r in rows:
            o, h, lo, c = (float(r[k]) for k in ("open", "high", "low", "close"))
            assert lo <= min(o, c) <= max(o, c) <= h
            assert lo > 0
            assert all(re.fullmatch(r"\d+\.\d{4}", r[k]) for k in ("open", "high", "low", "close"))
            assert int(r["volume"]) > 0
    listed = {row["symbol"] for row in _symbols()}
    assert set(tickers) <= listed
    assert "BBBY" in listed
    assert "BBBY" not in tickers  # the delisted example


def test_prices_drift_with_the_text_sentiment(records: list[tuple[str, Any]]) -> None:
    """A plain lexicon scorer sees the correlation the generator built in."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    scores: dict[tuple[str, int], list[float]] = {}
    for _, rec in records:
        if not isinstance(rec["created_utc"], float):
            continue
        text = _text(rec)
        found = set(re.findall(r"\$?\b([A-Z]{2,5})\b", text))
        if not found:
            continue
        compound = analyzer.polarity_scores(text)["compound"]
        for symbol in found:
            scores.setdefault((symbol, int(rec["created_utc"] // 1800)), []).append(compound)
    xs, ys = [], []
    for path in sorted((SAMPLE / "prices").glob("*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            bucket = int(datetime.fromisoformat(row["bar_start"]).timestamp() // 1800) - 1
            values = scores.get((path.stem, bucket))
            if values:
                xs.append(sum(values) / len(values))
                ys.append(float(row["close"]) / float(row["open"]) - 1)
    assert len(xs) > 300
    assert statistics.correlation(xs, ys) > 0.1  # about 0.15 on the shipped sample


def test_symbol_list() -> None:
    rows = _symbols()
    with SYMBOLS.open(encoding="utf-8") as handle:
        header = handle.readline().strip()
    assert header == (
        "symbol,name,exchange,is_etf,test_issue,ambiguity,aliases,first_trade,last_trade"
    )
    assert 70 <= len(rows) <= 100
    by_symbol = {r["symbol"]: r for r in rows}
    assert len(by_symbol) == len(rows)
    for row in rows:
        assert 0 < float(row["ambiguity"]) <= 1
        assert row["is_etf"] in ("true", "false")
        assert row["test_issue"] in ("true", "false")
        assert row["name"]
        assert row["exchange"]
        assert re.fullmatch(r"[A-Z]{1,5}", row["symbol"])
    for word in ("ON", "ALL", "IT", "F", "T", "GO", "NOW", "FREE", "DD", "CEO", "A"):
        assert float(by_symbol[word]["ambiguity"]) <= 0.3, word
    for clear in ("GME", "AMD", "NVDA", "TSLA"):
        assert float(by_symbol[clear]["ambiguity"]) == 1.0
    assert "GameStop" in by_symbol["GME"]["aliases"].split("|")
    assert "the mouse" in by_symbol["DIS"]["aliases"].split("|")
    assert "Facebook" in by_symbol["META"]["aliases"].split("|")
    assert by_symbol["SPY"]["is_etf"] == "true"
    assert by_symbol["GME"]["is_etf"] == "false"
    # Trading dates, where known, bound when a mention may link (BBBY was delisted in 2023).
    assert by_symbol["BBBY"]["last_trade"] == "2023-05-02"
    for row in rows:
        for column in ("first_trade", "last_trade"):
            assert row[column] == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[column])
