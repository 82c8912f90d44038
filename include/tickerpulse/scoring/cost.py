"""LLM cost from a configurable price table (USD per million tokens).

Prices change more often than code, so they come from the environment:
TICKERPULSE_LLM_PRICE_IN and TICKERPULSE_LLM_PRICE_OUT (defaults: a small model's list price).
"""

from __future__ import annotations

import os


def cost_usd(tokens_in: int, tokens_out: int) -> float:
    price_in = float(os.environ.get("TICKERPULSE_LLM_PRICE_IN", "0.15"))
    price_out = float(os.environ.get("TICKERPULSE_LLM_PRICE_OUT", "0.60"))
    return round(tokens_in * price_in / 1e6 + tokens_out * price_out / 1e6, 6)
