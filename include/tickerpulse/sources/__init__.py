"""External data sources, each behind a small interface with a live and a replay implementation."""
