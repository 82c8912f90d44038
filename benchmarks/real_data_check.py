"""The real-data check, printed: r/wallstreetbets comments of Jan–Feb 2021 (../shared/data) and
the daily prices of the period, loaded into a new warehouse and analysed end to end.

    .venv/bin/python benchmarks/real_data_check.py [DSN]

Without a DSN it starts an embedded PostgreSQL in a temporary folder. The numbers are a finding
about a small sample (about a dozen trading days per ticker), not a target.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the dev tooling (tools/) is not installed with the package

from tools.real_data import CHECK_TICKERS, run_check  # noqa: E402

from tickerpulse.analysis.scorecard import render  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:+.3f}" if isinstance(value, float) else str(value)


def main(argv: list[str]) -> int:
    comments = SHARED / "wsb_pushshift_esbenkc" / "wsb_io.csv"
    prices = SHARED / "stock_prices_daily"
    if not comments.exists() or not prices.exists():
        print(f"shared data not present under {SHARED}")
        return 1
    work = Path(tempfile.mkdtemp(prefix="tp-realdata-"))
    if len(argv) > 1:
        dsn = argv[1]
    else:
        from tickerpulse.warehouse.embedded import embedded_dsn

        dsn = embedded_dsn(work / "pgdata")
    result = run_check(dsn, comments, prices, work)
    print(f"loaded: {result['loaded']}")
    print(
        f"analysis: {result['analysis']['tickers']} tickers; "
        f"price calls {result['analysis']['fetched'].get('calls')}, re-run {result['rerun_calls']}"
    )
    print(f"mention prices: {result['mention_prices']}")
    print()
    print("ticker horizon metric         n  pearson  p      spearman p      best_lag lag_r")
    for t, h, m, n, r, rp, s, sp, lag, lag_r in result["correlations"]:
        print(
            f"{t:6} {h:7} {m:13} {n:3}  {_fmt(r):7} {_fmt(rp):6} {_fmt(s):8} {_fmt(sp):6} "
            f"{_fmt(lag):8} {_fmt(lag_r)}"
        )
    print()
    print("ticker  n  hits  hit_rate  always_up")
    for t, n, hits, rate, base in result["hit_rates"]:
        print(f"{t:6} {n:3} {_fmt(hits):5} {_fmt(rate):9} {_fmt(base)}")
    print()
    print(render(result["scorecard"]))
    missing = sorted(set(CHECK_TICKERS) - {row[0] for row in result["hit_rates"]})
    if missing:
        print(f"not analysed (too few mentions): {missing}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
