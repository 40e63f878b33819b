"""The project's interpreter (.venv/bin/python) imports from .venv and the standard library only.

Run in the environment under test (inside `nix develop` in the workflow): python's Nix setup hook
puts the site-packages of shell inputs on PYTHONPATH, ahead of .venv, and exports PYTHONHASHSEED=0;
the shell undoes both, and this check fails if either leaks into the interpreter.
"""

import json
import subprocess
from pathlib import Path, PurePath

# -P: no script or current directory in sys.path, so the list shows only what the environment adds.
PROBE = """
import json, sys, sysconfig
print(json.dumps({
    "path": sys.path,
    "stdlib": [sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")],
    "hash_randomization": sys.flags.hash_randomization,
}))
"""
PACKAGE_DIRS = {"site-packages", "dist-packages"}


def allowed(entry: str, venv: Path, stdlib: list[str]) -> bool:
    """Inside the virtualenv, or the standard library itself (its directory, zip or lib-dynload)."""
    path = Path(entry).resolve()
    if path.is_relative_to(venv):
        return True
    if PACKAGE_DIRS & set(PurePath(entry).parts):
        return False
    roots = [Path(directory).resolve() for directory in stdlib]
    # pythonXY.zip sits beside the stdlib directory and is listed even when absent.
    return any(path.is_relative_to(root) or (path.suffix == ".zip" and path.parent == root.parent) for root in roots)


def problems(venv: Path) -> list[str]:
    """What the interpreter adds beyond .venv and the standard library, and disabled hash randomisation."""
    python = venv / "bin" / "python"
    if not python.exists():
        return [f"{python} missing: run `just setup` first"]
    probe = subprocess.run([str(python), "-P", "-c", PROBE], capture_output=True, text=True, check=True)
    seen = json.loads(probe.stdout)
    found = [
        f"sys.path has {entry} (outside .venv and the standard library: is PYTHONPATH set?)"
        for entry in seen["path"]
        if not allowed(entry, venv.resolve(), seen["stdlib"])
    ]
    if not seen["hash_randomization"]:
        found.append("hash randomisation is off (PYTHONHASHSEED=0 in the environment)")
    return found
