"""Every shared library a binary wheel in .venv needs can be loaded inside `nix develop` (Linux).

Python from the Nix store loads libraries through Nix's glibc, which ignores /etc/ld.so.cache: a
library a wheel doesn't bundle must be glibc's own or one the flake puts on LD_LIBRARY_PATH, listed
in nix-libraries.json (read by flake.nix too). Extensions built on this machine (wheel tag
`linux_*`) are left out: they link against the libraries of the machine that built them, and inside
the Nix shell the compiler records those libraries' store paths in RUNPATH.
"""

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import Distribution, distributions
from pathlib import Path

from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile

LIBRARIES_FILE = Path(__file__).with_name("nix-libraries.json")
ELF_MAGIC = b"\x7fELF"
# Sonames of nixpkgs' glibc package, which every Nix binary loads; it ships libgcc_s.so.1 as well.
GLIBC = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libutil.so.1",
        "libresolv.so.2",
        "libanl.so.1",
        "libgcc_s.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
    }
)


@dataclass(frozen=True)
class Unprovided:
    """A library `needed_by` loads that nothing in the Nix shell provides."""

    soname: str
    needed_by: str


def provided_sonames(libraries_file: Path = LIBRARIES_FILE) -> frozenset[str]:
    """Sonames the flake provides, from the file it reads."""
    provides: dict[str, list[str]] = json.loads(libraries_file.read_text())["provides"]
    return frozenset(soname for sonames in provides.values() for soname in sonames)


def built_here(dist: Distribution) -> bool:
    """A wheel built on this machine from an sdist: its platform tag is plain `linux_<arch>`."""
    wheel = dist.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return bool(tags) and all(tag.rsplit("-", 1)[-1].startswith("linux_") for tag in tags)


def files_built_here(site_packages: Path) -> set[Path]:
    """Files installed by distributions built on this machine."""
    return {
        Path(str(dist.locate_file(file))).resolve()
        for dist in distributions(path=[str(site_packages)])
        if built_here(dist)
        for file in dist.files or []
    }


def shared_objects(venv: Path) -> Iterator[Path]:
    """ELF shared objects under `venv` (extension modules and the libraries wheels bundle)."""
    for path in sorted(venv.rglob("*.so*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == ELF_MAGIC:
                    yield path


def dynamic_entries(path: Path) -> tuple[list[str], list[str]]:
    """(NEEDED sonames, RUNPATH and RPATH directories) of one ELF file."""
    needed: list[str] = []
    search: list[str] = []
    with path.open("rb") as file:
        for section in ELFFile(file).iter_sections():
            if not isinstance(section, DynamicSection):
                continue
            for tag in section.iter_tags():
                kind = tag.entry.d_tag
                # DynamicTag carries these tags' strings as attributes named after them (.needed, .runpath).
                if kind == "DT_NEEDED":
                    needed.append(getattr(tag, kind[3:].lower()))
                elif kind in ("DT_RUNPATH", "DT_RPATH"):
                    search.extend(getattr(tag, kind[3:].lower()).split(":"))
    return needed, search


def bundled(soname: str, path: Path, search: list[str]) -> bool:
    """Found through the file's RUNPATH/RPATH, with $ORIGIN the file's own directory."""
    origin = str(path.parent)
    dirs = (entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for entry in search)
    return any((Path(directory) / soname).exists() for directory in dirs if directory)


def unprovided(venv: Path, provided: frozenset[str]) -> list[Unprovided]:
    """Each library a binary wheel needs that is neither bundled, glibc's, nor provided by the flake."""
    skip: set[Path] = set()
    for site_packages in venv.glob("lib/python3*/site-packages"):
        skip |= files_built_here(site_packages)
    found = []
    for path in shared_objects(venv):
        if path.resolve() in skip:
            continue
        needed, search = dynamic_entries(path)
        for soname in needed:
            if soname not in GLIBC and soname not in provided and not bundled(soname, path, search):
                found.append(Unprovided(soname, str(path.relative_to(venv))))
    return found


def problems(venv: Path) -> list[str]:
    """The check as the runner reports it: one line per unprovided library."""
    if not sys.platform.startswith("linux"):
        print("  libraries: not applicable here (macOS wheels are Mach-O and load system libraries via dyld)")
        return []
    if not venv.is_dir():
        return [f"{venv} missing: run `just setup` first"]
    return [
        f"{item.soname} (needed by {item.needed_by}): add the nixpkgs package providing it to {LIBRARIES_FILE.name}"
        for item in unprovided(venv, provided_sonames())
    ]
