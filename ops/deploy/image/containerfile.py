"""The structural rules of ops/deploy/image/Containerfile: what the image must be, read from the file itself.

Multi-stage, a pinned python:X.Y base, the hashed lock export and collectstatic in the builder, named backend/
paths copied to /app, and a final stage with runtime libraries only, a numeric non-root USER, production settings,
gunicorn as the entrypoint and no migrations. Hand-written: hadolint lints style, not what this image promises.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

BUILD_TOOLS = ("build-essential", "gcc", "g++", "make", "pkg-config", "poetry", "pip install", "git")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def text(self, keyword: str) -> str:
        return "\n".join(rest for k, rest in self.instructions if k == keyword)

    def last(self, keyword: str) -> str | None:
        values = [rest for k, rest in self.instructions if k == keyword]
        return values[-1] if values else None


@dataclass
class Containerfile:
    """What the later steps need: the image's Python minor, its USER, the backend/ paths the builder copies."""

    stages: list[Stage]
    python: str
    user: str
    copies: list[str]


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, rest) pairs: comments dropped (also inside continuations, as builders do), continuations joined."""
    result, buffer = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or (not line.strip() and not buffer):
            continue
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        keyword, _, rest = (buffer + line).strip().partition(" ")
        result.append((keyword.upper(), rest.strip()))
        buffer = ""
    return result


class Checker:
    def __init__(self, path: Path, uid: int) -> None:
        self.path, self.uid = path, uid
        self.errors: list[str] = []

    def check(self, ok: object, message: str) -> None:
        if not ok:
            self.errors.append(message)

    def read(self) -> Containerfile:
        parsed = instructions(self.path.read_text())
        args: dict[str, str] = {}
        stages: list[Stage] = []
        for keyword, rest in parsed:
            if keyword == "ARG" and not stages:
                name, _, default = rest.partition("=")
                args[name] = default
            elif keyword == "FROM":
                words = rest.split()
                stages.append(Stage(words[0], words[2] if len(words) >= 3 and words[1].upper() == "AS" else None))
            elif stages:
                stages[-1].instructions.append((keyword, rest))
            else:
                self.errors.append(f"{keyword} before the first FROM")
            if keyword in {"ENV", "ARG", "LABEL"}:
                self.check("SECRET_KEY" not in rest, f"{keyword} keeps SECRET_KEY in the image")
        self.check(len(stages) >= 2, "not multi-stage")
        python = self.bases(stages, args)
        copies = self.builder(stages[0]) if stages else []
        user = self.final(stages[-1]) if stages else None
        return Containerfile(stages, python or "", user or "", copies)

    def bases(self, stages: list[Stage], args: dict[str, str]) -> str | None:
        """Every external base pinned; the Python minor of the python:X.Y one."""
        names = {stage.name for stage in stages}
        python = None
        for stage in stages:
            ref = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(str(m.group(1)), str(m.group(0))), stage.base)
            if ref in names:
                continue
            tag = ref.rsplit("/", 1)[-1]
            pinned = "@sha256:" in ref or re.search(r":\d+\.\d+", tag)
            self.check(pinned, f"base image {ref} is pinned by neither version nor digest")
            self.check(":latest" not in ref, f"base image {ref} uses latest")
            if match := re.match(r"(?:.*/)?python:(\d+\.\d+)", ref):
                python = match.group(1)
        self.check(python is not None, "base image is not a python:X.Y image")
        return python

    def builder(self, stage: Stage) -> list[str]:
        """The lock copied, exported without dev tools and installed with hashes; static files collected."""
        copies, workdir = [], "/"
        for keyword, rest in stage.instructions:
            if keyword == "WORKDIR":
                workdir = rest if rest.startswith("/") else f"{workdir.rstrip('/')}/{rest}"
            if keyword == "COPY":
                self.check("--from" not in rest, "builder COPY --from")
                *sources, dest = [w for w in shlex.split(rest) if not w.startswith("--")]
                copies += [self.copied(source, dest, workdir) for source in sources if self.allowed(source)]
        run = stage.text("RUN")
        self.check("poetry.lock" in stage.text("COPY"), "poetry.lock is not copied")
        self.check(re.search(r"poetry export\b.*(--only main|--without dev)", run), "no `poetry export --only main`")
        self.check("--require-hashes" in run, "pip install without --require-hashes")
        self.check("collectstatic" in run, "no collectstatic at build time")
        self.check(copies, "no backend/ paths copied")
        return copies

    def allowed(self, source: str) -> bool:
        """Whether a COPY source may enter the image; True for the backend/ paths the app tree is made of."""
        self.check(
            source in {"pyproject.toml", "poetry.lock"} or source.startswith("backend/"),
            f"COPY {source}: only pyproject.toml, poetry.lock and backend/ paths may enter the image",
        )
        self.check(source not in {".", "./", "backend", "backend/"}, f"COPY {source}: copy named paths, not a tree")
        return source.startswith("backend/")

    def copied(self, source: str, dest: str, workdir: str) -> str:
        target = dest if dest.startswith("/") else f"{workdir.rstrip('/')}/{dest}"
        if dest.endswith("/") and not source.endswith("/"):
            target = f"{target.rstrip('/')}/{source.rsplit('/', 1)[-1]}"
        target = posixpath.normpath(target)
        self.check(target == "/app/" + source.rstrip("/"), f"COPY {source} -> {target}: expected /app/{source}")
        return source.rstrip("/")

    def final(self, stage: Stage) -> str | None:
        """Runtime libraries only, the app user, the production entrypoint, no migrations."""
        run = stage.text("RUN")
        for tool in BUILD_TOOLS:
            self.check(not re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", run), f"final stage installs {tool}")
        self.check(not re.search(r"[\w.+]+-dev\b", run), "final stage installs -dev packages")
        self.check("libmariadb3" in run, "final stage lacks libmariadb3 (mysqlclient's runtime library)")
        copy = stage.text("COPY")
        self.check(not re.search(r"/opt/poetry|requirements", copy), "final stage copies Poetry or the requirements")
        user = stage.last("USER")
        uid = self.uid
        self.check(user and re.fullmatch(rf"{uid}(:{uid})?", user), f"final USER is {user}, expected {uid}:{uid}")
        env = stage.text("ENV")
        self.check(re.search(r"DJANGO_ENV=production\b", env), "final ENV lacks DJANGO_ENV=production")
        multiproc = re.search(r"PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus\b", env)
        self.check(multiproc, "final ENV lacks PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus")
        self.check(stage.last("WORKDIR") == "/app/backend", "final WORKDIR is not /app/backend")
        entrypoint = stage.text("ENTRYPOINT")
        command = f"{entrypoint} {stage.text('CMD')}"
        self.check(re.search(r'^\["gunicorn"', entrypoint), "ENTRYPOINT is not gunicorn (exec form)")
        self.check("gunicorn.conf.py" in command and "config.wsgi" in command, "entrypoint lacks gunicorn.conf.py")
        self.check("migrate" not in command, "the web process must not migrate")
        return user


def read(path: Path, uid: int) -> tuple[Containerfile, list[str]]:
    """The Containerfile's facts and every rule it breaks."""
    checker = Checker(path, uid)
    return checker.read(), checker.errors
