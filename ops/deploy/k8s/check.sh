#!/usr/bin/env bash
# Checks the Kubernetes manifests offline (`.ci/run` calls it from the repo root):
#   1. renders ops/k8s/base and ops/k8s/overlays/production with kustomize (built from its Go module
#      and cached in ${TMPDIR:-/tmp} when missing; KUSTOMIZE=/path/to/kustomize to use another);
#   2. validates every rendered object against the Kubernetes OpenAPI schemas with PyPI
#      kubernetes-validate, strictly (unknown fields fail), for the newest version it ships and an
#      older one still in use;
#   3. asserts what the schemas cannot: no Secret data, probes, limits and a locked-down
#      securityContext on every container, the image's uid, zero-downtime rollout settings, the
#      migration Job, selectors that line up, Secret/ConfigMap keys that .env.example and
#      docs/deployment.md know, and the production overlay's namespace, image, proxy and sizes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cache=${TMPDIR:-/tmp}
KUSTOMIZE_VERSION=v5.8.2   # v5.8.3 needs Go 1.27
KUBERNETES_VALIDATE_VERSION=1.37.0
K8S_VERSIONS=(1.37.0 1.33.0)
started=$SECONDS
say() { printf 'k8s: %s\n' "$*"; }

kustomize=${KUSTOMIZE:-$cache/kustomize-$KUSTOMIZE_VERSION/kustomize}
if [[ ! -x $kustomize ]]; then
  say "building kustomize $KUSTOMIZE_VERSION from the Go module proxy (once; cached at $kustomize)"
  GOBIN=$(dirname "$kustomize") go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi
kv=${KUBERNETES_VALIDATE_VENV:-$cache/kv}
if [[ $("$kv/bin/kubernetes-validate" --version 2>/dev/null) != "$KUBERNETES_VALIDATE_VERSION" ]]; then
  python3 -m venv "$kv"
  "$kv/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
say "kustomize $("$kustomize" version), kubernetes-validate $("$kv/bin/kubernetes-validate" --version)"

work=$(mktemp -d "$cache/k8s-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
for target in base overlays/production; do
  out=$work/${target##*/}.yaml
  "$kustomize" build "ops/k8s/$target" >"$out"
  for version in "${K8S_VERSIONS[@]}"; do
    "$kv/bin/kubernetes-validate" --strict --quiet -k "$version" "$out" ||
      { say "FAIL: ops/k8s/$target does not validate against Kubernetes $version"; exit 1; }
  done
  say "ops/k8s/$target: $(grep -c '^kind:' "$out") objects valid (strict) for Kubernetes ${K8S_VERSIONS[*]}"
done

"$kv/bin/python" - "$work/base.yaml" "$work/production.yaml" <<'PY'
import re, sys
from pathlib import Path

import yaml

SECRET = "api-secrets"
SECRET_KEYS = {"SECRET_KEY", "DB_PASS", "REDIS_URL", "METRICS_TOKEN"}
MIGRATE = ["python", "manage.py", "migrate", "--noinput"]
EGRESS_PORTS = {53, 5432, 3306, 6379}
containerfile = Path("ops/image/Containerfile").read_text()
uid = int(re.findall(r"^USER\s+(\d+)", containerfile, re.M)[-1])
known_vars = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", Path(".env.example").read_text(), re.M))
known_vars |= set(re.findall(r"environ\.get\(\s*['\"]([A-Z_]+)['\"]", Path("backend/gunicorn.conf.py").read_text()))
docs = Path("docs/deployment.md").read_text()
errors = []


def check(ok, message):
    if not ok:
        errors.append(message)


def cpu(v):
    return float(v[:-1]) / 1000 if str(v).endswith("m") else float(v)


def mem(v):
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    v = str(v)
    return float(v[:-2]) * units[v[-2:]] if v[-2:] in units else float(v)


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def load(path, label):
    objects = [o for o in yaml.safe_load_all(Path(path).read_text()) if o]
    by = {}
    for o in objects:
        by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    e0 = len(errors)

    # No secret material in the render: api-secrets / api-tls are created out of band.
    for o in by.get("Secret", {}).values():
        check(not (o.get("data") or o.get("stringData")), f"{label}: Secret {o['metadata']['name']} carries data")

    configmaps = by.get("ConfigMap", {})
    check(len(configmaps) == 1, f"{label}: expected one ConfigMap, got {list(configmaps)}")
    config = next(iter(configmaps.values()))["data"]
    for key in config:
        check(key in known_vars, f"{label}: ConfigMap key {key} is neither in .env.example nor gunicorn.conf.py")
        check(key in docs, f"{label}: ConfigMap key {key} is not in docs/deployment.md")
    for key in SECRET_KEYS:
        check(key in docs, f"{label}: Secret key {key} is not in docs/deployment.md")

    deploy = by["Deployment"]["api"]
    job = by["Job"]["api-migrate"]
    pods = {"Deployment api": deploy["spec"]["template"], "Job api-migrate": job["spec"]["template"]}
    for name, template in pods.items():
        spec = template["spec"]
        psc = spec.get("securityContext", {})
        check(psc.get("runAsUser") == uid and psc.get("runAsGroup") == uid, f"{label}: {name} runs as {psc.get('runAsUser')}, the image's uid is {uid}")
        check(spec.get("automountServiceAccountToken") is False, f"{label}: {name} mounts a service account token")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            where = f"{label}: {name} container {c['name']}"
            res = c.get("resources", {})
            for kind in ("requests", "limits"):
                check({"cpu", "memory"} <= set(res.get(kind, {})), f"{where}: no cpu/memory {kind}")
            sc = c.get("securityContext", {})
            check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false")
            check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true")
            check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities not dropped")
            check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{where}: runAsNonRoot is not true")
            seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {}))
            check(seccomp.get("type") == "RuntimeDefault", f"{where}: seccomp is not RuntimeDefault")
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            tmp = volumes.get(mounts.get("/tmp"), {}).get("emptyDir", {})
            check(tmp.get("medium") == "Memory", f"{where}: /tmp is not a memory-backed emptyDir")
            check(c["image"] == deploy["spec"]["template"]["spec"]["containers"][0]["image"], f"{where}: a different image than the web pods")
            env = c.get("env", [])
            refs = [e["valueFrom"]["secretKeyRef"] for e in env if "secretKeyRef" in e.get("valueFrom", {})]
            check(all(r["name"] == SECRET and r["key"] in SECRET_KEYS and not r.get("optional") for r in refs),
                  f"{where}: secret refs other than required {SECRET} keys {sorted(SECRET_KEYS)}: {refs}")
            for ref in c.get("envFrom", []):
                check(ref.get("configMapRef", {}).get("name") in configmaps, f"{where}: envFrom {ref} names no rendered ConfigMap")
                check("secretRef" not in ref, f"{where}: envFrom secretRef (use explicit secretKeyRef)")

    # Web pods: the image's entrypoint, probes, secrets, graceful shutdown, rollout, scraping.
    dspec, tspec = deploy["spec"], deploy["spec"]["template"]["spec"]
    web = tspec["containers"][0]
    check(len(tspec["containers"]) == 1, f"{label}: Deployment api has more than one container")
    check("command" not in web and "args" not in web, f"{label}: Deployment api overrides the image's gunicorn entrypoint")
    ports = {p["name"]: p["containerPort"] for p in web["ports"]}
    api_port = ports.get("http")
    check(api_port == 8000, f"{label}: container port http is {api_port}, the image listens on API_PORT=8000")
    for probe, path in (("startupProbe", "/health/live/"), ("livenessProbe", "/health/live/"), ("readinessProbe", "/health/")):
        get = web.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and ports.get(get.get("port"), get.get("port")) == api_port, f"{label}: {probe} is not GET {path} on the API port")
    env = web.get("env", [])
    names = [e["name"] for e in env]
    check({r for r in SECRET_KEYS} <= set(names), f"{label}: web pods miss secret keys {SECRET_KEYS - set(names)}")
    hosts = next((e.get("value", "") for e in env if e["name"] == "ALLOWED_HOSTS"), "")
    check("$(POD_IP)" in hosts and "$(ALLOWED_HOSTS)" in hosts and "POD_IP" in names and names.index("POD_IP") < names.index("ALLOWED_HOSTS"),
          f"{label}: ALLOWED_HOSTS must append $(POD_IP), defined before it, to the ConfigMap's value")
    check("replicas" not in dspec, f"{label}: Deployment api sets replicas although the HPA owns them")
    strategy = dspec.get("strategy", {})
    check(strategy.get("type") == "RollingUpdate" and strategy.get("rollingUpdate", {}).get("maxUnavailable") == 0,
          f"{label}: rollout is not RollingUpdate with maxUnavailable 0")
    pre_stop = web.get("lifecycle", {}).get("preStop", {})
    sleep = int(pre_stop.get("exec", {}).get("command", ["", "0"])[-1]) if "exec" in pre_stop else pre_stop.get("sleep", {}).get("seconds", 0)
    drain = int(config.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
    grace = tspec.get("terminationGracePeriodSeconds", 30)
    check(sleep > 0, f"{label}: no preStop sleep")
    check(grace > sleep + drain, f"{label}: terminationGracePeriodSeconds {grace} <= preStop {sleep} + graceful timeout {drain}")
    annotations = deploy["spec"]["template"]["metadata"].get("annotations", {})
    check(annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/path") == "/metrics"
          and annotations.get("prometheus.io/port") == str(api_port), f"{label}: pods are not annotated for Prometheus scraping")
    check(config.get("METRICS_ALLOWED_NETWORKS") and "METRICS_TOKEN" in names, f"{label}: /metrics needs METRICS_TOKEN or METRICS_ALLOWED_NETWORKS")
    check(config.get("SECURE_SSL_REDIRECT") == "False", f"{label}: SECURE_SSL_REDIRECT must be False (probes and scrapes are plain HTTP)")
    check(config.get("DJANGO_ENV", "production") == "production", f"{label}: DJANGO_ENV is not production")

    # The migration Job.
    jspec, mig = job["spec"], job["spec"]["template"]["spec"]["containers"][0]
    check(mig.get("command") == MIGRATE and not mig.get("args"), f"{label}: Job api-migrate does not run {' '.join(MIGRATE)}")
    check(job["spec"]["template"]["spec"].get("restartPolicy") == "Never", f"{label}: Job api-migrate restarts in place")
    check("activeDeadlineSeconds" in jspec and jspec.get("backoffLimit", 6) <= 3, f"{label}: Job api-migrate is unbounded")
    multiproc = next((e.get("value") for e in mig.get("env", []) if e["name"] == "PROMETHEUS_MULTIPROC_DIR"), None)
    mounts = [m["mountPath"] for m in mig.get("volumeMounts", [])]
    check(multiproc is not None and any(multiproc == m or multiproc.startswith(m + "/") for m in mounts),
          f"{label}: Job api-migrate's PROMETHEUS_MULTIPROC_DIR ({multiproc}) is not on a mounted volume (the image's /tmp/prometheus does not exist under the emptyDir)")
    check({"SECRET_KEY", "DB_PASS"} <= {e["name"] for e in mig.get("env", [])}, f"{label}: Job api-migrate lacks SECRET_KEY/DB_PASS")

    # Selectors line up: Service/PDB/HPA on the web pods only, the NetworkPolicy on web and Job pods.
    web_labels = deploy["spec"]["template"]["metadata"]["labels"]
    job_labels = job["spec"]["template"]["metadata"]["labels"]
    check(matches(dspec["selector"]["matchLabels"], web_labels), f"{label}: Deployment selector does not match its pods")
    svc = by["Service"]["api"]
    check(matches(svc["spec"]["selector"], web_labels) and not matches(svc["spec"]["selector"], job_labels),
          f"{label}: Service api must select the web pods and not the Job's")
    check(any(p.get("targetPort") in ("http", api_port) for p in svc["spec"]["ports"]), f"{label}: Service api does not target the API port")
    pdb = by["PodDisruptionBudget"]["api"]
    check(matches(pdb["spec"]["selector"]["matchLabels"], web_labels) and not matches(pdb["spec"]["selector"]["matchLabels"], job_labels),
          f"{label}: PDB api does not select the web pods only")
    hpa = by["HorizontalPodAutoscaler"]["api"]
    target = hpa["spec"]["scaleTargetRef"]
    check(hpa["apiVersion"] == "autoscaling/v2" and (target["kind"], target["name"]) == ("Deployment", "api"), f"{label}: HPA does not scale Deployment api")
    check(any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"]), f"{label}: HPA has no CPU metric")
    check(hpa["spec"].get("minReplicas", 1) >= 2 and pdb["spec"].get("maxUnavailable", 1) < hpa["spec"]["minReplicas"],
          f"{label}: HPA minReplicas must be >= 2 and above the PDB's maxUnavailable")
    netpol = by["NetworkPolicy"]["api"]["spec"]
    check(matches(netpol["podSelector"]["matchLabels"], web_labels) and matches(netpol["podSelector"]["matchLabels"], job_labels),
          f"{label}: NetworkPolicy api does not cover the web and Job pods")
    check(set(netpol["policyTypes"]) == {"Ingress", "Egress"}, f"{label}: NetworkPolicy does not restrict both directions")
    in_ports = {p["port"] for rule in netpol.get("ingress", []) for p in rule.get("ports", [])}
    check(in_ports in ({api_port}, {"http"}) and all(rule.get("ports") for rule in netpol.get("ingress", [])),
          f"{label}: NetworkPolicy ingress is not limited to the API port: {in_ports}")
    out_ports = {p.get("port") for rule in netpol.get("egress", []) for p in rule.get("ports", [])}
    check(out_ports <= EGRESS_PORTS and all(rule.get("ports") for rule in netpol.get("egress", [])),
          f"{label}: NetworkPolicy egress beyond DNS/PostgreSQL/MySQL/Redis: {out_ports}")
    # The release procedure applies `-l app.kubernetes.io/component!=web` first (config + Job), then all.
    web_kinds = {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"}
    for o in objects:
        is_web = o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "web"
        check(is_web == (o["kind"] in web_kinds), f"{label}: {o['kind']} {o['metadata']['name']} labelled component=web: {is_web}")
    check("app.kubernetes.io/component!=web" in docs, f"{label}: docs/deployment.md lost the two-step release")
    for name in ("api-migrate", "api-config", SECRET):
        check(name in docs, f"{label}: {name} is not in docs/deployment.md")
    return objects, by, config, web, e0


base_objects, base, base_config, base_web, _ = load(sys.argv[1], "base")
objects, prod, config, web, e0 = load(sys.argv[2], "production")

# Production overlay.
label = "production"
namespace = next(iter(prod.get("Namespace", {})), None)
check(namespace is not None, "production: no Namespace object")
ns = prod.get("Namespace", {}).get(namespace, {})
check(ns.get("metadata", {}).get("labels", {}).get("pod-security.kubernetes.io/enforce") == "restricted",
      "production: namespace does not enforce the restricted Pod Security Standard")
for o in objects:
    if o["kind"] != "Namespace":
        check(o["metadata"].get("namespace") == namespace, f"production: {o['kind']} {o['metadata']['name']} not in namespace {namespace}")
image = web["image"]
check("/" in image and (re.search(r":[\w][\w.-]*$", image.rsplit("/", 1)[-1]) or "@sha256:" in image) and not image.endswith(":latest"),
      f"production: image {image} is not a registry path with a release tag or digest")
check(config.get("SECURE_PROXY_SSL_HEADER") == "HTTP_X_FORWARDED_PROTO,https", "production: SECURE_PROXY_SSL_HEADER is not set for the ingress")
check(int(config.get("NUM_PROXIES", 0)) >= 1, "production: NUM_PROXIES is 0 behind the ingress")
hosts = config.get("ALLOWED_HOSTS", "").split(",")
check(hosts and "localhost" not in hosts, "production: ALLOWED_HOSTS still names localhost")
check(all(o.startswith("https://") for o in config.get("CSRF_TRUSTED_ORIGINS", "").split(",")), "production: CSRF_TRUSTED_ORIGINS not https")
for kind in ("requests", "limits"):
    for res, parse in (("cpu", cpu), ("memory", mem)):
        check(parse(web["resources"][kind][res]) >= parse(base_web["resources"][kind][res]), f"production: {kind}.{res} below the base's")
ingresses = prod.get("Ingress", {})
for ing in ingresses.values():
    for rule in ing["spec"]["rules"]:
        check(rule["host"] in hosts, f"production: Ingress host {rule['host']} not in ALLOWED_HOSTS")
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            port = backend["port"].get("name", backend["port"].get("number"))
            svc_ports = {p["name"] for p in prod["Service"][backend["name"]]["spec"]["ports"]} | {p["port"] for p in prod["Service"][backend["name"]]["spec"]["ports"]}
            check(port in svc_ports, f"production: Ingress backend {backend} names no Service port")
    check(ing["spec"].get("tls"), "production: Ingress without TLS")
    for tls in ing["spec"].get("tls", []):
        check(tls["secretName"] in docs, f"production: TLS Secret {tls['secretName']} is not in docs/deployment.md")

hpa = prod["HorizontalPodAutoscaler"]["api"]["spec"]
surge = prod["Deployment"]["api"]["spec"]["strategy"]["rollingUpdate"].get("maxSurge", 1)
max_conn = (hpa["maxReplicas"] + int(surge)) * int(config.get("WEB_CONCURRENCY", 2)) + 1
if errors:
    sys.exit("k8s: FAIL:\n  " + "\n  ".join(dict.fromkeys(errors)))
print(f"k8s: invariants ok: no Secret data; probes, limits, non-root uid {uid}, read-only root, no capabilities, "
      f"RuntimeDefault seccomp on every container; Job runs `{' '.join(MIGRATE)}`")
print(f"k8s: production: namespace {namespace}, image {image}, HPA {hpa['minReplicas']}-{hpa['maxReplicas']} pods "
      f"(+{surge} surge) x WEB_CONCURRENCY {config.get('WEB_CONCURRENCY')} + the Job = up to {max_conn} DB connections")
PY
say "all checks passed in $((SECONDS - started)) s"
