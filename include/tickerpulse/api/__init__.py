"""The read-only JSON API over the warehouse (leaderboard, one ticker's series, the posts behind a
bucket). A small service of its own (docs/API.md says why not an Airflow plugin)."""
