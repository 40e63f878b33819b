"""The database lifecycle (`just db-reset`, `db-snapshot`, `db-restore`, `seed`; ops/stack/database.py).

On the running stack's PostgreSQL and MySQL/MariaDB (`just up`; marker `stack`, so `just test-stack`),
through the same command line the recipes call, on a database of their own (the app user may create
`test_*` databases on both): the stack's own `app` database is never touched. Besides, without
services: every command refuses a server that isn't local, and `up` refuses a PostgreSQL data dir
made by another major version, saying how to migrate it.
"""

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import MySQLdb
import psycopg
import pytest

from ops.stack import compose, database, pgdata, services
from ops.stack.database import COMMANDS, Target
from ops.stack.driver import StackError, run_cli
from ops.stack.layout import ROOT, Stack, find_tool, port_in_use

from .helpers import run_stack, unavailable

DATABASE = "test_db_lifecycle"
SNAPSHOT = "dbtest"
DROPPED = "dbtest_dropped"
SUPERUSER = {"DJANGO_SUPERUSER_EMAIL": "seed-admin@example.com", "DJANGO_SUPERUSER_PASSWORD": "correct-Horse-battery-9"}


def db_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`python3 -m ops.stack.database ...` (what `just db-*` runs) on this test's database."""
    env = {**os.environ, "PG_DB": DATABASE, "MYSQL_DATABASE": DATABASE, **SUPERUSER}
    return run_cli(*args, env=env, module="ops.stack.database")


def ok(*args: str) -> str:
    done = db_command(*args)
    assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module", params=database.ENGINES)
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """This module's database on one engine of the running stack, reset (migrated) once; dropped with its
    snapshots afterwards. Each test brings the rows it needs."""
    stack = Stack.load({**os.environ, "PG_DB": DATABASE, "MYSQL_DATABASE": DATABASE})
    engine: str = request.param
    if not port_in_use(stack.port(engine)) or not port_in_use(stack.port("redis")):
        pytest.skip(f"{engine} or redis is not running: `just up` (or `just up {engine} redis`) first")
    found = Target.of(stack, engine)
    ok("reset", engine)
    yield found
    if engine == "postgres":
        with connect(found, "postgres") as conn:
            conn.autocommit = True
            for name in (DATABASE, *(f"{found.snapshot_prefix}{snapshot}" for snapshot in (SNAPSHOT, DROPPED))):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    else:
        for snapshot in (SNAPSHOT, DROPPED):
            database.snapshot_file(stack, snapshot).unlink(missing_ok=True)
        with connect(found) as conn:
            conn.cursor().execute(f"DROP DATABASE IF EXISTS `{DATABASE}`")


def connect(target: Target, name: str | None = None) -> Any:
    """A connection as the app user (psycopg or MySQLdb), like the API's."""
    host, port, user, password = target.host, target.port, target.user, target.password
    if target.engine == "postgres":
        return psycopg.connect(
            host=host, port=port, user=user, password=password, dbname=name or target.name, connect_timeout=5
        )
    return MySQLdb.connect(host=host, port=port, user=user, password=password, database=name or "", connect_timeout=5)


def rows(target: Target, sql: str) -> list[tuple[Any, ...]]:
    with connect(target, target.name) as conn:
        cursor = conn.cursor()
        cursor.execute(sql)
        return list(cursor.fetchall())


def execute(target: Target, statement: str, params: tuple[Any, ...] = ()) -> None:
    with connect(target, target.name) as conn:
        conn.cursor().execute(statement, params)
        conn.commit()


def add_account(target: Target, email: str) -> None:
    """An account written straight into the table (no Django start-up: the tests stay quick)."""
    execute(
        target,
        "INSERT INTO users_user (password, is_superuser, first_name, last_name, email, is_staff, is_active, "
        "date_joined) VALUES ('!', false, 'Ada', 'Lovelace', %s, false, true, CURRENT_TIMESTAMP)",
        (email,),
    )


ACCOUNTS = "SELECT * FROM users_user ORDER BY id"


@pytest.mark.stack
def test_seed_twice_changes_nothing(target: Target) -> None:
    ok("seed", target.engine)
    seeded = rows(target, ACCOUNTS)
    second = ok("seed", target.engine)

    assert rows(target, ACCOUNTS) == seeded
    assert "superuser" not in second
    assert "0 sample accounts created" in second
    staff = "SELECT email FROM users_user WHERE is_staff AND NOT is_superuser"
    assert {row[0] for row in rows(target, staff)} >= {"staff1@example.com", "staff2@example.com", "staff3@example.com"}
    superusers = "SELECT email FROM users_user WHERE is_staff AND is_superuser"
    assert {row[0] for row in rows(target, superusers)} == {SUPERUSER["DJANGO_SUPERUSER_EMAIL"]}


@pytest.mark.stack
def test_snapshot_then_change_then_restore_gives_the_old_data_back(target: Target) -> None:
    add_account(target, "before-snapshot@example.com")
    before = rows(target, ACCOUNTS)
    # A session held open across the snapshot, as the API's persistent connections are.
    held = connect(target, target.name)
    try:
        ok("snapshot", SNAPSHOT, target.engine)
    finally:
        held.close()
    listed = ok("snapshots", target.engine)
    assert re.search(rf"^{SNAPSHOT}\t", listed, re.M), listed

    add_account(target, "after-snapshot@example.com")
    execute(target, "UPDATE users_user SET first_name = 'Changed'")
    assert rows(target, ACCOUNTS) != before
    migrated = compose.stamp_file(Stack.load(), services.API)
    if not migrated.exists():  # a stack started without the API has none yet
        migrated.parent.mkdir(parents=True, exist_ok=True)
        migrated.write_text("the last migrate's stamp\n")

    ok("restore", SNAPSHOT, target.engine)
    assert rows(target, ACCOUNTS) == before
    # The restored data may predate the migrations: the next `up` runs migrate again.
    assert not migrated.exists()
    # A snapshot stays as it was: restoring it again, after more changes, gives the same rows.
    execute(target, "DELETE FROM users_user")
    ok("restore", SNAPSHOT, target.engine)
    assert rows(target, ACCOUNTS) == before


@pytest.mark.stack
def test_a_dropped_snapshot_is_gone_and_the_database_untouched(target: Target) -> None:
    add_account(target, "kept-after-drop@example.com")
    ok("snapshot", DROPPED, target.engine)
    before = rows(target, ACCOUNTS)

    ok("drop-snapshot", DROPPED, target.engine)
    assert not re.search(rf"^{DROPPED}\t", ok("snapshots", target.engine), re.M)
    again = db_command("drop-snapshot", DROPPED, target.engine)
    assert again.returncode != 0
    assert f"no {target.engine} snapshot '{DROPPED}'" in again.stderr
    assert rows(target, ACCOUNTS) == before


@pytest.mark.stack
def test_dump_then_load_gives_the_same_rows(target: Target, tmp_path: Path) -> None:
    """The way across PostgreSQL major versions (and to share a state): a SQL file, loaded into a new database."""
    add_account(target, "dumped@example.com")
    before = rows(target, ACCOUNTS)
    dump = tmp_path / "app.sql"
    ok("dump", str(dump), target.engine)
    assert dump.stat().st_mode & 0o777 == 0o600  # password hashes
    execute(target, "DELETE FROM users_user")
    execute(target, "CREATE TABLE left_behind (id integer)")

    ok("load", str(dump), target.engine)
    assert rows(target, ACCOUNTS) == before
    with pytest.raises((psycopg.errors.UndefinedTable, MySQLdb.ProgrammingError)):
        rows(target, "SELECT * FROM left_behind")


@pytest.mark.stack
def test_restoring_an_unknown_snapshot_is_refused_and_changes_nothing(target: Target) -> None:
    before = rows(target, ACCOUNTS)
    missing = db_command("restore", "no_such_snapshot", target.engine)
    assert missing.returncode != 0
    assert f"no {target.engine} snapshot 'no_such_snapshot'" in missing.stderr
    bad_name = db_command("snapshot", "../escape", target.engine)
    assert bad_name.returncode != 0
    assert "snapshot name '../escape'" in bad_name.stderr
    assert rows(target, ACCOUNTS) == before


@pytest.mark.stack
def test_reset_gives_an_empty_migrated_database(target: Target) -> None:
    add_account(target, "before-reset@example.com")
    execute(target, "CREATE TABLE left_behind (id integer)")

    ok("reset", target.engine)
    assert rows(target, "SELECT count(*) FROM users_user") == [(0,)]
    with pytest.raises((psycopg.errors.UndefinedTable, MySQLdb.ProgrammingError)):
        rows(target, "SELECT * FROM left_behind")
    applied = {(app, name) for app, name in rows(target, "SELECT app, name FROM django_migrations")}
    migrations = sorted((ROOT / "backend" / "apps").glob("*/migrations/0*.py"))
    assert {(path.parent.parent.name, path.stem) for path in migrations} <= applied
    assert ("auth", "0012_alter_user_first_name_max_length") in applied


@pytest.mark.parametrize("host", ["db.example.com", "10.1.2.3", "2001:db8::5"])
def test_every_command_refuses_a_server_that_is_not_local(host: str) -> None:
    stack = Stack.load()
    remote = Target("postgres", host, 5432, "app", "app", "secret")
    for command in COMMANDS:
        refused = f"only against a local database .* on {re.escape(host)}. Nothing was done"
        with pytest.raises(StackError, match=refused) as raised:
            database.run(stack, remote, command, "snap")
        # A SystemExit carrying the message: the command line prints it and exits with 1.
        assert isinstance(raised.value, SystemExit)
        assert isinstance(raised.value.code, str)


def test_local_hosts_pass_the_guard() -> None:
    for host in ("localhost", "127.0.0.1", "::1", "/tmp/sockets"):  # noqa: S108
        Target("mysql", host, 3306, "app", "app", "").require_local("db reset")


def test_up_refuses_a_postgres_data_dir_of_another_major_version(tmp_path: Path) -> None:
    postgres = find_tool(services.POSTGRES.tools[0])
    if postgres is None:
        unavailable("postgres", services.POSTGRES.tools[0].hint())
    server = pgdata.server_major(postgres)
    other = str(int(server) - 2)
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "PG_VERSION").write_text(f"{other}\n")
    env = {"DATA_DIR": str(tmp_path), "RUN_DIR": str(tmp_path / "run")}

    started = time.monotonic()
    up = run_stack("up", "postgres", timeout=60, extra_env=env)
    elapsed = time.monotonic() - started

    message = up.stdout + up.stderr
    assert up.returncode != 0
    assert f"was created by PostgreSQL {other}; this server ({postgres}) is PostgreSQL {server}" in message
    for step in (f"PATH=/usr/lib/postgresql/{other}/bin:$PATH just up postgres", "just db-dump", "just down && mv"):
        assert step in message
    assert f"just db-load {tmp_path}/app-postgres-{other}.sql postgres" in message
    # Refused before anything started: no process-compose, so no server that could restart in a loop.
    assert not (tmp_path / "run" / "pc.pid").exists()
    assert not (tmp_path / "logs" / "postgres.log").exists()
    assert (tmp_path / "postgres" / "PG_VERSION").read_text() == f"{other}\n"
    assert elapsed < 20


@pytest.mark.stack
def test_unlock_lifts_the_lockout_of_the_account_as_stored(target: Target) -> None:
    execute(
        target,
        "INSERT INTO axes_accessattempt (user_agent, ip_address, username, http_accept, path_info, attempt_time, "
        "get_data, post_data, failures_since_start) VALUES ('test', '127.0.0.1', %s, '*/*', '/api/token/', "
        "CURRENT_TIMESTAMP, '', '', 10)",
        ("locked@example.com",),
    )

    output = ok("unlock", " Locked@Example.COM", target.engine)

    assert "1 attempts removed." in output
    assert rows(target, "SELECT username FROM axes_accessattempt") == []
