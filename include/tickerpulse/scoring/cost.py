"""LLM cost from a configurable price table (USD per million tokens, input and output).

Prices change more often than code, so the shipped table is only a default. Resolution for a
model, first match wins:

1. TICKERPULSE_LLM_PRICES, a JSON object {model: {"in": usd, "out": usd}} (or [in, out]);
2. TICKERPULSE_LLM_PRICE_IN / TICKERPULSE_LLM_PRICE_OUT, one price for every model (the older
   setting, still honoured: set either and it applies to models the JSON does not name);
3. DEFAULT_PRICES below;
4. FALLBACK_PRICE, with a warning, so an unknown model is never free.

A model matches its exact name, else the longest table name it starts with, so a dated snapshot
("gpt-4o-mini-2024-07-18") is priced as its family ("gpt-4o-mini").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from tickerpulse.config import Settings, load_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Price:
    usd_per_m_in: float
    usd_per_m_out: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """USD, rounded to the micro-dollar the warehouse stores (numeric(12, 6))."""
        return round(tokens_in * self.usd_per_m_in / 1e6 + tokens_out * self.usd_per_m_out / 1e6, 6)


# List prices (standard tier, USD per 1M tokens) when this table was written; override them with
# TICKERPULSE_LLM_PRICES rather than trusting them for billing.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5": Price(1.25, 10.00),
}
FALLBACK_PRICE = Price(0.15, 0.60)


def price_overrides(settings: Settings) -> dict[str, Price]:
    """The TICKERPULSE_LLM_PRICES table (parsed and checked when the settings are read)."""
    return {model: Price(*pair) for model, pair in settings.llm_prices.items()}


def _match(model: str, table: Mapping[str, Price]) -> Price | None:
    if model in table:
        return table[model]
    prefixes = [name for name in table if model.startswith(name)]
    return table[max(prefixes, key=len)] if prefixes else None


def price_for(model: str | None, settings: Settings | None = None) -> Price:
    settings = load_settings() if settings is None else settings
    name = model or ""
    found = _match(name, price_overrides(settings))
    if found is not None:
        return found
    price_in, price_out = settings.llm_price_in, settings.llm_price_out
    if price_in is not None or price_out is not None:
        return Price(
            FALLBACK_PRICE.usd_per_m_in if price_in is None else price_in,
            FALLBACK_PRICE.usd_per_m_out if price_out is None else price_out,
        )
    found = _match(name, DEFAULT_PRICES)
    if found is not None:
        return found
    log.warning(
        "no price for model %r: costing it at %s; set TICKERPULSE_LLM_PRICES", name, FALLBACK_PRICE
    )
    return FALLBACK_PRICE


def cost_usd(
    tokens_in: int, tokens_out: int, model: str | None = None, settings: Settings | None = None
) -> float:
    return price_for(model, settings).cost(tokens_in, tokens_out)
