"""The README's task map is true: every task of every DAG → the function it calls → its SQL.

The map is what someone new reads first, so it is checked like code: the table is parsed, every
DAG task (found in the DAG files with `ast`, no scheduler needed) must have a row, the DAG task
must call the function the row names, the function must import, and each named SQL file must
exist under sql/queries/ and be run (`query("name")`) by the function's module or a module it
imports.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from tools.import_graph import import_graph, module_files, reachable

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
QUERIES = ROOT / "sql" / "queries"
PACKAGE_DIR = ROOT / "include" / "tickerpulse"
TASK_DECORATORS = {"task", "data_docs_task"}
# What a task body calls around its function: settings, guards, handles; not "the function".
PLUMBING = {
    "tickerpulse.airflow_tasks.settings_for_task",
    "tickerpulse.airflow_tasks.refuse_before_start",
    "tickerpulse.airflow_tasks.context_from_airflow",
    "tickerpulse.lake.Lake",
    "tickerpulse.warehouse.db.resolve_dsn",
}


def readme_map(text: str) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """{(dag, task): (dotted function, [sql names])} from the table under "### Task map"."""
    section = text.split("### Task map", 1)[1].split("\n#", 1)[0]
    rows: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("DAG", "") or set(cells[0]) <= {"-"}:
            continue
        dag, task, function, sql = cells
        assert (dag, task) not in rows, f"{dag}.{task} is listed twice"
        rows[(dag, task)] = (function.strip("`"), re.findall(r"`([a-z0-9_]+)`", sql))
    return rows


def _imports(nodes: list[ast.stmt] | ast.AST) -> dict[str, str]:
    """{local name: dotted name} for the tickerpulse imports among (or under) the nodes."""
    out = {}
    walk = nodes if isinstance(nodes, list) else list(ast.walk(nodes))
    for node in walk:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tickerpulse"):
            for alias in node.names:
                out[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return out


def _calls(node: ast.AST, names: dict[str, str]) -> set[str]:
    """Dotted names of the tickerpulse callables called under `node` (`f()` or `mod.f()`)."""
    out = set()
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        if isinstance(func, ast.Name) and func.id in names:
            out.add(names[func.id])
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in names
        ):
            out.add(f"{names[func.value.id]}.{func.attr}")
    return out


def _decorator_name(node: ast.expr) -> str | None:
    node = node.func if isinstance(node, ast.Call) else node
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def dag_tasks(dag_file: Path) -> dict[str, set[str]]:
    """{task id: tickerpulse callables it calls} for the @task functions and operators of a file."""
    tree = ast.parse(dag_file.read_text(), filename=str(dag_file))
    module_names = _imports(tree.body)
    tasks: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
            _decorator_name(d) in TASK_DECORATORS for d in node.decorator_list
        ):
            tasks[node.name] = _calls(node, {**module_names, **_imports(node)}) - PLUMBING
        elif isinstance(node, ast.Call):  # an operator: SomeSensor(task_id="wait", ...)
            task_id = next((k.value for k in node.keywords if k.arg == "task_id"), None)
            if isinstance(task_id, ast.Constant) and isinstance(node.func, ast.Name):
                tasks[str(task_id.value)] = {module_names.get(node.func.id, node.func.id)}
    return tasks


def _all_tasks() -> dict[tuple[str, str], set[str]]:
    return {
        (dag_file.stem, task): calls
        for dag_file in sorted((ROOT / "dags").glob("*.py"))
        for task, calls in dag_tasks(dag_file).items()
    }


MAP = readme_map(README.read_text())
GRAPH = import_graph(PACKAGE_DIR)
FILES = module_files(PACKAGE_DIR)


def test_every_task_of_every_dag_has_a_row_and_nothing_else_does() -> None:
    tasks = _all_tasks()
    assert len(tasks) >= 18  # five DAG files were read
    assert sorted(MAP) == sorted(tasks)


@pytest.mark.parametrize("key", sorted(MAP), ids=lambda key: ".".join(key))
def test_the_dag_task_calls_the_function_and_it_imports(key: tuple[str, str]) -> None:
    function, _ = MAP[key]
    assert function in _all_tasks()[key], f"the DAG task {key} does not call {function}"
    module_name, _, attr = function.rpartition(".")
    assert callable(getattr(importlib.import_module(module_name), attr))


@pytest.mark.parametrize("key", sorted(MAP), ids=lambda key: ".".join(key))
def test_each_sql_file_exists_and_the_function_runs_it(key: tuple[str, str]) -> None:
    function, names = MAP[key]
    used = set()
    for module in reachable(GRAPH, function.rpartition(".")[0]):
        used |= set(re.findall(r'query\("([a-z0-9_]+)"\)', FILES[module].read_text()))
    for name in names:
        assert (QUERIES / f"{name}.sql").is_file(), f"sql/queries/{name}.sql does not exist"
        assert name in used, f"{function} never runs query({name!r})"


def test_the_parser_reads_a_planted_row_and_the_checks_catch_a_wrong_one() -> None:
    text = (
        "### Task map\n\n| DAG | task | function | SQL |\n|---|---|---|---|\n"
        "| reddit_sentiment | load | `tickerpulse.stages.aggregate.run` | `nope_missing` |\n"
        "\n## Next\n| a | b | c | d |\n"
    )
    rows = readme_map(text)
    assert rows == {
        ("reddit_sentiment", "load"): ("tickerpulse.stages.aggregate.run", ["nope_missing"])
    }
    assert "tickerpulse.stages.aggregate.run" not in _all_tasks()[("reddit_sentiment", "load")]
    assert not (QUERIES / "nope_missing.sql").exists()
