"""`just check-k8s`: the Kubernetes manifests checked offline.

1. renders ops/deploy/k8s/base and ops/deploy/k8s/overlays/production with kustomize (built from its Go module
   and cached in the temp dir when missing; KUSTOMIZE=/path/to/kustomize to use another);
2. validates every rendered object against the Kubernetes OpenAPI schemas with PyPI kubernetes-validate,
   strictly (unknown fields fail), for the newest version it ships and an older one still in use;
3. asserts what the schemas cannot (invariants.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ops.deploy import tools
from ops.deploy.k8s import invariants

CHECK = "k8s"
MANIFESTS = tools.ROOT / "ops" / "deploy" / "k8s"
TARGETS = ("base", "overlays/production")
KUSTOMIZE_VERSION = "v5.8.2"  # v5.8.3 needs Go 1.27
KUBERNETES_VALIDATE_VERSION = "1.37.0"
KUBERNETES_VERSIONS = ("1.37.0", "1.33.0")


def kustomize() -> Path:
    """KUSTOMIZE, or kustomize built from its Go module into the cache once."""
    if os.environ.get("KUSTOMIZE"):
        return Path(os.environ["KUSTOMIZE"])
    path = tools.cache_dir() / f"kustomize-{KUSTOMIZE_VERSION}" / "kustomize"
    if not path.exists():
        module = f"sigs.k8s.io/kustomize/kustomize/v5@{KUSTOMIZE_VERSION}"
        if not shutil.which("go"):
            tools.unavailable(
                CHECK, "go", f"kustomize is built with `go install {module}`: install Go, or set KUSTOMIZE"
            )
        tools.say(CHECK, f"building kustomize {KUSTOMIZE_VERSION} from its Go module (once; cached at {path})")
        try:
            tools.run("go", "install", module, env={**os.environ, "GOBIN": str(path.parent)})
        except subprocess.CalledProcessError as error:
            tools.fail(CHECK, f"kustomize: go install {module} failed:\n{error.stderr}")
    return path


def render(kustomize: Path, validate: Path, work: Path) -> list[Path]:
    """Each target rendered to work/, and valid for every Kubernetes version."""
    rendered = []
    for target in TARGETS:
        out = work / f"{target.rsplit('/', 1)[-1]}.yaml"
        try:
            out.write_text(tools.run(kustomize, "build", MANIFESTS / target).stdout)
        except subprocess.CalledProcessError as error:
            tools.fail(CHECK, f"kustomize build ops/deploy/k8s/{target}:\n{error.stderr}")
        for version in KUBERNETES_VERSIONS:
            result = subprocess.run([validate, "--strict", "--quiet", "-k", version, out], check=False)
            if result.returncode != 0:
                tools.fail(CHECK, f"ops/deploy/k8s/{target} does not validate against Kubernetes {version}")
        objects = sum(1 for line in out.read_text().splitlines() if line.startswith("kind:"))
        versions = " ".join(KUBERNETES_VERSIONS)
        tools.say(CHECK, f"ops/deploy/k8s/{target}: {objects} objects valid (strict) for Kubernetes {versions}")
        rendered.append(out)
    return rendered


def main() -> None:
    started = time.monotonic()
    build = kustomize()
    requirement = f"kubernetes-validate=={KUBERNETES_VALIDATE_VERSION}"
    validate = tools.pip_tool(CHECK, tools.cache_dir() / requirement, "kubernetes-validate", requirement)
    tools.say(
        CHECK,
        f"kustomize {tools.run(build, 'version').stdout.strip()}, kubernetes-validate {KUBERNETES_VALIDATE_VERSION}",
    )
    with tempfile.TemporaryDirectory(prefix="k8s-check.") as work:
        base, production = render(build, validate, Path(work))
        errors, summary = invariants.check(base, production)
    if errors:
        tools.fail(CHECK, "\n  " + "\n  ".join(errors))
    for line in summary:
        tools.say(CHECK, line)
    tools.say(CHECK, f"all checks passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
