"""The Open Data Hub model-validation suite, run with podman; results as ``QA_OK`` / ``QA_ERROR:<CODE>``.

>>> request = QaRequest(config_path=Path("modelcar.generated.yaml"), kubeconfig=Path("~/.kube/config"),
...                     pull_secrets={"registry.redhat.io": SecretStr(token)})
>>> result = run_podman(request, on_line=print)
>>> result.status, [t.outcome for t in result.tests]
"""

from core.qa._junit import parse_junit
from core.qa._model import (
    ADVICE,
    DEFAULT_TEST_IMAGE,
    PULL_SECRET_ENV,
    TEST_PATH,
    QaCode,
    QaRequest,
    QaResult,
    TestCase,
)
from core.qa._outcome import classify
from core.qa._podman import masked_command, podman_command, precheck, run_podman, suite_args
from core.qa._redact import MASK, Redactor
from core.qa._runs import QA_KIND, QaRun, RunManager

__all__ = [
    "ADVICE",
    "DEFAULT_TEST_IMAGE",
    "MASK",
    "PULL_SECRET_ENV",
    "QA_KIND",
    "TEST_PATH",
    "QaCode",
    "QaRequest",
    "QaResult",
    "QaRun",
    "Redactor",
    "RunManager",
    "TestCase",
    "classify",
    "masked_command",
    "parse_junit",
    "podman_command",
    "precheck",
    "run_podman",
    "suite_args",
]
