"""The `tickerpulse` command line.

Each subcommand is one `_add_<name>(subparsers)` function that declares its arguments and sets
`handler`; adding a subcommand means writing one such function and listing it in SUBCOMMANDS.
Handlers return the process exit code; a `UsageError` (bad input the user can fix) becomes a
message on stderr and exit code 2, like argparse's own errors.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tickerpulse.choices import EVAL_SCORERS, Scorer, values

EXIT_OK = 0
EXIT_USAGE = 2
OUTPUT_HEADER = ("id", "sentiment", "label", "tickers")
LLM_BATCH = 20


class UsageError(Exception):
    """Input the user can fix: a missing file, a bad extension, a missing column."""


def read_posts(path: Path) -> list[tuple[str, str]]:
    """(id, text) pairs in file order, from CSV or JSON Lines by extension (evaluation.datasets)."""
    from tickerpulse.evaluation.datasets import DatasetError, read_texts

    try:
        return read_texts(path)
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc


def _llm_setting(field: str) -> str:
    """One of the settings the CLI's LLM needs (tasks use the llm_default connection instead)."""
    from pydantic import SecretStr

    from tickerpulse.config import Settings

    value = getattr(_settings(), field)
    text = (value.get_secret_value() if isinstance(value, SecretStr) else value or "").strip()
    if not text:
        raise UsageError(f"--scorer llm needs the environment variable {Settings.env_var(field)}")
    return text


def _settings() -> Any:
    """The settings, or a usage error naming the variable that does not parse."""
    from tickerpulse.config import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as exc:
        raise UsageError(str(exc)) from exc


def _llm_scores(posts: list[tuple[str, str]], tickers: list[list[str]]) -> list[tuple[float, str]]:
    """Per-post score from the LLM: the mean over the post's tickers; unscored posts are 0.0."""
    from tickerpulse.scoring.base import PostToScore
    from tickerpulse.scoring.llm import LlmScorer  # type: ignore[import-not-found,unused-ignore]

    scorer = LlmScorer(
        _llm_setting("llm_base_url"),
        _llm_setting("llm_api_key"),
        _llm_setting("llm_model"),
    )
    by_post: dict[str, list[float]] = {}
    unscored = 0
    chunks = [
        [
            PostToScore(pid, text, tuple(tks))
            for (pid, text), tks in zip(
                posts[start : start + LLM_BATCH], tickers[start : start + LLM_BATCH], strict=True
            )
        ]
        for start in range(0, len(posts), LLM_BATCH)
    ]
    for result in scorer.score_batches(chunks):  # concurrent, under one rate limiter
        for s in result.scores:
            by_post.setdefault(s.post_id, []).append(s.score)
        unscored += len(result.unscored)
    if unscored:
        print(f"warning: {unscored} post(s) unscored by the LLM; written as 0.0", file=sys.stderr)
    return [(sum(v) / len(v), "") if (v := by_post.get(pid)) else (0.0, "") for pid, _text in posts]


def _run_score(args: argparse.Namespace) -> int:
    from tickerpulse.scoring.base import label_for
    from tickerpulse.symbols import load_symbols
    from tickerpulse.tickers import TickerExtractor

    posts = read_posts(Path(args.input))
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"{output}: directory {output.parent} does not exist")
    try:
        symbols = load_symbols(Path(args.symbols) if args.symbols else None)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot load the symbol list: {exc}") from exc
    extractor = TickerExtractor(symbols)
    tickers = [extractor.tickers(text) for _pid, text in posts]
    if args.scorer == Scorer.LLM:
        scores = _llm_scores(posts, tickers)
    else:
        from tickerpulse.scoring.offline import OfflineScorer

        scorer = OfflineScorer()
        scores = [scorer.score_text(text) for _pid, text in posts]
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(OUTPUT_HEADER)
            for (post_id, _text), (score, _why), tks in zip(posts, scores, tickers, strict=True):
                value = round(max(-1.0, min(1.0, score)), 4) + 0.0  # + 0.0 turns -0.0 into 0.0
                writer.writerow((post_id, f"{value:.4f}", label_for(value), ";".join(tks)))
    except OSError as exc:
        raise UsageError(f"{output}: cannot write: {exc}") from exc
    print(f"scored {len(posts)} posts with {args.scorer} -> {output}", file=sys.stderr)
    return EXIT_OK


def _add_score(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "score",
        help="score the sentiment of texts in a CSV or JSON Lines file",
        description="Read id,text rows (CSV or JSON Lines, by extension) and write "
        "id,sentiment,label,tickers as CSV, one row per input row, in input order.",
    )
    p.add_argument("input", help="input file: .csv, .jsonl or .json-lines with columns id and text")
    p.add_argument("--output", "-o", required=True, help="output CSV path")
    p.add_argument("--scorer", choices=values(Scorer), default=Scorer.OFFLINE.value)
    p.add_argument(
        "--symbols", help="symbol list CSV to extract tickers with (default: the packaged list)"
    )
    p.set_defaults(handler=_run_score)


def _run_eval(args: argparse.Namespace) -> int:
    """Score a labelled dataset, print the metrics next to the baseline, report, store."""
    import re
    from datetime import UTC, datetime

    from tickerpulse.evaluation.datasets import DatasetError
    from tickerpulse.evaluation.report import comparison, summary
    from tickerpulse.evaluation.runner import run_eval
    from tickerpulse.evaluation.scorers import llm_connection_from_settings

    if args.prompt_version and args.scorer != Scorer.LLM:
        raise UsageError("--prompt-version only applies to --scorer llm")
    connection = None
    if args.scorer == Scorer.LLM:
        for field in ("llm_base_url", "llm_api_key", "llm_model"):
            _llm_setting(field)
        connection = llm_connection_from_settings(_settings())
    started_at = datetime.now(UTC)
    settings = None
    if args.report:
        report = Path(args.report)
    else:
        settings = _settings()
        stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(args.dataset).stem)
        report = settings.home / "eval_reports" / f"{stem}-{args.scorer}-{stamp}.md"
    if not report.parent.is_dir() and args.report:
        raise UsageError(f"{report}: directory {report.parent} does not exist")
    store = None
    if not args.no_store:
        store = settings or _settings()
    try:
        results = run_eval(
            args.dataset,
            args.scorer,
            started_at=started_at,
            prompt_version=args.prompt_version,
            llm_connection=connection,
            report_path=report,
            baseline=None if args.no_baseline else "vader",
            store=store,
        )
    except DatasetError as exc:
        raise UsageError(str(exc)) from exc
    except (ValueError, FileNotFoundError) as exc:  # unknown prompt version, bad LLM settings
        raise UsageError(str(exc)) from exc
    for result in results:
        print(summary(result))
        print()
    if len(results) > 1:
        print(comparison(results))
    if store is not None:
        print(f"stored {len(results)} eval run(s) in tickerpulse.eval_runs", file=sys.stderr)
    return EXIT_OK


def _add_eval(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "eval",
        help="measure a sentiment scorer on a labelled dataset",
        description="Score a labelled dataset and print accuracy, macro-F1, the confusion matrix "
        "and throughput (plus Pearson, Spearman and cosine when the gold is a score), next to "
        "the generic VADER baseline measured in the same run. Misclassified examples, with the "
        "scorer's reasoning, go to a report file; every run is stored in tickerpulse.eval_runs.",
    )
    p.add_argument(
        "dataset",
        help="Financial PhraseBank .txt (sentence@label, latin-1), or .csv / .jsonl with id, "
        "text and label (positive|negative|neutral or bullish|bearish|neutral) or score in [-1, 1]",
    )
    p.add_argument("--scorer", choices=EVAL_SCORERS, default=Scorer.OFFLINE.value)
    p.add_argument("--prompt-version", help="prompt version for --scorer llm (default: v1)")
    p.add_argument("--report", help="report path (default: $TICKERPULSE_HOME/eval_reports/...)")
    p.add_argument("--no-store", action="store_true", help="do not store the run in the warehouse")
    p.add_argument(
        "--no-baseline", action="store_true", help="do not also measure generic VADER in this run"
    )
    p.set_defaults(handler=_run_eval)


def _add_report(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tickerpulse report`: PNG charts of sentiment against price for the top tickers."""
    from datetime import UTC, datetime, timedelta

    def parse_time(text: str, flag: str) -> datetime:
        # ISO 8601; a trailing Z is UTC and so is a time without a zone (the warehouse is UTC).
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(
                f"{flag} {text!r} is not an ISO 8601 time (e.g. 2024-03-05T14:00Z)"
            ) from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def run(args: argparse.Namespace) -> int:
        from tickerpulse.report import data_range, write_report

        if args.top < 1:
            raise UsageError("--top must be at least 1")
        start = parse_time(args.start, "--from") if args.start else None
        end = parse_time(args.end, "--to") if args.end else None
        settings = _settings()
        if start is None or end is None:
            available = data_range(settings)
            if available is None:
                raise UsageError("the warehouse has no sentiment yet: run the pipeline first")
            end = end or available[1]
            start = start or end - timedelta(hours=24)
        if end <= start:
            raise UsageError(f"--to {end.isoformat()} is not after --from {start.isoformat()}")
        out_dir = Path(args.out)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{out_dir}: cannot create: {exc}") from exc
        paths = write_report(settings, start, end, out_dir, top=args.top)
        if not paths:
            available = data_range(settings)
            hint = (
                f"; the warehouse has data from {available[0].isoformat()}"
                f" to {available[1].isoformat()}"
                if available
                else ""
            )
            raise UsageError(f"no mentions between {start.isoformat()} and {end.isoformat()}{hint}")
        for path in paths:
            print(path)
        from tickerpulse.analysis.scorecard import latest, render

        card = latest(settings, end.date())
        text = render(card) if card else "signal scorecard: none yet (run sentiment_analysis)"
        (out_dir / "scorecard.txt").write_text(text + "\n", encoding="utf-8")
        print(text)
        return EXIT_OK

    p = subparsers.add_parser(
        "report",
        help="write PNG charts of sentiment against price for the top tickers",
        description="Read the warehouse and write one PNG per most-mentioned ticker over a time "
        "range: sentiment (weighted and raw) against the close, above the mentions. Prints the "
        "paths, then the latest signal scorecard (rank IC with Newey-West t and hit rate, "
        "labelled 'not significant' where so), also written to scorecard.txt. Without --to, "
        "the range ends at the latest loaded bucket; without --from, it starts 24 hours before "
        "its end.",
    )
    p.add_argument("--from", dest="start", metavar="ISO", help="start, e.g. 2024-03-05T14:00Z")
    p.add_argument("--to", dest="end", metavar="ISO", help="end (exclusive)")
    p.add_argument("--top", type=int, default=5, metavar="N", help="how many tickers (default 5)")
    p.add_argument("--out", default="report", metavar="DIR", help="output folder (default: report)")
    p.set_defaults(handler=run)


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    _add_score,
    _add_eval,
    _add_report,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tickerpulse", description="Ticker Pulse: Reddit stock sentiment tools."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as exc:
        print(f"tickerpulse {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _add_explain(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tickerpulse explain TICKER --at TIME`: the posts behind one ticker's 30-minute bucket."""
    from datetime import UTC, datetime

    def run(args: argparse.Namespace) -> int:
        from tickerpulse.explain import explain

        ticker = args.ticker.strip().lstrip("$").upper()
        if not ticker or not ticker.replace(".", "").replace("-", "").isalnum():
            raise UsageError(f"{args.ticker!r} is not a ticker symbol")
        try:
            at = datetime.fromisoformat(args.at.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(f"--at {args.at!r} is not an ISO 8601 time") from exc
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        result = explain(_settings(), ticker, at)
        if not result.contributions and result.stored is None:
            raise UsageError(
                f"no mentions of {result.ticker} in the bucket starting "
                f"{result.bucket_start.isoformat()}"
            )
        print(result.render())
        return EXIT_OK

    p = subparsers.add_parser(
        "explain",
        help="list the posts behind one ticker's 30-minute sentiment",
        description="Print the rollup of the 30-minute bucket containing --at for TICKER, and "
        "every post that contributed: its weight and what it is made of (ambiguity, time decay, "
        "source, upvotes), its score, the scorer's reasoning and the permalink.",
    )
    p.add_argument("ticker", metavar="TICKER", help="e.g. GME or $GME")
    p.add_argument(
        "--at", required=True, metavar="ISO", help="a time in the bucket, e.g. 2024-03-05T14:10Z"
    )
    p.set_defaults(handler=run)


SUBCOMMANDS.append(_add_explain)


def _add_api(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tickerpulse api`: serve the read-only JSON API (tickerpulse.api.app) with uvicorn."""

    def run(args: argparse.Namespace) -> int:
        import uvicorn

        from tickerpulse.api.app import create_app
        from tickerpulse.api.db import ReaderCheckFailed, ReaderPool, local_reader_dsn
        from tickerpulse.config import load_settings

        settings = load_settings()
        dsn = settings.api_database_url or local_reader_dsn(settings)
        try:
            pool = ReaderPool(dsn)
        except ReaderCheckFailed as exc:
            raise UsageError(str(exc)) from exc
        print(f"serving as the read-only login {pool.user!r} on http://{args.host}:{args.port}")
        uvicorn.run(create_app(pool), host=args.host, port=args.port, log_level="info")
        return EXIT_OK

    p = subparsers.add_parser(
        "api",
        help="serve the read-only JSON API (leaderboard, series, posts behind a bucket)",
        description="Serve the JSON API over the warehouse as a login that can only read "
        "(TICKERPULSE_API_DATABASE_URL; without it a local passwordless login tickerpulse_api "
        "is created as a member of tickerpulse_reader). OpenAPI at /docs and /openapi.json.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(handler=run)


SUBCOMMANDS.append(_add_api)


def _add_import(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tickerpulse import PATH...`: Reddit archives into the raw zone, ready for a backfill."""

    def run(args: argparse.Namespace) -> int:
        import time

        from tickerpulse.archive.importer import (
            DEFAULT_CHECKPOINT_LINES,
            ArchiveImportError,
            run_import,
        )
        from tickerpulse.archive.summary import render
        from tickerpulse.config import load_settings
        from tickerpulse.lake import Lake

        settings = load_settings()
        bars: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            from tqdm import tqdm

            bar = bars.get(stage)
            if bar is None:
                for earlier in bars.values():
                    earlier.close()
                unit = {"read": "B", "merge": " partitions"}[stage]
                desc = {"read": "reading", "merge": "merging"}[stage]
                bar = bars[stage] = tqdm(
                    total=total, unit=unit, unit_scale=stage == "read", desc=desc, file=sys.stderr
                )
            bar.update(done - bar.n)

        began = time.monotonic()
        try:
            report = run_import(
                [Path(p) for p in args.paths],
                Lake(settings.lake_url),
                settings.home / "imports",
                subreddits=args.subreddit or None,
                checkpoint_lines=args.checkpoint_lines or DEFAULT_CHECKPOINT_LINES,
                progress=None if args.no_progress else progress,
            )
        except ArchiveImportError as exc:
            raise UsageError(str(exc)) from exc
        finally:
            for bar in bars.values():
                bar.close()
        print(render(report, settings.start_date, time.monotonic() - began))
        return EXIT_OK if report.adds_up else 1

    p = subparsers.add_parser(
        "import",
        help="import Reddit archives (Pushshift / Reddit-API NDJSON, .gz, .zst) into the raw zone",
        description="Stream submissions and comments from NDJSON files (plain, .gz or .zst; "
        "Pushshift dumps or Reddit API listings) into the raw zone's 30-minute partitions, "
        "exactly as extract writes them, merged by fullname with what is already there. "
        "Memory stays bounded whatever the file size; a killed import resumes from its last "
        "checkpoint when run again with the same files. Prints every line's fate, a "
        "per-subreddit per-day summary and the backfill command to run next.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="archive files (.ndjson, .gz, .zst)")
    p.add_argument(
        "--subreddit",
        action="append",
        metavar="NAME",
        help="import only this subreddit (repeatable); other lines are counted as skipped",
    )
    p.add_argument(
        "--checkpoint-lines",
        type=int,
        metavar="N",
        help="lines between resumable checkpoints (default 100000)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(handler=run)


SUBCOMMANDS.append(_add_import)


if __name__ == "__main__":
    sys.exit(main())


def _add_collect(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tickerpulse collect`: keep every subreddit's listings within reach (docs/COVERAGE.md)."""

    def run(args: argparse.Namespace) -> int:
        import signal
        import threading
        from datetime import datetime

        from tickerpulse.collector import collector_from_settings
        from tickerpulse.config import load_settings

        settings = load_settings()
        if settings.reddit_source not in {"praw", "live"}:
            raise UsageError(
                "the collector reads live Reddit: set TICKERPULSE_REDDIT_SOURCE=praw and the "
                f"connection {settings.reddit_conn_id!r} (see .env.example)"
            )
        subreddits = [s.strip() for s in (args.subreddits or "").split(",") if s.strip()]
        collector = collector_from_settings(settings, subreddits or list(settings.subreddits))
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):  # stop between polls: no half-written state
            signal.signal(sig, lambda *_: stop.set())
        until = datetime.fromisoformat(args.until).timestamp() if args.until else None
        print(
            f"collecting r/{', r/'.join(collector.subreddits)} into "
            f"{collector.lake.url('landing/reddit')} (Ctrl-C stops after the current poll)"
        )
        polls = collector.run(until=until, stop=stop, sleep_until_stop=True)
        print(f"stopped after {polls} polls, {collector.source.requests_sent} requests")
        return EXIT_OK

    p = subparsers.add_parser(
        "collect",
        help="poll each subreddit's post and comment listings into the lake's landing zone",
        description="Run the collector: it polls /r/<sub>/new and /r/<sub>/comments often "
        "enough never to fall past the listing's ~1,000-item reach and lands what it sees in "
        "landing/reddit/ in the lake; extract then builds each interval from those files plus "
        "a final sweep. Restart it at will: it resumes from its checkpoints.",
    )
    p.add_argument("--subreddits", metavar="A,B", help="default: TICKERPULSE_SUBREDDITS")
    p.add_argument("--until", metavar="ISO", help="stop at this time (default: run until stopped)")
    p.set_defaults(handler=run)


SUBCOMMANDS.append(_add_collect)
