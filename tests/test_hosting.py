"""Hosting on OpenShift: the Containerfile (linted; no image builder runs here) and its entry
point started for real, and the OpenShift manifests validated against the Kubernetes models
with least-privilege RBAC, OAuth in front, the cache on a PVC and secrets mounted as files."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

from core.manifests import validate_objects
from core.yamlio import load_yaml
from tests.browser import free_port
from tests.conftest import REPO

OPENSHIFT = REPO / "deploy" / "openshift"
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "COMMENT",
}  # fmt: skip


def containerfile() -> list[dict[str, Any]]:
    with (REPO / "Containerfile").open("rb") as fh:
        return list(DockerfileParser(fileobj=fh).structure)


@functools.cache
def rendered() -> str:
    """What `oc apply -k deploy/openshift` applies: kustomize's own output (kubectl's built-in
    kustomize), not the files as written — a kustomization can rewrite every namespace."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with its built-in kustomize) is needed; .ci/run installs it"
    done = subprocess.run(
        [kubectl, "kustomize", str(OPENSHIFT)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def objects() -> list[dict[str, Any]]:
    return [d for d in load_yaml_all(rendered()) if d]


def load_yaml_all(text: str) -> list[dict[str, Any]]:
    return [load_yaml(part) for part in text.split("\n---\n")]


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [o for o in objects() if o["kind"] == kind]


# ---- Containerfile -------------------------------------------------------------------------


def test_containerfile_syntax_and_rules() -> None:
    steps = containerfile()
    kinds = [s["instruction"] for s in steps]
    assert set(kinds) <= INSTRUCTIONS, set(kinds) - INSTRUCTIONS
    assert kinds[kinds.index("FROM")] == "FROM" and kinds.count("FROM") == 1
    base = next(s["value"] for s in steps if s["instruction"] == "FROM")
    assert base.startswith("registry.access.redhat.com/ubi9/python-3")
    users = [s["value"] for s in steps if s["instruction"] == "USER"]
    assert users[-1].isdigit() and int(users[-1]) != 0  # runs as non-root (OpenShift picks the UID)
    assert "8501" in next(s["value"] for s in steps if s["instruction"] == "EXPOSE")
    for s in steps:  # every COPY source exists in the repository
        if s["instruction"] == "COPY":
            for src in s["value"].split()[:-1]:
                assert (REPO / src).exists(), src
    entry = json.loads(next(s["value"] for s in steps if s["instruction"] == "ENTRYPOINT"))
    assert entry[:2] == ["navigator", "ui"]
    for flag in (
        "--server.port=8501",
        "--server.enableXsrfProtection=true",
        "--client.showErrorDetails=none",
        "--server.fileWatcherType=none",
    ):
        assert flag in entry
    health = next(s["value"] for s in steps if s["instruction"] == "HEALTHCHECK")
    assert "/_stcore/health" in health
    json.loads(health.split("CMD", 1)[1])  # exec form, valid JSON
    run = " ".join(s["value"] for s in steps if s["instruction"] == "RUN")
    assert "chmod -R g=u" in run and "curl" not in run  # group-0 writable; nothing fetched by hand


def test_the_images_entrypoint_serves_health_with_xsrf_on(tmp_path: Path) -> None:
    """Start the ENTRYPOINT as written (port changed) and probe it the way the HEALTHCHECK does."""
    steps = containerfile()
    entry = json.loads(next(s["value"] for s in steps if s["instruction"] == "ENTRYPOINT"))
    port = free_port()
    args = [a if not a.startswith("--server.port=") else f"--server.port={port}" for a in entry[2:]]
    args = [a if not a.startswith("--server.address=") else "--server.address=127.0.0.1" for a in args]
    env = {**os.environ, "HOME": str(tmp_path), "NAVIGATOR_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "navigator", "ui", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = b""
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as resp:
                    body = resp.read()
                    break
            except OSError:
                time.sleep(0.25)
        assert body == b"ok"
        # XSRF on: an upload without the XSRF cookie/token pair is refused with 403 (it would be
        # a 400 for the unknown session with protection off).
        upload = urllib.request.Request(
            f"http://127.0.0.1:{port}/_stcore/upload_file/some-session/some-file",
            data=b"--x\r\nContent-Disposition: form-data; name=file; filename=a\r\n\r\nhi\r\n--x--\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
            method="PUT",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(upload, timeout=5)
        assert refused.value.code == 403
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/_stcore/health', timeout=4)",
            ],
            check=False,
        )
        assert check.returncode == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


# ---- OpenShift manifests -------------------------------------------------------------------


def test_every_manifest_validates() -> None:
    objs = objects()
    kinds = {o["kind"] for o in objs}
    assert kinds == {
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "PersistentVolumeClaim",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Service",
        "Route",
        "NetworkPolicy",
    }
    checks = validate_objects([o for o in objs if o["kind"] != "Route"])
    assert all(c.ok for c in checks), [(c.kind, c.name, c.errors) for c in checks if not c.ok]
    assert {c.kind for c in checks} == kinds - {"Route"}


def test_route_is_edge_tls_to_the_proxy() -> None:
    # route.openshift.io/v1 has no model in the Kubernetes client: its required fields
    # (spec.to.kind/name) and TLS settings are checked here against openshift/api route/v1.
    (route,) = by_kind("Route")
    assert route["apiVersion"] == "route.openshift.io/v1"
    assert route["spec"]["to"] == {"kind": "Service", "name": "navigator", "weight": 100}
    assert route["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    (svc,) = by_kind("Service")
    assert route["spec"]["port"]["targetPort"] == svc["spec"]["ports"][0]["name"]
    assert svc["spec"]["ports"][0]["targetPort"] == "proxy"


def test_deployment_runs_non_root_behind_the_oauth_proxy() -> None:
    (dep,) = by_kind("Deployment")
    pod = dep["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and "runAsUser" not in pod["securityContext"]
    containers = {c["name"]: c for c in pod["containers"]}
    app, mcp, proxy = containers["navigator"], containers["mcp"], containers["oauth-proxy"]
    for c in (app, mcp, proxy):
        assert c["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,  # what is written goes to a volume
            "capabilities": {"drop": ["ALL"]},
        }
        assert "privileged" not in c.get("securityContext", {})
    assert app["args"] == ["--server.address=127.0.0.1"]  # only the proxy is reachable
    assert "ports" not in app
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert "/_stcore/health" in " ".join(app[probe]["exec"]["command"])
    assert "--provider=openshift" in proxy["args"] and "--upstream=http://127.0.0.1:8501" in proxy["args"]
    # the MCP server: loopback only, behind the same proxy at /mcp, and read-only (no --allow-apply)
    assert "--host=127.0.0.1" in mcp["command"] and "--port=8090" in mcp["command"] and "ports" not in mcp
    assert "--allow-apply" not in mcp["command"] and "--upstream=http://127.0.0.1:8090/mcp" in proxy["args"]
    delegate = next(a for a in proxy["args"] if a.startswith("--openshift-delegate-urls="))
    assert json.loads(delegate.split("=", 1)[1]) == {
        "/mcp": {"namespace": "navigator", "resource": "services", "name": "navigator", "verb": "get"}
    }
    assert "/healthz" in " ".join(mcp["readinessProbe"]["exec"]["command"])
    assert {e["name"]: e["value"] for e in mcp["env"]} == {e["name"]: e["value"] for e in app["env"]}
    app_env = {e["name"]: e["value"] for e in app["env"]}
    assert float(app_env["NAVIGATOR_CACHE_MAX_AGE_DAYS"]) > 0  # the shared volume does not fill up
    claim = by_kind("PersistentVolumeClaim")[0]["spec"]["resources"]["requests"]["storage"]
    assert claim.endswith("Gi") and 0 < float(app_env["NAVIGATOR_CACHE_MAX_MB"]) < 1024 * float(claim[:-2])
    assert any(a.startswith("--openshift-sar=") for a in proxy["args"])
    # Cluster actions are made for the signed-in user, checked against their rights: the proxy
    # passes their token (its default scope cannot change anything), the app reviews it.
    assert "--pass-access-token=true" in proxy["args"] and not any(a.startswith("--scope") for a in proxy["args"])
    assert app_env["NAVIGATOR_AUTHORIZE_SIGNED_IN_USER"] == "true" and "NAVIGATOR_ALLOWED_IMAGES" in app_env
    delegator = next(b for b in by_kind("ClusterRoleBinding") if b["roleRef"]["name"] == "system:auth-delegator")
    assert {"kind": "ServiceAccount", "name": "navigator", "namespace": "navigator"} in delegator["subjects"]
    mounts = {m["name"]: m for m in app["volumeMounts"]}
    env = {e["name"]: e["value"] for e in app["env"]}
    assert mounts["cache"]["mountPath"] == env["NAVIGATOR_CACHE_DIR"]
    assert mounts["secrets"]["mountPath"] == env["NAVIGATOR_SECRETS_DIR"] and mounts["secrets"]["readOnly"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert (
        volumes["cache"]["persistentVolumeClaim"]["claimName"]
        == by_kind("PersistentVolumeClaim")[0]["metadata"]["name"]
    )
    assert volumes["secrets"]["secret"]["defaultMode"] == 0o440  # secrets as files, not env
    assert not any("valueFrom" in e for e in app["env"])
    # More than one pod: a rolling update that never drops below the replicas there are, and
    # the cache on a volume every replica mounts.
    assert dep["spec"]["replicas"] >= 2
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    assert by_kind("PersistentVolumeClaim")[0]["spec"]["accessModes"] == ["ReadWriteMany"]


def test_images_are_pinned_and_writable_paths_are_volumes() -> None:
    (dep,) = by_kind("Deployment")
    pod = dep["spec"]["template"]["spec"]
    for c in pod["containers"]:
        image = c["image"]
        assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image  # a tag, never latest
        if "startupProbe" in c:
            assert c["startupProbe"]["timeoutSeconds"] <= c["startupProbe"]["periodSeconds"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for name in ("navigator", "mcp"):
        c = next(c for c in pod["containers"] if c["name"] == name)
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]] and volumes[mounts["/tmp"]]["emptyDir"]["sizeLimit"]
        assert "/opt/app-root/src/.cache" in mounts  # HOME's cache, on the read-only root file system
    run = " ".join(s["value"] for s in containerfile() if s["instruction"] == "RUN")
    assert "chmod -R g=u /var/cache/navigator /opt/app-root/src" in run  # only what the app writes
    assert "-exec chmod g-w,o-w" in run and "/opt/app-root/lib" in run  # site-packages: not writable


def test_replicas_are_sticky_behind_the_route_and_scale_on_cpu() -> None:
    (route,) = by_kind("Route")
    notes = route["metadata"]["annotations"]
    assert notes["router.openshift.io/cookie_name"] and notes["haproxy.router.openshift.io/disable_cookies"] == "false"
    (hpa,) = by_kind("HorizontalPodAutoscaler")
    (dep,) = by_kind("Deployment")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "navigator"}
    assert hpa["spec"]["minReplicas"] == dep["spec"]["replicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu" and metric["resource"]["target"]["type"] == "Utilization"
    app = dep["spec"]["template"]["spec"]["containers"][0]
    assert app["resources"]["requests"]["cpu"]  # utilisation is a share of the request


def test_rbac_lands_in_the_namespaces_it_grants_in() -> None:
    """The deployer Role is in the target project and the template reader in the applications
    namespace — as rendered, not as written — and both are bound to the app's service account."""
    where = {(o["kind"], o["metadata"]["name"]): o["metadata"].get("namespace") for o in objects()}
    assert where[("Role", "navigator-deployer")] == where[("RoleBinding", "navigator-deployer")] == "llm-serving"
    assert where[("Role", "navigator-template-reader")] == "redhat-ods-applications"
    assert where[("RoleBinding", "navigator-template-reader")] == "redhat-ods-applications"
    app = {k: v for k, v in where.items() if k[0] not in ("Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding")}
    assert set(app.values()) == {"navigator"}, app  # the app's own objects stay in its project
    deployment = next(o for o in objects() if o["kind"] == "Deployment")
    env = {e["name"]: e["value"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["NAVIGATOR_NAMESPACE"] == where[("Role", "navigator-deployer")]  # deploys where it may


def test_rbac_is_least_privilege() -> None:
    write = {"create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate"}
    for role in by_kind("ClusterRole"):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
            assert not set(rule["verbs"]) & write, rule  # cluster-wide: read only
            assert "secrets" not in rule["resources"]
    granted: dict[tuple[str, str], set[str]] = {}
    for role in by_kind("Role"):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
            for group in rule["apiGroups"]:
                for res in rule["resources"]:
                    granted.setdefault((group, res), set()).update(rule["verbs"])
    # what Navigator writes in a target project (core.cluster.deploy.KINDS), minus the project itself
    from core.cluster.deploy import KINDS

    for kind, (path, plural, namespaced) in KINDS.items():
        if not namespaced or kind == "Pod":  # pods are only read (the Job controller makes them)
            continue
        group = "" if path.startswith("/api/") else path.split("/")[2]
        assert {"create", "patch", "get", "delete"} <= granted.get((group, plural), set()), kind
    assert ("template.openshift.io", "templates") in granted and granted[("template.openshift.io", "templates")] == {
        "get",
        "list",
    }
    for binding in by_kind("RoleBinding") + by_kind("ClusterRoleBinding"):
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "navigator", "namespace": "navigator"}]


@pytest.mark.parametrize("path", ["Containerfile", "deploy/openshift/deployment.yaml", "README.md"])
def test_no_secret_values_are_baked_in(path: str) -> None:
    text = (REPO / path).read_text()
    for marker in ("NAVIGATOR_LLM_API_KEY=", "api_key:", "BEGIN PRIVATE KEY", "session_secret:"):
        assert marker not in text, marker
