"""A model-car image's registry through the OCI distribution API: the image reference, the
credentials for its host, and a client that answers the token challenge and reads manifests
and blobs (ranges included).

Auth follows the distribution spec: a ``401`` with ``WWW-Authenticate: Bearer`` is answered by
the token service (with the pull secret's user and password when one matches the registry
host), ``Basic`` with the credentials directly. Credentials are never logged or shown.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from core.architecture._resolve_remote import hosted, hosted_host_problem
from core.errors import ArtifactAccessError, ArtifactNotFoundError, InputError, SourceUnreachableError

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_REF = re.compile(
    r"^(?P<host>[^/]+)/(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass(frozen=True)
class ImageRef:
    """``oci://host/repo[:tag][@digest]`` split into its parts."""

    host: str
    repo: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, ref: str) -> ImageRef:
        body = ref.strip().removeprefix("oci://").removeprefix("docker://")
        m = _REF.match(body)
        if not m or ("." not in m.group("host") and ":" not in m.group("host") and m.group("host") != "localhost"):
            raise InputError(
                f"model image {ref!r}: write it as oci://registry.example.com/org/name:tag (registry host first)"
            )
        return cls(m.group("host"), m.group("repo"), m.group("tag"), m.group("digest"))

    @property
    def reference(self) -> str:
        return self.digest or self.tag or "latest"

    @property
    def base_url(self) -> str:
        host = "registry-1.docker.io" if self.host == "docker.io" else self.host
        loopback = host.split(":")[0] in ("localhost", "127.0.0.1", "::1")
        return f"{'http' if loopback else 'https'}://{host}"

    def __str__(self) -> str:
        out = f"oci://{self.host}/{self.repo}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


@dataclass(frozen=True)
class RegistryAuth:
    """Registry credentials by host, from a docker-config JSON. Never logged or shown."""

    auths: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    @staticmethod
    def _parse(text: str) -> dict[str, tuple[str, str]]:
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            return {}
        out: dict[str, tuple[str, str]] = {}
        auths = doc.get("auths") if isinstance(doc, dict) else None
        for host, entry in (auths or {}).items():
            if not isinstance(entry, dict):
                continue
            user, password = entry.get("username"), entry.get("password")
            if not (user and password) and isinstance(entry.get("auth"), str):
                with contextlib.suppress(ValueError):
                    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            if user and password:
                out[re.sub(r"^https?://", "", str(host)).split("/")[0]] = (str(user), str(password))
        return out

    @classmethod
    def from_settings(cls, settings: Any) -> RegistryAuth:
        """NAVIGATOR_PULL_SECRET, then the QA pull-secret variables, then the auth files."""
        auths: dict[str, tuple[str, str]] = {}
        files = [settings.registry_auth_file, os.environ.get("REGISTRY_AUTH_FILE"), Path.home() / ".docker/config.json"]
        for path in reversed([f for f in files if f]):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                p = Path(path)
                if p.is_file() and p.stat().st_size < 1024 * 1024:
                    auths.update(cls._parse(p.read_text(encoding="utf-8")))
        for var in (
            "QUAY_IO_REGISTRY_PULL_SECRET",
            "REGISTRY_STAGE_REDHAT_IO_REGISTRY_PULL_SECRET",
            "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET",
        ):
            if os.environ.get(var):
                auths.update(cls._parse(os.environ[var]))
        if settings.pull_secret is not None:
            auths.update(cls._parse(settings.pull_secret.get_secret_value()))
        return cls(auths)

    def for_host(self, host: str) -> tuple[str, str] | None:
        return self.auths.get(host) or self.auths.get(host.split(":")[0])


class _Registry:
    """One repository of one registry, with its bearer token once obtained."""

    def __init__(self, ref: ImageRef, auth: RegistryAuth, timeout_s: float):
        self.ref = ref
        self.creds = auth.for_host(ref.host)
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.token: str | None = None

    def _authorize(self, challenge: str) -> None:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            if not self.creds:
                raise ArtifactAccessError(
                    f"{self.ref}: the registry wants a login; set NAVIGATOR_PULL_SECRET (a docker-config JSON) "
                    f"with credentials for {self.ref.host}"
                )
            self.session.auth = self.creds
            return
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        realm = fields.get("realm")
        if not realm:
            raise SourceUnreachableError(f"{self.ref}: the registry's auth challenge names no token service")
        query = {
            k: v for k, v in (("service", fields.get("service")), ("scope", f"repository:{self.ref.repo}:pull")) if v
        }
        self._guard(realm)
        try:
            resp = requests.get(
                realm, params=query, auth=self.creds, timeout=self.timeout_s, allow_redirects=not hosted()
            )
        except requests.RequestException:
            raise SourceUnreachableError(f"{self.ref}: the registry's token service does not answer") from None
        if resp.status_code in (401, 403):
            raise ArtifactAccessError(
                f"{self.ref}: the registry refused the pull secret for {self.ref.host}; check NAVIGATOR_PULL_SECRET"
                if self.creds
                else f"{self.ref}: the registry wants a login; set NAVIGATOR_PULL_SECRET (a docker-config JSON) "
                f"with credentials for {self.ref.host}"
            )
        try:
            body = resp.json()
        except ValueError:
            body = {}
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise SourceUnreachableError(
                f"{self.ref}: the registry's token service gave no token (HTTP {resp.status_code})"
            )
        self.token = str(token)

    def _guard(self, url: str) -> None:
        """For a remote caller, refuse a URL on a loopback, private or cluster-internal host: the
        token service a registry names and every redirect are held to the image host's rules."""
        host = urlsplit(url).netloc.rsplit("@", 1)[-1]
        why = hosted_host_problem(host)
        if why is not None:
            raise InputError(
                f"{self.ref}: the registry sent the server to {host!r}, {why}; the MCP server reads images only "
                "from public registries"
            )

    def _fetch(self, url: str, headers: dict[str, str], stream: bool) -> requests.Response:
        """GET ``url``; for a remote caller each redirect is followed by hand, its host checked first."""
        if not hosted():
            return self.session.get(url, headers=headers, timeout=self.timeout_s, stream=stream)
        for _ in range(6):
            self._guard(url)
            resp = self.session.get(url, headers=headers, timeout=self.timeout_s, stream=stream, allow_redirects=False)
            if not (resp.is_redirect and "Location" in resp.headers):
                return resp
            target = urljoin(url, resp.headers["Location"])
            resp.close()
            if urlsplit(target).netloc != urlsplit(url).netloc:  # a blob store: the registry's token stays here
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            url = target
        raise SourceUnreachableError(f"{self.ref}: the registry redirected more than five times")

    def get(self, path: str, *, headers: dict[str, str] | None = None, stream: bool = False) -> requests.Response:
        url = f"{self.ref.base_url}/v2/{self.ref.repo}/{path}"
        for attempt in range(2):
            hdrs = dict(headers or {})
            if self.token:
                hdrs["Authorization"] = f"Bearer {self.token}"
            try:
                resp = self._fetch(url, hdrs, stream)
            except requests.RequestException as exc:
                kind = "no answer" if isinstance(exc, requests.Timeout) else "cannot connect"
                raise SourceUnreachableError(
                    f"{self.ref}: the registry {self.ref.host} is not reachable ({kind}); connect, or upload the "
                    "model's config.json"
                ) from None
            if resp.status_code == 401 and attempt == 0 and "WWW-Authenticate" in resp.headers:
                resp.close()
                self._authorize(resp.headers["WWW-Authenticate"])
                continue
            if resp.status_code in (401, 403):
                raise ArtifactAccessError(
                    f"{self.ref}: the registry refused access (HTTP {resp.status_code}); set NAVIGATOR_PULL_SECRET "
                    f"with credentials for {self.ref.host}"
                )
            if resp.status_code == 404:
                raise ArtifactNotFoundError(
                    f"{self.ref}: no such image or tag in {self.ref.host}; check the name and tag"
                )
            if resp.status_code >= 400:
                raise SourceUnreachableError(
                    f"{self.ref}: the registry answered HTTP {resp.status_code}; try again later"
                )
            return resp
        raise ArtifactAccessError(f"{self.ref}: the registry keeps asking for a login")  # pragma: no cover

    def manifest(self) -> tuple[dict[str, Any], str | None]:
        resp = self.get(f"manifests/{self.ref.reference}", headers={"Accept": MANIFEST_TYPES})
        if len(resp.content) > MAX_MANIFEST_BYTES:
            raise InputError(f"{self.ref}: the manifest is larger than {MAX_MANIFEST_BYTES // 1024} KiB")
        try:
            doc = resp.json()
        except ValueError:
            raise InputError(f"{self.ref}: the registry's manifest is not JSON") from None
        if not isinstance(doc, dict):
            raise InputError(f"{self.ref}: the registry's manifest is not a JSON object")
        digest = resp.headers.get("Docker-Content-Digest")
        if "manifests" in doc:  # an index: the linux/amd64 image, else the first
            entries = [m for m in doc["manifests"] if isinstance(m, dict) and m.get("digest")]
            if not entries:
                raise InputError(f"{self.ref}: the image index lists no manifests")
            chosen = next((m for m in entries if (m.get("platform") or {}).get("architecture") == "amd64"), entries[0])
            resp = self.get(f"manifests/{chosen['digest']}", headers={"Accept": MANIFEST_TYPES})
            doc = resp.json()
            digest = digest or str(chosen["digest"])
        return doc, digest
