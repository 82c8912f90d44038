"""Import rules for the runtime package: no cycles, and no layer importing the one above it.

The graph is built by tools/import_graph.py (with `ast`; import-linter is not in the lock). The
checker is tested on planted violations, so a green run means "no violation", not "nothing was
checked".
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tools.import_graph import (
    KNOWN_SOURCE_IMPORTS,
    concrete_source_imports,
    find_cycles,
    import_graph,
    outside_runtime_imports,
    upward_imports,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "include" / "tickerpulse"


# --- the rules, on the real package ------------------------------------------------------------


def test_the_runtime_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert len(graph) > 100  # the whole package was read
    assert find_cycles(graph) == []


def test_lower_layers_do_not_import_the_task_layer() -> None:
    assert upward_imports(import_graph(PACKAGE_DIR), "tickerpulse") == []


def test_concrete_sources_are_reached_through_the_factory() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert concrete_source_imports(graph, "tickerpulse", KNOWN_SOURCE_IMPORTS) == []


def test_the_runtime_imports_no_tests_tools_or_dag_files() -> None:
    assert outside_runtime_imports(PACKAGE_DIR) == []


# --- the checker itself, on planted violations -------------------------------------------------


def _copy_package(tmp_path: Path) -> Path:
    target = tmp_path / "tickerpulse"
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("data", "__pycache__"))
    return target


def _append(path: Path, line: str) -> None:
    path.write_text(path.read_text() + "\n" + line + "\n")


def test_a_planted_cycle_fails_the_check(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    # result.py is imported by runner.py; a lazy import back closes the loop.
    _append(
        package / "evaluation" / "result.py",
        "def _later():\n    from tickerpulse.evaluation import runner  # noqa\n",
    )
    cycles = find_cycles(import_graph(package))
    assert len(cycles) == 1
    assert {"tickerpulse.evaluation.result", "tickerpulse.evaluation.runner"} <= set(cycles[0])


def test_a_planted_relative_import_cycle_fails_the_check(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "b.py").write_text("from .. import c\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from pkg.a import something\n")
    assert find_cycles(import_graph(package)) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_a_planted_upward_import_fails_the_check(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    _append(
        package / "warehouse" / "copy.py", "from tickerpulse.stages.paths import raw_url  # noqa"
    )
    _append(package / "sources" / "base.py", "import tests.conftest  # noqa")
    assert upward_imports(import_graph(package), "tickerpulse") == [
        ("tickerpulse.warehouse.copy", "tickerpulse.stages.paths")
    ]
    assert outside_runtime_imports(package) == [("tickerpulse.sources.base", "tests")]


def test_a_planted_concrete_source_import_fails_the_check(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    _append(package / "prices" / "fetch.py", "from tickerpulse.sources import prices_yfinance")
    assert concrete_source_imports(import_graph(package), "tickerpulse", KNOWN_SOURCE_IMPORTS) == [
        ("tickerpulse.prices.fetch", "tickerpulse.sources.prices_yfinance")
    ]
