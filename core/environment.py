"""What is connected: local tools (podman, skopeo) and the LLM provider, with how to enable each.

Probing never raises and never runs a shell: executables are found on PATH and asked for
``--version`` with a short timeout.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from core.settings import Settings

_HOW = {
    "podman": "Install podman (e.g. 'dnf install podman' or 'apt-get install podman'); it runs "
    "the Open Data Hub validation suite locally. Without it, QA runs as a Job in the cluster.",
    "skopeo": "Install skopeo ('dnf install skopeo' / 'apt-get install skopeo') to read model-car "
    "image size and CPU architecture without pulling the image.",
}


@dataclass(frozen=True)
class ToolStatus:
    """One integration: whether it is available, its detail, and how to enable it."""

    name: str
    available: bool
    detail: str
    how_to_enable: str


def probe_tool(name: str, timeout_s: float = 5.0) -> ToolStatus:
    """Find an executable on PATH and read its version."""
    path = shutil.which(name)
    if path is None:
        return ToolStatus(name, False, "not found on PATH", _HOW.get(name, f"Install {name}."))
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=timeout_s, check=False)
        first = (done.stdout or done.stderr).strip().splitlines()
        version = first[0] if first else "version unknown"
        ok = done.returncode == 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ToolStatus(name, False, f"{path} did not answer ({exc.__class__.__name__})", _HOW.get(name, ""))
    detail = f"{version} ({path})" if ok else f"{path} exited {done.returncode}"
    return ToolStatus(name, ok, detail, _HOW.get(name, ""))


def llm_status(settings: Settings) -> ToolStatus:
    """The configured LLM provider; the assistant falls back to offline rules without one."""
    how = (
        "Set NAVIGATOR_LLM_PROVIDER=gemini and NAVIGATOR_LLM_API_KEY (or a mounted secret file), "
        "or NAVIGATOR_LLM_PROVIDER=openai with NAVIGATOR_LLM_BASE_URL for an OpenAI-compatible "
        "endpoint such as a vLLM model on the cluster. Offline rules work without either."
    )
    if settings.llm_provider == "none":
        return ToolStatus("LLM", False, "offline rule-based assistant (no LLM configured)", how)
    if settings.llm_provider == "gemini" and settings.llm_api_key is None:
        return ToolStatus("LLM", False, "Gemini selected but NAVIGATOR_LLM_API_KEY is not set", how)
    if settings.llm_provider == "openai" and not settings.llm_base_url:
        return ToolStatus("LLM", False, "OpenAI-compatible selected but no NAVIGATOR_LLM_BASE_URL", how)
    where = f" at {settings.llm_base_url}" if settings.llm_base_url else ""
    key = "key set" if settings.llm_api_key is not None else "no key"
    return ToolStatus("LLM", True, f"{settings.llm_provider}: {settings.llm_model}{where} ({key})", how)


def mcp_status(settings: Settings) -> ToolStatus:
    """The other MCP servers the Assistant's LLM may use (names and addresses, never headers)."""
    from core.assistant import parse_servers
    from core.errors import SettingsError

    how = (
        'Set NAVIGATOR_MCP_SERVERS to JSON such as {"rhoai": {"url": "https://…/mcp", "headers": {…}}} (a secret '
        "file when hosted). The LLM calls their read-only tools; any other waits for your Confirm."
    )
    raw = settings.mcp_servers.get_secret_value() if settings.mcp_servers is not None else None
    try:
        servers = parse_servers(raw)
    except SettingsError as exc:
        return ToolStatus("MCP servers", False, str(exc), how)
    if not servers:
        return ToolStatus("MCP servers", False, "none configured (Navigator's own tools only)", how)
    names = ", ".join(f"{s.name} ({s.url.split('?')[0] if s.url else s.command})" for s in servers)
    llm = "" if settings.llm_provider != "none" else "; used in LLM mode, which is off"
    return ToolStatus("MCP servers", True, f"{len(servers)} configured: {names}{llm}", how)
