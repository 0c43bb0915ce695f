"""``navigator manifests`` / ``deploy`` / ``status`` / ``delete`` — from a plan or a GO verdict to a
running InferenceService.

Exit codes: 0 done (manifests valid, applied, Ready, deleted); 1 the answer is no (invalid
manifests, the dry run or apply failed, not Ready); 2 bad input or a missing confirmation.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.catalog import get_catalog
from core.cluster import Connection, Inventory, configured_inventory, connect
from core.cluster.deploy import ApplyResult, delete_deployment
from core.cluster.endpoint import check_endpoint
from core.cluster.status import deployment_status, wait_ready
from core.decision import DecisionReport
from core.deployment import (
    SERVING_PATHS,
    ManifestSet,
    assemble,
    deploy_json,
    deploy_set,
    manifest_overrides,
    manifests_json,
)
from core.errors import InputError
from core.manifests import ObjectCheck, file_name, oc_apply_command, to_yaml
from core.planning import CapacityPlan
from core.settings import load_settings
from navigator.commands._output import print_json, print_table


def _connection(args: argparse.Namespace) -> Connection:
    settings = load_settings()
    return connect(args.kubeconfig or settings.kubeconfig, args.context or settings.kube_context)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return manifest_overrides(
        name=args.name,
        storage_uri=args.storage_uri,
        autoscaling=args.autoscaling,
        token_auth=args.token_auth,
        external_route=args.external_route,
        image_pull_secrets=args.image_pull_secret,
        hardware_profile=args.hardware_profile,
    )


def build_set(args: argparse.Namespace, conn: Connection | None) -> ManifestSet:
    """The manifest set the flags describe (cluster facts read when connected)."""
    from navigator.commands.plan_cmds import load_plan

    settings = load_settings()
    catalog = get_catalog(settings.catalog_overrides)
    namespace = args.namespace or settings.namespace
    if not namespace:
        raise InputError("--namespace: give the project (namespace) to deploy into")
    runtime_image = args.runtime_image or settings.vllm_runtime_image
    source: CapacityPlan | DecisionReport
    inventory: Inventory | None = None
    if args.plan:
        source = load_plan(args.plan)
        # The cluster's GPUs when connected, else the inventory the plan was made with (the flag's
        # file, the settings' or the sample): nodeSelector and tolerations target those nodes.
        inventory = configured_inventory(
            settings, catalog=catalog, connection=None if args.inventory else conn, path=args.inventory, strict=False
        )
    else:
        from navigator.commands.fit_cmd import report_from_args

        source, inventory, _ = report_from_args(args)
    return assemble(
        source,
        namespace=namespace,
        conn=conn,
        inventory=inventory,
        runtime_image=runtime_image,
        catalog=catalog,
        only=args.model or None,
        overrides=_overrides(args),
        serving_path=args.serving_path,
        asked_runtime_image=args.runtime_image,
        release=args.openshift_ai_release or settings.openshift_ai_release,
    )


def _print_checks(ms: ManifestSet, stream: Any, checks: list[ObjectCheck] | None = None) -> None:
    for check in ms.checks if checks is None else checks:
        state = "valid" if check.ok else "INVALID"
        print(f"{check.kind}/{check.name}: {state} ({', '.join(check.checked_against)})", file=stream)
        for e in check.errors:
            print(f"  error: {e}", file=stream)
        for w in check.warnings:
            print(f"  warning: {w}", file=stream)
    for n in ms.notes:
        print(f"note: {n}", file=stream)


def _manifests(args: argparse.Namespace) -> int:
    conn = _connection(args) if (args.kubeconfig or args.cluster) else None
    try:
        ms = build_set(args, conn)
    finally:
        if conn is not None:
            conn.close()
    if args.json:
        print_json(manifests_json(ms))
    elif args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for i, obj in enumerate(ms.objects, start=1):
            (args.out / file_name(i, obj)).write_text(to_yaml([obj]), encoding="utf-8")
        (args.out / "all.yaml").write_text(to_yaml(ms.objects), encoding="utf-8")
        _print_checks(ms, sys.stdout)
        command = oc_apply_command(ms.objects, str(args.out / "all.yaml"))
        first = "".join(f"{n.oc_command()}; then " for n in ms.secrets)
        print(f"wrote {len(ms.objects)} objects to {args.out}; apply with: {first}{command}")
    else:
        print(to_yaml(ms.objects), end="")
        _print_checks(ms, sys.stderr)
    return 0 if ms.valid else 1


def _result_rows(stage: str, results: list[ApplyResult]) -> list[list[str]]:
    return [[stage, f"{r.kind}/{r.name}", r.action, "; ".join([r.message, *r.causes]).strip("; ")] for r in results]


def _deploy(args: argparse.Namespace) -> int:
    conn = _connection(args)
    try:
        ms = build_set(args, conn)
        outcome, status = deploy_set(
            conn,
            ms,
            confirmed=bool(args.yes and not args.dry_run),
            wait_s=args.timeout if args.wait else None,
            force=args.force,
        )
    finally:
        conn.close()
    if args.json:
        print_json(deploy_json(outcome, ms, status))
    else:
        _print_checks(ms, sys.stdout, outcome.checks)
        print(f"validated against {outcome.schema_source}")
        rows = _result_rows("dry run", outcome.dry_run) + _result_rows("apply", outcome.applied)
        if rows:
            print_table(["STAGE", "OBJECT", "RESULT", "DETAIL"], rows)
        print(outcome.message)
        if status is not None:
            print(
                f"{status.name}: {'Ready' if status.ready else 'not Ready'} {status.url or ''} {status.reason}".rstrip()
            )
    if not outcome.ok:
        return 1
    if not (args.dry_run or args.yes):
        # Never write without consent: the dry run above is all that happened.
        print("navigator: nothing applied without --yes (or use --dry-run to only check)", file=sys.stderr)
        return 2
    return 0 if status is None or status.ready else 1


def _status(args: argparse.Namespace) -> int:
    settings = load_settings()
    namespace = args.namespace or settings.namespace
    if not namespace:
        raise InputError("--namespace: give the project the InferenceService is in")
    conn = _connection(args)
    try:
        status = (
            wait_ready(conn, args.name, namespace, timeout_s=args.timeout)
            if args.wait
            else deployment_status(conn, args.name, namespace)
        )
    finally:
        conn.close()
    test = None
    if args.test and status.ready:
        url = args.endpoint or status.url
        if not url:
            raise InputError(
                "--endpoint: the InferenceService has no external URL; give one (e.g. after oc port-forward)"
            )
        token = os.environ.get("NAVIGATOR_ENDPOINT_TOKEN")  # from the environment, never a flag
        test = check_endpoint(
            url,
            args.name,
            token=SecretStr(token) if token else None,
            requests_count=args.requests,
            verify=not args.insecure_skip_tls_verify,
        )
    if args.json:
        out: dict[str, Any] = status.model_dump(mode="json")
        out["test"] = test.model_dump(mode="json") if test else None
        print_json(out)
    else:
        print(f"{status.name} in {status.namespace}: {'Ready' if status.ready else 'not Ready'}")
        if status.url:
            print(f"url: {status.url}")
        if status.reason:
            print(f"reason: {status.reason}")
        for c in status.conditions:
            print(f"condition {c['type']}={c['status']} {c['reason']} {c['message']}".rstrip())
        for p in status.pods:
            print(f"pod {p.name}: {p.phase}{' ready' if p.ready else ''} {'; '.join(p.waiting + p.events)}".rstrip())
        if test is not None:
            print(f"test: {test.message}")
            for figure, label in ((test.ttft_ms, "TTFT"), (test.tpot_ms, "TPOT"), (test.latency_ms, "latency")):
                if figure:
                    print(f"  {label}: {figure.expected} ms measured (min {figure.low}, max {figure.high})")
    if test is not None and not test.ok:
        return 1
    return 0 if status.ready else 1


def _delete(args: argparse.Namespace) -> int:
    settings = load_settings()
    namespace = args.namespace or settings.namespace
    if not namespace:
        raise InputError("--namespace: give the project the InferenceService is in")
    if not args.yes:
        raise InputError(f"delete {args.name}: add --yes to confirm deleting the InferenceService and its PDB")
    conn = _connection(args)
    try:
        results = delete_deployment(conn, args.name, namespace)
    finally:
        conn.close()
    print_table(["OBJECT", "RESULT", "DETAIL"], [[f"{r.kind}/{r.name}", r.action, r.message] for r in results])
    return 1 if any(r.action == "failed" for r in results) else 0


def _release(text: str) -> str:
    if not re.match(r"^\d+\.\d+(\.\d+)?$", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r}: give a release number such as 3.0 or 2.25")
    return text.strip()


def _source_flags(p: argparse.ArgumentParser) -> None:
    from navigator.commands._inventory_source import add_inventory_source

    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--plan", type=Path, metavar="FILE", help="plan JSON from `navigator plan --json`")
    src.add_argument("--config", type=Path, metavar="FILE", help="model-car YAML: deploys its GO models")
    p.add_argument("--namespace", "-n", help="target project (default: NAVIGATOR_NAMESPACE)")
    p.add_argument("--model", action="append", metavar="ENTRY", help="with --config: only this entry (repeatable)")
    p.add_argument("--name", help="InferenceService name (default: from the model)")
    p.add_argument("--storage-uri", help="oci://, s3://, pvc:// or hf:// (default: the model-car image / HF id)")
    p.add_argument(
        "--autoscaling",
        choices=["fixed", "hpa", "keda"],
        help="default: KEDA on vLLM's queue and KV-cache use between the plan's minimum and peak replicas; fixed "
        "when the traffic has no peak or the cluster has no KEDA; hpa scales on CPU (warned)",
    )
    p.add_argument("--token-auth", action="store_true", help="require a bearer token (kube-rbac-proxy)")
    p.add_argument("--external-route", action="store_true", help="expose through an OpenShift Route")
    p.add_argument("--image-pull-secret", action="append", metavar="NAME")
    p.add_argument("--hardware-profile", metavar="NAME", help="use this HardwareProfile instead of tolerations")
    p.add_argument(
        "--serving-path",
        choices=SERVING_PATHS,
        help="kserve: an InferenceService (the default); llm-d: the plan's llm-d option as an LLMInferenceService "
        "(OpenShift AI 3), the default when only llm-d meets the plan's targets",
    )
    p.add_argument(
        "--openshift-ai-release",
        metavar="VERSION",
        type=_release,
        help="write for this OpenShift AI release when no cluster is read, e.g. 3.0 or 2.25 "
        "(default: NAVIGATOR_OPENSHIFT_AI_RELEASE; a connected cluster's own release wins)",
    )
    p.add_argument(
        "--runtime-image",
        help="vLLM image, a tag or digest (default: the cluster's template; offline the pinned vLLM release image)",
    )
    add_inventory_source(p)
    p.add_argument("--json", action="store_true")


def _kube_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--namespace", "-n", help="project (default: NAVIGATOR_NAMESPACE)")
    p.add_argument("--kubeconfig", type=Path, metavar="PATH")
    p.add_argument("--context", metavar="C")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    m = sub.add_parser("manifests", help="KServe manifests from a plan or a decision, validated")
    _source_flags(m)
    m.add_argument("--out", type=Path, metavar="DIR", help="write one file per object and all.yaml here")
    m.set_defaults(handler=_manifests)

    d = sub.add_parser("deploy", help="validate, server-side dry run, then apply (with --yes)")
    _source_flags(d)
    d.add_argument("--dry-run", action="store_true", help="validate and dry-run only")
    d.add_argument("--yes", action="store_true", help="apply after a clean dry run")
    d.add_argument(
        "--force", action="store_true", help="take over fields another manager owns (server-side apply conflicts)"
    )
    d.add_argument("--wait", action="store_true", help="wait for Ready (or a reason it will not be)")
    d.add_argument("--timeout", type=float, default=900, help="seconds to wait (default 900)")
    d.set_defaults(handler=_deploy)

    s = sub.add_parser("status", help="an InferenceService's readiness, pods and warning events")
    s.add_argument("name")
    _kube_flags(s)
    s.add_argument("--wait", action="store_true")
    s.add_argument("--timeout", type=float, default=900)
    s.add_argument("--test", action="store_true", help="when Ready: /v1/models and timed completions")
    s.add_argument("--endpoint", metavar="URL", help="endpoint to test (default: status.url)")
    s.add_argument("--requests", type=int, default=3, help="completions to time (default 3)")
    s.add_argument("--insecure-skip-tls-verify", action="store_true", help="accept a self-signed route certificate")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=_status)

    x = sub.add_parser("delete", help="delete an InferenceService and its PDB")
    x.add_argument("name")
    _kube_flags(x)
    x.add_argument("--yes", action="store_true", help="confirm")
    x.set_defaults(handler=_delete)
