"""The backend's manage.py for evidence runs (benchmark, fuzzing): one-shots, and the accounts a run logs in with.

Commands run with the settings and database in the given environment: those of the API under test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"

# By email: an account a previous run renamed stays behind, like the ones sign-up fuzzing creates.
RESET_SCRIPT = """
import json, os
from apps.users.models import User
for wanted in json.loads(os.environ["RESET_ACCOUNTS"]):
    user = User.objects.filter(email=wanted["email"]).first() or User(email=wanted["email"])
    user.first_name, user.last_name = "", ""
    user.is_active, user.is_staff, user.is_superuser = True, wanted["staff"], False
    user.set_password(wanted["password"])
    user.save()
    print(json.dumps({"email": user.email, "id": user.pk, "hasher": user.password.rsplit("$", 2)[0]}))
"""


class ManageError(RuntimeError):
    """manage.py failed; the message carries its output."""


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    staff: bool = False


@dataclass(frozen=True)
class Reset:
    """What the database holds now: the primary key, and the hash's algorithm and parameters (no salt or hash)."""

    id: int
    hasher: str


def manage(env: Mapping[str, str], *args: str, backend: Path = BACKEND) -> str:
    """`manage.py ARGS`; its stdout."""
    # One-shots keep out of a running gunicorn's multiprocess metrics directory.
    env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    out = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=backend, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise ManageError(f"manage.py {args[0]} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def reset_accounts(accounts: Sequence[Account], env: Mapping[str, str], backend: Path = BACKEND) -> dict[str, Reset]:
    """Each account active, not superuser, staff as asked, names cleared, with its password; keyed by email."""
    wanted = json.dumps([{"email": a.email, "password": a.password, "staff": a.staff} for a in accounts])
    shell = ("shell", "--no-imports", "-v", "0", "-c", RESET_SCRIPT)
    out = manage({**env, "RESET_ACCOUNTS": wanted}, *shell, backend=backend)
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {row["email"]: Reset(row["id"], row["hasher"]) for row in rows}
