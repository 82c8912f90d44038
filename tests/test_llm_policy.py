"""The llm_policy param: LLM scoring on, off or sampled depending on market hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.stages.context import RunParams, StageContext
from tickerpulse.stages.plan import in_llm_sample, scorer_for_posts

IDS = [f"t1_{i}" for i in range(2000)]
MARKET = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)  # a Tuesday, 10:00 in New York
NIGHT = datetime(2024, 3, 5, 3, 0, tzinfo=UTC)  # 22:00 the evening before in New York
SUNDAY = datetime(2024, 3, 3, 15, 0, tzinfo=UTC)


def ctx(start: datetime, scorer: str, policy: str) -> StageContext:
    settings = load_settings()
    params = RunParams.from_params({"scorer": scorer, "llm_policy": policy}, settings)
    return StageContext(Interval(start, start + timedelta(minutes=30)), params, settings)


@pytest.mark.parametrize(
    ("start", "policy", "expected"),
    [
        (MARKET, "always", {"llm"}),
        (NIGHT, "always", {"llm"}),
        (MARKET, "market_hours", {"llm"}),
        (NIGHT, "market_hours", {"offline"}),
        (SUNDAY, "market_hours", {"offline"}),
        (SUNDAY, "extended_hours", {"offline"}),
        (MARKET, "sample_outside", {"llm"}),
    ],
)
def test_policy_decides_the_scorer(start: datetime, policy: str, expected: set[str]) -> None:
    assert set(scorer_for_posts(ctx(start, "llm", policy), IDS).values()) == expected


def test_sample_outside_market_hours_is_a_stable_tenth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKERPULSE_LLM_SAMPLE_RATE", "0.1")
    chosen = scorer_for_posts(ctx(NIGHT, "llm", "sample_outside"), IDS)
    llm = [pid for pid, name in chosen.items() if name == "llm"]
    assert 0.07 < len(llm) / len(IDS) < 0.13
    assert llm == [pid for pid in IDS if in_llm_sample(pid, 0.1)]  # same posts every run


def test_offline_scorer_is_never_upgraded() -> None:
    assert set(scorer_for_posts(ctx(MARKET, "offline", "always"), IDS).values()) == {"offline"}


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="llm_policy"):
        ctx(MARKET, "llm", "weekends_only")
