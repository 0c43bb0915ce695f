"""The Secrets a deployment reads, by name only: what each holds, the ``oc create secret`` that
makes it, and the ServiceAccount that hands a gated repo's token to KServe's storage initializer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.manifests._deployment import DeploymentSpec


class SecretNeed(BaseModel):
    """A Secret the deployment reads, referenced by name only: the deploy checks it exists in the
    project, creates it from values it is given (never rendered, cached or logged), or prints the
    one ``oc`` command that makes it."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str
    keys: list[str]
    """Keys whose values only the user has (tokens, access keys)."""
    plain: dict[str, str] = Field(default_factory=dict)
    """Keys whose values the deployment already knows (bucket, endpoint, region)."""
    purpose: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    def note(self) -> str:
        """What a person is told about it beside the manifests."""
        given = " and ".join(f"`${k}`" for k in self.keys)  # in backticks: Markdown reads $…$ as math
        return (
            f"the deployment reads the Secret {self.name} ({', '.join(self.keys)}): {self.purpose}; the deploy "
            f"creates it from {given} when given, otherwise create it first: `{self.oc_command()}`"
        )

    def oc_command(self) -> str:
        """The command that creates it, reading each value from the shell environment."""
        literals = " ".join(f'--from-literal={k}="${k}"' for k in self.keys)
        plain = " ".join(f"--from-literal={k}={v}" for k, v in self.plain.items())
        cmd = f"oc create secret generic {self.name} -n {self.namespace} {literals} {plain}".rstrip()
        if self.labels:
            labels = " ".join(f"{k}={v}" for k, v in self.labels.items())
            cmd += f" && oc label secret {self.name} -n {self.namespace} {labels}"
        if self.annotations:
            ann = " ".join(f"{k}={v}" for k, v in self.annotations.items())
            cmd += f" && oc annotate secret {self.name} -n {self.namespace} {ann}"
        return cmd

    def secret_object(self, values: dict[str, str]) -> dict[str, Any]:
        """The Secret with the user's values, to send to the API server and drop (never rendered)."""
        meta: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        data = {k: values[k] for k in self.keys} | dict(self.plain)
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta, "stringData": data}


def _s3_connection_name(spec: DeploymentSpec) -> str:
    return spec.s3_connection or f"aws-connection-{spec.name}"


def hf_service_account_name(spec: DeploymentSpec) -> str:
    """The ServiceAccount that carries the Hugging Face token Secret to the storage initializer."""
    return f"{spec.name}-hf"[:63]


def secret_needs(spec: DeploymentSpec) -> list[SecretNeed]:
    """The Secrets this deployment reads, by name: an S3 data connection as the dashboard labels it,
    or the Hugging Face token of a gated ``hf://`` repo."""
    out: list[SecretNeed] = []
    if spec.storage_uri.startswith("s3://"):
        name = _s3_connection_name(spec)
        plain = {
            "AWS_S3_BUCKET": spec.s3_bucket or spec.storage_uri.removeprefix("s3://").split("/")[0],
            "AWS_DEFAULT_REGION": spec.s3_region or "us-east-1",
        }
        if spec.s3_endpoint:
            plain["AWS_S3_ENDPOINT"] = spec.s3_endpoint
        out.append(
            SecretNeed(
                name=name,
                namespace=spec.namespace,
                keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] + ([] if spec.s3_endpoint else ["AWS_S3_ENDPOINT"]),
                plain=plain,
                purpose=f"the S3 data connection that reads {spec.storage_uri}",
                labels={"opendatahub.io/dashboard": "true", "opendatahub.io/managed": "true"},
                annotations={"opendatahub.io/connection-type": "s3", "openshift.io/display-name": name},
            )
        )
    if spec.hf_token_secret and spec.storage_uri.startswith("hf://"):
        out.append(
            SecretNeed(
                name=spec.hf_token_secret,
                namespace=spec.namespace,
                keys=["HF_TOKEN"],
                purpose=(
                    f"{spec.storage_uri} is gated, so its download needs the Hugging Face token of an account that "
                    "accepted the licence"
                ),
                labels={"opendatahub.io/dashboard": "true"},
            )
        )
    return out


def hf_service_account(spec: DeploymentSpec) -> dict[str, Any]:
    """KServe's documented way to give ``hf://`` storage its token: a ServiceAccount listing the
    Secret, named by the predictor's ``serviceAccountName`` (KServe docs 0.20, "Deploy
    InferenceService with model from Hugging Face Hub", option 1)."""
    assert spec.hf_token_secret is not None
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": hf_service_account_name(spec),
            "namespace": spec.namespace,
            "labels": {"opendatahub.io/dashboard": "true"},
        },
        "secrets": [{"name": spec.hf_token_secret}],
    }
