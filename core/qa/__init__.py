"""The Open Data Hub model-validation suite, run with podman or as a Job in the cluster.

Results are ``QA_OK`` or ``QA_ERROR:<CODE>`` with per-test outcomes from the JUnit report.

>>> request = QaRequest(config_path=Path("modelcar.generated.yaml"), kubeconfig=Path("~/.kube/config"),
...                     pull_secrets={"registry.redhat.io": SecretStr(token)})
>>> result = run_podman(request, on_line=print)
>>> result.status, [t.outcome for t in result.tests]
"""

from core.qa._job import job_objects, masked_job, run_in_cluster, run_job
from core.qa._junit import parse_junit
from core.qa._model import (
    ACCELERATORS,
    ADVICE,
    DEFAULT_TEST_IMAGE,
    PULL_SECRET_ENV,
    TEST_PATH,
    QaCode,
    QaRequest,
    QaResult,
    TestCase,
    check_config,
)
from core.qa._outcome import classify
from core.qa._podman import masked_command, podman_command, precheck, run_podman, suite_args
from core.qa._redact import MASK, Redactor
from core.qa._runs import QA_KIND, QaRun, RunManager
from core.qa._shapes import qa_json

__all__ = [
    "ACCELERATORS",
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
    "check_config",
    "classify",
    "job_objects",
    "masked_command",
    "masked_job",
    "parse_junit",
    "podman_command",
    "precheck",
    "qa_json",
    "run_in_cluster",
    "run_job",
    "run_podman",
    "suite_args",
]
