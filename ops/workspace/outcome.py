"""What a workspace check reports: problems found, or a tool it could not run without."""

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


def in_ci() -> bool:
    """CI=true (GitHub Actions and .ci/run set it): a check that can't run fails instead of skipping."""
    return os.environ.get("CI") == "true"
