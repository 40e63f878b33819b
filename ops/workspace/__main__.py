"""Run the workspace checks: `python -m ops.workspace [CHECK ...]` (all when none is named).

A check whose tool is missing fails under CI=true and is skipped with how to get the tool otherwise.
"""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ops.required_tools import ToolMissing, must_fail

from . import files, libraries, syspath

Check = Callable[[Path], list[str]]
CHECKS: dict[str, tuple[str, Check]] = {
    "flake": ("flake.nix parses", lambda venv: files.flake_parses()),
    "lock": ("flake.lock locks what flake.nix declares", lambda venv: files.lock_consistent()),
    "envrc": (".envrc uses the flake", lambda venv: files.envrc_uses_flake()),
    "devcontainer": ("devcontainer.json matches the Dev Container schema", files.devcontainer_valid),
    "workflow": ("the CI workflow passes actionlint and the workflow schema", files.workflow_valid),
    "libraries": ("every library a binary wheel needs is bundled, glibc's or the flake's", libraries.problems),
    "syspath": (".venv/bin/python sees only .venv and the standard library", syspath.problems),
}


def run_check(name: str, venv: Path) -> bool:
    """Print the check's outcome; False when it failed."""
    title, check = CHECKS[name]
    try:
        problems = check(venv)
    except ToolMissing as missing:
        if must_fail(missing.tool):
            print(f"FAIL {title}: {missing} (CI=true: a check that can't run fails)")
            return False
        print(f"skip {title}: {missing}")
        return True
    for problem in problems:
        print(f"FAIL {title}: {problem}")
    if not problems:
        print(f"ok   {title}")
    return not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.workspace", description=__doc__)
    parser.add_argument("checks", nargs="*", metavar="CHECK", help=f"any of {', '.join(CHECKS)} (default: all)")
    parser.add_argument("--venv", type=Path, default=files.REPO / ".venv", help="the project's virtualenv")
    args = parser.parse_args(argv)
    if unknown := set(args.checks) - set(CHECKS):
        parser.error(f"unknown checks {sorted(unknown)}")
    results = [run_check(name, args.venv) for name in args.checks or CHECKS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
