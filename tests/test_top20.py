"""The top 20 of each day on the real WSB comments holds no word-like symbol unless cashtagged."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import UTC, datetime

from tests.conftest import shared_data
from tickerpulse.symbols_directory import directory_table
from tickerpulse.tickers import TickerExtractor

TRAPS = frozenset("ON ARE GO CAN IT DD YOLO FOR A I CEO ALL ONE NOW NEW EV".split())


def test_daily_top20_has_no_trap_words_unless_cashtagged() -> None:
    comments = shared_data("wsb_pushshift_esbenkc", "wsb_io.csv")
    table = directory_table(
        shared_data("us_tickers", "nasdaqlisted.txt"), shared_data("us_tickers", "otherlisted.txt")
    )
    extractor = TickerExtractor(table)
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    cashtagged: defaultdict[str, set[str]] = defaultdict(set)
    with comments.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            day = datetime.fromtimestamp(int(row["created_utc"]), UTC).date().isoformat()
            for mention in extractor.extract(row["title"]):  # `title` holds the comment body
                counts[day][mention.ticker] += 1
                if mention.how == "cashtag":
                    cashtagged[day].add(mention.ticker)
    assert len(counts) >= 10  # the file spans 16 days with comments
    for day, counter in counts.items():
        top = {ticker for ticker, _ in counter.most_common(20)}
        bad = (top & TRAPS) - cashtagged[day]
        assert not bad, f"{day}: {sorted(bad)} in the top 20 {counter.most_common(20)}"
    assert any("GME" in {t for t, _ in c.most_common(3)} for c in counts.values())
