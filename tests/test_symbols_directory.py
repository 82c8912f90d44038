"""The NASDAQ Trader symbol directory: parsing, default ambiguity, merge and the warehouse load."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from tests.conftest import shared_data
from tickerpulse.symbols_directory import (
    default_ambiguity,
    directory_table,
    load_symbols_from_db,
    parse_nasdaqlisted,
    parse_otherlisted,
    refresh_symbols,
)
from tickerpulse.tickers import TickerExtractor

NASDAQ = """\
Symbol|Security Name|Market Category|Test Issue|Financial Status|Round Lot Size|ETF|NextShares
PLTR|Palantir Technologies Inc. - Class A Common Stock|Q|N|N|100|N|N
QQQ|Invesco QQQ Trust, Series 1|G|N|N|100|Y|N
ZVZZT|NASDAQ TEST STOCK|G|Y|N|100|N|N
File Creation Time: 0201202121:33||||||
"""
OTHER = """\
ACT Symbol|Security Name|Exchange|CQS Symbol|ETF|Round Lot Size|Test Issue|NASDAQ Symbol
GME|GameStop Corporation Common Stock|N|GME|N|100|N|GME
BRK.B|Berkshire Hathaway Inc. Class B|N|BRK/B|N|100|N|BRK.B
ON|ON Semiconductor Corporation Common Stock|N|ON|N|100|N|ON
LOVE|The Lovesac Company Common Stock|N|LOVE|N|100|N|LOVE
SPY|SPDR S&P 500|P|SPY|Y|100|N|SPY
File Creation Time: 0201202121:33||||||
"""


def test_parsers_read_both_formats() -> None:
    nasdaq = parse_nasdaqlisted(NASDAQ)
    assert [s.symbol for s in nasdaq] == ["PLTR", "QQQ", "ZVZZT"]
    assert nasdaq[1].is_etf
    assert nasdaq[2].test_issue
    assert nasdaq[0].exchange == "NASDAQ"
    other = {s.symbol: s for s in parse_otherlisted(OTHER)}
    assert set(other) == {"GME", "BRK.B", "ON", "LOVE", "SPY"}
    assert other["SPY"].exchange == "NYSE ARCA"
    assert other["SPY"].is_etf
    assert other["GME"].exchange == "NYSE"
    with pytest.raises(ValueError, match="Symbol"):
        parse_nasdaqlisted("a|b\n1|2\n")


def test_default_ambiguity_reads_the_symbol_shape() -> None:
    assert default_ambiguity("PLTR") == 0.9
    assert default_ambiguity("A") == 0.05
    assert default_ambiguity("IT") == 0.05  # stop-list
    assert default_ambiguity("LOVE") == 0.05
    assert default_ambiguity("TD") == 0.05
    assert default_ambiguity("XY") == 0.3


def test_directory_merges_curated_weights_and_aliases(tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text(NASDAQ)
    (tmp_path / "o.txt").write_text(OTHER)
    table = directory_table(tmp_path / "n.txt", tmp_path / "o.txt")
    on = table.get("ON")
    assert on is not None
    assert on.ambiguity == 0.1  # the packaged, hand-set weight
    assert table.by_alias("GameStop") == table.get("GME")
    assert table.by_alias("GameStop Corporation Common Stock") is None  # legal names not indexed
    assert "TSLA" not in table  # packaged symbols the directory lacks are not invented
    ex = TickerExtractor(table)
    assert ex.tickers("GME and PLTR, ON the moon, LOVE it, $ON calls") == ["GME", "PLTR", "ON"]


@pytest.mark.slow  # the whole real directory: about 6 s
def test_refresh_symbols_upserts_the_real_directory(fresh_db: str) -> None:
    nasdaq = shared_data("us_tickers", "nasdaqlisted.txt")
    other = shared_data("us_tickers", "otherlisted.txt")
    written = refresh_symbols(fresh_db, nasdaq_url=nasdaq.as_uri(), other_url=str(other))
    assert written > 9000
    assert refresh_symbols(fresh_db, nasdaq_url=str(nasdaq), other_url=str(other)) == written
    with psycopg2.connect(fresh_db) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM tickerpulse.symbols")
        assert cur.fetchone() == (written,)
        cur.execute(
            "SELECT symbol, exchange, is_etf, ambiguity, aliases FROM tickerpulse.symbols"
            " WHERE symbol IN ('GME', 'QQQ', 'ALL') ORDER BY symbol"
        )
        rows = cur.fetchall()
    assert rows[0][:4] == ("ALL", "NYSE", False, 0.1)
    assert rows[1][0] == "GME"
    assert "GameStop" in rows[1][4]
    assert rows[2][:3] == ("QQQ", "NASDAQ", True)
    table = load_symbols_from_db(fresh_db)
    assert table is not None
    assert len(table) == written


def test_refresh_refuses_a_truncated_directory(fresh_db: str, tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text(NASDAQ)
    (tmp_path / "o.txt").write_text(OTHER)
    with pytest.raises(ValueError, match="refusing"):
        refresh_symbols(fresh_db, nasdaq_url=tmp_path / "n.txt", other_url=tmp_path / "o.txt")
