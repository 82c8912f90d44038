"""What every stage needs to know about the run: the interval, the params, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tickerpulse.choices import LlmPolicy, Scorer
from tickerpulse.config import Settings, load_settings
from tickerpulse.intervals import Interval
from tickerpulse.lake import Lake


def _choice(kind: type[Scorer] | type[LlmPolicy], name: str, value: Any) -> str:
    """The plain string value of an enum member, or a clear error listing the choices."""
    try:
        return kind(value).value
    except ValueError:
        raise ValueError(
            f"{name} must be one of {[m.value for m in kind]}, got {value!r}"
        ) from None


@dataclass(frozen=True)
class RunParams:
    subreddits: tuple[str, ...]
    post_limit: int
    scorer: str  # a Scorer value
    refresh_raw: bool = False
    llm_policy: str = LlmPolicy.ALWAYS.value  # when the LLM is used: always, or (mostly) in hours

    @classmethod
    def from_params(cls, params: dict[str, Any] | None, settings: Settings) -> RunParams:
        """Params from the UI win over the settings; empty values mean "use the default".

        The DAG's param defaults are the settings already (read when the file is parsed); this
        also covers a run whose conf lacks a param, and callers outside Airflow."""
        params = params or {}
        subs = params.get("subreddits") or list(settings.subreddits)
        if isinstance(subs, str):
            subs = [s for s in subs.split(",")]
        # Reddit's names are case-insensitive and the lake's paths (imports too) are lower case.
        subreddits = tuple(sorted({s.strip().lower() for s in subs if s and s.strip()}))
        scorer = _choice(Scorer, "scorer", params.get("scorer") or settings.scorer)
        limit = int(params.get("post_limit") or settings.post_limit)
        if limit < 1:
            raise ValueError(f"post_limit must be at least 1, got {limit}")
        policy = _choice(LlmPolicy, "llm_policy", params.get("llm_policy") or settings.llm_policy)
        refresh = params.get("refresh_raw")
        refresh_raw = settings.refresh_raw if refresh is None else bool(refresh)
        return cls(subreddits, limit, scorer, refresh_raw, policy)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subreddits": list(self.subreddits),
            "post_limit": self.post_limit,
            "scorer": self.scorer,
            "refresh_raw": self.refresh_raw,
            "llm_policy": self.llm_policy,
        }


@dataclass(frozen=True)
class StageContext:
    interval: Interval
    params: RunParams
    settings: Settings
    # The Airflow run id, when there is one: keys what all tasks of one run share (the LLM
    # budget). A run outside Airflow (CLI, tests) has none.
    run_id: str | None = None
    # Tries Airflow still has for this task after the current one. The score task uses it to
    # choose between failing (so a retry re-asks what the endpoint did not answer) and storing
    # posts as unscored with the reason (on the last try). Outside Airflow: 0.
    retries_left: int = 0

    @property
    def run_key(self) -> str:
        """The run's identity for shared per-run state: its run id, else its interval."""
        return self.run_id or f"interval:{self.interval.key}"

    @property
    def lake(self) -> Lake:
        return Lake(self.settings.lake_url)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"interval": self.interval.to_dict(), "params": self.params.to_dict()}
        if self.run_id is not None:
            out["run_id"] = self.run_id
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: Settings | None = None) -> StageContext:
        settings = settings or load_settings()
        return cls(
            Interval.from_dict(data["interval"]),
            RunParams.from_params(data["params"], settings),
            settings,
            data.get("run_id"),
        )
