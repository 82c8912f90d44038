"""The named choices a run is configured with, each spelled out once.

Plain enums, in a module of their own, so the command line can list them without importing the
settings machinery (pydantic); `tickerpulse.config` types its fields with them and the DAG files
build their params' JSON-schema `enum` lists from them.
"""

from __future__ import annotations

from enum import StrEnum


class Scorer(StrEnum):
    """What scores a post: the packaged lexicon (no network) or the `llm_default` connection."""

    OFFLINE = "offline"
    LLM = "llm"


class LlmPolicy(StrEnum):
    """With scorer=llm, when the LLM is used (the offline scorer otherwise)."""

    ALWAYS = "always"
    MARKET_HOURS = "market_hours"  # only for intervals overlapping a regular XNYS session
    EXTENDED_HOURS = "extended_hours"  # also pre-market and after-hours
    SAMPLE_OUTSIDE = "sample_outside"  # a stable sample (llm_sample_rate) outside market hours


def values(choice: type[StrEnum]) -> list[str]:
    """The plain strings of an enum, as a JSON schema or argparse wants them."""
    return [member.value for member in choice]


# What an eval can measure: either scorer, or generic VADER, the baseline measured beside it.
BASELINE_SCORER = "vader"
EVAL_SCORERS = (*values(Scorer), BASELINE_SCORER)
