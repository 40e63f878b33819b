"""The stack's databases over their lifetime: reset, snapshots, dumps and sample data.

python3 -m ops.stack.database reset [postgres|mysql]           drop, create, migrate
python3 -m ops.stack.database snapshot NAME [postgres|mysql]   save the app database as NAME (replaces one)
python3 -m ops.stack.database restore NAME [postgres|mysql]    put NAME back as the app database
python3 -m ops.stack.database snapshots [postgres|mysql]       list them
python3 -m ops.stack.database drop-snapshot NAME [postgres|mysql]  delete snapshot NAME
python3 -m ops.stack.database dump FILE [postgres|mysql]       the app database as SQL into FILE
python3 -m ops.stack.database load FILE [postgres|mysql]       a new app database from such a FILE
python3 -m ops.stack.database seed [postgres|mysql]            sample accounts (manage.py seed)
python3 -m ops.stack.database unlock EMAIL [postgres|mysql]    lift the login lockout of one account

The engine defaults to the stack's (STACK_DB_ENGINE, else postgres). Everything runs as the app's
own role over TCP, with the ports and password `Stack.load` gives (it owns the database and may
create databases), and only against a local server: these commands drop databases.

PostgreSQL snapshots are databases in the cluster (`<db>_snapshot_<name>`, made with
`CREATE DATABASE ... TEMPLATE`: a file copy, no SQL replay); MySQL/MariaDB snapshots are
mysqldump files in .data/snapshots/mysql/.
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from . import compose, services
from .driver import StackError, log, program
from .layout import ROOT, VENV, Stack, port_in_use
from .services import Tool

ENGINES = ("postgres", "mysql")
COMMANDS = ("reset", "snapshot", "restore", "snapshots", "drop-snapshot", "dump", "load", "seed", "unlock")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
SNAPSHOT_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,39}")


# The dump programs come in the same packages as the clients.
PSQL = services.POSTGRES.tool("psql")
PG_DUMP = replace(PSQL, names=("pg_dump",))
MYSQL = services.MYSQL.tool("mysql")
MYSQLDUMP = replace(MYSQL, names=("mysqldump", "mariadb-dump"))
MYSQL_CHARSET = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"  # as mysql/init.sh creates it
# Variables of the caller that must not reach Django run against the stack.
NOT_FOR_DJANGO = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR")


@dataclass(frozen=True)
class Target:
    """One database server of the stack and the app's database on it, as the app connects to it."""

    engine: str
    host: str
    port: int
    name: str
    user: str
    password: str

    @classmethod
    def of(cls, stack: Stack, engine: str) -> "Target":
        env = stack.database_env(engine)
        return cls(engine, env["DB_HOST"], int(env["DB_PORT"]), env["DB_NAME"], env["DB_USER"], env["DB_PASS"])

    def require_local(self, action: str) -> None:
        """These commands drop databases: never on a server elsewhere (a socket path is local)."""
        if self.host not in LOCAL_HOSTS and not self.host.startswith("/"):
            raise StackError(
                f"{action} runs only against a local database (localhost, 127.0.0.1, ::1 or a unix socket); "
                f"the {self.engine} database '{self.name}' is on {self.host}. Nothing was done."
            )

    def require_running(self) -> None:
        if not self.host.startswith("/") and not port_in_use(self.port):
            raise StackError(f"{self.engine} is not running on {self.host}:{self.port}: `just up {self.engine}` first")

    @property
    def snapshot_prefix(self) -> str:
        return f"{self.name}_snapshot_"


def client(
    target: Target,
    tool: Tool,
    args: Sequence[str],
    *,
    sql: str | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
) -> str:
    """psql, pg_dump, mysql or mysqldump logged in as the app (the password through the environment)."""
    if target.engine == "postgres":
        login = ["-w", "-h", target.host, "-p", str(target.port), "-U", target.user, *(["-X"] if tool == PSQL else [])]
        env = {**os.environ, "PGPASSWORD": target.password, "PGCONNECT_TIMEOUT": "5"}
    else:
        # --no-defaults first: no option file of the user's may point it elsewhere.
        login = ["--no-defaults", "--protocol=TCP", "-h", target.host, "-P", str(target.port), "-u", target.user]
        env = {**os.environ, "MYSQL_PWD": target.password}
    result = subprocess.run(
        [program(tool), *login, *args],
        env=env,
        text=True,
        input=sql,
        stdin=stdin,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        raise StackError(f"{tool.names[0]} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout or ""


def psql(target: Target, statements: Sequence[str], variables: Mapping[str, str] | None = None) -> str:
    """psql statements on the maintenance database, one a line (CREATE and DROP DATABASE can't share a
    transaction block); names reach them only as psql variables (:"name" an identifier, :'name' a literal)."""
    args = ["-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]
    args += [f"--variable={key}={value}" for key, value in {"db": target.name, **(variables or {})}.items()]
    return client(target, PSQL, args, sql="".join(f"{statement}\n" for statement in statements))


def mysql(target: Target, sql: str) -> str:
    return client(target, MYSQL, ["-N", "-B"], sql=sql)


# Open (:allow true) or close the app database to new sessions, if it exists.
ALLOW_CONNECTIONS = (
    "SELECT format('ALTER DATABASE %I ALLOW_CONNECTIONS %s', :'db', :'allow')"
    " WHERE EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \\gexec"
)
OPEN = ("\\set allow true", ALLOW_CONNECTIONS)
# Before the app database is dropped or copied: no new sessions, and the app's own ended. (Not
# DROP ... WITH (FORCE): it would end autovacuum's workers too, which only a superuser may; a plain
# DROP or CREATE ... TEMPLATE stops those itself.)
CLOSE = (
    "\\set allow false",
    ALLOW_CONNECTIONS,
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = :'db' AND usename = current_user AND pid <> pg_backend_pid();",
)


@contextmanager
def closed(target: Target) -> Iterator[None]:
    """Whatever happens inside, the app database (when it exists) takes sessions again afterwards."""
    try:
        yield
    finally:
        psql(target, OPEN)


def quoted(name: str) -> str:
    """A MySQL identifier, quoted."""
    return "`" + name.replace("`", "``") + "`"


def recreate(target: Target) -> None:
    """The app database dropped (its sessions ended) and created empty, as the init steps create it."""
    if target.engine == "postgres":
        with closed(target):
            created = "CREATE DATABASE :\"db\" ENCODING 'UTF8' TEMPLATE template0;"
            psql(target, [*CLOSE, 'DROP DATABASE IF EXISTS :"db";', created])
    else:
        db = quoted(target.name)
        mysql(target, f"DROP DATABASE IF EXISTS {db};\nCREATE DATABASE {db} {MYSQL_CHARSET};\n")


def django_env(stack: Stack, engine: str) -> dict[str, str]:
    """The caller's environment with the stack's database and Redis, as the stack's API has them."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_FOR_DJANGO}
    return {**env, **stack.database_env(engine), "DJANGO_ENV": env.get("DJANGO_ENV", "development")}


def manage(stack: Stack, engine: str, *args: str) -> None:
    python = VENV / "bin" / "python"
    if not python.exists():
        raise StackError(f"no {python}: run 'just setup' first")
    code = subprocess.call([str(python), "manage.py", *args], cwd=ROOT / "backend", env=django_env(stack, engine))
    if code != 0:
        raise StackError(f"manage.py {' '.join(args)} failed ({code})")


def reset(stack: Stack, target: Target) -> None:
    log(f"{target.engine}: dropping and creating '{target.name}' on {target.host}:{target.port}")
    recreate(target)
    manage(stack, target.engine, "migrate", "--noinput")
    log(f"{target.engine}: '{target.name}' is empty and migrated")


def snapshot_name(name: str) -> str:
    if not SNAPSHOT_NAME.fullmatch(name):
        raise StackError(f"snapshot name {name!r}: 1-40 of a-z, 0-9 and _, starting with a letter or digit")
    return name


def snapshot_file(stack: Stack, name: str) -> Path:
    return stack.data_dir / "snapshots" / "mysql" / f"{name}.sql"


def snapshot(stack: Stack, target: Target, name: str) -> None:
    name = snapshot_name(name)
    if target.engine == "postgres":
        pg_snapshot(target, name)
    else:
        path = snapshot_file(stack, name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        dump(target, partial)
        partial.replace(path)
    log(f"{target.engine}: '{target.name}' saved as snapshot '{name}' (`just db-restore {name} {target.engine}`)")


def pg_snapshot(target: Target, name: str) -> None:
    """A template copy needs the source without sessions: new ones are refused while the app's are ended."""
    snap = {"snap": target.snapshot_prefix + name, "note": f"snapshot of {target.name}, {time.strftime('%F %T %Z')}"}
    with closed(target):
        psql(
            target,
            [
                *CLOSE,
                'DROP DATABASE IF EXISTS :"snap";',
                'CREATE DATABASE :"snap" TEMPLATE :"db";',
                # Nobody works in a snapshot by mistake; a restore copies it all the same.
                'ALTER DATABASE :"snap" ALLOW_CONNECTIONS false;',
                "COMMENT ON DATABASE :\"snap\" IS :'note';",
            ],
            snap,
        )


def existing_snapshot(stack: Stack, target: Target, name: str) -> str:
    """NAME, checked: a valid snapshot name that this engine has."""
    name = snapshot_name(name)
    if name not in (have := snapshots(stack, target)):
        listed = ", ".join(have) or "none"
        raise StackError(f"no {target.engine} snapshot '{name}' (have: {listed}); `just db-snapshot {name}` makes one")
    return name


def restore(stack: Stack, target: Target, name: str) -> None:
    name = existing_snapshot(stack, target, name)
    if target.engine == "postgres":
        # Copied under another name first: the app database is replaced only once the copy exists.
        copy = {"snap": target.snapshot_prefix + name, "copy": f"{target.name}_restoring"}
        with closed(target):
            psql(
                target,
                [
                    'DROP DATABASE IF EXISTS :"copy";',
                    'CREATE DATABASE :"copy" TEMPLATE :"snap";',
                    *CLOSE,
                    'DROP DATABASE IF EXISTS :"db";',
                    'ALTER DATABASE :"copy" RENAME TO :"db";',
                ],
                copy,
            )
    else:
        load(target, snapshot_file(stack, name))
    log(f"{target.engine}: '{target.name}' restored from snapshot '{name}'")
    forget_migrate(stack)


def drop_snapshot(stack: Stack, target: Target, name: str) -> None:
    name = existing_snapshot(stack, target, name)
    if target.engine == "postgres":
        psql(target, ['DROP DATABASE :"snap";'], {"snap": target.snapshot_prefix + name})
    else:
        snapshot_file(stack, name).unlink()
    log(f"{target.engine}: snapshot '{name}' deleted")


def forget_migrate(stack: Stack) -> None:
    """A restored or loaded database may predate the migrations: the next `just up` migrates again
    (it leaves the step out while its stamp matches the migration files)."""
    compose.stamp_file(stack, services.API).unlink(missing_ok=True)


def snapshots(stack: Stack, target: Target) -> dict[str, str]:
    """Snapshot name -> what it is (size, when)."""
    if target.engine == "mysql":
        files = sorted(snapshot_file(stack, "-").parent.glob("*.sql"))
        return {path.stem: describe_file(path) for path in files}
    rows = psql(
        target,
        [
            "SELECT substr(datname, length(:'prefix') + 1), pg_size_pretty(pg_database_size(oid)),"
            " shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE starts_with(datname, :'prefix') ORDER BY 1;"
        ],
        {"prefix": target.snapshot_prefix},
    )
    return {name: f"{size}, {note}" for name, size, note in (row.split("|") for row in rows.splitlines())}


def describe_file(path: Path) -> str:
    when = time.strftime("%F %T", time.localtime(path.stat().st_mtime))
    return f"{path.stat().st_size / 1000:.0f} kB, {when}"


def dump(target: Target, path: Path) -> None:
    """The app database as SQL (schema and data, no owners or grants): what `load` reads."""
    with path.open("w") as out:
        path.chmod(0o600)  # password hashes and tokens
        if target.engine == "postgres":
            client(target, PG_DUMP, ["--no-owner", "--no-privileges", "-d", target.name], stdout=out)
        else:
            options = ["--single-transaction", "--no-tablespaces", "--skip-dump-date"]
            client(target, MYSQLDUMP, [*options, target.name], stdout=out)


def load(target: Target, path: Path) -> None:
    """A new app database made from a `dump` file (what was there is dropped)."""
    if not path.is_file():
        raise StackError(f"no dump at {path}")
    recreate(target)
    if target.engine == "postgres":
        client(
            target, PSQL, ["-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", target.name, "-f", str(path)]
        )
    else:
        with path.open() as sql:
            client(target, MYSQL, ["-D", target.name], stdin=sql)


def run(stack: Stack, target: Target, command: str, operand: str = "") -> None:
    """One command on a local, running server (the guards apply to every command, before anything runs)."""
    target.require_local(f"db {command}")
    target.require_running()
    match command:
        case "reset":
            reset(stack, target)
        case "snapshot":
            snapshot(stack, target, operand)
        case "restore":
            restore(stack, target, operand)
        case "drop-snapshot":
            drop_snapshot(stack, target, operand)
        case "snapshots":
            for name, about in snapshots(stack, target).items() or [("(none)", f"no {target.engine} snapshots yet")]:
                print(f"{name}\t{about}")
        case "dump":
            dump(target, Path(operand).resolve())
            log(f"{target.engine}: '{target.name}' dumped to {operand}")
        case "load":
            load(target, Path(operand).resolve())
            forget_migrate(stack)
            log(f"{target.engine}: '{target.name}' loaded from {operand}")
        case "seed":
            manage(stack, target.engine, "seed")
        case "unlock":
            # Lower-cased as apps.users.models.normalize_email stores it, which the lockout is keyed by.
            manage(stack, target.engine, "axes_reset_username", operand.strip().lower())


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("help", [])
    with_operand = command in ("snapshot", "restore", "drop-snapshot", "dump", "load", "unlock")
    if command not in COMMANDS or (with_operand and not args):
        print(__doc__)
        return 0 if command == "help" else 2
    operand, rest = (args[0], args[1:]) if with_operand else ("", args)
    stack = Stack.load()
    engine = rest[0] if rest else stack.vars.get("STACK_DB_ENGINE", "postgres")
    if engine not in ENGINES:
        raise StackError(f"unknown database engine {engine!r}: one of {', '.join(ENGINES)}")
    run(stack, Target.of(stack, engine), command, operand)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
