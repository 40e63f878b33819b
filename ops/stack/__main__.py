"""Command line of the stack driver (the justfile's stack recipes call it).

python3 -m ops.stack up [service...]    start (with dependencies), wait until ready, print URLs
python3 -m ops.stack up-pair            the scale-out variant: api + api-2 behind nginx (lb)
python3 -m ops.stack down               stop everything, leave no process behind
python3 -m ops.stack status             process table
python3 -m ops.stack logs [service]     recent log lines (all services, or one)
python3 -m ops.stack attach             process-compose's terminal UI
python3 -m ops.stack clean [--yes]      down, then delete .data/ (asks first unless --yes or CI=true)
python3 -m ops.stack psql|mysql|redis-cli [args]   clients, logged in as the app user
python3 -m ops.stack test postgres|mysql [pytest args]   backend suite against the stack
python3 -m ops.stack env [postgres|mysql]   the API's database settings as export lines
python3 -m ops.stack vars               layout and ports
"""

import os
import shutil
import sys

from . import driver
from .compose import ProcessCompose
from .layout import Stack


def logs(stack: Stack, args: list[str]) -> int:
    if args:
        path = stack.log_dir / f"{args[0]}.log"
        if not path.exists():
            have = " ".join(sorted(p.stem for p in stack.log_dir.glob("*.log")))
            raise driver.StackError(f"no log for '{args[0]}' in {stack.log_dir} (have: {have})")
        print(*path.read_text(errors="replace").splitlines()[-int(os.environ.get("LINES_TO_SHOW", "100")) :], sep="\n")
        return 0
    for path in sorted(stack.log_dir.glob("*.log")):
        if not path.stem.startswith("process-compose") and not path.stem.endswith(("-server", "-install")):
            print(f"===== {path.stem}", *path.read_text(errors="replace").splitlines()[-20:], sep="\n")
    return 0


def clean(stack: Stack, args: list[str]) -> int:
    if "--yes" not in args and os.environ.get("CI") != "true":
        answer = input(f"Delete {stack.data_dir} (databases, metrics, Grafana state, secrets)? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            driver.log("kept")
            return 1
    driver.down(stack)
    driver.log(f"deleting {stack.data_dir}")
    shutil.rmtree(stack.data_dir, ignore_errors=True)
    shutil.rmtree(stack.run_dir, ignore_errors=True)
    return 0


def restart(pc: ProcessCompose, names: list[str]) -> int:
    failed = 0
    for name in names:
        out = pc.run("process", "restart", name, timeout=120)
        if out.returncode != 0:
            driver.log(f"could not restart {name}: {out.stderr.strip() or out.stdout.strip()}")
            failed = 1
    return failed


def running(stack: Stack) -> ProcessCompose:
    pc = ProcessCompose(stack)
    if not pc.answers():
        raise driver.StackError("the stack is not running ('just up' starts it)")
    return pc


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("help", [])
    stack = Stack.load()
    match command:
        case "up":
            return driver.up(stack, args)
        case "up-pair":
            return driver.up(stack, args, pair=True)
        case "down":
            return driver.down(stack)
        case "status":
            table = running(stack).run("process", "list", "-o", "wide")
            print(table.stdout, end="")
            return table.returncode
        case "logs":
            return logs(stack, args)
        case "restart" if args:
            return restart(running(stack), args)
        case "attach":
            pc = running(stack)
            attach = pc.argv("attach")
            os.execve(attach[0], attach, pc.env())  # noqa: S606 - hands the terminal to process-compose
        case "clean":
            return clean(stack, args)
        case "psql" | "mysql" | "redis-cli":
            return driver.client(stack, command, args)
        case "test" if args and args[0] in ("postgres", "mysql"):
            return driver.run_tests(stack, args[0], args[1:])
        case "env":
            print(driver.database_env_lines(stack, args[0] if args else "postgres"), end="")
            return 0
        case "vars":
            print(*(f"{key}={value}" for key, value in driver.variables(stack).items()), sep="\n")
            return 0
    print(__doc__)
    return 0 if command == "help" else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
