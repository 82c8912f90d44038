"""One eval run: score every example of a dataset, measure, and keep the result.

The CLI (`tickerpulse eval`) and the `sentiment_eval` DAG both come through `run_eval`, so a run
from either place is measured, reported and stored the same way.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tickerpulse.evaluation import metrics
from tickerpulse.evaluation.datasets import Dataset, read_dataset
from tickerpulse.evaluation.result import EvalResult
from tickerpulse.evaluation.scorers import TextScorer, build_scorer
from tickerpulse.scoring.base import label_for

if TYPE_CHECKING:  # the settings machinery (pydantic) is imported only where it is used
    from tickerpulse.config import Settings


def evaluate(dataset: Dataset, scorer: TextScorer, started_at: datetime) -> EvalResult:
    """Score the dataset once and measure; throughput counts scoring time only."""
    texts = [(e.id, e.text) for e in dataset.examples]
    start = time.perf_counter()
    predictions = scorer.predict(texts)
    elapsed = max(time.perf_counter() - start, 1e-9)
    if len(predictions) != len(texts):
        raise RuntimeError(f"scorer {scorer.name} returned {len(predictions)} of {len(texts)}")
    scores = [p.score if p.score is not None else 0.0 for p in predictions]
    classification = metrics.classify(
        [e.label for e in dataset.examples], [label_for(s) for s in scores]
    )
    pearson = spearman = cosine = None
    if dataset.has_scores:
        pairs = [(e.score, s) for e, s in zip(dataset.examples, scores, strict=True)]
        gold = [g for g, _ in pairs if g is not None]
        pred = [s for g, s in pairs if g is not None]
        pearson = metrics.pearson(gold, pred)
        spearman = metrics.spearman(gold, pred)
        cosine = metrics.cosine(gold, pred)
    return EvalResult(
        dataset_name=dataset.name,
        dataset_sha256=dataset.sha256,
        scorer=scorer.name,
        scorer_version=scorer.version,
        model=scorer.model,
        prompt_version=scorer.prompt_version,
        n=len(texts),
        classification=classification,
        pearson=pearson,
        spearman=spearman,
        cosine=cosine,
        texts_per_sec=len(texts) / elapsed,
        unscored=sum(p.score is None for p in predictions),
        started_at=started_at,
        examples=dataset.examples,
        predictions=tuple(predictions),
    )


def run_eval(
    dataset_path: Path | str,
    scorer_name: str,
    *,
    started_at: datetime,
    prompt_version: str | None = None,
    llm_connection: dict[str, Any] | None = None,
    report_path: Path | None = None,
    baseline: str | None = "vader",
    store: Any = None,
    run_key: str | None = None,
) -> list[EvalResult]:
    """Evaluate `scorer_name` (and the baseline, unless it is the same scorer or None).

    `store` is a DSN or Settings to keep the runs in the warehouse, or None to keep nothing;
    `run_key` makes a retry of the same DAG run replace its rows instead of adding new ones.
    The report (misclassified examples with the reasoning) is written for the scorer under test.
    """
    from tickerpulse.evaluation.report import write_report

    dataset = read_dataset(dataset_path)
    names = [scorer_name] + ([baseline] if baseline and baseline != scorer_name else [])
    results = []
    for name in names:
        scorer = build_scorer(name, prompt_version if name == scorer_name else None, llm_connection)
        result = evaluate(dataset, scorer, started_at)
        if name == scorer_name and report_path is not None:
            write_report(report_path, result)
            result = _with_report(result, str(report_path))
        results.append(result)
    if store is not None:
        from tickerpulse.evaluation.store import store_result
        from tickerpulse.warehouse.migrate import migrate

        migrate(store)
        for result in results:
            key = f"{run_key}:{result.scorer}" if run_key else None
            store_result(store, result, run_key=key)
    return results


def _with_report(result: EvalResult, path: str) -> EvalResult:
    from dataclasses import replace

    return replace(result, report_path=path)


def run_for_dag(
    settings: Settings,
    dataset: str,
    scorer: str,
    prompt_version: str | None,
    started_at: datetime,
    run_id: str,
) -> dict[str, Any]:
    """What the `sentiment_eval` DAG's task runs; returns a small summary for XCom.

    The warehouse, home folder and LLM connection come from the settings the task built, as for
    every task.
    """
    import re

    from tickerpulse.connections import get_connection

    path = Path(dataset)
    if not path.is_absolute() and not path.exists():
        from tickerpulse.config import PROJECT_ROOT

        path = PROJECT_ROOT / path  # relative to the project, not to the worker's cwd
    conn = get_connection(settings.llm_conn_id, settings) if scorer == "llm" else None
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{Path(dataset).stem}_{scorer}_{run_id}")
    report = settings.home / "eval_reports" / f"{safe}.md"
    results = run_eval(
        path,
        scorer,
        started_at=started_at,
        prompt_version=prompt_version or None,
        llm_connection=conn,
        report_path=report,
        store=settings,
        run_key=run_id,
    )
    return {
        r.scorer: {
            "accuracy": round(r.accuracy, 4),
            "macro_f1": round(r.macro_f1, 4),
            "n": r.n,
            "texts_per_sec": round(r.texts_per_sec, 1),
            "report_path": r.report_path,
        }
        for r in results
    }
