"""The stack's commands: `python3 -m ops.stack up|up-pair|down|status|logs|attach|clean|...`.

The justfile's recipes call these; the tests and the benchmark import them.
"""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from . import compose, pgdata, services, user
from .compose import ProcessCompose, is_done
from .layout import EXTRA_BIN_DIRS, ROOT, STACK_DIR, VENV, Stack, find_tool, port_in_use
from .services import Service, Tool

# Services started by `up` and `up-pair`, recorded so `down` knows which ports to check after.
SELECTION_FILE = "selection"


class StackError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"[stack] ERROR: {message}")


def log(message: str) -> None:
    print(f"[stack] {message}", file=sys.stderr, flush=True)


def with_dependencies(names: Iterable[str]) -> list[Service]:
    """The named services (or one-shots) and what they need, in the definition's order."""
    wanted: set[str] = set()
    todo = [services.by_name(name).name for name in names]
    while todo:
        name = todo.pop()
        if name not in wanted:
            wanted.add(name)
            todo += [services.by_name(dep).name for dep in services.by_name(name).depends_on]
    return [s for s in services.ALL if s.name in wanted]


def installed(service: Service) -> bool:
    return all(find_tool(tool) for tool in service.tools)


def check_can_start(stack: Stack, selected: list[Service]) -> None:
    """Every program found and every port free, before anything starts; errors name the service."""
    for service in selected:
        for tool in service.tools:
            if not find_tool(tool):
                raise StackError(f"{service.name}: {tool.hint()}")
    if services.POSTGRES in selected and (problem := pgdata.incompatibility(stack)):
        raise StackError(problem)
    if not (VENV / "bin" / "gunicorn").exists() and any(s.run == services.API.run for s in selected):
        raise StackError(f"no {VENV}/bin/gunicorn: run 'just setup' first")
    for service in selected:
        if port_in_use(port := stack.port(service)):
            raise StackError(
                f"port {port} for service '{service.name}' (127.0.0.1:{port}) is already in use by another process. "
                f"Stop it or choose another port (e.g. export {service.port_var}=<port>)."
            )


def prepare(stack: Stack, selected: list[Service]) -> None:
    """Folders each service writes to (its data dir and socket dir), and the configs rendered for it."""
    for path in (stack.data_dir, stack.log_dir, stack.data_dir / "process-compose"):
        path.mkdir(parents=True, exist_ok=True)
    if stack.run_dir.exists() and stack.run_dir.stat().st_uid != os.geteuid():
        raise StackError(f"{stack.run_dir} exists and is not yours; remove it or set RUN_DIR")
    stack.run_dir.mkdir(parents=True, exist_ok=True)
    stack.run_dir.chmod(0o755)
    user.ensure_service_user()
    for path in (STACK_DIR, stack.data_dir):
        if not user.can_reach(path):
            raise StackError(
                f"service user '{user.SERVICE_USER}' cannot reach {path} (a parent folder is not world-searchable): "
                "move the checkout, 'chmod o+x' its parents, or set DATA_DIR to a reachable path"
            )
    user.give(stack.log_dir, 0o755)  # the services' own helper logs (an init step's temporary server)
    for service in selected:
        user.give(stack.data_dir / service.name)
        user.give(stack.run_dir / service.name)
    names = {s.name for s in selected}
    if "prometheus" in names:
        api_targets = [f"127.0.0.1:{stack.port(s)}" for s in selected if s.run == services.API.run]
        render_prometheus(stack, api_targets or [f"127.0.0.1:{stack.port('api')}"])
    if "lb" in names:
        render(STACK_DIR / "nginx" / "nginx.conf", stack.data_dir / "lb" / "nginx.conf", nginx_values(stack))


def render(template: Path, target: Path, values: Mapping[str, str]) -> None:
    """Copies template with every @KEY@ replaced, readable by the service."""
    text = template.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    target.write_text(text)
    target.chmod(0o644)
    user.give_file(target)


def nginx_values(stack: Stack) -> dict[str, str]:
    ports = {s.port_var: str(stack.port(s)) for s in (services.API, services.API2, services.LB)}
    return {**ports, "NGINX_DIR": str(stack.data_dir / "lb"), "LOG_DIR": str(stack.log_dir)}


def render_prometheus(stack: Stack, api_targets: list[str]) -> None:
    """prometheus.yml with the real ports (one api target per instance) and absolute rule paths."""
    source = STACK_DIR / "prometheus" / "prometheus.yml"
    targets = ", ".join(f'"{target}"' for target in api_targets)
    text = source.read_text().replace('["127.0.0.1:8000"]', f"[{targets}]")
    text = text.replace("127.0.0.1:9090", f"127.0.0.1:{stack.port('prometheus')}")
    text = re.sub(r"^(\s*-\s*)rules/", rf"\g<1>{source.parent}/rules/", text, flags=re.M)
    target = stack.data_dir / "prometheus" / "prometheus.yml"
    target.write_text(text)
    target.chmod(0o644)
    user.give_file(target)


def server_env(stack: Stack) -> dict[str, str]:
    """The environment process-compose and every service start with."""
    # Bytecode is written (an inherited PYTHONDONTWRITEBYTECODE is dropped): without it every start of
    # the API recompiles about a thousand modules, seconds of each worker's boot.
    dropped = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONDONTWRITEBYTECODE")
    env = {key: value for key, value in stack.vars.items() if key not in dropped}
    env |= stack.database_env(env.get("STACK_DB_ENGINE", "postgres"))
    env |= {
        "ROOT_DIR": str(ROOT),
        "STACK_DIR": str(STACK_DIR),
        "LOG_DIR": str(stack.log_dir),
        "RUN_DIR": str(stack.run_dir),
        "VENV": str(VENV),
        "PATH": os.pathsep.join([env.get("PATH", ""), *map(str, EXTRA_BIN_DIRS)]),
        "DJANGO_ENV": env.get("DJANGO_ENV", "development"),
        "API_HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        "PROC_COMP_CONFIG": str(stack.data_dir / "process-compose"),
        # redis-cli's password: the readiness probe, which process-compose runs in this environment.
        "REDISCLI_AUTH": env.get("REDIS_PASSWORD", ""),
        # Every process of this stack inherits this marker: the lifecycle test finds them by it.
        "WORKSPACE_STACK": str(stack.pc_socket),
    }
    return env


def server_pid(stack: Stack) -> int | None:
    """process-compose's pid while it runs (a stale pid file is ignored)."""
    try:
        pid = int(stack.pc_pidfile.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def up(stack: Stack, names: Iterable[str] = (), pair: bool = False) -> int:
    pc = ProcessCompose(stack)
    if pc.answers():
        log(f"the stack is already running (control socket {stack.pc_socket}); 'just down' first to restart it")
        print(pc.run("process", "list", "-o", "wide").stdout)
        return 0
    names = list(names)
    if not names:
        catalogue = services.PAIR if pair else services.SERVICES
        names = [s.name for s in catalogue if not (s.optional and not installed(s))]
        for missing in (s for s in catalogue if s.optional and not installed(s)):
            log(f"{missing.name} is not installed ({missing.tools[0].hint()}): starting everything else")
    selected = with_dependencies(names)
    check_can_start(stack, selected)
    stack.keep_ports()
    stack = stack.with_secrets()
    prepare(stack, selected)
    config = compose.write_config(stack, compose.config(stack, selected, pair))
    (stack.run_dir / SELECTION_FILE).write_text("\n".join(s.name for s in selected))
    stack.pc_socket.unlink(missing_ok=True)

    started = time.monotonic()
    timeout = float(stack.vars["STACK_TIMEOUT"])
    log(f"starting: {' '.join(names)} (timeout {timeout:.0f}s)")
    argv = [compose.process_compose_binary(), "-f", str(config), "--disable-dotenv"]
    argv += ["-L", str(stack.log_dir / "process-compose.log"), "-U", "-u", str(stack.pc_socket)]
    argv += ["up", "-t=false", "--ordered-shutdown", *names]
    with (stack.log_dir / "process-compose.out").open("w") as out:
        server = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=server_env(stack),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    stack.pc_pidfile.write_text(str(server.pid))
    failed = wait_until_ready(pc, server, started + timeout)
    if failed:
        report_failure(stack, pc, failed)
        return 1
    log(f"ready in {time.monotonic() - started:.1f}s")
    print(pc.run("process", "list", "-o", "wide").stdout)
    print_urls(stack, selected)
    return 0


def wait_until_ready(pc: ProcessCompose, server: subprocess.Popen[bytes], deadline: float) -> list[str]:
    """Watches the processes every 0.1 s until all are ready or done; returns those that failed for
    good, or that aren't ready by the deadline (empty when all are)."""
    while not pc.listening():
        if server.poll() is not None:
            out = pc.stack.log_dir / "process-compose.out"
            raise StackError(f"process-compose exited at start:\n{out.read_text()}")
        if time.monotonic() > deadline:
            raise StackError(f"process-compose is not listening on {pc.stack.pc_socket}")
        time.sleep(0.05)
    while True:
        if server.poll() is not None:
            raise StackError(f"process-compose exited: see {pc.stack.log_dir}/process-compose.log")
        processes = pc.processes()
        if failed := [p["name"] for p in processes if compose.has_failed(p)]:
            return failed
        waiting = [p["name"] for p in processes if not is_done(p)]
        if processes and not waiting:
            return []
        if time.monotonic() > deadline:
            return waiting
        time.sleep(0.1)


def report_failure(stack: Stack, pc: ProcessCompose, failed: list[str]) -> None:
    print(pc.run("process", "list", "-o", "wide").stdout, file=sys.stderr)
    log(f"failed or not ready: {' '.join(failed)}. Recent log lines:")
    for name in failed:
        path = stack.log_dir / f"{name}.log"
        lines = path.read_text(errors="replace").splitlines()[-25:] if path.exists() else []
        print(f"----- {name} ({path})", *lines, sep="\n", file=sys.stderr)
    log("the stack is left running for inspection: 'just logs <service>', 'just status'; 'just down' stops it")


def print_urls(stack: Stack, selected: list[Service]) -> None:
    print("\nStack services (127.0.0.1):")
    for service in selected:
        print("  " + compose.expand(service.summary, stack, service))
    print(f"Secrets (DB passwords, Grafana admin password, SECRET_KEY): {stack.secrets_file}")
    print(f"Logs: {stack.log_dir}/<service>.log   data: {stack.data_dir}   stop: just down")


def down(stack: Stack) -> int:
    pid = server_pid(stack)
    selection = stack.run_dir / SELECTION_FILE
    if pid is None:
        log("the stack is not running")
        stack.pc_socket.unlink(missing_ok=True)
        stack.pc_pidfile.unlink(missing_ok=True)
        return 0
    log(f"stopping (pid {pid})")
    ProcessCompose(stack).run("down", timeout=120)
    deadline = time.monotonic() + 90
    while server_pid(stack) == pid and not exited(pid):
        if time.monotonic() > deadline:
            log("process-compose still running after 90s: terminating it")
            os.kill(pid, 15)
            break
        time.sleep(0.1)
    started = selection.read_text().split() if selection.exists() else []
    for path in (stack.pc_socket, stack.pc_pidfile, selection):
        path.unlink(missing_ok=True)
    # Nothing of ours may survive: a service still holding its port is a bug.
    if leftovers := [f"{name}:{stack.port(name)}" for name in started if port_in_use(stack.port(name))]:
        log(f"warning: still listening after down: {' '.join(leftovers)} (another program, or a leftover process)")
    log("stopped")
    return 0


def exited(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return True
    # Our own child that exited is a zombie until reaped; others are reaped by init.
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return False


def database_env_lines(stack: Stack, engine: str) -> str:
    """`export KEY=value` lines of the API's database and cache settings (for a shell's eval)."""
    return "".join(f"export {key}={value!r}\n" for key, value in stack.database_env(engine).items())


def run_tests(stack: Stack, engine: str, args: list[str]) -> int:
    """The backend suite against the stack's database and Redis (a Redis database of its own: the
    suite clears the cache around every test, the running API's included)."""
    env = {**stack.database_env(engine, redis_db=1), "DJANGO_ENV": "test"}
    for name in (engine, "redis"):
        if not port_in_use(stack.port(name)):
            raise StackError(f"{name} is not running on 127.0.0.1:{stack.port(name)}: 'just up {engine} redis' first")
    log(f"backend tests against {engine} (127.0.0.1:{env['DB_PORT']}) and Redis (127.0.0.1:{stack.port('redis')})")
    clean = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "DATABASE_URL")}
    return subprocess.call([str(VENV / "bin" / "pytest"), *args], cwd=ROOT / "backend", env={**clean, **env})


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300, module: str = "ops.stack"
) -> subprocess.CompletedProcess[str]:
    """This driver (or another `module` of it, e.g. ops.stack.database) in a subprocess, as `just` runs it
    (the tests and the benchmark restart stacks with it)."""
    # pytest-django exports DJANGO_SETTINGS_MODULE: a stack started from a test must not inherit it.
    base = {k: v for k, v in (os.environ if env is None else env).items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
        env=base,
    )


# The clients of `just psql|mysql|redis-cli`: (tool, arguments, password variable for the client, secret).
CLIENTS = {
    "psql": (
        services.POSTGRES.tools[3],
        "-h 127.0.0.1 -p {PG_PORT} -U {PG_USER} -d {PG_DB}",
        "PGPASSWORD",
        "PG_PASSWORD",
    ),
    "mysql": (
        services.MYSQL.tools[2],
        "--protocol=TCP -h 127.0.0.1 -P {MYSQL_PORT} -u {MYSQL_USER} {MYSQL_DATABASE}",
        "MYSQL_PWD",
        "MYSQL_PASSWORD",
    ),
    "redis-cli": (services.REDIS.tools[1], "-h 127.0.0.1 -p {REDIS_PORT}", "REDISCLI_AUTH", "REDIS_PASSWORD"),
}


def client(stack: Stack, name: str, args: list[str]) -> int:
    """psql / mysql / redis-cli logged in as the app user (the password through the environment)."""
    tool, arguments, password_var, secret = CLIENTS[name]
    env = {**os.environ, password_var: stack.vars.get(secret, "")}
    return subprocess.call([program(tool), *arguments.format_map(stack.vars).split(), *args], env=env)


def program(tool: Tool) -> str:
    """The tool's path, or StackError saying how to install it."""
    found = find_tool(tool)
    if not found:
        raise StackError(tool.hint())
    return found


def variables(stack: Stack) -> dict[str, str]:
    """Layout and ports, for people (`python3 -m ops.stack vars`)."""
    found = {"DATA_DIR": str(stack.data_dir), "LOG_DIR": str(stack.log_dir), "RUN_DIR": str(stack.run_dir)}
    found |= {s.port_var: str(stack.port(s)) for s in services.ALL}
    return found | {"SECRETS_FILE": str(stack.secrets_file), "PC_SOCKET": str(stack.pc_socket)}
