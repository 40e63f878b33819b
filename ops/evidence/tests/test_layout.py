"""The stack's layout without services (part of `just test`): each checkout's block of ports, kept in
.data/ports.json and overridden by the *_PORT variables, and the Redis URL with its password."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.stack import services
from ops.stack.layout import BLOCK_SIZE, PORTS_FILE, Stack, block_ports

PORT_VARS = {service.port_var for service in services.ALL}


def load(data_dir: Path, **environ: str) -> Stack:
    return Stack.load({"PATH": "/usr/bin:/bin", "DATA_DIR": str(data_dir), **environ})


def ports(stack: Stack) -> dict[str, int]:
    return {var: int(stack.vars[var]) for var in PORT_VARS}


@pytest.fixture
def listening() -> Iterator[list[socket.socket]]:
    """Sockets the test listens on (closed after it)."""
    sockets: list[socket.socket] = []
    yield sockets
    for sock in sockets:
        sock.close()


def listen(sockets: list[socket.socket], port: int) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    sock.listen()
    sockets.append(sock)


def test_a_checkout_has_a_block_of_its_own(tmp_path: Path, listening: list[socket.socket]) -> None:
    first = load(tmp_path / "one" / ".data")
    assert ports(first) == ports(load(tmp_path / "one" / ".data")), "not derived the same way twice"
    for port in ports(first).values():  # the first checkout is up (else two paths may hash alike: 1 in BLOCKS)
        listen(listening, port)
    second = load(tmp_path / "two" / ".data")
    block = sorted(ports(first).values())
    assert block == list(range(block[0], block[0] + len(PORT_VARS)))
    assert block[0] % BLOCK_SIZE == 0
    assert not set(ports(first).values()) & set(ports(second).values())


def test_a_busy_block_is_passed_over(tmp_path: Path, listening: list[socket.socket]) -> None:
    data_dir = tmp_path / ".data"
    derived = block_ports(data_dir)
    listen(listening, derived["REDIS_PORT"])
    moved = block_ports(data_dir)
    assert not set(moved.values()) & set(derived.values())


def test_the_first_up_keeps_the_block(tmp_path: Path, listening: list[socket.socket]) -> None:
    data_dir = tmp_path / ".data"
    stack = load(data_dir)
    stack.keep_ports()
    kept = json.loads((data_dir / PORTS_FILE).read_text())
    assert kept == {"data_dir": str(data_dir.resolve()), "ports": ports(stack)}
    # Kept: the same ports even while something else holds one of them (`up` then names it).
    listen(listening, ports(stack)["API_PORT"])
    assert ports(load(data_dir)) == ports(stack)


def test_up_keeps_the_block_its_ports_were_read_from(tmp_path: Path, listening: list[socket.socket]) -> None:
    # Something takes one of the block's ports between loading the stack and keeping its block: the
    # block kept is still the one every port of this stack was read from, not a newly probed one.
    data_dir = tmp_path / ".data"
    stack = load(data_dir)
    listen(listening, ports(stack)["PG_PORT"])
    stack.keep_ports()
    assert json.loads((data_dir / PORTS_FILE).read_text())["ports"] == ports(stack)


def test_a_copied_checkout_chooses_again(tmp_path: Path, listening: list[socket.socket]) -> None:
    original, copy = tmp_path / "original" / ".data", tmp_path / "copy" / ".data"
    load(original).keep_ports()
    for port in ports(load(original)).values():  # the original is up, as when a copy's `up` meets it
        listen(listening, port)
    copy.mkdir(parents=True)
    (copy / PORTS_FILE).write_text((original / PORTS_FILE).read_text())
    assert ports(load(copy)) == block_ports(copy) != ports(load(original))


def test_the_environment_wins(tmp_path: Path) -> None:
    stack = load(tmp_path / ".data", API_PORT="18123", PG_PORT="18124")
    stack.keep_ports()
    assert (stack.port("api"), stack.port("postgres")) == (18123, 18124)
    assert load(tmp_path / ".data").port("api") != 18123, "an override was written into ports.json"


def test_redis_url_carries_the_password(tmp_path: Path) -> None:
    stack = load(tmp_path / ".data", REDIS_PORT="18125", REDIS_PASSWORD="p@ss/word")
    assert stack.database_env("postgres")["REDIS_URL"] == "redis://:p%40ss%2Fword@127.0.0.1:18125/0"
    assert load(tmp_path / ".data", REDIS_PORT="18125").redis_url(1) == "redis://127.0.0.1:18125/1"


def test_secrets_include_redis(tmp_path: Path) -> None:
    stack = load(tmp_path / ".data").with_secrets()
    assert len(stack.vars["REDIS_PASSWORD"]) == 32
    assert load(tmp_path / ".data").vars["REDIS_PASSWORD"] == stack.vars["REDIS_PASSWORD"]
