"""``navigator qa`` — run the Open Data Hub model-validation suite against the cluster.

Pull secrets come from the environment variables the suite itself reads
(``REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET``, ``REGISTRY_STAGE_REDHAT_IO_REGISTRY_PULL_SECRET``,
``QUAY_IO_REGISTRY_PULL_SECRET``), never from flags, so they stay out of shell history.

Exit codes: 0 QA_OK; 1 QA_ERROR from the run (tests failed, image pull, timeout, cancelled,
internal); 2 QA_ERROR before it (podman, kubeconfig or pull secret missing) or bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pydantic import SecretStr, ValidationError

from core.cluster import default_kubeconfig
from core.errors import InputError, StoreError
from core.manifests import to_yaml
from core.qa import (
    DEFAULT_TEST_IMAGE,
    PULL_SECRET_ENV,
    QA_KIND,
    QaRequest,
    check_config,
    masked_command,
    masked_job,
    qa_json,
    run_in_cluster,
    run_podman,
)
from core.settings import load_settings
from core.store import open_store
from core.wording import options_in_words
from navigator.commands._output import print_json, print_table

_BEFORE_RUN = {"PODMAN_MISSING", "KUBECONFIG_MISSING", "PULL_SECRET_MISSING", "FORBIDDEN"}


_OPTIONS = {
    "config_path": "--config",
    "accelerator_type": "--accelerator",
    "extra_args": "--pytest-arg",
    "timeout_s": "--timeout",
    "pull_secrets": "the pull-secret environment variables",
}
"""The option of a request field whose option is not the field's name with dashes."""


def request_from_args(args: argparse.Namespace) -> QaRequest:
    """The run the flags and environment describe."""
    settings = load_settings()
    secrets = {host: SecretStr(os.environ[env]) for host, env in PULL_SECRET_ENV.items() if os.environ.get(env)}
    try:
        return QaRequest(
            config_path=args.config,
            kubeconfig=args.kubeconfig or settings.kubeconfig or default_kubeconfig(),
            pull_secrets=secrets,
            accelerator_type=args.accelerator,
            runtime_image=args.runtime_image or settings.vllm_runtime_image,
            test_image=args.test_image,
            extra_args=args.pytest_arg or [],
            timeout_s=args.timeout,
            namespace=args.namespace or settings.namespace or "navigator-qa",
        )
    except ValidationError as exc:
        raise InputError(options_in_words(exc, _OPTIONS)) from None


def _run(args: argparse.Namespace) -> int:
    request = request_from_args(args)
    try:  # the dry run reads the config as a run does: a YAML bomb or /etc/shadow is refused by both
        check_config(request.config_path)
    except InputError as exc:
        raise InputError(f"--config {exc}") from None
    if args.dry_run and args.backend == "cluster":
        print(to_yaml(masked_job(request)), end="")
        return 0
    if args.dry_run:
        print(masked_command(request, Path("<staging>"), "navigator-qa-<run>"))
        for host, env in PULL_SECRET_ENV.items():
            state = "set (value passed through the environment, not shown)" if host in request.pull_secrets else "unset"
            print(f"{env}: {state}", file=sys.stderr)
        return 0
    settings = load_settings()
    on_line = None if args.json else print
    if args.backend == "cluster":
        result = run_in_cluster(request, on_line=on_line, context=args.context or settings.kube_context)
    else:
        result = run_podman(request, on_line=on_line)
    try:
        open_store(settings).save(QA_KIND, result.run_id, result)
        unsaved = None
    except StoreError as exc:  # the verdict is still printed below; only keeping it failed
        unsaved = f"navigator: error: run {result.run_id} was not kept in the file cache: {exc}"
    if args.json:
        print_json(qa_json(result))
    else:
        if result.tests:
            print_table(
                ["TEST", "OUTCOME", "SECONDS", "MESSAGE"],
                [[t.name, t.outcome, f"{t.seconds:.1f}", t.message[:80]] for t in result.tests],
            )
        print(f"{result.status}: {result.detail}")
        if result.advice:
            print(result.advice)
        if unsaved is None:
            print(f"run {result.run_id}; the log is kept in the file cache ({QA_KIND}/{result.run_id})")
    if unsaved is not None:
        print(unsaved, file=sys.stderr)
        return 2 if result.code is None else 1
    if result.code is None:
        return 0
    if result.code in _BEFORE_RUN:  # exit 2 always says why on stderr, in --json mode too
        print(f"navigator: error: {result.status}: {result.detail}. {result.advice}", file=sys.stderr)
        return 2
    return 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("qa", help="run the Open Data Hub model-validation suite (podman or a cluster Job)")
    p.add_argument("--config", type=Path, required=True, help="model-car YAML (the generated overlay, or the base)")
    p.add_argument(
        "--backend", choices=["podman", "cluster"], default="podman", help="podman here, or a Job in the cluster"
    )
    p.add_argument("--namespace", "-n", help="cluster backend: namespace for the Job (default navigator-qa)")
    p.add_argument("--context", metavar="C", help="kubeconfig context (cluster backend)")
    p.add_argument("--kubeconfig", type=Path, metavar="PATH", help="default: NAVIGATOR_KUBECONFIG, $KUBECONFIG")
    p.add_argument("--accelerator", default="nvidia", help="nvidia, amd, gaudi or spyre (default nvidia)")
    p.add_argument("--runtime-image", help="vLLM image (default: NAVIGATOR_VLLM_RUNTIME_IMAGE, else the template's)")
    p.add_argument(
        "--test-image",
        default=DEFAULT_TEST_IMAGE,
        help=f"opendatahub-tests image, tagged by OpenShift AI release (default {DEFAULT_TEST_IMAGE}; "
        "use your cluster's release, e.g. …:3.4)",
    )
    p.add_argument("--timeout", type=float, default=3600, help="seconds (default 3600)")
    p.add_argument("--pytest-arg", action="append", metavar="ARG", help="extra pytest argument (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="print the exact command; secrets are never in it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
