"""What a person reads after an eval: a summary on the terminal, and a report file listing every
misclassified example with the scorer's reasoning, which is what one needs to fix a prompt or a
rule. Gold text is printed as data inside a fenced block, never interpreted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tickerpulse.evaluation.datasets import LABELS
from tickerpulse.evaluation.result import EvalResult


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def confusion_lines(result: EvalResult) -> list[str]:
    width = max(len(label) for label in LABELS) + 2
    head = "gold \\ predicted".ljust(18) + "".join(p.rjust(width) for p in LABELS)
    rows = [head]
    for gold in LABELS:
        counts = result.classification.confusion[gold]
        rows.append(gold.ljust(18) + "".join(str(counts[p]).rjust(width) for p in LABELS))
    return rows


def summary(result: EvalResult) -> str:
    who = result.scorer_version + (f" (model {result.model})" if result.model else "")
    lines = [
        f"{result.scorer}: {who} on {result.dataset_name} (n={result.n}, "
        f"sha256 {result.dataset_sha256[:12]})",
        f"  accuracy {result.accuracy:.3f}   macro-F1 {result.macro_f1:.3f}   "
        f"{result.texts_per_sec:,.0f} texts/s"
        + (f"   unscored {result.unscored}" if result.unscored else ""),
    ]
    for label in LABELS:
        m = result.classification.per_class[label]
        lines.append(
            f"  {label:<8} precision {m.precision:.3f}  recall {m.recall:.3f}  "
            f"F1 {m.f1:.3f}  support {m.support}"
        )
    if result.pearson is not None or result.spearman is not None or result.cosine is not None:
        lines.append(
            f"  pearson {_fmt(result.pearson)}   spearman {_fmt(result.spearman)}   "
            f"cosine {_fmt(result.cosine)}"
        )
    lines.extend("  " + row for row in confusion_lines(result))
    if result.report_path:
        lines.append(f"  misclassified examples: {result.report_path}")
    return "\n".join(lines)


def comparison(results: Sequence[EvalResult]) -> str:
    """One line per scorer, and the gain of the first over each other one (the baseline)."""
    if len(results) < 2:
        return ""
    first = results[0]
    lines = ["scorer      accuracy  macro-F1  texts/s"]
    for r in results:
        lines.append(f"{r.scorer:<10} {r.accuracy:9.3f} {r.macro_f1:9.3f} {r.texts_per_sec:8,.0f}")
    for base in results[1:]:
        lines.append(
            f"{first.scorer} vs {base.scorer}: accuracy {first.accuracy - base.accuracy:+.3f}, "
            f"macro-F1 {first.macro_f1 - base.macro_f1:+.3f}, "
            f"speed x{first.texts_per_sec / base.texts_per_sec:.2f}"
        )
    return "\n".join(lines)


def write_report(path: Path, result: EvalResult) -> None:
    """Markdown: the summary, then each misclassified example with gold, prediction, reasoning."""
    wrong = result.misclassified()
    parts = [
        f"# Eval report: {result.scorer} ({result.scorer_version}) on {result.dataset_name}",
        "",
        f"- started at: {result.started_at.isoformat()}",
        f"- prompt version: {result.prompt_version or 'n/a'}; model: {result.model or 'n/a'}",
        f"- misclassified: {len(wrong)} of {result.n}",
        "",
        "```",
        summary(result),
        "```",
        "",
        "## Misclassified",
        "",
    ]
    for example, prediction, predicted in wrong:
        score = "unscored" if prediction.score is None else f"{prediction.score:+.3f}"
        gold = example.label + (f" ({example.score:+.3f})" if example.score is not None else "")
        parts += [
            f"### {example.id}: gold {gold}, predicted {predicted} ({score})",
            "",
            "```text",
            example.text.replace("```", "` ` `"),
            "```",
            "",
            f"reasoning: {prediction.reasoning or '(none given)'}",
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
