"""Where the stack lives and what it is configured with: folders, ports, names and secrets.

Values come from the environment (the justfile loads .env), then .data/secrets.env, then the
defaults in services.py: the user's environment always wins.
"""

import os
import secrets
import shutil
import string
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from . import services
from .services import Service, Tool

ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = ROOT / "ops" / "stack"
VENV = ROOT / ".venv"
# Debian keeps PostgreSQL's programs in a versioned folder, daemons in sbin: looked up after PATH.
EXTRA_BIN_DIRS = (*sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True), Path("/usr/sbin"))


def find_tool(tool: Tool, path: str | None = None) -> str | None:
    """Absolute path of the first of the tool's names found on PATH or in Debian's extra folders."""
    search = os.pathsep.join([path or os.environ.get("PATH", ""), *map(str, EXTRA_BIN_DIRS)])
    return next((found for name in tool.names if (found := shutil.which(name, path=search))), None)


def read_env_file(path: Path) -> dict[str, str]:
    """KEY='value' lines (the format `write_secret` writes; the run scripts never read it)."""
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip().strip("'") for key, value in pairs}


@dataclass(frozen=True)
class Stack:
    """One stack: a checkout's .data/ (or DATA_DIR) and the variables it runs with."""

    vars: Mapping[str, str]
    data_dir: Path
    run_dir: Path  # short, for unix sockets (paths over ~100 bytes fail); one per checkout and data dir
    log_dir: Path
    secrets_file: Path
    pc_socket: Path  # process-compose's control socket
    pc_pidfile: Path

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> "Stack":
        environ = dict(os.environ if environ is None else environ)
        data_dir = Path(environ.get("DATA_DIR") or ROOT / ".data").resolve()
        defaults = dict(services.STACK_SETTINGS)
        for service in (*services.SERVICES, services.API2, services.LB):
            defaults |= {service.port_var: str(service.default_port), **service.settings}
        values = {**defaults, **read_env_file(data_dir / "secrets.env"), **environ, "DATA_DIR": str(data_dir)}
        tag = zlib.crc32(f"{ROOT}|{data_dir}".encode())
        runtime = environ.get("XDG_RUNTIME_DIR")
        # As root the service user must traverse it, and /run/user/0 is private: /tmp then.
        default_run_dir = Path(runtime) / f"djapi-{tag}" if runtime and os.geteuid() != 0 else None
        run_dir = Path(environ.get("RUN_DIR") or default_run_dir or f"/tmp/djapi-{os.geteuid()}-{tag}")  # noqa: S108
        files = (data_dir / "logs", data_dir / "secrets.env", run_dir / "pc.sock", run_dir / "pc.pid")
        return cls(values, data_dir, run_dir, *files)

    def port(self, service: Service | str) -> int:
        if isinstance(service, str):
            service = services.by_name(service)
        return int(self.vars[service.port_var])

    def with_secrets(self) -> "Stack":
        """Creates .data/secrets.env (mode 600) with every secret the environment doesn't set."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.secrets_file.touch(mode=0o600)
        self.secrets_file.chmod(0o600)
        alphabet = string.ascii_letters + string.digits
        added = {}
        for key in (key for service in (*services.SERVICES, services.LB) for key in service.secrets):
            if not self.vars.get(key):
                added[key] = "".join(secrets.choice(alphabet) for _ in range(64 if key == "SECRET_KEY" else 32))
        if added:
            with self.secrets_file.open("a") as file:
                file.writelines(f"{key}='{value}'\n" for key, value in added.items())
        return replace(self, vars={**self.vars, **added})

    def database_env(self, engine: str, redis_db: int = 0) -> dict[str, str]:
        """Django's database and cache settings for this stack, as DB_* (the template's contract)."""
        prefix, name_var = {"postgres": ("PG", "PG_DB"), "mysql": ("MYSQL", "MYSQL_DATABASE")}[engine]
        return {
            "DB_ENGINE": engine,
            "DB_NAME": self.vars[name_var],
            "DB_USER": self.vars[f"{prefix}_USER"],
            "DB_PASS": self.vars.get(f"{prefix}_PASSWORD", ""),
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port(engine)),
            "REDIS_URL": f"redis://127.0.0.1:{self.port('redis')}/{redis_db}",
        }
