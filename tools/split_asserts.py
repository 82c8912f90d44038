"""Codemod: `assert a and b[, msg]` becomes `assert a[, msg]` then `assert b[, msg]`.

One condition per assert tells a failing run which half failed. The rewrite is made on the text,
not by unparsing the tree, so every other line, comment and blank line stays byte for byte:

* only an assert that is a logical line of its own is touched (not `if x: assert …`, not one
  followed by `; …`), and not one with a comment inside its span (there is no right place to put
  it); a comment after the statement stays on the last new assert;
* `and` chains nested in parentheses are flattened; `or`, `not (a and b)` and the like are not
  `and` chains at the top and stay as they are; the message is repeated on every new assert;
* each operand keeps its source text, wrapped in parentheses when it cannot stand alone after
  `assert` (a walrus, or an expression broken over lines);
* the result is checked before it is written: its tree must equal the original tree with exactly
  those asserts split, or the file is left alone and the error reported.

It is idempotent (a second run finds nothing to split) and safe on any Python file. Run
`ruff format` afterwards to reflow what it wrote.

    python -m tools.split_asserts [--check] PATH...   # files or folders (*.py under them)
"""

from __future__ import annotations

import argparse
import ast
import io
import sys
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path


class SplitError(RuntimeError):
    """The rewritten text is not the original program with only the asserts split."""


@dataclass(frozen=True)
class _Edit:
    first: int  # 0-based index of the statement's first line
    last: int  # 0-based index of its last line
    lines: list[str]  # what replaces lines first..last


def _operands(expr: ast.expr) -> Iterator[ast.expr]:
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.And):
        for value in expr.values:
            yield from _operands(value)
    else:
        yield expr


def _is_split_candidate(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Assert)
        and isinstance(node.test, ast.BoolOp)
        and isinstance(node.test.op, ast.And)
    )


def _standalone(text: str, expr: ast.expr, msg: str | None = None) -> str:
    """`text` as it can follow `assert `: itself when that parses to `expr`, else parenthesised."""
    tail = f", {msg}" if msg is not None else ""
    try:
        parsed = ast.parse(f"assert {text}{tail}\n").body[0]
    except SyntaxError:
        parsed = None
    if isinstance(parsed, ast.Assert) and ast.dump(parsed.test) == ast.dump(expr):
        return text
    return f"({text})"


def _message(source: str, msg: ast.expr) -> str:
    text = ast.get_source_segment(source, msg) or ""
    try:
        parsed = ast.parse(f"assert x, {text}\n").body[0]
    except SyntaxError:
        parsed = None
    if isinstance(parsed, ast.Assert) and parsed.msg is not None:
        if ast.dump(parsed.msg) == ast.dump(msg):
            return text
    return f"({text})"


def _comment_lines(source: str) -> set[int]:
    """1-based numbers of the lines that hold a comment."""
    lines = set()
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            lines.add(token.start[0])
    return lines


def _edit_for(node: ast.Assert, source: str, lines: list[str], comments: set[int]) -> _Edit | None:
    assert node.end_lineno is not None and node.end_col_offset is not None
    first, last = node.lineno - 1, node.end_lineno - 1
    head = lines[first].encode()[: node.col_offset].decode()
    tail_raw = lines[last].encode()[node.end_col_offset :].decode()
    tail_code = tail_raw.rstrip("\r\n")
    newline = tail_raw[len(tail_code) :] or "\n"
    if head.strip() or (tail_code.strip() and not tail_code.lstrip().startswith("#")):
        return None  # shares its line with other code: `if x: assert …`, `assert …; y = 1`
    if any(first + 1 <= n < last + 1 for n in comments):
        return None  # a comment inside the statement: nowhere right to put it
    msg = _message(source, node.msg) if node.msg is not None else None
    new = []
    for operand in _operands(node.test):
        text = ast.get_source_segment(source, operand) or ""
        new.append(f"{head}assert {_standalone(text, operand, msg)}")
        if msg is not None:
            new[-1] += f", {msg}"
    new = [line + newline for line in new[:-1]] + [new[-1] + tail_code + newline]
    return _Edit(first, last, new)


class _Splitter(ast.NodeTransformer):
    """The expected tree: the given asserts split, nothing else changed."""

    def __init__(self, where: set[tuple[int, int]]) -> None:
        self.where = where

    def visit_Assert(self, node: ast.Assert) -> ast.AST | list[ast.stmt]:
        if (node.lineno, node.col_offset) not in self.where:
            return node
        return [ast.Assert(test=operand, msg=node.msg) for operand in _operands(node.test)]


def split_asserts(source: str) -> tuple[str, int]:
    """(new source, number of asserts split). Raises SplitError if the check fails."""
    tree = ast.parse(source)
    lines = io.StringIO(source, newline="").readlines()
    comments = _comment_lines(source)
    edits = []
    for node in ast.walk(tree):
        if _is_split_candidate(node):
            assert isinstance(node, ast.Assert)
            edit = _edit_for(node, source, lines, comments)
            if edit is not None:
                edits.append((node, edit))
    if not edits:
        return source, 0
    for _, edit in sorted(edits, key=lambda pair: pair[1].first, reverse=True):
        lines[edit.first : edit.last + 1] = edit.lines
    result = "".join(lines)
    expected = _Splitter({(n.lineno, n.col_offset) for n, _ in edits}).visit(ast.parse(source))
    try:
        actual = ast.parse(result)
    except SyntaxError as exc:
        raise SplitError(f"the rewrite does not parse: {exc}") from exc
    if ast.dump(actual) != ast.dump(expected):
        raise SplitError("the rewrite changed more than the asserts")
    return result, len(edits)


def python_files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        out.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("paths", nargs="+", type=Path, help="files or folders")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if needed")
    args = parser.parse_args(argv)
    total = failed = 0
    for path in python_files(args.paths):
        with path.open("r", encoding="utf-8", newline="") as handle:
            source = handle.read()
        try:
            result, count = split_asserts(source)
        except (SplitError, SyntaxError) as exc:
            print(f"{path}: left alone: {exc}", file=sys.stderr)
            failed += 1
            continue
        if count:
            total += count
            print(f"{path}: {count} assert(s) {'to split' if args.check else 'split'}")
            if not args.check:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    handle.write(result)
    print(f"{total} assert(s) {'to split' if args.check else 'split'}", file=sys.stderr)
    return 1 if failed or (args.check and total) else 0


if __name__ == "__main__":
    sys.exit(main())
