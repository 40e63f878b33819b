"""The one rule for a check that can't run because a tool is missing.

Under CI=true it fails, naming the tool, unless that CI declares the tool absent on purpose (CI_WITHOUT,
names split by spaces: a machine with no source for it); elsewhere it is skipped with how to get the tool.
The workspace checks, the deploy checks and the test helpers all decide through `must_fail`.
"""

import os
import shutil


class ToolMissing(Exception):
    """A check could not run: `tool` is not available; `how` says how to get it."""

    def __init__(self, tool: str, how: str) -> None:
        super().__init__(f"{tool} not found: {how}")
        self.tool = tool
        self.how = how


def require_tool(tool: str, how: str) -> str:
    """The path of `tool` on PATH, or ToolMissing naming it and how to get it."""
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(tool, how)
    return path


def must_fail(tool: str) -> bool:
    """True when a check missing `tool` fails rather than skips: CI=true and `tool` not in CI_WITHOUT."""
    return os.environ.get("CI") == "true" and tool not in os.environ.get("CI_WITHOUT", "").split()
