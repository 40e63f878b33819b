"""The stack's services as objects, read from services.toml (the one place each is defined).

The driver, the process-compose file it writes, the tests and the benchmark all use these.
"""

import signal
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

DEFINITION = Path(__file__).with_name("services.toml")


@dataclass(frozen=True)
class Tool:
    """A program a service needs: the first of `names` found on PATH is used."""

    names: tuple[str, ...]
    nix: str  # attribute in nixpkgs (flake.nix brings it)
    debian: str  # Debian/Ubuntu package
    repository: str = "Debian"  # where that package comes from

    def hint(self) -> str:
        return (
            f"'{self.names[0]}' not found on PATH: Nix attribute '{self.nix}' (nix develop brings it), "
            f"package '{self.debian}' from {self.repository} (apt-get install {self.debian})"
        )


@dataclass(frozen=True)
class Probe:
    """Readiness or liveness: an HTTP GET of `path` on the service's port, or a command (`{port}` filled in)."""

    path: str = ""
    command: tuple[str, ...] = ()


@dataclass(frozen=True)
class Init:
    """A one-shot step before the service (create the cluster, migrate): runs to completion first."""

    name: str
    command: str  # relative to ops/stack/
    as_service_user: bool = True
    inputs: tuple[str, ...] = ()  # files (globs from the repository root) whose content it applies
    vars: tuple[str, ...] = ()  # variables it depends on besides the service's settings and secrets
    starts_early: bool = False  # starts at once and waits for the service's dependencies itself


@dataclass(frozen=True)
class Service:
    """One table of services.toml (its header comment explains each key)."""

    name: str
    summary: str
    port_var: str
    port_offset: int  # in the checkout's block of ports (layout.py)
    run: str
    tools: tuple[Tool, ...] = ()
    depends_on: tuple[str, ...] = ()
    init: Init | None = None
    ready: Probe = Probe()
    live: Probe | None = None
    stop_signal: int = signal.SIGTERM
    stop_timeout: int = 30
    settings: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    secrets: tuple[str, ...] = ()
    env: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    as_service_user: bool = True
    optional: bool = False
    starts_early: bool = False

    def tool(self, program: str) -> Tool:
        """The tool (one of `tools`) that provides `program`."""
        return next(tool for tool in self.tools if program in tool.names)


def service(name: str, table: dict[str, Any]) -> Service:
    port_var, port_offset = table.pop("port")
    return Service(
        name=name,
        summary=table.pop("summary"),
        port_var=port_var,
        port_offset=port_offset,
        run=table.pop("run", f"{name}/run.sh"),
        tools=tuple(Tool(**{**tool, "names": tuple(tool["names"])}) for tool in table.pop("tools", [])),
        depends_on=tuple(table.pop("depends_on", ())),
        init=init(table.pop("init")) if "init" in table else None,
        ready=probe(table.pop("ready")),
        live=probe(table.pop("live")) if "live" in table else None,
        stop_signal=signal.Signals[table.pop("stop_signal", "SIGTERM")],
        settings=MappingProxyType(table.pop("settings", {})),
        secrets=tuple(table.pop("secrets", ())),
        env=MappingProxyType(table.pop("env", {})),
        **table,  # stop_timeout, optional, starts_early: as written
    )


def init(table: dict[str, Any]) -> Init:
    return Init(**{**table, "inputs": tuple(table.get("inputs", ())), "vars": tuple(table.get("vars", ()))})


def probe(table: dict[str, Any]) -> Probe:
    return Probe(path=table.get("path", ""), command=tuple(table.get("command", ())))


def derived(base: Service, name: str, table: dict[str, Any]) -> Service:
    """A service made from another with a few keys replaced (the pair's second API instance)."""
    port_var, port_offset = table.pop("port", (base.port_var, base.port_offset))
    init = table.pop("init", base.init)
    depends_on = tuple(table.pop("depends_on", base.depends_on))
    return replace(
        base, name=name, port_var=port_var, port_offset=port_offset, init=init or None, depends_on=depends_on
    )


_definition = tomllib.loads(DEFINITION.read_text())
_pair = _definition.pop("pair")
STACK_SETTINGS: Final = MappingProxyType(_definition.pop("stack"))
SERVICES: Final = tuple(service(name, table) for name, table in _definition.items())
POSTGRES, MYSQL, REDIS, API, PROMETHEUS, GRAFANA = SERVICES
PAIR_API_ENV: Final = MappingProxyType(_pair.pop("api-env"))
_api2 = _pair.pop("api-2")
API2 = derived(SERVICES[[s.name for s in SERVICES].index(_api2.pop("derive"))], "api-2", _api2)
LB = service("lb", _pair.pop("lb"))
PAIR: Final = (POSTGRES, REDIS, API, API2, LB, PROMETHEUS, GRAFANA)
ALL: Final = (*SERVICES, API2, LB)


def by_name(name: str) -> Service:
    for found in ALL:
        if found.name == name or (found.init and found.init.name == name):
            return found
    known = ", ".join(s.name for s in SERVICES)
    raise KeyError(f"unknown service '{name}' (one of: {known}; up-pair adds api-2, lb)")
