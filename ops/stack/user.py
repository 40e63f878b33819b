"""Running as root: the one place that knows about it.

PostgreSQL and MySQL refuse to run as root, and a service shouldn't anyway: as root, the stack
creates an unprivileged system user and starts every service as that user (setpriv, Linux; root
on a Mac is not a supported way to run the stack). As any other user, nothing changes.
"""

import os
import pwd
import shutil
import subprocess
from pathlib import Path

SERVICE_USER = os.environ.get("SERVICE_USER", "devsvc")


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_service_user() -> None:
    if not is_root():
        return
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                "--user-group",
                SERVICE_USER,
            ],
            check=True,
        )
        print(f"[stack] created system user '{SERVICE_USER}' to run the services (root detected)")


def as_service_user(argv: list[str]) -> list[str]:
    """The command line that runs argv as the service user when root; argv itself otherwise."""
    if not is_root():
        return argv
    user = pwd.getpwnam(SERVICE_USER)
    identity = [f"USER={SERVICE_USER}", f"LOGNAME={SERVICE_USER}"]
    drop = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--"]
    return [*drop, "env", *identity, *argv]


def give(path: Path, mode: int = 0o700) -> None:
    """Creates path (a folder) for a service: the service user's when root, private either way."""
    path.mkdir(parents=True, exist_ok=True)
    if is_root() and path.stat().st_uid != pwd.getpwnam(SERVICE_USER).pw_uid:
        # Files the service creates are its own already: only a tree made by root needs a walk.
        subprocess.run(["chown", "-R", f"{SERVICE_USER}:", str(path)], check=True)
    path.chmod(mode)


def give_file(path: Path) -> None:
    """A file the driver rendered for a service, readable by it."""
    if is_root():
        shutil.chown(path, SERVICE_USER)


def can_reach(path: Path) -> bool:
    """Whether the service user can reach path (every parent searchable); always true when not root."""
    if not is_root():
        return True
    probe = subprocess.run(as_service_user(["test", "-r", str(path)]), check=False)
    return probe.returncode == 0
