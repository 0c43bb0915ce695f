"""Navigator settings, read from ``NAVIGATOR_*`` environment variables (and a secrets folder).

Secrets are :class:`pydantic.SecretStr`: they print as ``**********``, are left out of
:meth:`Settings.public_dict` and are never written to the file cache::

    NAVIGATOR_CACHE_DIR=/tmp/nav NAVIGATOR_LLM_PROVIDER=gemini NAVIGATOR_LLM_API_KEY=… navigator ui

A mounted secrets folder (``NAVIGATOR_SECRETS_DIR``, e.g. an OpenShift Secret volume) may
hold one file per setting, named like the variable (``navigator_llm_api_key``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import SettingsError
from core.wording import in_words

LlmProvider = Literal["none", "gemini", "openai"]


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "navigator"


class Settings(BaseSettings):
    """Everything Navigator can be configured with; all optional, with offline defaults."""

    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", extra="ignore", frozen=True, validate_default=True)

    cache_dir: Path = Field(default_factory=_default_cache_dir)
    cache_enabled: bool = True
    """False keeps plans and workflows in the session only."""
    cache_max_age_days: float | None = Field(default=None, gt=0, le=3650)
    """Delete saved items (every user's) older than this many days, checked at most every six
    hours by the app: a shared volume or table must not fill up. Unset: keep everything."""
    cache_max_mb: float | None = Field(default=None, gt=0, le=10_000_000)
    """Keep the saved items (every user's) under this many MiB, deleting the oldest first,
    checked with ``cache_max_age_days``: size the shared volume's limit. Unset: no limit."""

    llm_provider: LlmProvider = "none"
    llm_model: str = "gemini-2.5-flash"
    llm_base_url: str | None = None
    """OpenAI-compatible endpoint (e.g. a vLLM model on the cluster) for provider ``openai``."""
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600)
    """Per LLM request; a timeout counts as a failure and the turn is answered offline."""
    llm_request_limit: int = Field(default=50, ge=1, le=10_000)
    """LLM requests one session may make; after that the offline assistant answers."""
    llm_input_usd_per_mtok: float | None = Field(default=None, ge=0)
    """Your price per million input tokens; cost is shown only when both prices are set."""
    llm_output_usd_per_mtok: float | None = Field(default=None, ge=0)

    model_registry_url: str | None = None
    """OpenShift AI Model Registry REST address (``https://…``); benchmarks come from it first."""
    model_registry_token: SecretStr | None = None

    kubeconfig: Path | None = None
    """Defaults to ``$KUBECONFIG`` or ``~/.kube/config`` when connecting."""
    kube_context: str | None = None
    namespace: str | None = None
    inventory_path: Path | None = None
    """Offline inventory YAML; the packaged sample when unset."""
    catalog_overrides: Path | None = None
    """A YAML file adding or overriding GPUs, models and quantization methods."""
    vllm_runtime_image: str | None = None
    """Overrides the vLLM image read from the cluster's ServingRuntime templates."""
    openshift_ai_release: str | None = Field(default=None, pattern=r"^\d+\.\d+(\.\d+)?$")
    """The OpenShift AI release manifests are written for when no cluster is connected (``3.0``,
    ``2.25``); a connected cluster's own release (its DSCInitialization) wins."""
    authorize_signed_in_user: bool = False
    """Hosted behind the OpenShift OAuth proxy (``--pass-access-token``): deploy, delete, status
    and QA act for the signed-in user — each call checked against their own rights with a
    SubjectAccessReview — and run only the cluster templates' images or ``allowed_images``."""
    allowed_images: str | None = None
    """With ``authorize_signed_in_user``: images users may run besides the cluster templates',
    comma-separated; an entry ending in ``/`` or ``:`` admits every image under it."""

    hf_token: SecretStr | None = None
    """Hugging Face token for gated or private repos (falls back to ``HF_TOKEN`` / a saved login)."""
    hf_endpoint: str | None = None
    """Hub address or mirror; defaults to ``HF_ENDPOINT`` and then https://huggingface.co."""
    hf_offline: bool = False
    """Never ask the Hub (also on with ``HF_HUB_OFFLINE=1``): the file cache and the catalog only."""
    hf_timeout_s: float = Field(default=10.0, gt=0, le=300)
    """Per request to the Hub or an image registry."""
    store_url: SecretStr | None = None
    """A PostgreSQL address (``postgresql://user:password@host:5432/db``) to keep plans,
    conversations and runs in, shared by every replica — e.g. the database of the OpenShift AI
    Model Registry. Unset: the file cache folder (``cache_dir``, a ReadWriteMany volume when
    hosted). A secret: it may hold a password."""
    mcp_servers: SecretStr | None = None
    """Other MCP servers whose tools the Assistant's LLM may use, as JSON
    (``{"rhoai": {"url": "https://…/mcp", "headers": {…}}}`` or ``{"name": {"command": …}}``):
    read-only tools are called, any other waits for the user's Confirm. A secret: headers may
    hold tokens."""
    pull_secret: SecretStr | None = None
    """A docker-config JSON (``{"auths": {…}}``) for reading model-car images from registries."""
    registry_auth_file: Path | None = None
    """A docker/podman auth file; defaults to ``REGISTRY_AUTH_FILE`` or ``~/.docker/config.json``."""

    @field_validator(
        "llm_api_key", "model_registry_token", "hf_token", "pull_secret", "store_url", "mcp_servers", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, v: Any) -> Any:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _blank_cache_is_default(cls, v: Any) -> Any:
        # NAVIGATOR_CACHE_DIR= (set but empty) would be Path("") — the current folder, written to
        # without a word; it means "not set", the default folder.
        return _default_cache_dir() if isinstance(v, str) and not v.strip() else v

    @field_validator(
        "cache_dir", "kubeconfig", "inventory_path", "catalog_overrides", "registry_auth_file", mode="after"
    )
    @classmethod
    def _expand(cls, v: Path | None) -> Path | None:
        return v.expanduser() if v is not None else None

    def public_dict(self) -> dict[str, Any]:
        """Settings safe to show or store: secrets replaced by whether they are set."""
        out: dict[str, Any] = {}
        for name, value in self:
            if isinstance(value, SecretStr):
                out[name] = "set" if value.get_secret_value() else "not set"
            elif value is None and name in (
                "llm_api_key",
                "model_registry_token",
                "hf_token",
                "pull_secret",
                "store_url",
                "mcp_servers",
            ):
                out[name] = "not set"
            else:
                out[name] = str(value) if isinstance(value, Path) else value
        return out


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise :class:`SettingsError` naming the variable."""
    secrets_dir = os.environ.get("NAVIGATOR_SECRETS_DIR")
    try:
        if secrets_dir and Path(secrets_dir).is_dir():
            return Settings(_secrets_dir=secrets_dir, **overrides)
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            # The input is left out on purpose: it may be a secret.
            problems.append(f"NAVIGATOR_{field.upper()}: {in_words(err)}")
        raise SettingsError("; ".join(problems)) from None
