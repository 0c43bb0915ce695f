"""What a QA run takes and what it gives back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from core.cluster import Principal

QA_DEFAULT_RELEASE = "3.5"
"""The OpenShift AI release whose tests run when the cluster's release is not known: the newest
GA release branch opendatahub-tests' branching guide names."""
DEFAULT_TEST_IMAGE = f"quay.io/opendatahub/opendatahub-tests:{QA_DEFAULT_RELEASE}"
"""Pinned, never ``:latest``: opendatahub-tests publishes one image per OpenShift AI release branch
(``docs/RELEASE_BRANCHING.md``: "The branch name and the image tag are always the same string",
GA releases ``<major>.<minor>`` such as ``2.25``, ``3.4``, ``3.5``; ``main`` builds ``latest``)."""


def release_test_image(release_version: str | None) -> str:
    """The opendatahub-tests image of a cluster's OpenShift AI release (``3.4.2`` → ``…:3.4``),
    or :data:`DEFAULT_TEST_IMAGE` when the release is not known.

    >>> release_test_image("3.4.2")
    'quay.io/opendatahub/opendatahub-tests:3.4'
    """
    m = re.match(r"^v?(\d+)\.(\d+)", (release_version or "").strip())
    return f"quay.io/opendatahub/opendatahub-tests:{m.group(1)}.{m.group(2)}" if m else DEFAULT_TEST_IMAGE


# research/kserve-openshift.md §5.2: the suite's current test (moved there in June 2026).
TEST_PATH = "tests/model_serving/model_runtime/vllm/modelcar/test_modelvalidation.py"
WORKDIR = "/home/odh/opendatahub-tests"
# The registry hosts the suite accepts, each with the environment variable its option reads.
PULL_SECRET_ENV: dict[str, str] = {
    "quay.io": "QUAY_IO_REGISTRY_PULL_SECRET",
    "registry.stage.redhat.io": "REGISTRY_STAGE_REDHAT_IO_REGISTRY_PULL_SECRET",
    "registry.redhat.io": "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET",
}
ACCELERATORS = ("nvidia", "amd", "gaudi", "spyre")

QaCode = Literal[
    "PODMAN_MISSING",
    "KUBECONFIG_MISSING",
    "PULL_SECRET_MISSING",
    "IMAGE_PULL_FAILED",
    "TESTS_FAILED",
    "TIMEOUT",
    "CANCELLED",
    "INTERNAL",
    "FORBIDDEN",
]
ADVICE: dict[str, str] = {
    "PODMAN_MISSING": "Install podman (dnf install podman / brew install podman) or use the cluster backend.",
    "KUBECONFIG_MISSING": "Log in with 'oc login' or point NAVIGATOR_KUBECONFIG at a kubeconfig for the cluster.",
    "PULL_SECRET_MISSING": "Give a pull secret for registry.redhat.io, registry.stage.redhat.io or quay.io "
    "(base64 user:password, or a docker config JSON).",
    "IMAGE_PULL_FAILED": "The test image or a model image could not be pulled: check the image name, your "
    "registry login (podman login) and the pull secrets.",
    "TESTS_FAILED": "The suite ran and a model failed: read the failing test's message and the log; the "
    "decision report's changed arguments are the first thing to try.",
    "TIMEOUT": "The run took longer than the timeout: a model may be stuck pulling or loading; raise the "
    "timeout or check the InferenceService events.",
    "CANCELLED": "The run was cancelled; nothing is left running.",
    "FORBIDDEN": "Navigator runs QA with your own OpenShift rights: ask a project admin for the edit role in "
    "the QA project, or leave the runtime and test images at the cluster template's and the default.",
    "INTERNAL": "The suite could not run (see the log's last lines); check the test path, the accelerator "
    "type and the extra pytest arguments.",
}


STATUS_WORDS: dict[str, str] = {
    "PODMAN_MISSING": "not run: podman is missing",
    "KUBECONFIG_MISSING": "not run: no cluster login",
    "PULL_SECRET_MISSING": "not run: a pull secret is missing",
    "IMAGE_PULL_FAILED": "failed: an image could not be pulled",
    "TESTS_FAILED": "failed: a test failed",
    "TIMEOUT": "failed: timed out",
    "CANCELLED": "cancelled",
    "FORBIDDEN": "not run: no permission in the QA project",
    "INTERNAL": "failed: the suite could not run",
}
"""Each outcome code in words, for pages (the CLI and MCP keep the codes)."""


class QaRequest(BaseModel):
    """Everything a run needs. Secrets are SecretStr and never leave the run."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    config_path: Path
    """The model-car YAML (the generated overlay, or the base)."""
    kubeconfig: Path | None
    pull_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """Registry host → pull secret, for the hosts the suite accepts."""
    accelerator_type: str = "nvidia"
    runtime_image: str | None = None
    test_image: str = DEFAULT_TEST_IMAGE
    extra_args: list[str] = Field(default_factory=list)
    timeout_s: float = Field(default=3600, gt=0)
    namespace: str = "navigator-qa"
    """Cluster backend: where the Job runs."""
    acting_for: Principal | None = None
    """Cluster backend, hosted: the signed-in user the run acts for (every call checked against
    their rights; images held to the templates' and ``allowed_images``)."""
    allowed_images: tuple[str, ...] = ()
    service_account: str = "navigator-qa"
    """Cluster backend without a kubeconfig (hosted): the QA project's service account the test
    pod runs as (an admin gives it edit rights there); with one, the suite uses the kubeconfig."""

    @field_validator("pull_secrets")
    @classmethod
    def _hosts(cls, v: dict[str, SecretStr]) -> dict[str, SecretStr]:
        unknown = sorted(set(v) - set(PULL_SECRET_ENV))
        if unknown:
            raise ValueError(f"the suite accepts pull secrets only for {', '.join(PULL_SECRET_ENV)}, not {unknown}")
        return {k: s for k, s in v.items() if s.get_secret_value().strip()}

    @field_validator("runtime_image", "test_image")
    @classmethod
    def _image(cls, v: str | None) -> str | None:
        from core.manifests import image_problem, is_floating  # the deploy's own rules for an image reference

        if v is None:
            return v
        problem = image_problem(v)
        if problem is not None:
            raise ValueError(problem)
        if is_floating(v):
            raise ValueError(f"{v} names no fixed build (no tag, or :latest); give a version tag or a digest")
        return v

    @field_validator("accelerator_type")
    @classmethod
    def _accelerator(cls, v: str) -> str:
        if v.lower() not in ACCELERATORS:
            raise ValueError(f"use one of {', '.join(ACCELERATORS)} (the suite skips other types)")
        return v.lower()


def check_config(path: Path) -> None:
    """Read and validate the model-car config a run hands the suite, as ``navigator fit`` and the
    decision report read it: a regular file of at most 1 MiB, YAML within the depth, alias and
    duplicate-key limits, and a ``model-car`` list whose every entry has a name and an oci://
    image. ``--dry-run`` and a run both go through it, so a dry run refuses what a run would.
    Raises :class:`~core.errors.InputError` naming the file and the field."""
    from core.modelcar import load_modelcar_config  # the model-car reader imports the catalog: only when asked

    load_modelcar_config(path)


class TestCase(BaseModel):
    """One test from the JUnit report."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(frozen=True)

    name: str
    classname: str
    outcome: Literal["passed", "failed", "error", "skipped"]
    seconds: float
    message: str = ""


class QaResult(BaseModel):
    """The outcome of a run: ``QA_OK`` or ``QA_ERROR:<CODE>``, per-test results, the redacted log."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    backend: Literal["podman", "cluster"]
    code: QaCode | None
    exit_code: int | None
    detail: str
    tests: list[TestCase] = Field(default_factory=list)
    log: str = ""
    junit_xml: str | None = None
    started_at: str
    finished_at: str
    config: str
    accelerator_type: str
    test_image: str

    @property
    def status(self) -> str:
        """``QA_OK`` or ``QA_ERROR:<CODE>``."""
        return "QA_OK" if self.code is None else f"QA_ERROR:{self.code}"

    @property
    def status_words(self) -> str:
        """The outcome in words: ``passed``, or e.g. ``failed: a test failed``."""
        return "passed" if self.code is None else STATUS_WORDS[self.code]

    @property
    def advice(self) -> str:
        """What to do about the error ('' when OK)."""
        return "" if self.code is None else ADVICE[self.code]
