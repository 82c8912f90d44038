"""The stage contracts (tickerpulse.stages.contracts) match what the stages really return.

One interval of the shipped sample runs through every stage, offline, as the DAG chains them;
each output's keys must be those of its TypedDict (required ones present, nothing undeclared),
so the run's params and interval are no longer copied into the outputs, and the listener's
counts are the contract's count fields only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tickerpulse.config import load_settings
from tickerpulse.intervals import Interval
from tickerpulse.ops.run_metrics import stage_counts
from tickerpulse.stages.context import RunParams, StageContext
from tickerpulse.stages.contracts import (
    STAGE_OUTPUTS,
    AggregateOut,
    ExtractOut,
    FilterOut,
    LoadOut,
    PricesOut,
    ScoreOut,
    ShardRef,
    ValidateOut,
    count_fields,
)

START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


def _keys_fit(value: dict[str, Any], contract: Any) -> None:
    required = set(contract.__required_keys__)
    declared = required | set(contract.__optional_keys__)
    assert required <= set(value), f"{contract.__name__} lacks {required - set(value)}"
    assert set(value) <= declared, f"{contract.__name__} has undeclared {set(value) - declared}"


@pytest.mark.slow  # one interval through every stage: about 15 s
def test_every_stage_returns_its_contract_and_no_params(pipeline_env: dict[str, str]) -> None:
    from tickerpulse.stages import aggregate, extract, load, plan, prices, score, validate
    from tickerpulse.stages import filter as filter_stage

    settings = load_settings()
    params = RunParams.from_params({"scorer": "offline"}, settings)
    ctx = StageContext(Interval(START, START + timedelta(minutes=30)), params, settings, "m__1")

    extracted = extract.run(ctx)
    validated = validate.run(ctx, extracted)
    filtered = filter_stage.run(ctx, validated)
    shards = plan.run(ctx, filtered)
    scored = [score.run(ctx, shard) for shard in shards]
    priced = prices.run(ctx, filtered)
    loaded = load.run(ctx, validated, filtered, scored)
    aggregated = aggregate.run(ctx, loaded)

    assert extracted["extracted"] > 0
    assert shards
    outputs: list[tuple[Any, Any]] = [
        (extracted, ExtractOut),
        (validated, ValidateOut),
        (filtered, FilterOut),
        *((shard, ShardRef) for shard in shards),
        *((out, ScoreOut) for out in scored),
        (priced, PricesOut),
        (loaded, LoadOut),
        (aggregated, AggregateOut),
    ]
    for value, contract in outputs:
        _keys_fit(value, contract)
        assert "params" not in value
        assert "interval" not in value
        assert "run_id" not in value
    assert loaded["loaded"] == filtered["kept_count"]


def test_the_listener_keeps_only_the_count_fields() -> None:
    assert count_fields(ScoreOut) >= {"scored", "llm_calls", "tokens_in", "llm_fallback"}
    assert "scores" not in count_fields(ScoreOut)  # a URL
    assert "scorer_version" not in count_fields(ScoreOut)
    assert count_fields(FilterOut) >= {"duplicates", "bots", "dropped_by_reason"}
    assert set(STAGE_OUTPUTS) == {
        "extract",
        "validate",
        "filter",
        "plan_batches",
        "score",
        "prices",
        "load",
        "aggregate",
    }
    # An output that still carried the run's params (as four stages once did):
    old = {"extracted": 3, "raw": ["s3://x"], "params": {"post_limit": 1_000_000}}
    assert stage_counts(old) == {"extracted": 3, "params.post_limit": 1_000_000}
    assert stage_counts(old, count_fields(ExtractOut)) == {"extracted": 3}
