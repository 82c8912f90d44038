"""The versioned prompt, the strict response schema and the request's user message.

The prompt file's version is stored with every score, so the file and the version it declares must
agree. Posts reach the model only as JSON string values in the user message: data to judge, never
instructions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from openai.types.shared_params import ResponseFormatJSONSchema

from tickerpulse.scoring.base import BEARISH, BULLISH, NEUTRAL, PostToScore

LABELS = (BULLISH, BEARISH, NEUTRAL)
_VERSION_LINE = re.compile(r"^#\s*version:\s*(?P<version>\S+)\s*$")
_SAFE_VERSION = re.compile(r"^[A-Za-z0-9._-]+$")

# Static, so the provider can cache the compiled grammar across requests. Reasoning comes before
# the score so that a model that writes fields in order thinks before it commits to a number.
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["results"],
    "properties": {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "tickers"],
                "properties": {
                    "id": {"type": "string"},
                    "tickers": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["ticker", "reasoning", "score", "label"],
                            "properties": {
                                "ticker": {"type": "string"},
                                "reasoning": {"type": "string"},
                                "score": {"type": "number", "minimum": -1, "maximum": 1},
                                "label": {"type": "string", "enum": list(LABELS)},
                            },
                        },
                    },
                },
            },
        }
    },
}
RESPONSE_FORMAT: ResponseFormatJSONSchema = {
    "type": "json_schema",
    "json_schema": {"name": "sentiment_batch", "strict": True, "schema": RESPONSE_SCHEMA},
}


@dataclass(frozen=True)
class Prompt:
    version: str
    text: str


def load_prompt(version: str) -> Prompt:
    """Read `prompts/sentiment_<version>.txt`; its `# version:` header must name the same version.

    The header is what gets stored with every score, so a copied file whose header was not
    updated would silently mix two prompts under one version: that is refused here.
    """
    if not _SAFE_VERSION.match(version):
        raise ValueError(f"invalid prompt version {version!r}")
    path = resources.files("tickerpulse") / "prompts" / f"sentiment_{version}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no prompt file for version {version!r}: {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    header_len = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    declared = [m["version"] for line in lines[:header_len] if (m := _VERSION_LINE.match(line))]
    if declared != [version]:
        raise ValueError(f"{path} must declare '# version: {version}' once in its header")
    text = "\n".join(lines[header_len:]).strip()
    if not text:
        raise ValueError(f"{path} has no prompt text")
    return Prompt(version=version, text=text)


def user_message(posts: Sequence[PostToScore]) -> str:
    """Posts as a JSON array: each text is a string value, data to judge, never instructions."""
    payload = [{"id": p.post_id, "tickers": list(p.tickers), "text": p.text} for p in posts]
    return json.dumps(payload, ensure_ascii=False)
