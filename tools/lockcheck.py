"""Check that requirements.lock still matches pyproject.toml.

The lock is compiled by `make lock` (uv pip compile). This check fails when someone edits the
dependencies in pyproject.toml without recompiling: the lock records a hash of the dependency
lists it was compiled from, and every direct requirement must be pinned in the lock at a version
its specifier admits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tickerpulse.config import PROJECT_ROOT

HASH_LINE = "# pyproject-dependencies-sha256: "


def direct_requirements(pyproject: Path) -> list[str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    return sorted(project["dependencies"]) + sorted(project["optional-dependencies"]["dev"])


def dependency_hash(pyproject: Path) -> str:
    return hashlib.sha256(json.dumps(direct_requirements(pyproject)).encode()).hexdigest()


def pins(lock: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def problems(pyproject: Path, lock: Path) -> list[str]:
    text = lock.read_text(encoding="utf-8")
    errors = []
    recorded = next(
        (ln[len(HASH_LINE) :].strip() for ln in text.splitlines() if ln.startswith(HASH_LINE)), None
    )
    if recorded != dependency_hash(pyproject):
        errors.append(
            "pyproject.toml dependencies changed since the lock was compiled: run `make lock`"
        )
    pinned = pins(lock)
    for spec in direct_requirements(pyproject):
        req = Requirement(spec)
        version = pinned.get(canonicalize_name(req.name))
        if version is None:
            errors.append(f"{req.name} is not pinned in {lock.name}")
        elif req.specifier and not req.specifier.contains(version, prereleases=True):
            errors.append(f"{req.name}=={version} in {lock.name} does not satisfy {spec!r}")
    return errors


def write_hash(pyproject: Path, lock: Path) -> None:
    lines = [
        ln for ln in lock.read_text(encoding="utf-8").splitlines() if not ln.startswith(HASH_LINE)
    ]
    lock.write_text(
        "\n".join([HASH_LINE + dependency_hash(pyproject), *lines]) + "\n", encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--write", action="store_true", help="record the hash after `uv pip compile`"
    )
    args = parser.parse_args(argv)
    pyproject, lock = PROJECT_ROOT / "pyproject.toml", PROJECT_ROOT / "requirements.lock"
    if args.write:
        write_hash(pyproject, lock)
    errors = problems(pyproject, lock)
    for error in errors:
        print(f"lock check: {error}", file=sys.stderr)
    if not errors:
        print(f"lock check: {lock.name} matches pyproject.toml ({len(pins(lock))} pins)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
