"""process-compose: the file the driver writes from services.py, and the client for a running stack."""

import hashlib
import http.client
import json
import os
import shlex
import shutil
import socket
import subprocess
from collections.abc import Collection, Iterable, Mapping, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import Any

from . import services, user
from .layout import ROOT, STACK_DIR, VENV, Stack, find_tool
from .services import Init, Probe, Service

VENV_PYTHON = VENV / "bin" / "python"

# Plain lines, as the service wrote them (services print their own timestamps).
LOG_CONFIGURATION = {
    **{"flush_each_line": True, "no_color": True, "disable_json": True, "no_metadata": True},
    "fields_order": ["message"],
}
# Services start in parallel; a probe every second makes "ready" show up within a second. A readiness
# probe that fails failure_threshold times in a row stops the process: about 3 minutes here.
READINESS = {"initial_delay_seconds": 0, "period_seconds": 1, "timeout_seconds": 3, "failure_threshold": 180}
LIVENESS = {"initial_delay_seconds": 15, "period_seconds": 10, "timeout_seconds": 5, "failure_threshold": 3}
INSTALL_HINT = "Nix attribute 'process-compose' (nix develop brings it); elsewhere ops/stack/install-process-compose.sh"


def process_compose_binary() -> str:
    found = shutil.which("process-compose")
    if not found:
        raise SystemExit(f"process-compose not found on PATH: {INSTALL_HINT}")
    return found


def expand(template: str, stack: Stack, service: Service) -> str:
    """A service's env value or probe word: {name} {port} {data} {run} and stack variables filled in."""
    here = {"name": service.name, "port": str(stack.port(service))}
    here |= {"data": str(stack.data_dir / service.name), "run": str(stack.run_dir / service.name)}
    return template.format_map({**stack.vars, **here})


def probe(stack: Stack, service: Service, spec: Probe, timing: Mapping[str, int]) -> dict[str, Any]:
    if spec.path:
        get = {"host": "127.0.0.1", "scheme": "http", "path": spec.path, "port": stack.port(service)}
        return {"http_get": get, **timing}
    program, *args = (expand(word, stack, service) for word in spec.command)
    command = shlex.join([find_tool(service.tool(program)) or program, *args])
    return {"exec": {"command": command, "working_dir": str(ROOT)}, **timing}


def command(script: str, as_user: bool) -> str:
    words = [str(STACK_DIR / script)] if script.endswith(".sh") else shlex.split(script)
    return "exec " + shlex.join(user.as_service_user(words) if as_user else words)


def init_stamp(stack: Stack, service: Service, init: Init) -> str:
    """A hash of what an init step applies: it writes it last, and is left out while it matches."""
    digest = hashlib.sha256()
    for key in (*service.settings, *service.secrets, *init.vars):
        digest.update(f"{key}={stack.vars.get(key, '')}\n".encode())
    for path in sorted(path for pattern in init.inputs for path in ROOT.glob(pattern)):
        digest.update(f"{path.relative_to(ROOT)}\n".encode() + path.read_bytes())
    return digest.hexdigest()


def stamp_file(stack: Stack, service: Service) -> Path:
    return stack.data_dir / service.name / ".stack-init"


def needs_init(stack: Stack, service: Service) -> bool:
    """Its init has not run with these settings, or a dependency's init runs (its data may be new)."""
    if service.init:
        stamp = stamp_file(stack, service)
        if not stamp.exists() or stamp.read_text().strip() != init_stamp(stack, service, service.init):
            return True
    return any(needs_init(stack, services.by_name(dep)) for dep in service.depends_on)


def environment(stack: Stack, service: Service, values: Mapping[str, str]) -> list[str]:
    """A process's own variables (on top of the stack's): `values` expanded, and its binary."""
    env = {key: expand(value, stack, service) for key, value in values.items()}
    if service.tools:
        env["SERVICE_BIN"] = find_tool(service.tools[0]) or service.tools[0].names[0]
    return [f"{key}={value}" for key, value in env.items()]


def runs_as_service_user(service: Service) -> bool:
    if not service.as_service_user or service.tools or user.can_reach(VENV_PYTHON.resolve()):
        return service.as_service_user
    # A venv made from an interpreter in a private home (pyenv under /root, say) can't run as the
    # service user: the API then runs as the invoking user.
    print(f"[stack] warning: {user.SERVICE_USER} cannot read {VENV_PYTHON.resolve()}: {service.name} runs as root")
    return False


def dependencies(names: Iterable[str], started: Collection[str], early: bool = False) -> dict[str, Any]:
    """process-compose's depends_on: a one-shot must have succeeded; a service must be ready, or only
    started for one that starts early (its own readiness probe checks it)."""
    one_shots = {s.init.name for s in services.ALL if s.init}
    service_condition = "process_started" if early else "process_healthy"
    return {
        name: {"condition": "process_completed_successfully" if name in one_shots else service_condition}
        for name in names
        if name in started
    }


def process(stack: Stack, service: Service, started: Collection[str], extra_env: Mapping[str, str]) -> dict[str, Any]:
    needs = (*service.depends_on, *([service.init.name] if service.init else []))
    depends = dependencies(needs, started, early=service.starts_early)
    entry: dict[str, Any] = {
        "description": f"{service.name} on 127.0.0.1:{stack.port(service)}",
        "command": command(service.run, runs_as_service_user(service)),
        "working_dir": str(ROOT),
        "log_location": str(stack.log_dir / f"{service.name}.log"),
        "log_configuration": LOG_CONFIGURATION,
        "environment": environment(stack, service, {**service.env, **extra_env}),
        "depends_on": depends,
        "readiness_probe": probe(stack, service, service.ready, READINESS),
        "availability": {"restart": "on_failure", "backoff_seconds": 2, "max_restarts": 5},
        # parent_only: the signal goes to the service, which stops its own children.
        "shutdown": {"signal": int(service.stop_signal), "timeout_seconds": service.stop_timeout, "parent_only": True},
    }
    if service.live:
        entry["liveness_probe"] = probe(stack, service, service.live, LIVENESS)
    return entry


def one_shot(stack: Stack, service: Service, init: Init, started: Collection[str]) -> dict[str, Any]:
    return {
        "depends_on": {} if init.starts_early else dependencies(service.depends_on, started),
        "command": command(init.command, init.as_service_user),
        "working_dir": str(ROOT),
        "log_location": str(stack.log_dir / f"{init.name}.log"),
        "log_configuration": LOG_CONFIGURATION,
        "environment": environment(
            stack,
            service,
            {"INIT_STAMP": init_stamp(stack, service, init), "INIT_STAMP_FILE": str(stamp_file(stack, service))},
        ),
        "availability": {"restart": "no"},
    }


def config(stack: Stack, selected: Sequence[Service], pair: bool) -> dict[str, Any]:
    """process-compose's file for the selected services (JSON is YAML to process-compose)."""
    processes: dict[str, Any] = {}
    init_names = {s.init.name for s in selected if s.init and needs_init(stack, s)}
    started = init_names | {s.name for s in selected}
    for service in selected:
        extra = services.PAIR_API_ENV if pair and service.run == services.API.run else {}
        processes[service.name] = process(stack, service, started, extra)
        if service.init and service.init.name in init_names:
            processes[service.init.name] = one_shot(stack, service, service.init, started)
    return {"version": "0.5", "name": "django-api-stack", "is_strict": True, "processes": processes}


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket: process-compose's control socket serves its REST API there."""

    def __init__(self, path: Path, timeout: float = 30) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


class ProcessCompose:
    """The client side: commands against the running stack's control socket."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    def env(self) -> dict[str, str]:
        # Its own config home (the client logs about a missing one otherwise).
        return {**os.environ, "PROC_COMP_CONFIG": str(self.stack.data_dir / "process-compose")}

    def argv(self, *args: str) -> list[str]:
        log = self.stack.log_dir / "process-compose-client.log"
        return [process_compose_binary(), "-L", str(log), "-U", "-u", str(self.stack.pc_socket), *args]

    def run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args), capture_output=True, text=True, timeout=timeout, check=False, env=self.env()
        )

    def processes(self) -> list[dict[str, Any]]:
        """The running stack's processes and their states (`process list -o json`), from its REST API:
        a millisecond where the client program takes ~60 ms, so `up` can watch them closely."""
        connection = UnixHTTPConnection(self.stack.pc_socket)
        try:
            connection.request("GET", "/processes")
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            raise RuntimeError(f"process-compose is not answering on {self.stack.pc_socket}: {exc}") from exc
        finally:
            connection.close()
        if response.status != HTTPStatus.OK:
            raise RuntimeError(f"process-compose answered {response.status} on {self.stack.pc_socket}: {body!r}")
        found: list[dict[str, Any]] = json.loads(body)["data"]
        return found

    def process(self, name: str) -> dict[str, Any]:
        (found,) = [p for p in self.processes() if p["name"] == name]
        return found

    def listening(self) -> bool:
        """The control socket accepts connections: its file appears a moment before process-compose
        listens on it, and a connection in between is refused."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.stack.pc_socket))
            except OSError:
                return False
        return True

    def answers(self) -> bool:
        return self.listening() and self.run("project", "state").returncode == 0


def is_ready(proc: Mapping[str, Any]) -> bool:
    """Running, and ready if it has a readiness probe."""
    return bool(proc["status"] == "Running" and (not proc.get("has_ready_probe") or proc.get("is_ready") == "Ready"))


def is_done(proc: Mapping[str, Any]) -> bool:
    """Ready, completed successfully (a one-shot) or disabled: nothing more to wait for."""
    status = proc["status"]
    return status == "Disabled" or (status == "Completed" and proc["exit_code"] == 0) or is_ready(proc)


def has_failed(proc: Mapping[str, Any]) -> bool:
    """Can no longer become ready: a failed one-shot, skipped (a dependency failed), or out of restarts."""
    status, code, name = proc["status"], proc.get("exit_code", 0), proc["name"]
    one_shot = any(s.init and s.init.name == name for s in (*services.SERVICES, services.API2))
    return status in ("Skipped", "Error") or (
        status == "Completed" and code != 0 and (one_shot or proc.get("restarts", 0) >= 5)
    )


def write_config(stack: Stack, data: Mapping[str, Any]) -> Path:
    path = stack.data_dir / "process-compose.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
