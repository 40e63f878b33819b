"""Where the stack lives and what it is configured with: folders, ports, names and secrets.

Values come from the environment (the justfile loads .env), then .data/secrets.env and
.data/ports.json, then the defaults in services.py: the user's environment always wins.

Ports: each checkout (each data dir) has a block of BLOCK_SIZE ports of its own, so clones run side
by side. The block is derived from the data dir's path (the first free one from there), kept in
.data/ports.json by the first `up`, and each service sits at its offset in it (services.toml).
"""

import json
import os
import secrets
import shutil
import socket
import string
import urllib.parse
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


# Blocks of ten ports from 20000 up to 29999: below Linux's ephemeral range (32768-60999), above
# the usual defaults of the services themselves (which a system's own PostgreSQL or Redis may hold).
FIRST_BLOCK_PORT, BLOCK_SIZE, BLOCKS = 20000, 10, 1000
PORTS_FILE = "ports.json"


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
    port_block: Mapping[str, int]  # the block load() chose (or found kept), before *_PORT overrides

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> "Stack":
        environ = dict(os.environ if environ is None else environ)
        data_dir = Path(environ.get("DATA_DIR") or ROOT / ".data").resolve()
        defaults = dict(services.STACK_SETTINGS)
        for service in services.ALL:
            defaults |= dict(service.settings)
        block = block_ports(data_dir)
        ports = {key: str(port) for key, port in block.items()}
        secret_values = read_env_file(data_dir / "secrets.env")
        values = {**defaults, **ports, **secret_values, **environ, "DATA_DIR": str(data_dir)}
        tag = zlib.crc32(f"{ROOT}|{data_dir}".encode())
        runtime = environ.get("XDG_RUNTIME_DIR")
        # As root the service user must traverse it, and /run/user/0 is private: /tmp then.
        default_run_dir = Path(runtime) / f"djapi-{tag}" if runtime and os.geteuid() != 0 else None
        run_dir = Path(environ.get("RUN_DIR") or default_run_dir or f"/tmp/djapi-{os.geteuid()}-{tag}")  # noqa: S108
        files = (data_dir / "logs", data_dir / "secrets.env", run_dir / "pc.sock", run_dir / "pc.pid")
        return cls(values, data_dir, run_dir, *files, block)

    def port(self, service: Service | str) -> int:
        if isinstance(service, str):
            service = services.by_name(service)
        return int(self.vars[service.port_var])

    def keep_ports(self) -> None:
        """Writes .data/ports.json, so the block stays this checkout's whatever starts later: the block
        this stack was loaded with, the one its ports were read from, not a second probe of free ports."""
        path = self.data_dir / PORTS_FILE
        if read_ports(path, self.data_dir) is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            kept = {"data_dir": str(self.data_dir), "ports": dict(self.port_block)}
            path.write_text(json.dumps(kept, indent=2) + "\n")

    def with_secrets(self) -> "Stack":
        """Creates .data/secrets.env (mode 600) with every secret the environment doesn't set."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.secrets_file.touch(mode=0o600)
        self.secrets_file.chmod(0o600)
        alphabet = string.ascii_letters + string.digits
        added = {}
        for key in (key for service in services.ALL for key in service.secrets):
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
            "REDIS_URL": self.redis_url(redis_db),
        }

    def redis_url(self, db: int = 0) -> str:
        """The stack's Redis, with its password (requirepass) when it has one."""
        password = self.vars.get("REDIS_PASSWORD", "")
        login = f":{urllib.parse.quote(password, safe='')}@" if password else ""
        return f"redis://{login}127.0.0.1:{self.port('redis')}/{db}"


def read_ports(path: Path, data_dir: Path) -> dict[str, int] | None:
    """The ports kept in ports.json, unless it was made for another data dir (a copied checkout)."""
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if kept.get("data_dir") != str(data_dir):
        return None
    return {key: int(port) for key, port in kept["ports"].items()}


def block_ports(data_dir: Path) -> dict[str, int]:
    """The data dir's ports: those kept in ports.json, or the first free block from its path's hash."""
    kept = read_ports(data_dir / PORTS_FILE, data_dir)
    if kept is not None:
        return kept
    start = zlib.crc32(str(data_dir).encode()) % BLOCKS
    blocks = ((start + step) % BLOCKS for step in range(BLOCKS))
    first = next((block for block in blocks if not any(map(port_in_use, block_of(block).values()))), start)
    return block_of(first)


def block_of(block: int) -> dict[str, int]:
    base = FIRST_BLOCK_PORT + block * BLOCK_SIZE
    return {service.port_var: base + service.port_offset for service in services.ALL}


def port_in_use(port: int) -> bool:
    """Something accepts connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0
