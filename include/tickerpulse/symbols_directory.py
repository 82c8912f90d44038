"""The exchange symbol directory (NASDAQ Trader `nasdaqlisted.txt` / `otherlisted.txt`).

The packaged symbols.csv is a curated 85-row list for the offline demo; production validates
mentions against every listed US symbol. That list is ~9,700 symbols, most of which nobody on
Reddit has heard of, and hundreds of which are English words (ALL, CAN, LOVE, FUN) or Reddit
slang (YOLO, DD, CEO). So each symbol gets an ambiguity weight: the hand-set one from the packaged
list where we have it, else a rule that reads the symbol's shape (one letter, two letters, an
English or Reddit word) — a wrong "probably a word" costs a bare mention that now needs a finance
word nearby, while a wrong "surely a ticker" puts a word on the leaderboard, so the rule errs low.
"""

from __future__ import annotations

import csv
import io
import logging
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from tickerpulse.config import Settings, load_settings
from tickerpulse.symbols import Symbol, SymbolTable, canonical_symbol, load_symbols
from tickerpulse.tickers import COMMON_WORDS, STOP_WORDS
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.migrate import migrate
from tickerpulse.warehouse.queries import query

log = logging.getLogger(__name__)

# otherlisted.txt's Exchange column
EXCHANGES = {"A": "NYSE American", "N": "NYSE", "P": "NYSE ARCA", "Z": "Cboe BZX", "V": "IEX"}
WORD_AMBIGUITY = 0.05  # an English or Reddit word: a bare mention is almost never the ticker
ONE_LETTER_AMBIGUITY = 0.05
TWO_LETTER_AMBIGUITY = 0.3
DEFAULT_AMBIGUITY = 0.9  # 3-5 letters and not a word: GME, PLTR, TSLA
_FETCH_TIMEOUT = 60

# Names Reddit uses for symbols the packaged demo list does not carry (applied only when the
# directory lists the symbol). Kept to names that are not everyday words.
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "NKLA": ("Nikola",),
    "PTON": ("Peloton",),
    "APHA": ("Aphria",),
    "ATVI": ("Activision", "Activision Blizzard"),
    "CRSR": ("Corsair",),
    "SNDL": ("Sundial",),
    "MRNA": ("Moderna",),
    "PFE": ("Pfizer",),
    "BNTX": ("BioNTech",),
    "FUBO": ("fuboTV",),
    "DKNG": ("DraftKings",),
    "XPEV": ("Xpeng", "XPeng"),
    "LI": ("Li Auto",),
    "ZM": ("Zoom Video",),
    "SHOP": ("Shopify",),
    "SQ": ("Square",),
    "NKE": ("Nike",),
    "SBUX": ("Starbucks",),
    "MCD": ("McDonald's", "McDonalds"),
    "JNJ": ("Johnson & Johnson",),
    "WFC": ("Wells Fargo",),
    "GS": ("Goldman Sachs", "Goldman"),
    "MS": ("Morgan Stanley",),
    "C": ("Citigroup",),
    "CRM": ("Salesforce",),
    "ORCL": ("Oracle",),
    "CSCO": ("Cisco",),
    "QCOM": ("Qualcomm",),
    "MU": ("Micron",),
    "TSM": ("TSMC", "Taiwan Semiconductor"),
    "ABNB": ("Airbnb",),
    "PINS": ("Pinterest",),
    "ROKU": ("Roku",),
    "SPOT": ("Spotify",),
    "EXPR": ("Express Inc",),
    "NAKD": ("Naked Brand",),
    "KOSS": ("Koss",),
    "TLRY": ("Tilray",),
    "CGC": ("Canopy Growth",),
    "ACB": ("Aurora Cannabis",),
    "WKHS": ("Workhorse",),
    "FSR": ("Fisker",),
    "QS": ("QuantumScape",),
    "LMND": ("Lemonade Inc",),
    "PSTH": ("Pershing Square Tontine",),
    "BYND": ("Beyond Meat",),
    "CCIV": ("Churchill Capital IV",),
    "ZNGA": ("Zynga",),
    "EA": ("Electronic Arts",),
    "TTWO": ("Take-Two", "Take Two Interactive"),
    "LULU": ("Lululemon",),
    "UPST": ("Upstart",),
    "AMAT": ("Applied Materials",),
    "AVGO": ("Broadcom",),
    "ADBE": ("Adobe",),
    "NET": ("Cloudflare",),
    "SNOW": ("Snowflake",),
    "DDOG": ("Datadog",),
    "CRWD": ("CrowdStrike",),
    "DOCU": ("DocuSign",),
    "ETSY": ("Etsy",),
    "BIDU": ("Baidu",),
    "JD": ("JD.com",),
    "PDD": ("Pinduoduo",),
    "TME": ("Tencent Music",),
    "BILI": ("Bilibili",),
    "SE": ("Sea Limited",),
    "GE": ("General Electric",),
    "LMT": ("Lockheed Martin", "Lockheed"),
    "RTX": ("Raytheon",),
    "CVX": ("Chevron",),
    "OXY": ("Occidental",),
    "DAL": ("Delta Air Lines", "Delta Airlines"),
    "UAL": ("United Airlines",),
    "LUV": ("Southwest Airlines",),
    "RCL": ("Royal Caribbean",),
    "NCLH": ("Norwegian Cruise",),
    "MGM": ("MGM Resorts",),
    "WYNN": ("Wynn Resorts",),
    "SPWR": ("SunPower",),
    "ENPH": ("Enphase",),
    "FCEL": ("FuelCell Energy",),
    "PLUG": ("Plug Power",),
    "BLNK": ("Blink Charging",),
    "CHPT": ("ChargePoint",),
    "RKT": ("Rocket Companies",),
    "VALE": ("Vale",),
    "CLF": ("Cleveland-Cliffs", "Cleveland Cliffs"),
    "X": ("US Steel", "U.S. Steel"),
    "SLV": ("iShares Silver",),
    "GLD": ("SPDR Gold",),
    "TWLO": ("Twilio",),
    "SNE": ("Sony",),
    "NTDOY": ("Nintendo",),
    "HMC": ("Honda",),
    "TM": ("Toyota",),
    "MA": ("Mastercard",),
    "AXP": ("American Express",),
    "KO": ("Coca-Cola",),
    "PEP": ("PepsiCo", "Pepsi"),
    "HD": ("Home Depot",),
    "LOW": ("Lowe's",),
    "TGT": ("Target Corp",),
    "COST": ("Costco",),
    "BBY": ("Best Buy",),
    "CVS": ("CVS Health",),
    "WBA": ("Walgreens",),
    "UNH": ("UnitedHealth",),
    "ABBV": ("AbbVie",),
    "MRK": ("Merck",),
    "AZN": ("AstraZeneca",),
    "NVAX": ("Novavax",),
    "GILD": ("Gilead",),
    "REGN": ("Regeneron",),
    "SRNE": ("Sorrento",),
    "INO": ("Inovio",),
    "KNDI": ("Kandi",),
    "NIO": ("NIO Inc",),
    "GOOG": ("Alphabet Class C",),
    "CAAS": ("China Automotive Systems",),
    "SCHW": ("Schwab", "Charles Schwab"),
    "AVTR": ("Avantor",),
    "LRCX": ("Lam Research",),
}


def default_ambiguity(symbol: str) -> float:
    """How likely a bare mention of `symbol` means the ticker, from its shape alone."""
    key = canonical_symbol(symbol)
    letters = key.replace(".", "")
    if key in STOP_WORDS or key.casefold() in COMMON_WORDS:
        return WORD_AMBIGUITY
    if len(letters) == 1:
        return ONE_LETTER_AMBIGUITY
    if len(letters) == 2:
        return TWO_LETTER_AMBIGUITY
    return DEFAULT_AMBIGUITY


def _lines(text: str) -> Iterator[dict[str, str]]:
    body = [
        line for line in text.splitlines() if line.strip() and not line.startswith("File Creation")
    ]
    reader = csv.DictReader(io.StringIO("\n".join(body)), delimiter="|")
    for row in reader:
        yield {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def _symbol(raw: str) -> str:
    # NASDAQ Trader writes class shares as BRK.B (ACT/NASDAQ symbol); CQS as BRK/B.
    return canonical_symbol(raw)


def parse_nasdaqlisted(text: str) -> list[Symbol]:
    """Rows of `nasdaqlisted.txt` (Symbol|Security Name|Market Category|Test Issue|...|ETF|...)."""
    out = []
    for row in _lines(text):
        if "Symbol" not in row or not row["Symbol"]:
            raise ValueError("nasdaqlisted: no Symbol column (is this the right file?)")
        out.append(
            Symbol(
                symbol=_symbol(row["Symbol"]),
                name=row.get("Security Name", ""),
                exchange="NASDAQ",
                is_etf=row.get("ETF", "N") == "Y",
                test_issue=row.get("Test Issue", "N") == "Y",
                ambiguity=default_ambiguity(row["Symbol"]),
                aliases=(),
            )
        )
    return out


def parse_otherlisted(text: str) -> list[Symbol]:
    """Rows of `otherlisted.txt` (ACT Symbol|Security Name|Exchange|CQS Symbol|ETF|...)."""
    out = []
    for row in _lines(text):
        raw = row.get("NASDAQ Symbol") or row.get("ACT Symbol")
        if not raw:
            raise ValueError("otherlisted: no ACT Symbol column (is this the right file?)")
        out.append(
            Symbol(
                symbol=_symbol(raw),
                name=row.get("Security Name", ""),
                exchange=EXCHANGES.get(row.get("Exchange", ""), row.get("Exchange", "")),
                is_etf=row.get("ETF", "N") == "Y",
                test_issue=row.get("Test Issue", "N") == "Y",
                ambiguity=default_ambiguity(raw),
                aliases=(),
            )
        )
    return out


def read_source(url_or_path: str | Path) -> str:
    """The file at a URL (http, https, ftp, file) or a local path, as text."""
    target = str(url_or_path)
    if "://" not in target:
        return Path(target).read_text(encoding="utf-8", errors="replace")
    with urllib.request.urlopen(target, timeout=_FETCH_TIMEOUT) as response:  # noqa: S310
        data: bytes = response.read()
    return data.decode("utf-8", errors="replace")


def merge_curated(directory: Iterable[Symbol], curated: SymbolTable) -> list[Symbol]:
    """Directory rows with the curated ambiguity and aliases where the curated list knows the
    symbol. Curated symbols the directory lacks are left out: a delisted name must not be matched.
    Duplicates in the directory (a symbol in both files) keep the first row."""
    merged: dict[str, Symbol] = {}
    for sym in directory:
        if sym.symbol in merged:
            continue
        known = curated.get(sym.symbol)
        if known is not None:
            aliases = known.aliases or EXTRA_ALIASES.get(sym.symbol, ())
            sym = replace(
                sym,
                ambiguity=known.ambiguity,
                aliases=aliases,
                first_trade=known.first_trade,
                last_trade=known.last_trade,
            )
        elif sym.symbol in EXTRA_ALIASES:
            sym = replace(sym, aliases=EXTRA_ALIASES[sym.symbol])
        merged[sym.symbol] = sym
    return sorted(merged.values(), key=lambda s: s.symbol)


def directory_table(
    nasdaq: str | Path, other: str | Path, curated: SymbolTable | None = None
) -> SymbolTable:
    """The full directory as a SymbolTable, merged with the packaged weights and aliases."""
    rows = parse_nasdaqlisted(read_source(nasdaq)) + parse_otherlisted(read_source(other))
    return SymbolTable(merge_curated(rows, curated or load_symbols()), index_names=False)


def refresh_symbols(
    settings_or_dsn: Settings | str,
    nasdaq_url: str | Path | None = None,
    other_url: str | Path | None = None,
    seen_on: date | None = None,
) -> int:
    """Upsert the directory into tickerpulse.symbols; returns the number of rows written.

    Symbols that left the directory are kept (old posts still point at them) but their rows are
    not refreshed, so their `last_seen` stays the last day the directory listed them; `seen_on`
    (the refresh's day, default today in UTC) is recorded with the refresh, which is how a
    symbol that appeared or disappeared is told from one that was always there
    (`tickerpulse.symbols_history`). Both files are read before the transaction starts, so a
    failed download leaves the table as it was. The files default to the settings' URLs
    (TICKERPULSE_NASDAQ_LISTED_URL, TICKERPULSE_OTHER_LISTED_URL).
    """
    if nasdaq_url is None or other_url is None:
        settings = settings_or_dsn if isinstance(settings_or_dsn, Settings) else load_settings()
        nasdaq_url = settings.nasdaq_listed_url if nasdaq_url is None else nasdaq_url
        other_url = settings.other_listed_url if other_url is None else other_url
    seen_on = seen_on or datetime.now(UTC).date()
    table = directory_table(nasdaq_url, other_url)
    if len(table) < 100:
        raise ValueError(f"the symbol directory has only {len(table)} rows; refusing to load it")
    rows = [
        {
            "symbol": s.symbol,
            "name": s.name,
            "exchange": s.exchange,
            "is_etf": s.is_etf,
            "test_issue": s.test_issue,
            "ambiguity": s.ambiguity,
            "aliases": list(s.aliases),
            "first_trade": s.first_trade,
            "last_trade": s.last_trade,
            "seen_on": seen_on,
        }
        for s in table
    ]
    migrate(settings_or_dsn)
    with connect(settings_or_dsn) as conn, conn.cursor() as cur:
        cur.executemany(query("upsert_symbol"), rows)
        cur.execute(query("symbol_record_refresh"), {"refreshed_on": seen_on, "symbols": len(rows)})
    log.info("symbols: %d rows upserted from %s and %s", len(rows), nasdaq_url, other_url)
    return len(rows)


def load_symbols_from_db(settings_or_dsn: Settings | str) -> SymbolTable | None:
    """The warehouse's symbol table, or None when it has not been loaded yet (offline demo)."""
    with connect(settings_or_dsn) as conn, conn.cursor() as cur:
        cur.execute(query("select_symbols"))
        rows = cur.fetchall()
    if not rows:
        return None
    return SymbolTable(
        (
            Symbol(sym, name, exchange or "", is_etf, test_issue, ambiguity, tuple(aliases or ()))
            for sym, name, exchange, is_etf, test_issue, ambiguity, aliases in rows
        ),
        index_names=False,
    )
