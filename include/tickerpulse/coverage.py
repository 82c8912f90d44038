"""Coverage: which seconds of an interval some listing walk saw, and what was probably missed.

A Reddit listing (`/r/<sub>/new`, `/r/<sub>/comments`) is newest first and reaches back only about
1,000 items. A walk that starts at time `to` and reads pages until it passes an item older than
`from` has seen everything created in `[from, to)`: that span is *covered*. A walk that ran out
of listing first (the reach ended) covers only back to the oldest item it got. A window is
*complete* when the union of the covered spans of every walk of a listing contains it; the
seconds outside are the uncovered spans, and the items created in them are estimated from the
rate the walks observed (items seen per covered second). The estimate is honest about its basis:
a burst that starts inside an uncovered span is not seen, and a walk that saw only a burst
extrapolates the burst.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

POSTS = "posts"
COMMENTS = "comments"
LISTINGS = (POSTS, COMMENTS)
# A listing that ended with fewer items than this held the subreddit's whole history (Reddit's
# reach is "about 1,000": 979 comments were seen in one real walk), so it covers everything
# before its oldest item too. At or above it, the end of the listing is the end of the reach.
REACH_FLOOR = 900


@dataclass(frozen=True)
class ListingWalk:
    """What one walk of one listing saw: every item created in `[covered_from, covered_to)`."""

    listing: str  # POSTS or COMMENTS
    covered_from: float  # epoch seconds
    covered_to: float  # epoch seconds: when the walk read the listing's first page
    items: int  # items the walk saw in its covered span
    requests: int  # listing pages read

    @property
    def span(self) -> float:
        return max(0.0, self.covered_to - self.covered_from)


def walk_of(
    listing: str,
    started: float,
    oldest: float | None,
    items: int,
    requests: int,
    passed_start: bool,
    exhausted: bool,
    newest: float | None = None,
) -> ListingWalk:
    """The walk's covered span from how it ended.

    `passed_start`: it reached an item older than what it needed (everything between was read);
    `exhausted`: the listing had no more pages. A walk that did neither stopped at its own item
    limit and covers back to its oldest item only. It covers up to when it started (by the
    server's clock, to the second), or up to its newest item when that is later: a listing is
    complete from its newest item down."""
    if newest is not None and newest > started:
        started = newest
    if passed_start and oldest is not None:
        covered_from = oldest
    elif exhausted and items < REACH_FLOOR:
        covered_from = 0.0  # the listing held everything there is
    else:
        covered_from = started if oldest is None else oldest
    return ListingWalk(listing, covered_from, started, items, requests)


@dataclass(frozen=True)
class ListingCoverage:
    """One listing over one window."""

    listing: str
    window_seconds: float
    covered_seconds: float
    uncovered: list[tuple[float, float]]  # [start, end) epoch seconds, oldest first
    observed: int  # items of the window that reached the raw zone
    estimated_missed: int
    rate_per_minute: float | None  # what the estimate used; None when nothing was covered

    @property
    def complete(self) -> bool:
        return not self.uncovered


@dataclass(frozen=True)
class WindowCoverage:
    """Both listings of one subreddit over one interval: what `interval_coverage` stores."""

    start: float
    end: float
    listings: dict[str, ListingCoverage] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return all(c.complete for c in self.listings.values())

    @property
    def observed(self) -> int:
        return sum(c.observed for c in self.listings.values())

    @property
    def estimated_missed(self) -> int:
        return sum(c.estimated_missed for c in self.listings.values())

    @property
    def ratio(self) -> float:
        """Estimated share of the window's items that were seen (1.0 when complete)."""
        if self.complete:
            return 1.0
        total = self.observed + self.estimated_missed
        return self.observed / total if total else 0.0

    def spans(self) -> list[dict[str, Any]]:
        return [
            {"listing": c.listing, "start": lo, "end": hi}
            for c in self.listings.values()
            for lo, hi in c.uncovered
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "complete": self.complete,
            "coverage": round(self.ratio, 5),
            "observed": self.observed,
            "estimated_missed": self.estimated_missed,
            "uncovered": self.spans(),
            "listings": {k: asdict(v) for k, v in self.listings.items()},
        }


def union(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def gaps(lo: float, hi: float, covered: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of `[lo, hi)` outside the (merged, sorted) covered spans."""
    out, cursor = [], lo
    for c_lo, c_hi in covered:
        if c_hi <= cursor:
            continue
        if c_lo >= hi:
            break
        if c_lo > cursor:
            out.append((cursor, min(c_lo, hi)))
        cursor = max(cursor, c_hi)
        if cursor >= hi:
            break
    if cursor < hi:
        out.append((cursor, hi))
    return out


def listing_coverage(
    listing: str, lo: float, hi: float, walks: Iterable[ListingWalk], observed: int
) -> ListingCoverage:
    mine = [w for w in walks if w.listing == listing]
    covered = union((w.covered_from, w.covered_to) for w in mine)
    holes = gaps(lo, hi, covered)
    missing = sum(b - a for a, b in holes)
    # The rate comes from walks with a finite span that saw something (a walk that covers
    # "everything" because its listing was short says nothing about a rate).
    finite = [w for w in mine if w.covered_from > 0 and w.span > 0]
    seconds = sum(w.span for w in finite)
    rate = sum(w.items for w in finite) / seconds if seconds else None
    if rate is None and missing and hi > lo and observed:
        rate = observed / max(1.0, (hi - lo) - missing)
    return ListingCoverage(
        listing=listing,
        window_seconds=hi - lo,
        covered_seconds=(hi - lo) - missing,
        uncovered=holes,
        observed=observed,
        estimated_missed=round((rate or 0.0) * missing),
        rate_per_minute=None if rate is None else round(rate * 60, 3),
    )


def window_coverage(
    lo: float, hi: float, walks: Sequence[ListingWalk], observed: dict[str, int]
) -> WindowCoverage:
    """Coverage of `[lo, hi)` by the walks, per listing (`observed`: items kept per listing)."""
    return WindowCoverage(
        lo,
        hi,
        {name: listing_coverage(name, lo, hi, walks, observed.get(name, 0)) for name in LISTINGS},
    )


def complete_window(lo: float, hi: float, observed: dict[str, int]) -> WindowCoverage:
    """A window whose source holds everything (a replay recording, an imported archive)."""
    walks = [ListingWalk(name, 0.0, hi, observed.get(name, 0), 0) for name in LISTINGS]
    return window_coverage(lo, hi, walks, observed)
