"""tools/split_asserts.py: `assert a and b` becomes one assert per condition, nothing else moves."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from tools.split_asserts import main, split_asserts

ROOT = Path(__file__).resolve().parents[1]


def split(source: str) -> tuple[str, int]:
    return split_asserts(textwrap.dedent(source))


def test_a_chain_becomes_one_assert_per_condition_with_the_message_on_each() -> None:
    out, count = split(
        """\
        def test_x():
            x = 1  # kept
            assert x == 1 and x > 0 and (x < 2 and x != 3), f"x={x}"  # why

            assert x
        """
    )
    assert count == 1
    assert out == textwrap.dedent(
        """\
        def test_x():
            x = 1  # kept
            assert x == 1, f"x={x}"
            assert x > 0, f"x={x}"
            assert x < 2, f"x={x}"
            assert x != 3, f"x={x}"  # why

            assert x
        """
    )


def test_operands_that_cannot_stand_alone_are_parenthesised() -> None:
    out, count = split(
        """\
        assert (y := 2) and (y ==
                             2) and [
            1,
        ]
        """
    )
    assert count == 1
    assert out == "assert (y := 2)\nassert (y ==\n                     2)\nassert [\n    1,\n]\n"
    assert ast.dump(ast.parse(out)) == ast.dump(
        ast.parse("assert (y := 2)\nassert y == 2\nassert [1]\n")
    )


@pytest.mark.parametrize(
    "source",
    [
        "if x: assert a and b\n",
        "assert a and b; c = 1\n",
        "c = 1; assert a and b\n",
        "assert (a  # which one\n        and b)\n",
        "assert a or b\n",
        "assert not (a and b)\n",
        "assert a\n",
        '"""assert a and b"""\n',
    ],
)
def test_what_is_left_alone(source: str) -> None:
    assert split_asserts(source) == (source, 0)


def test_idempotent_and_line_endings_and_non_ascii_kept() -> None:
    source = 'def f():\r\n    assert "é" and "ü" == x, "ä"\r\n    return 1\r\n'
    once, count = split_asserts(source)
    assert count == 1
    assert once == 'def f():\r\n    assert "é", "ä"\r\n    assert "ü" == x, "ä"\r\n    return 1\r\n'
    assert split_asserts(once) == (once, 0)


def test_the_command_rewrites_files_and_check_mode_changes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "test_a.py"
    target.parent.mkdir()
    target.write_text("assert a and b\n")
    assert main(["--check", str(tmp_path)]) == 1
    assert target.read_text() == "assert a and b\n"
    assert main([str(tmp_path)]) == 0
    assert target.read_text() == "assert a\nassert b\n"
    assert main(["--check", str(tmp_path)]) == 0
