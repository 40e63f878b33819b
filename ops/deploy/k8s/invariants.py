"""What the Kubernetes schemas cannot check in the rendered manifests: hand-written because these are this API's rules.

No Secret data; probes, limits and a locked-down securityContext on every container; the image's uid; zero-downtime
rollout settings; the migration Job; selectors that line up; Secret/ConfigMap keys that .env.example and
docs/deployment.md know; and the production overlay's namespace, image, proxy settings and sizes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ops.deploy.tools import ROOT

Object = dict[str, Any]
SECRET = "api-secrets"
SECRET_KEYS = {"SECRET_KEY", "DB_PASS", "REDIS_URL", "METRICS_TOKEN"}
MIGRATE = ["python", "manage.py", "migrate", "--noinput"]
EGRESS_PORTS = {53, 5432, 3306, 6379}
WEB_KINDS = {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress"}
CONTAINERFILE = ROOT / "ops" / "deploy" / "image" / "Containerfile"


def cpu(value: object) -> float:
    text = str(value)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def memory(value: object) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    text = str(value)
    return float(text[:-2]) * units[text[-2:]] if text[-2:] in units else float(text)


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@dataclass
class Render:
    """One rendered target, its objects by kind and name, and the parts most rules look at."""

    label: str
    objects: list[Object]
    by: dict[str, dict[str, Object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for o in self.objects:
            self.by.setdefault(o["kind"], {})[o["metadata"]["name"]] = o

    @property
    def deployment(self) -> Object:
        return self.by["Deployment"]["api"]

    @property
    def job(self) -> Object:
        return self.by["Job"]["api-migrate"]

    @property
    def web(self) -> Object:
        container: Object = self.deployment["spec"]["template"]["spec"]["containers"][0]
        return container

    @property
    def config(self) -> dict[str, str]:
        data: dict[str, str] = next(iter(self.by.get("ConfigMap", {}).values()), {}).get("data", {})
        return data


class Invariants:
    def __init__(self) -> None:
        self.uid = int(re.findall(r"^USER\s+(\d+)", CONTAINERFILE.read_text(), re.MULTILINE)[-1])
        env_example = (ROOT / ".env.example").read_text()
        gunicorn_conf = (ROOT / "backend" / "gunicorn.conf.py").read_text()
        self.known_vars = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", env_example, re.MULTILINE))
        self.known_vars |= set(re.findall(r"environ\.get\(\s*['\"]([A-Z_]+)['\"]", gunicorn_conf))
        self.docs = (ROOT / "docs" / "deployment.md").read_text()
        self.errors: list[str] = []

    def check(self, ok: object, message: str) -> None:
        if not ok:
            self.errors.append(message)

    def target(self, render: Render) -> None:
        """The rules both renders keep."""
        self.configuration(render)
        for name, template in (("Deployment api", render.deployment), ("Job api-migrate", render.job)):
            self.pod(render, name, template["spec"]["template"]["spec"])
        self.web(render)
        self.migration(render)
        self.selectors(render)
        self.release_labels(render)

    def configuration(self, render: Render) -> None:
        """No secret material in the render (api-secrets and api-tls are created out of band); keys documented."""
        label = render.label
        for o in render.by.get("Secret", {}).values():
            self.check(not (o.get("data") or o.get("stringData")), f"{label}: Secret {o['metadata']['name']} has data")
        configmaps = render.by.get("ConfigMap", {})
        self.check(len(configmaps) == 1, f"{label}: expected one ConfigMap, got {list(configmaps)}")
        for key in render.config:
            self.check(key in self.known_vars, f"{label}: ConfigMap key {key} is in neither .env.example nor gunicorn")
            self.check(key in self.docs, f"{label}: ConfigMap key {key} is not in docs/deployment.md")
        for key in SECRET_KEYS:
            self.check(key in self.docs, f"{label}: Secret key {key} is not in docs/deployment.md")
        for name in ("api-migrate", "api-config", SECRET):
            self.check(name in self.docs, f"{label}: {name} is not in docs/deployment.md")

    def pod(self, render: Render, name: str, spec: Object) -> None:
        """Non-root as the image's uid, no token, and every container locked down and sized."""
        label = render.label
        psc = spec.get("securityContext", {})
        runs_as = (psc.get("runAsUser"), psc.get("runAsGroup"))
        self.check(runs_as == (self.uid, self.uid), f"{label}: {name} runs as {runs_as}, the image's uid is {self.uid}")
        self.check(spec.get("automountServiceAccountToken") is False, f"{label}: {name} mounts a service account token")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            where = f"{label}: {name} container {c['name']}"
            resources = c.get("resources", {})
            for kind in ("requests", "limits"):
                self.check({"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: no cpu/memory {kind}")
            sc = c.get("securityContext", {})
            self.check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation is not false")
            self.check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem is not true")
            self.check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities not dropped")
            self.check(sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True, f"{where}: runAsNonRoot is not true")
            seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {}))
            self.check(seccomp.get("type") == "RuntimeDefault", f"{where}: seccomp is not RuntimeDefault")
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            tmp = volumes.get(mounts.get("/tmp"), {}).get("emptyDir", {})  # noqa: S108 - the pods' mount path
            self.check(tmp.get("medium") == "Memory", f"{where}: /tmp is not a memory-backed emptyDir")
            self.check(c["image"] == render.web["image"], f"{where}: a different image than the web pods")
            refs = [
                e["valueFrom"]["secretKeyRef"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})
            ]
            self.check(
                all(r["name"] == SECRET and r["key"] in SECRET_KEYS and not r.get("optional") for r in refs),
                f"{where}: secret refs other than required {SECRET} keys {sorted(SECRET_KEYS)}: {refs}",
            )
            for ref in c.get("envFrom", []):
                configmap = ref.get("configMapRef", {}).get("name")
                self.check(configmap in render.by.get("ConfigMap", {}), f"{where}: envFrom {ref} names no ConfigMap")
                self.check("secretRef" not in ref, f"{where}: envFrom secretRef (use explicit secretKeyRef)")

    def web(self, render: Render) -> None:
        """The image's entrypoint, probes, secrets, graceful shutdown, rollout, scraping."""
        label, web, config = render.label, render.web, render.config
        spec, pod = render.deployment["spec"], render.deployment["spec"]["template"]
        self.check(len(pod["spec"]["containers"]) == 1, f"{label}: Deployment api has more than one container")
        self.check("command" not in web and "args" not in web, f"{label}: Deployment api overrides the entrypoint")
        ports = {p["name"]: p["containerPort"] for p in web["ports"]}
        api_port = ports.get("http")
        self.check(api_port == 8000, f"{label}: container port http is {api_port}, the image listens on 8000")
        for probe, path in (
            ("startupProbe", "/health/live/"),
            ("livenessProbe", "/health/live/"),
            ("readinessProbe", "/health/"),
        ):
            get = web.get(probe, {}).get("httpGet", {})
            on_port = ports.get(get.get("port"), get.get("port")) == api_port
            self.check(get.get("path") == path and on_port, f"{label}: {probe} is not GET {path} on the API port")
        names = [e["name"] for e in web.get("env", [])]
        self.check(set(names) >= SECRET_KEYS, f"{label}: web pods miss secret keys {SECRET_KEYS - set(names)}")
        hosts = next((e.get("value", "") for e in web.get("env", []) if e["name"] == "ALLOWED_HOSTS"), "")
        self.check(
            "$(POD_IP)" in hosts
            and "$(ALLOWED_HOSTS)" in hosts
            and "POD_IP" in names
            and names.index("POD_IP") < names.index("ALLOWED_HOSTS"),
            f"{label}: ALLOWED_HOSTS must append $(POD_IP), defined before it, to the ConfigMap's value",
        )
        self.check("replicas" not in spec, f"{label}: Deployment api sets replicas although the HPA owns them")
        strategy = spec.get("strategy", {})
        self.check(
            strategy.get("type") == "RollingUpdate" and strategy.get("rollingUpdate", {}).get("maxUnavailable") == 0,
            f"{label}: rollout is not RollingUpdate with maxUnavailable 0",
        )
        pre_stop = web.get("lifecycle", {}).get("preStop", {})
        if "exec" in pre_stop:
            sleep = int(pre_stop["exec"].get("command", ["", "0"])[-1])
        else:
            sleep = pre_stop.get("sleep", {}).get("seconds", 0)
        drain = int(config.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
        grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        self.check(sleep > 0, f"{label}: no preStop sleep")
        self.check(grace > sleep + drain, f"{label}: terminationGracePeriodSeconds {grace} <= {sleep} + {drain}")
        annotations = pod["metadata"].get("annotations", {})
        wanted = {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics", "prometheus.io/port": str(api_port)}
        scraped = all(annotations.get(k) == v for k, v in wanted.items())
        self.check(scraped, f"{label}: pods are not annotated for Prometheus scraping")
        metrics_access = config.get("METRICS_ALLOWED_NETWORKS") and "METRICS_TOKEN" in names
        self.check(metrics_access, f"{label}: /metrics needs METRICS_TOKEN or METRICS_ALLOWED_NETWORKS")
        plain = config.get("SECURE_SSL_REDIRECT") == "False"
        self.check(plain, f"{label}: SECURE_SSL_REDIRECT must be False (probes and scrapes are plain HTTP)")
        self.check(config.get("DJANGO_ENV", "production") == "production", f"{label}: DJANGO_ENV is not production")

    def migration(self, render: Render) -> None:
        label, spec = render.label, render.job["spec"]
        container = spec["template"]["spec"]["containers"][0]
        runs = container.get("command") == MIGRATE and not container.get("args")
        self.check(runs, f"{label}: Job api-migrate does not run {' '.join(MIGRATE)}")
        self.check(spec["template"]["spec"].get("restartPolicy") == "Never", f"{label}: Job api-migrate restarts")
        bounded = "activeDeadlineSeconds" in spec and spec.get("backoffLimit", 6) <= 3
        self.check(bounded, f"{label}: Job api-migrate is unbounded")
        env = container.get("env", [])
        multiproc = next((e.get("value") for e in env if e["name"] == "PROMETHEUS_MULTIPROC_DIR"), None)
        mounts = [m["mountPath"] for m in container.get("volumeMounts", [])]
        self.check(
            multiproc is not None and any(multiproc == m or multiproc.startswith(m + "/") for m in mounts),
            f"{label}: Job api-migrate's PROMETHEUS_MULTIPROC_DIR ({multiproc}) is not on a mounted volume "
            "(the image's /tmp/prometheus does not exist under the emptyDir)",
        )
        secrets = {"SECRET_KEY", "DB_PASS"} <= {e["name"] for e in env}
        self.check(secrets, f"{label}: Job api-migrate lacks SECRET_KEY/DB_PASS")

    def selectors(self, render: Render) -> None:
        """Service/PDB/HPA on the web pods only, the NetworkPolicy on web and Job pods."""
        label, by = render.label, render.by
        web_labels = render.deployment["spec"]["template"]["metadata"]["labels"]
        job_labels = render.job["spec"]["template"]["metadata"]["labels"]
        api_port = next((p["containerPort"] for p in render.web["ports"] if p["name"] == "http"), None)

        def web_only(selector: dict[str, str]) -> bool:
            return matches(selector, web_labels) and not matches(selector, job_labels)

        selected = matches(render.deployment["spec"]["selector"]["matchLabels"], web_labels)
        self.check(selected, f"{label}: Deployment selector does not match its pods")
        service = by["Service"]["api"]["spec"]
        self.check(web_only(service["selector"]), f"{label}: Service api must select the web pods, not the Job's")
        targets = any(p.get("targetPort") in ("http", api_port) for p in service["ports"])
        self.check(targets, f"{label}: Service api does not target the API port")
        pdb = by["PodDisruptionBudget"]["api"]["spec"]
        self.check(web_only(pdb["selector"]["matchLabels"]), f"{label}: PDB api does not select the web pods only")
        hpa = by["HorizontalPodAutoscaler"]["api"]
        target = hpa["spec"]["scaleTargetRef"]
        scales = hpa["apiVersion"] == "autoscaling/v2" and (target["kind"], target["name"]) == ("Deployment", "api")
        self.check(scales, f"{label}: HPA does not scale Deployment api")
        on_cpu = any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
        self.check(on_cpu, f"{label}: HPA has no CPU metric")
        self.check(
            hpa["spec"].get("minReplicas", 1) >= 2 and pdb.get("maxUnavailable", 1) < hpa["spec"]["minReplicas"],
            f"{label}: HPA minReplicas must be >= 2 and above the PDB's maxUnavailable",
        )
        netpol = by["NetworkPolicy"]["api"]["spec"]
        pods = netpol["podSelector"]["matchLabels"]
        covers = matches(pods, web_labels) and matches(pods, job_labels)
        self.check(covers, f"{label}: NetworkPolicy api does not cover the web and Job pods")
        directions = set(netpol["policyTypes"]) == {"Ingress", "Egress"}
        self.check(directions, f"{label}: NetworkPolicy does not restrict both directions")
        in_ports = {p["port"] for rule in netpol.get("ingress", []) for p in rule.get("ports", [])}
        self.check(
            in_ports in ({api_port}, {"http"}) and all(rule.get("ports") for rule in netpol.get("ingress", [])),
            f"{label}: NetworkPolicy ingress is not limited to the API port: {in_ports}",
        )
        out_ports = {p.get("port") for rule in netpol.get("egress", []) for p in rule.get("ports", [])}
        self.check(
            out_ports <= EGRESS_PORTS and all(rule.get("ports") for rule in netpol.get("egress", [])),
            f"{label}: NetworkPolicy egress beyond DNS/PostgreSQL/MySQL/Redis: {out_ports}",
        )

    def release_labels(self, render: Render) -> None:
        """The release applies `-l app.kubernetes.io/component!=web` first (config + Job), then all."""
        for o in render.objects:
            is_web = o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "web"
            where = f"{render.label}: {o['kind']} {o['metadata']['name']}"
            self.check(is_web == (o["kind"] in WEB_KINDS), f"{where} labelled component=web: {is_web}")
        self.check("app.kubernetes.io/component!=web" in self.docs, "docs/deployment.md lost the two-step release")

    def production(self, base: Render, prod: Render) -> str:
        """The overlay's namespace, image, proxy settings, hosts and sizes; a summary line."""
        namespace = next(iter(prod.by.get("Namespace", {})), "")
        self.check(namespace, "production: no Namespace object")
        labels = prod.by.get("Namespace", {}).get(namespace, {}).get("metadata", {}).get("labels", {})
        restricted = labels.get("pod-security.kubernetes.io/enforce") == "restricted"
        self.check(restricted, "production: namespace does not enforce the restricted Pod Security Standard")
        for o in prod.objects:
            in_namespace = o["kind"] == "Namespace" or o["metadata"].get("namespace") == namespace
            self.check(in_namespace, f"production: {o['kind']} {o['metadata']['name']} not in namespace {namespace}")
        image, config = prod.web["image"], prod.config
        tagged = re.search(r":[\w][\w.-]*$", image.rsplit("/", 1)[-1]) or "@sha256:" in image
        self.check(
            "/" in image and tagged and not image.endswith(":latest"),
            f"production: image {image} is not a registry path with a release tag or digest",
        )
        proxied = config.get("SECURE_PROXY_SSL_HEADER") == "HTTP_X_FORWARDED_PROTO,https"
        self.check(proxied, "production: SECURE_PROXY_SSL_HEADER is not set for the ingress")
        self.check(int(config.get("NUM_PROXIES", 0)) >= 1, "production: NUM_PROXIES is 0 behind the ingress")
        hosts = config.get("ALLOWED_HOSTS", "").split(",")
        self.check(hosts and "localhost" not in hosts, "production: ALLOWED_HOSTS still names localhost")
        origins = config.get("CSRF_TRUSTED_ORIGINS", "").split(",")
        self.check(all(o.startswith("https://") for o in origins), "production: CSRF_TRUSTED_ORIGINS not https")
        for kind in ("requests", "limits"):
            for resource, parse in (("cpu", cpu), ("memory", memory)):
                ours, base_value = prod.web["resources"][kind][resource], base.web["resources"][kind][resource]
                self.check(parse(ours) >= parse(base_value), f"production: {kind}.{resource} below the base's")
        for ingress in prod.by.get("Ingress", {}).values():
            self.ingress(prod, ingress, hosts)
        hpa = prod.by["HorizontalPodAutoscaler"]["api"]["spec"]
        surge = prod.deployment["spec"]["strategy"]["rollingUpdate"].get("maxSurge", 1)
        workers = config.get("WEB_CONCURRENCY", "2")
        connections = (hpa["maxReplicas"] + int(surge)) * int(workers) + 1
        return (
            f"production: namespace {namespace}, image {image}, HPA {hpa['minReplicas']}-{hpa['maxReplicas']} pods "
            f"(+{surge} surge) x WEB_CONCURRENCY {workers} + the Job = up to {connections} DB connections"
        )

    def ingress(self, prod: Render, ingress: Object, hosts: list[str]) -> None:
        for rule in ingress["spec"]["rules"]:
            self.check(rule["host"] in hosts, f"production: Ingress host {rule['host']} not in ALLOWED_HOSTS")
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                port = backend["port"].get("name", backend["port"].get("number"))
                service_ports = prod.by["Service"][backend["name"]]["spec"]["ports"]
                names = {p["name"] for p in service_ports} | {p["port"] for p in service_ports}
                self.check(port in names, f"production: Ingress backend {backend} names no Service port")
        self.check(ingress["spec"].get("tls"), "production: Ingress without TLS")
        for tls in ingress["spec"].get("tls", []):
            documented = tls["secretName"] in self.docs
            self.check(documented, f"production: TLS Secret {tls['secretName']} is not in docs/deployment.md")


def load(path: Path, label: str) -> Render:
    return Render(label, [o for o in yaml.safe_load_all(path.read_text()) if o])


def check(base_yaml: Path, production_yaml: Path) -> tuple[list[str], list[str]]:
    """Every broken rule (once each), and the summary lines."""
    invariants = Invariants()
    base, prod = load(base_yaml, "base"), load(production_yaml, "production")
    invariants.target(base)
    invariants.target(prod)
    summary = invariants.production(base, prod)
    lines = [
        f"invariants ok: no Secret data; probes, limits, non-root uid {invariants.uid}, read-only root, "
        f"no capabilities, RuntimeDefault seccomp on every container; Job runs `{' '.join(MIGRATE)}`",
        summary,
    ]
    return list(dict.fromkeys(invariants.errors)), lines
