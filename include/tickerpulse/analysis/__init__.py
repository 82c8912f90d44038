"""Does what Reddit says lead what the price does? Per-ticker correlations between bucket
sentiment (and mention volume) and forward returns, the lag with the strongest relationship, and
a sign hit rate against an always-up baseline; written to the tables Grafana reads."""
