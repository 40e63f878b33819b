"""A PostgreSQL data dir made by another major version: found before anything starts, with the way out.

PostgreSQL opens only data dirs of its own major version; started on another, it exits and
process-compose would restart it until it gives up. `just up` checks PG_VERSION first instead and
says how to move the data across (a dump from the old server, loaded into a new cluster).
"""

import re
import subprocess
from pathlib import Path

from . import services
from .layout import Stack, find_tool

# "postgres (PostgreSQL) 17.4 (Debian 17.4-1.pgdg120+2)"; before 10 the major version had two parts (9.6).
VERSION_LINE = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")


def server_major(postgres: str) -> str:
    """The major version of a `postgres` binary, as PG_VERSION writes it ("17", "9.6")."""
    line = subprocess.run([postgres, "--version"], capture_output=True, text=True, check=True).stdout
    found = VERSION_LINE.search(line)
    if not found:
        raise ValueError(f"{postgres} --version: no version in {line!r}")
    major, minor = found.groups()
    return major if int(major) >= 10 else f"{major}.{minor}"


def data_dir_major(data_dir: Path) -> str | None:
    """The major version that created the cluster in data_dir (None: no cluster yet)."""
    stamp = data_dir / "PG_VERSION"
    return stamp.read_text().strip() if stamp.is_file() else None


def incompatibility(stack: Stack) -> str | None:
    """What to tell the user when the stack's cluster was made by another major version; None when fine."""
    data_dir = stack.data_dir / "postgres"
    made_by = data_dir_major(data_dir)
    postgres = find_tool(services.POSTGRES.tools[0])
    if made_by is None or postgres is None:
        return None
    server = server_major(postgres)
    if made_by == server:
        return None
    aside = data_dir.with_name(f"postgres-{made_by}")
    dump = stack.data_dir / f"app-postgres-{made_by}.sql"
    return "\n".join(
        [
            f"{data_dir} was created by PostgreSQL {made_by}; this server ({postgres}) is PostgreSQL {server}, "
            "which cannot open it. Nothing was started.",
            f"To move the data to PostgreSQL {server}, dump it with the old server and load it into a new cluster:",
            f"  1. start PostgreSQL {made_by} on it: its programs first on PATH, e.g.",
            f"       PATH=/usr/lib/postgresql/{made_by}/bin:$PATH just up postgres      (Debian: apt-get install "
            f"postgresql-{made_by})",
            f"       nix shell nixpkgs#postgresql_{made_by} -c just up postgres         (Nix)",
            f"  2. dump the app database:          just db-dump {dump} postgres",
            f"  3. stop, set the old cluster aside: just down && mv {data_dir} {aside}",
            f"  4. a new cluster, PostgreSQL {server}:  just up postgres",
            f"  5. load the dump:                  just db-load {dump} postgres && just up",
            f"Or start afresh without the data: move {data_dir} aside (or `just clean`) and `just up`.",
        ]
    )
