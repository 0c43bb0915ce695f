"""The one exception tree of Navigator.

Every error a user can cause or meet derives from :class:`NavigatorError` and carries a
message that names what is wrong and what to do about it, so the CLI can print it with
exit code 2 and the app can show it in an error box, never as a traceback::

    NavigatorError
    ├── InputError                 bad input the user can fix (file, field, flag)
    │   ├── YamlError              unreadable, oversized, too deep, alias bomb
    │   ├── CatalogError           malformed catalog entry (file, entry, field)
    │   ├── UnknownModelError      no such model (lists the closest known ones)
    │   ├── UnknownGpuError        no such GPU or product label (lists the closest)
    │   ├── InventoryError         malformed inventory file
    │   └── ArtifactError          a model artifact (Hub repo, model-car image, registry
    │       │                      version) cannot be read; says what to do
    │       ├── ArtifactNotFoundError   no such repo, revision, image or version
    │       ├── ArtifactAccessError     gated or private: a token or pull secret is needed
    │       └── SourceUnreachableError  the Hub / registry does not answer, or offline mode
    ├── SettingsError              invalid NAVIGATOR_* setting
    ├── StoreError                 the file cache cannot be written or read
    ├── AssistantError             the chat assistant cannot go on
    │   ├── UnsafeInputError       a chat message too long or trying to steer the LLM
    │   ├── RequestLimitError      the session used up its LLM requests
    │   └── LlmError               the LLM failed, timed out or was rate-limited (offline fallback)
    ├── ModelRegistryError         the OpenShift AI Model Registry cannot be read
    └── ClusterError               talking to Kubernetes failed
        ├── ClusterConfigError     no kubeconfig / context
        ├── ClusterUnreachableError  API server does not answer
        ├── ClusterAuthError       401: token expired or invalid
        └── ClusterPermissionError 403: RBAC forbids the call (names verb and resource)

Example::

    try:
        arch = resolve_model("Llama-3.1-8B")
    except NavigatorError as exc:
        print(exc)          # one clear line, safe to show
"""

from __future__ import annotations

from collections.abc import Sequence


class NavigatorError(Exception):
    """Base of every Navigator error; ``str(exc)`` is safe to show to a user."""


class InputError(NavigatorError):
    """Bad input that the user can fix; the message names the field and the fix."""


class YamlError(InputError):
    """A YAML document could not be read safely."""


class CatalogError(InputError):
    """A catalog entry is malformed; names the file, the entry and the field."""


class _UnknownNameError(InputError):
    """An unknown name, with the closest known ones to choose from."""

    kind = "name"

    def __init__(self, name: str, closest: Sequence[str], hint: str = "") -> None:
        self.name = name
        self.closest = list(closest)
        self.hint = hint
        msg = f"Unknown {self.kind} {name!r}."
        if self.closest:
            msg += " Closest known: " + ", ".join(self.closest) + "."
        if hint:
            msg += " " + hint
        super().__init__(msg)


class UnknownModelError(_UnknownNameError):
    """No model matches the name, Hugging Face id, image or path."""

    kind = "model"


class UnknownGpuError(_UnknownNameError):
    """No catalog GPU matches the name or the node's product label."""

    kind = "GPU"


class InventoryError(InputError):
    """The inventory file is malformed."""


class ArtifactError(InputError):
    """A model artifact (Hugging Face repo, model-car image, Model Registry version) cannot be
    read; the message names the artifact and what to do."""


class ArtifactNotFoundError(ArtifactError):
    """No such repository, revision, file, image or registered version; ``choices`` holds the
    references that do exist nearby (a registered model's versions, for instance)."""

    def __init__(self, message: str, choices: Sequence[str] = ()) -> None:
        self.choices = list(choices)
        super().__init__(message)


class ArtifactAccessError(ArtifactError):
    """The artifact is gated or private: a token (NAVIGATOR_HF_TOKEN) or pull secret is needed."""


class SourceUnreachableError(ArtifactError):
    """The Hub or registry does not answer (network, timeout), or offline mode is on."""


class SettingsError(NavigatorError):
    """A NAVIGATOR_* setting is invalid."""


class StoreError(NavigatorError):
    """The file cache cannot be used (full, read-only, missing folder)."""


class AssistantError(NavigatorError):
    """The chat assistant cannot go on with this turn."""


class UnsafeInputError(AssistantError):
    """A chat message was refused: too long, or written to steer the LLM (prompt injection)."""


class RequestLimitError(AssistantError):
    """This session has used every LLM request it may make; the offline assistant carries on."""


class LlmError(AssistantError):
    """The LLM failed, timed out, was rate-limited, or its circuit breaker is open."""


class ModelRegistryError(NavigatorError):
    """The OpenShift AI Model Registry could not be read (address, token or response)."""


class ClusterError(NavigatorError):
    """Talking to the Kubernetes API failed."""


class ClusterConfigError(ClusterError):
    """No usable kubeconfig or context."""


class ClusterUnreachableError(ClusterError):
    """The API server does not answer."""


class ClusterAuthError(ClusterError):
    """The API server rejected the credentials (HTTP 401)."""


class ClusterPermissionError(ClusterError):
    """RBAC forbids a call (HTTP 403); the message names the verb and resource to grant."""


class ClusterNotFoundError(ClusterError):
    """The object (or its namespace or kind) does not exist: HTTP 404 with a Kubernetes Status."""


class ClusterConflictError(ClusterError):
    """The object already exists, or a server-side apply sets fields another manager owns (HTTP 409).

    ``conflicts`` holds one ``(field, manager)`` per field-ownership conflict (empty otherwise).
    """

    def __init__(self, message: str, conflicts: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.conflicts = conflicts or []


class ClusterRejectedError(ClusterError):
    """The API server or an admission webhook rejected an object (HTTP 422 / 400).

    ``causes`` holds one ``field: message`` line per field error.
    """

    def __init__(self, message: str, causes: list[str] | None = None) -> None:
        super().__init__(message)
        self.causes = causes or []
