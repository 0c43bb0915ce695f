"""Settings: NAVIGATOR_* variables, secrets masked and never shown back."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import SettingsError
from core.settings import load_settings

SECRET = "AIzaSy-very-secret-value-123"


def test_defaults_offline(tmp_path: Path) -> None:
    s = load_settings()
    assert s.llm_provider == "none" and s.llm_api_key is None
    assert s.cache_enabled and s.cache_dir.name == "navigator"


def test_env_prefix_and_secret_masking(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NAVIGATOR_LLM_PROVIDER", "gemini")
    monkeypatch.setenv("NAVIGATOR_LLM_API_KEY", SECRET)
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("NAVIGATOR_KUBE_CONTEXT", "prod")
    s = load_settings()
    assert s.llm_api_key is not None and s.llm_api_key.get_secret_value() == SECRET
    assert SECRET not in repr(s) and SECRET not in str(s)
    public = s.public_dict()
    assert public["llm_api_key"] == "set" and SECRET not in str(public)
    assert s.kube_context == "prod" and s.cache_dir == tmp_path / "c"


def test_invalid_value_names_variable_without_echoing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_LLM_PROVIDER", f"bogus-{SECRET}")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "NAVIGATOR_LLM_PROVIDER" in str(err.value)
    assert SECRET not in str(err.value)


def test_secrets_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "navigator_llm_api_key").write_text(SECRET)
    monkeypatch.setenv("NAVIGATOR_SECRETS_DIR", str(tmp_path))
    s = load_settings()
    assert s.llm_api_key is not None and s.llm_api_key.get_secret_value() == SECRET


def test_blank_key_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_LLM_API_KEY", "  ")
    assert load_settings().llm_api_key is None
