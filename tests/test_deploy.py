"""The deployment kit cannot drift from the tested local topology (``dashboard.serve``).

Docker and Kubernetes do not run here, so these tests parse deploy/ and compare its commands,
ports, environment variables, health paths and cookie with what ``make serve`` runs and the
browser tests exercise. The proxy config is checked by HAProxy itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dashboard.page_registry import page_paths
from dashboard.serve import (
    HEALTH_PATH,
    PROXY_TEMPLATE,
    WORKER_ENV,
    Topology,
    parse_args,
    proxy_config,
    refresh_command,
    unsubscribe_command,
    worker_command,
)
from dashboard.static_files import NGINX_TEMPLATE, nginx_config, static_command
from dashboard.static_paths import MAP_COMPONENT

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PORT = 8501
DATA_DIR = "/data"
WORKER = ["python", *worker_command(PORT, "0.0.0.0")[1:]]
REFRESH = ["python", *refresh_command("15m")[1:]]
STATIC_PORT = 8088
STATIC = ["python", *static_command(str(STATIC_PORT))[1:]]
UNSUBSCRIBE_PORT = 8089
UNSUBSCRIBE = ["python", *unsubscribe_command(str(UNSUBSCRIBE_PORT))[1:]]
(COOKIE,) = re.findall(r"cookie (\w+) insert", PROXY_TEMPLATE.read_text())


def _yaml(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc]


def _kind(documents: list[dict], kind: str) -> dict:
    (found,) = [doc for doc in documents if doc["kind"] == kind]
    return found


def _container(deployment: dict) -> dict:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict) -> dict[str, str]:
    return {item["name"]: item.get("value") for item in container["env"]}


def test_proxy_config_is_valid_and_checks_the_health_path(tmp_path) -> None:
    config = proxy_config([8601, 8602], tmp_path / "static.sock", tmp_path / "unsubscribe.sock")
    assert f"option httpchk GET {HEALTH_PATH}" in config
    assert "server w2 127.0.0.1:8602" in config and "    server-template" not in config
    assert f"server static unix@{tmp_path / 'static.sock'} check" in config
    assert f"server unsubscribe unix@{tmp_path / 'unsubscribe.sock'} check" in config
    if not shutil.which("haproxy"):
        pytest.skip("HAProxy is not installed")
    path = tmp_path / "haproxy.cfg"
    path.write_text(config)
    env = {**os.environ, "PANTAU_RUN_DIR": str(tmp_path), "PANTAU_BIND": "127.0.0.1"}
    env["PANTAU_PORT"] = "8099"
    for candidate in (path, PROXY_TEMPLATE):  # the compose file mounts the template as it is
        result = subprocess.run(
            ["haproxy", "-c", "-f", str(candidate)], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_the_worker_as_a_non_root_user_with_boundaries() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith("#")]
    (base,) = [line for line in instructions if line.startswith("FROM ")]
    assert re.fullmatch(r"FROM python:\d+\.\d+\.\d+-slim-\w+", base)  # a pinned version
    cmd = next(line for line in instructions if line.startswith("CMD "))
    assert json.loads(cmd.removeprefix("CMD ")) == WORKER
    assert f"EXPOSE {PORT}" in instructions
    assert re.search(r"^USER [1-9]\d*$", text, re.MULTILINE)
    assert "python -m geo fetch" in text and f"PRAKERJA_DATA_DIR={DATA_DIR}" in text
    assert "python -m dashboard.static_files" in text  # prepared at build, not per container
    assert "nginx-light=" in text and "libnginx-mod-http-brotli-static=" in text
    assert f"127.0.0.1:{PORT}{HEALTH_PATH}" in text


def test_compose_matches_the_local_topology() -> None:
    services = _yaml("compose.yaml")[0]["services"]
    worker, refresh, proxy = services["worker"], services["refresh"], services["proxy"]
    assert worker["command"] == WORKER
    assert refresh["command"] == REFRESH
    for name, value in WORKER_ENV.items():
        assert worker["environment"][name] == value
    assert "PRAKERJA_REFRESH_MINUTES" not in refresh["environment"]
    assert worker["environment"]["PRAKERJA_DATA_DIR"] == DATA_DIR
    assert refresh["environment"]["PRAKERJA_DATA_DIR"] == DATA_DIR
    assert worker["volumes"] == refresh["volumes"] == [f"store:{DATA_DIR}"]
    assert f"127.0.0.1:{PORT}{HEALTH_PATH}" in " ".join(worker["healthcheck"]["test"])
    port = proxy["environment"]["PANTAU_PORT"]
    assert proxy["ports"] == [f"{port}:{port}"]
    assert proxy["volumes"][0].startswith("./haproxy.cfg:")
    assert f'"${{PANTAU_WORKER_HOST-worker}}:{PORT}"' in PROXY_TEMPLATE.read_text()
    assert services["static"]["command"] == STATIC
    assert f'"${{PANTAU_STATIC_HOST-static}}:{STATIC_PORT}"' in PROXY_TEMPLATE.read_text()
    assert "static" in proxy["depends_on"]
    # one-click unsubscribe: the handler HAProxy sends POSTs to, and the sender promising it
    unsubscribe = services["unsubscribe"]
    assert unsubscribe["command"] == UNSUBSCRIBE and "unsubscribe" in proxy["depends_on"]
    assert unsubscribe["environment"]["PRAKERJA_DATA_DIR"] == DATA_DIR  # its key, its database
    assert (
        f'"${{PANTAU_UNSUBSCRIBE_HOST-unsubscribe}}:{UNSUBSCRIBE_PORT}"'
        in PROXY_TEMPLATE.read_text()
    )
    assert refresh["environment"]["PRAKERJA_ONE_CLICK_UNSUBSCRIBE"] == "1"


def test_static_sidecar_config_is_valid_and_sends_precompressed_files(tmp_path) -> None:
    """The nginx config that ``dashboard.static_files`` fills in passes ``nginx -t``."""
    text = NGINX_TEMPLATE.read_text()
    assert "gzip_static on;" in text and "brotli_static on;" in text
    assert "location = /health" in text
    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed")
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_config(f"unix:{tmp_path / 's.sock'}", tmp_path, tmp_path))
    command = ["nginx", "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(config)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_matches_the_local_topology() -> None:
    workers = _yaml("kubernetes/worker.yaml")
    deployment, service = _kind(workers, "Deployment"), _kind(workers, "Service")
    worker = _container(deployment)
    assert worker["command"] == WORKER
    assert worker["ports"][0]["containerPort"] == PORT == service["spec"]["ports"][0]["targetPort"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert worker[probe]["httpGet"] == {"path": HEALTH_PATH, "port": PORT}
    assert worker["resources"]["requests"]["cpu"]
    assert deployment["spec"]["replicas"] >= 2
    assert {k: v for k, v in _env(worker).items() if k in WORKER_ENV} == WORKER_ENV

    refresh_deployment = _kind(_yaml("kubernetes/refresh.yaml"), "Deployment")
    refresh = _container(refresh_deployment)
    assert refresh["command"] == REFRESH
    assert refresh_deployment["spec"]["replicas"] == 1
    assert refresh_deployment["spec"]["strategy"]["type"] == "Recreate"

    claim = _kind(_yaml("kubernetes/storage.yaml"), "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for dep, container in ((deployment, worker), (refresh_deployment, refresh)):
        assert _env(container)["PRAKERJA_DATA_DIR"] == DATA_DIR
        assert container["volumeMounts"] == [{"name": "store", "mountPath": DATA_DIR}]
        (volume,) = dep["spec"]["template"]["spec"]["volumes"]
        assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]

    statics = _yaml("kubernetes/static.yaml")
    static_service = _kind(statics, "Service")
    static = _container(_kind(statics, "Deployment"))
    assert static["command"] == STATIC
    assert static["ports"][0]["containerPort"] == STATIC_PORT
    assert static_service["spec"]["ports"][0]["targetPort"] == STATIC_PORT
    assert static["readinessProbe"]["httpGet"] == {"path": "/health", "port": STATIC_PORT}
    component = f"/component/{MAP_COMPONENT}/"  # routed to the sidecar by HAProxy itself
    assert f"path_beg {component}" in PROXY_TEMPLATE.read_text()

    unsubscribes = _yaml("kubernetes/unsubscribe.yaml")
    unsubscribe_deployment = _kind(unsubscribes, "Deployment")
    unsubscribe = _container(unsubscribe_deployment)
    assert unsubscribe["command"] == UNSUBSCRIBE
    assert unsubscribe["ports"][0]["containerPort"] == UNSUBSCRIBE_PORT
    port = _kind(unsubscribes, "Service")["spec"]["ports"][0]
    assert port["targetPort"] == UNSUBSCRIBE_PORT
    assert unsubscribe["readinessProbe"]["httpGet"] == {"path": "/health", "port": UNSUBSCRIBE_PORT}
    assert _env(unsubscribe)["PRAKERJA_DATA_DIR"] == DATA_DIR
    assert unsubscribe["volumeMounts"] == [{"name": "store", "mountPath": DATA_DIR}]
    assert _env(refresh)["PRAKERJA_ONE_CLICK_UNSUBSCRIBE"] == "1"


def test_the_agenda_is_read_only_without_login_when_served() -> None:
    """Only `make run` opens the agenda to anonymous writes; every served topology keeps the
    default (read-only without login)."""
    from dashboard.settings import AGENDA_OPEN_WRITE

    assert AGENDA_OPEN_WRITE.default == "0"
    assert "PRAKERJA_AGENDA_OPEN_WRITE" not in WORKER_ENV
    worker = _yaml("compose.yaml")[0]["services"]["worker"]
    assert worker["environment"]["PRAKERJA_AGENDA_OPEN_WRITE"] == "0"
    kubernetes = _container(_kind(_yaml("kubernetes/worker.yaml"), "Deployment"))
    assert _env(kubernetes)["PRAKERJA_AGENDA_OPEN_WRITE"] == "0"
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert "PRAKERJA_AGENDA_OPEN_WRITE=$${PRAKERJA_AGENDA_OPEN_WRITE:-1}" in makefile


def _manifests() -> list[dict]:
    return [
        doc
        for path in sorted((DEPLOY / "kubernetes").glob("*.yaml"))
        for doc in _yaml(path.relative_to(DEPLOY).as_posix())
    ]


def test_kubernetes_routes_through_the_gateway_api_to_the_tested_haproxy_config() -> None:
    """Gateway → HTTPRoute → the HAProxy Deployment running deploy/haproxy.cfg from the app
    image → the headless worker Service and the static Service; no Ingress, no annotations."""
    documents = _manifests()
    assert not [d for d in documents if d["kind"] == "Ingress"]
    assert not [d["metadata"]["name"] for d in documents if d["metadata"].get("annotations")]
    gateway = _kind(documents, "Gateway")
    assert gateway["apiVersion"] == "gateway.networking.k8s.io/v1"
    https = next(item for item in gateway["spec"]["listeners"] if item["protocol"] == "HTTPS")
    assert https["port"] == 443 and https["tls"]["mode"] == "Terminate"
    routes = {d["metadata"]["name"]: d for d in documents if d["kind"] == "HTTPRoute"}
    route = next(r for r in routes.values() if r["spec"]["parentRefs"][0]["sectionName"] == "https")
    assert route["spec"]["parentRefs"][0]["name"] == gateway["metadata"]["name"]
    (rule,) = route["spec"]["rules"]
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    (backend,) = rule["backendRefs"]

    proxies = _yaml("kubernetes/proxy.yaml")
    proxy_deployment, proxy_service = _kind(proxies, "Deployment"), _kind(proxies, "Service")
    assert backend == {"name": proxy_service["metadata"]["name"], "port": 8080}
    (port,) = proxy_service["spec"]["ports"]
    assert port["port"] == port["targetPort"] == 8080 and port["appProtocol"] == "http"
    compose_proxy = _yaml("compose.yaml")[0]["services"]["proxy"]
    haproxy = _container(proxy_deployment)
    assert haproxy["image"] == compose_proxy["image"]  # the same HAProxy as docker compose
    (init,) = proxy_deployment["spec"]["template"]["spec"]["initContainers"]
    # the file as the image holds it: the repository is copied into the WORKDIR
    assert init["command"][1] == PROXY_TEMPLATE.relative_to(DEPLOY.parent).as_posix()
    assert (
        init["command"][0] == "cp"
        and init["image"]
        == _container(_kind(_yaml("kubernetes/worker.yaml"), "Deployment"))["image"]
    )
    assert haproxy["command"][-2:] == ["-f", init["command"][2]]
    env = _env(haproxy)
    assert env["PANTAU_PORT"] == str(haproxy["ports"][0]["containerPort"]) == "8080"
    workers = _yaml("kubernetes/worker.yaml")
    worker_service, static_service = (
        _kind(workers, "Service"),
        _kind(_yaml("kubernetes/static.yaml"), "Service"),
    )
    assert worker_service["spec"]["clusterIP"] == "None"  # one DNS record per worker pod
    namespace = "$(POD_NAMESPACE)"
    assert (
        env["PANTAU_WORKER_HOST"]
        == f"{worker_service['metadata']['name']}.{namespace}.svc.cluster.local"
    )
    assert (
        env["PANTAU_STATIC_HOST"]
        == f"{static_service['metadata']['name']}.{namespace}.svc.cluster.local"
    )
    unsubscribe_service = _kind(_yaml("kubernetes/unsubscribe.yaml"), "Service")
    assert (
        env["PANTAU_UNSUBSCRIBE_HOST"]
        == f"{unsubscribe_service['metadata']['name']}.{namespace}.svc.cluster.local"
    )
    template = PROXY_TEMPLATE.read_text()
    assert f'"${{PANTAU_WORKER_HOST-worker}}:{PORT}"' in template
    assert f'"${{PANTAU_STATIC_HOST-static}}:{STATIC_PORT}"' in template
    if not shutil.which("haproxy"):
        pytest.skip("HAProxy is not installed")
    cluster = {**os.environ, **{k: v.replace(namespace, "pantau") for k, v in env.items() if v}}
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(PROXY_TEMPLATE)], env=cluster, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_topology_sends_the_registrys_page_paths_to_the_sidecar(
    tmp_path, monkeypatch
) -> None:
    """The page paths that HAProxy sends to the static sidecar are the app's page registry's,
    in `make serve` (its environment), compose and Kubernetes, and the sidecar's filled-in
    config answers exactly those with the page file."""
    monkeypatch.setenv("PRAKERJA_DATA_DIR", str(tmp_path))  # the run directory goes there
    pages = " ".join(page_paths())
    assert "/daerah-saya" in pages.split() and "/" not in pages.split()
    assert 'acl static_file path -- "${PANTAU_PAGES[*]}"' in PROXY_TEMPLATE.read_text()
    assert Topology(parse_args(["--workers", "1"])).environment()["PANTAU_PAGES"] == pages
    assert _yaml("compose.yaml")[0]["services"]["proxy"]["environment"]["PANTAU_PAGES"] == pages
    proxy = _container(_kind(_yaml("kubernetes/proxy.yaml"), "Deployment"))
    assert _env(proxy)["PANTAU_PAGES"] == pages
    config = nginx_config("8088", tmp_path, tmp_path)
    (routed,) = re.findall(r'location ~ "\^/\(([^)]*)\)\$" \{\s*rewrite \^ /page\.html', config)
    assert [f"/{path}" for path in routed.replace("\\", "").split("|")] == page_paths()
