"""Eval runs in the warehouse (tickerpulse.eval_runs), so Grafana can plot prompt versions and
models over time. Per-class metrics and the confusion matrix are kept as JSON."""

from __future__ import annotations

import json
from typing import Any

from tickerpulse.evaluation.result import EvalResult
from tickerpulse.warehouse.db import connect
from tickerpulse.warehouse.queries import query


def result_row(result: EvalResult, run_key: str | None = None) -> dict[str, Any]:
    per_class = {
        label: {"precision": m.precision, "recall": m.recall, "f1": m.f1, "support": m.support}
        for label, m in result.classification.per_class.items()
    }
    return {
        "run_key": run_key,
        "dataset_name": result.dataset_name,
        "dataset_sha256": result.dataset_sha256,
        "scorer": result.scorer,
        "scorer_version": result.scorer_version,
        "model": result.model,
        "prompt_version": result.prompt_version,
        "n": result.n,
        "unscored": result.unscored,
        "accuracy": result.accuracy,
        "macro_f1": result.macro_f1,
        "per_class": json.dumps(per_class, sort_keys=True),
        "confusion": json.dumps(result.classification.confusion, sort_keys=True),
        "pearson": result.pearson,
        "spearman": result.spearman,
        "cosine": result.cosine,
        "texts_per_sec": result.texts_per_sec,
        "report_path": result.report_path,
        "started_at": result.started_at,
    }


def store_result(target: Any, result: EvalResult, run_key: str | None = None) -> int:
    """Insert one run (or replace the run with the same run_key); return its id."""
    with connect(target) as conn, conn.cursor() as cur:
        cur.execute(query("eval_insert_run"), result_row(result, run_key))
        row = cur.fetchone()
    assert row is not None
    return int(row[0])


def recent_runs(target: Any, limit: int = 20) -> list[dict[str, Any]]:
    with connect(target) as conn, conn.cursor() as cur:
        cur.execute(query("eval_recent_runs"), {"limit": limit})
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
