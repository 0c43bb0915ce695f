"""A read-only client of the OpenShift AI Model Registry (Kubeflow Model Registry REST ``v1alpha3``).

Two things read it: the assistant's BENCHMARK stage (benchmark figures in a version's custom
properties, :mod:`core.assistant`) and model resolution — a registered model version names
the artifact it was registered from, and Navigator reads that artifact::

    client = RegistryClient("https://registry.apps.example.com", token)
    client.artifact_uri("granite-3.1-8b-instruct", "v1")   # 'oci://registry.redhat.io/…:1.5'

``registry://<registered model>[/<version>]`` is how users name one; the newest version is
taken when none is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from pydantic import SecretStr

from core.errors import ArtifactNotFoundError, ModelRegistryError

API = "/api/model_registry/v1alpha3"
SCHEME = "registry://"


@dataclass(frozen=True)
class RegisteredArtifact:
    """A registered model version and the artifact it points at."""

    model: str
    version: str
    uri: str
    model_format: str | None = None

    @property
    def label(self) -> str:
        return f"Model Registry: {self.model} / {self.version}"


def parse_registry_ref(ref: str) -> tuple[str, str | None]:
    """``registry://name/version`` → (name, version); the version may be absent."""
    body = ref.strip().removeprefix(SCHEME).strip("/")
    if not body:
        raise ModelRegistryError("registry://: give the registered model's name, e.g. registry://granite-8b/v1")
    name, _, version = body.partition("/")
    return name, (version or None)


class RegistryClient:
    """HTTP access to one Model Registry, with bearer-token auth and paging."""

    def __init__(self, url: str, token: SecretStr | None = None, *, timeout_s: float = 10.0):
        if not re.match(r"^https?://[^\s/]+", url):
            raise ModelRegistryError(
                f"NAVIGATOR_MODEL_REGISTRY_URL {url!r}: give the registry's http(s) address, e.g. https://registry.apps.example.com"
            )
        self.url = url.rstrip("/")
        self._token = token
        self.timeout_s = timeout_s

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if self._token is not None:
            headers["Authorization"] = "Bearer " + self._token.get_secret_value()
        try:
            resp = requests.get(self.url + API + path, params=params, headers=headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ModelRegistryError(
                f"Model Registry at {self.url} did not answer "
                f"({'timeout' if isinstance(exc, requests.Timeout) else 'cannot connect'}); "
                "check NAVIGATOR_MODEL_REGISTRY_URL"
            ) from None
        if resp.status_code in (401, 403):
            raise ModelRegistryError(
                f"Model Registry at {self.url} refused the request (HTTP {resp.status_code}); "
                "check NAVIGATOR_MODEL_REGISTRY_TOKEN and its access to the registry"
            )
        if resp.status_code != 200:
            raise ModelRegistryError(f"Model Registry at {self.url} answered HTTP {resp.status_code} for {path}")
        try:
            data = resp.json()
        except ValueError:
            raise ModelRegistryError(f"Model Registry at {self.url} answered with something that is not JSON") from None
        if not isinstance(data, dict):
            raise ModelRegistryError(f"Model Registry at {self.url}: unexpected answer for {path}")
        return data

    def _items(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        token = ""
        for _ in range(50):  # pages; a registry with more than 50 × 100 entries is searched in part
            params = {"pageSize": 100, **({"nextPageToken": token} if token else {})}
            page = self._get(path, params)
            items += [i for i in page.get("items") or [] if isinstance(i, dict)]
            token = str(page.get("nextPageToken") or "")
            if not token:
                break
        return items

    def registered_models(self) -> list[dict[str, Any]]:
        return self._items("/registered_models")

    def versions(self, model_id: str) -> list[dict[str, Any]]:
        return self._items(f"/registered_models/{model_id}/versions")

    def artifact(self, model: str, version: str | None = None) -> RegisteredArtifact:
        """The artifact of a registered model version (the newest version when none is named)."""
        models = self.registered_models()
        hit = next((m for m in models if str(m.get("name", "")).lower() == model.lower()), None)
        if hit is None:
            names = sorted(str(m.get("name")) for m in models)[:8]
            raise ArtifactNotFoundError(
                f"registry://{model}: no registered model of that name (registered: {', '.join(names) or 'none'})",
                [f"registry://{n}" for n in names],
            )
        versions = self.versions(str(hit.get("id")))
        if version is not None:
            chosen = next((v for v in versions if str(v.get("name", "")) == version), None)
            if chosen is None:
                known = [str(v.get("name")) for v in versions]
                raise ArtifactNotFoundError(
                    f"registry://{model}/{version}: no such version (versions: {', '.join(known) or 'none'})",
                    [f"registry://{hit.get('name')}/{v}" for v in known],
                )
        elif versions:
            chosen = max(versions, key=lambda v: int(str(v.get("createTimeSinceEpoch") or 0) or 0))
        else:
            raise ArtifactNotFoundError(f"registry://{model}: the registered model has no versions")
        for art in self._items(f"/model_versions/{chosen.get('id')}/artifacts"):
            uri = art.get("uri")
            if uri and art.get("artifactType", "model-artifact") == "model-artifact":
                return RegisteredArtifact(
                    model=str(hit.get("name")),
                    version=str(chosen.get("name")),
                    uri=str(uri),
                    model_format=art.get("modelFormatName"),
                )
        raise ArtifactNotFoundError(
            f"registry://{model}/{chosen.get('name')}: the version has no model artifact with a URI"
        )
