"""Sentiment scorers behind one interface: an offline lexicon scorer and an LLM chat scorer."""
