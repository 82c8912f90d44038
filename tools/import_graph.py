"""The import graph of a Python package, built with `ast`, and the checks on it.

import-linter is not in the lock, so tests/test_layering.py (cycles, upward imports) and
tests/test_readme_map.py (which SQL a task's function reaches) build the graph here: every
`import` and `from … import` anywhere in a module (function bodies and `TYPE_CHECKING` blocks
included, since a lazy import is still a dependency) that names a module of the package is an
edge.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

# Layers that sit below the DAG tasks: they must not reach up into the stages or the Airflow
# adapter, which wire them together (sources, warehouse and prices are used by stages, not the
# reverse).
LOWER_LAYERS = ("sources", "warehouse", "prices", "scoring", "evaluation")
TASK_LAYER = (
    "stages",
    "airflow_tasks",
    "dag_defaults",
    "demo",
    "cli",
    "preload",
)
# The modules of sources/ that callers may import; the concrete sources are reached through the
# factory, so a caller never depends on praw, yfinance or a replay's file layout.
SOURCE_CONTRACT = ("sources", "sources.base", "sources.factory")
# Imports of a concrete source outside the factory that are allowed (none left).
KNOWN_SOURCE_IMPORTS: frozenset[tuple[str, str]] = frozenset()
# Top-level packages outside the runtime: what ships must not need them.
OUTSIDE_RUNTIME = ("tests", "tools", "benchmarks", "dags", "plugins")


def module_files(package_dir: Path) -> dict[str, Path]:
    """{dotted module name: file} for every .py file under `package_dir` (a package)."""
    out = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported_names(module: str, path: Path) -> Iterable[str]:
    """Every dotted name an import statement in the file names, relative imports resolved."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """{module: modules of the same package it imports}; external imports are left out."""
    files = module_files(package_dir)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        edges = set()
        for name in _imported_names(module, path):
            # `from pkg import mod` names `pkg.mod`; `from mod import func` names `mod.func`:
            # the longest prefix that is a module of ours is what the statement imports.
            while name and name not in files:
                name = name.rpartition(".")[0]
            if name and name != module:
                edges.add(name)
        graph[module] = edges
    return graph


def external_imports(package_dir: Path) -> dict[str, set[str]]:
    """{module: top-level names it imports that are not the package itself}."""
    files = module_files(package_dir)
    own = package_dir.name
    out: dict[str, set[str]] = {}
    for module, path in files.items():
        tops = {n.split(".")[0] for n in _imported_names(module, path) if n}
        out[module] = tops - {own}
    return out


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def _in(module: str, package: str, prefixes: Iterable[str]) -> bool:
    rel = module.removeprefix(package + ".")
    return any(rel == p or rel.startswith(p + ".") for p in prefixes)


def upward_imports(
    graph: Mapping[str, set[str]],
    package: str,
    lower: Iterable[str] = LOWER_LAYERS,
    upper: Iterable[str] = TASK_LAYER,
) -> list[tuple[str, str]]:
    """(importer, imported) where a module of a lower layer imports one of the upper layer."""
    lower, upper = tuple(lower), tuple(upper)
    return sorted(
        (module, target)
        for module, targets in graph.items()
        if _in(module, package, lower)
        for target in targets
        if _in(target, package, upper)
    )


def concrete_source_imports(
    graph: Mapping[str, set[str]], package: str, known: frozenset[tuple[str, str]] = frozenset()
) -> list[tuple[str, str]]:
    """(importer, source) where a module other than the factory imports a concrete source."""
    return sorted(
        (module, target)
        for module, targets in graph.items()
        if module != f"{package}.sources.factory"
        for target in targets
        if _in(target, package, ("sources",))
        and not any(target == f"{package}.{allowed}" for allowed in SOURCE_CONTRACT)
        and (module, target) not in known
    )


def outside_runtime_imports(package_dir: Path) -> list[tuple[str, str]]:
    """(module, top-level package) where the runtime imports tests, tools, DAG files and such."""
    return sorted(
        (module, top)
        for module, tops in external_imports(package_dir).items()
        for top in tops
        if top in OUTSIDE_RUNTIME
    )


def reachable(graph: Mapping[str, set[str]], start: str) -> set[str]:
    """`start` and every module it imports, directly or through others."""
    seen = {start}
    todo = [start]
    while todo:
        for target in graph.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen
