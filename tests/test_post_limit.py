"""post_limit fits 10M posts a day (208,000 per 30-minute interval; issue 14).

The DAG form's schema is checked in test_dag_integrity; here the setting, the run params and the
replay source, which must hand back every record of a hot interval, not the first 10,000.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tickerpulse.config import POST_LIMIT_MAX, SettingsError, load_settings
from tickerpulse.sources.reddit_replay import ReplayRedditSource
from tickerpulse.stages.context import RunParams

START = datetime(2024, 3, 5, 14, 0, tzinfo=UTC)


def test_the_limit_allows_a_10m_a_day_interval() -> None:
    assert POST_LIMIT_MAX >= 250_000
    settings = load_settings({"TICKERPULSE_POST_LIMIT": "208000"})
    assert settings.post_limit == 208_000
    assert load_settings({"TICKERPULSE_POST_LIMIT": str(POST_LIMIT_MAX)}).post_limit == 250_000
    with pytest.raises(SettingsError, match="TICKERPULSE_POST_LIMIT"):
        load_settings({"TICKERPULSE_POST_LIMIT": str(POST_LIMIT_MAX + 1)})
    params = RunParams.from_params({"post_limit": 208_000}, load_settings({}))
    assert params.post_limit == 208_000


def test_the_replay_source_returns_more_than_the_old_cap(tmp_path: Path) -> None:
    count = 12_000  # above the old POST_LIMIT_MAX of 10,000
    folder = tmp_path / "reddit" / "subreddit=wallstreetbets"
    folder.mkdir(parents=True)
    lines = []
    for i in range(count):
        created = START + timedelta(seconds=i * 1800 / count)
        lines.append(
            json.dumps(
                {
                    "name": f"t3_{i:06d}",
                    "id": f"{i:06d}",
                    "title": f"GME post {i}",
                    "selftext": "",
                    "author": f"u{i % 500}",
                    "created_utc": created.timestamp(),
                    "score": i % 7,
                    "subreddit": "wallstreetbets",
                }
            )
        )
    (folder / "dt=2024-03-05.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = ReplayRedditSource(tmp_path)
    got = source.fetch("wallstreetbets", START, START + timedelta(minutes=30), 208_000)
    assert len(got) == count
    assert (
        len(source.fetch("wallstreetbets", START, START + timedelta(minutes=30), 11_000)) == 11_000
    )
