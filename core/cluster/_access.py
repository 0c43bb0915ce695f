"""Acting for a signed-in user: every call checked against *their* rights, images held to a list.

The hosted app runs with its service account; behind the OpenShift OAuth proxy each request
carries the signed-in user's access token (``X-Forwarded-Access-Token``, from
``--pass-access-token``). With :func:`act_for`, a connection first asks the API server who the
token belongs to (a TokenReview: name and groups), then, before each call it makes, whether
that user may make it (a SubjectAccessReview: their RoleBindings, group ones included) — every
write, and every read inside a project; cluster-scope reads of the app's own configuration (the
KServe CRDs, the OpenShift AI release) are not the user's to grant. A user
who could not create an InferenceService in a project with ``oc`` cannot create one through
Navigator either, and the message says what to ask for. Images the call would run (containers
of a ServingRuntime, a Job, a Pod) must be a cluster template's or on the operator's allow-list
(``NAVIGATOR_ALLOWED_IMAGES``)::

    conn = connect()
    act_for(conn, token, allowed_images=("registry.redhat.io/rhoai/",))
    apply_objects(conn, objects)   # each call reviewed for the token's user

The token is used for the TokenReview only: it is never kept on the connection, logged or
put in a message. The service account needs ``system:auth-delegator`` (TokenReview and
SubjectAccessReview), which the hosted manifests already bind for the OAuth proxy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict

from core.cluster._client import Connection, request
from core.errors import ClusterAuthError, ClusterError, ClusterPermissionError

__all__ = [
    "ACCESS_TOKEN_HEADER",
    "AccessPolicy",
    "Principal",
    "act_as",
    "act_for",
    "image_allowed",
    "images_in",
    "parse_allowed_images",
]

ACCESS_TOKEN_HEADER = "X-Forwarded-Access-Token"
"""The header the OpenShift OAuth proxy sets to the signed-in user's token (``--pass-access-token``)."""

_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_READS = frozenset({"get", "list", "watch"})
_APPLY = "application/apply-patch+yaml"


class Principal(BaseModel):
    """Who a token belongs to, as the API server's TokenReview answered (no secret in it)."""

    model_config = ConfigDict(frozen=True)

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()


def parse_allowed_images(text: str | None) -> tuple[str, ...]:
    """``NAVIGATOR_ALLOWED_IMAGES``: comma- or newline-separated image references; one ending in
    ``/`` or ``:`` admits every image under it (``registry.redhat.io/rhoai/``)."""
    return tuple(p.strip() for p in (text or "").replace("\n", ",").split(",") if p.strip())


def image_allowed(image: str, allowed: Iterable[str], template_images: Iterable[str] = ()) -> bool:
    """Whether ``image`` is a template's image, an allowed reference, or under an allowed prefix."""
    if image in set(template_images):
        return True
    return any(image == a or (a.endswith(("/", ":")) and image.startswith(a)) for a in allowed)


def images_in(obj: Any) -> list[str]:
    """Every container image an object would run: ``containers`` and ``initContainers`` at any
    depth (a ServingRuntime's spec, a Job's pod template, a Pod)."""
    found: list[str] = []

    def walk(value: Any, depth: int) -> None:
        if depth > 32:
            return
        if isinstance(value, dict):
            for key, inner in value.items():
                if key in ("containers", "initContainers") and isinstance(inner, list):
                    found.extend(str(c["image"]) for c in inner if isinstance(c, dict) and c.get("image"))
                walk(inner, depth + 1)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, depth + 1)

    walk(obj, 0)
    return found


@dataclass(frozen=True)
class Attributes:
    """What a SubjectAccessReview asks about one call."""

    verb: str
    group: str
    resource: str
    namespace: str
    name: str = ""
    subresource: str = ""

    def described(self) -> str:
        kind = f"{self.resource}.{self.group}" if self.group else self.resource
        if self.subresource:
            kind += f"/{self.subresource}"
        where = f' in project "{self.namespace}"' if self.namespace else " at the cluster scope"
        return f"{self.verb} {kind}{where}"


def attributes_of(method: str, path: str, query: list[tuple[str, str]] | None = None) -> Attributes | None:
    """The resource attributes of a REST call (``/api/v1/namespaces/ns/pods/x/log``,
    ``/apis/group/v1/namespaces/ns/plural/name``); None for a path that is not a resource
    (``/version``)."""
    parts = [p for p in path.split("?")[0].strip("/").split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    elif len(rest) == 2 and rest[0] == "namespaces":  # the namespace object itself
        namespace = rest[1]
    if not rest:
        return None
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if method == "GET":
        watching = any(k == "watch" and v in ("true", "1") for k, v in query or [])
        verb = "get" if name else ("watch" if watching else "list")
    elif method == "DELETE" and not name:
        verb = "deletecollection"
    else:
        verb = _VERBS.get(method, method.lower())
    return Attributes(verb, group, resource, namespace, name, sub)


@dataclass
class AccessPolicy:
    """The checks a connection makes for the user it acts for, before every call it makes."""

    user: Principal
    allowed_images: tuple[str, ...] = ()
    extra_images: tuple[str, ...] = ()
    """Images admitted without being listed (Navigator's own default QA test image)."""
    _decided: dict[Attributes, str | None] = field(default_factory=dict, repr=False)
    _templates: tuple[str, ...] | None = field(default=None, repr=False)

    def before(
        self,
        conn: Connection,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None,
        body: Any,
        *,
        content_type: str | None = None,
    ) -> None:
        """Raise :class:`ClusterPermissionError` unless the user may make this call and every
        image it would run is admitted.

        A server-side apply (``content_type`` ``application/apply-patch+yaml``) needs ``patch``
        and, when it creates the object, ``create`` too — what the API server checks::

            policy.before(conn, "PATCH", f"/api/v1/namespaces/{ns}/configmaps/qa", None, cm,
                          content_type="application/apply-patch+yaml")
        """
        attrs = attributes_of(method, path, query)
        # Every write, and every read in a project, is the user's; a cluster-scope read (the
        # KServe CRDs, the DSCInitialization's release) is the app's own configuration, read
        # with its read-only cluster role, and no user needs rights for it.
        if attrs is not None and (attrs.namespace or attrs.verb not in _READS):
            if method == "PATCH" and (content_type or "").startswith(_APPLY) and attrs.name and not attrs.subresource:
                creates = attributes_of("POST", path.rsplit("/", 1)[0])
                if creates is not None and not _exists(conn, path):
                    self.authorize(conn, replace(creates, name=attrs.name))
            self.authorize(conn, attrs)
        if body is not None and method in ("POST", "PUT", "PATCH"):
            self.check_images(conn, images_in(body))

    def authorize(self, conn: Connection, attrs: Attributes) -> None:
        """One SubjectAccessReview per distinct call (kept for the connection's life)."""
        if attrs not in self._decided:
            self._decided[attrs] = self._review(conn, attrs)
        denied = self._decided[attrs]
        if denied is not None:
            raise ClusterPermissionError(
                f"{self.user.name} may not {attrs.described()} ({denied}); Navigator acts with your own "
                "OpenShift rights: ask a project admin for the edit role there, then retry."
            )

    def _review(self, conn: Connection, attrs: Attributes) -> str | None:
        spec: dict[str, Any] = {
            "user": self.user.name,
            "groups": list(self.user.groups),
            "resourceAttributes": {
                "verb": attrs.verb,
                "group": attrs.group,
                "resource": attrs.resource,
                "namespace": attrs.namespace,
                **({"name": attrs.name} if attrs.name else {}),
                **({"subresource": attrs.subresource} if attrs.subresource else {}),
            },
        }
        if self.user.uid:
            spec["uid"] = self.user.uid
        answer = request(
            conn,
            "create",
            "subjectaccessreviews.authorization.k8s.io",
            "POST",
            "/apis/authorization.k8s.io/v1/subjectaccessreviews",
            body={"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec},
            review=False,
        )
        status = _mapping(answer.get("status"))
        if status.get("allowed") is True and not status.get("denied"):
            return None
        reason = str(status.get("reason") or status.get("evaluationError") or "no RoleBinding grants it")
        return reason[:300]

    def check_images(self, conn: Connection, images: list[str]) -> None:
        """Every image must be a cluster template's, on the allow-list or Navigator's default."""
        if not images:
            return
        if self._templates is None:
            self._templates = _template_images(conn)
        for image in images:
            if not image_allowed(image, (*self.allowed_images, *self.extra_images), self._templates):
                offered = ", ".join(self.allowed_images) or "none"
                raise ClusterPermissionError(
                    f"image {image}: not a vLLM runtime template's image on this cluster and not on the "
                    f"allowed list (NAVIGATOR_ALLOWED_IMAGES: {offered}); leave the image empty to use the "
                    "template's, or ask the Navigator operator to allow it"
                )


def _exists(conn: Connection, path: str) -> bool:
    """Whether the object at ``path`` exists (read with the app's own rights: an apply reveals as
    much); when that cannot be read, it is taken as new, so ``create`` is asked for too."""
    try:
        request(conn, "get", path, "GET", path, review=False)
    except ClusterError:
        return False
    return True


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _template_images(conn: Connection) -> tuple[str, ...]:
    """The images of the cluster's vLLM ServingRuntime templates; none when they cannot be read."""
    from core.cluster.runtimes import runtime_templates

    try:
        return tuple(t.image for t in runtime_templates(conn) if t.image)
    except ClusterError:
        return ()


def act_for(
    conn: Connection,
    token: str | None,
    *,
    allowed_images: tuple[str, ...] = (),
    extra_images: tuple[str, ...] = (),
) -> Principal:
    """Make ``conn`` act for the user ``token`` belongs to (see the module): a TokenReview now,
    a SubjectAccessReview before each later call. Raises :class:`ClusterAuthError` when there is
    no token or the API server does not accept it."""
    if not token or not token.strip():
        raise ClusterAuthError(
            "Navigator acts on the cluster with your own OpenShift rights, and this session carries no "
            "sign-in token: open Navigator through its Route (the OpenShift login), then retry"
        )
    answer = request(
        conn,
        "create",
        "tokenreviews.authentication.k8s.io",
        "POST",
        "/apis/authentication.k8s.io/v1/tokenreviews",
        body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token.strip()}},
        review=False,
    )
    status = _mapping(answer.get("status"))
    user = _mapping(status.get("user"))
    if status.get("authenticated") is not True or not user.get("username"):
        raise ClusterAuthError(
            "your OpenShift sign-in was not accepted by the API server (expired or revoked): reload the page "
            "to sign in again, then retry"
        )
    groups = user.get("groups")
    groups = groups if isinstance(groups, list) else []
    principal = Principal(name=str(user["username"]), uid=str(user.get("uid") or ""), groups=tuple(map(str, groups)))
    conn.policy = AccessPolicy(user=principal, allowed_images=allowed_images, extra_images=extra_images)
    return principal


def act_as(
    conn: Connection, user: Principal, *, allowed_images: tuple[str, ...] = (), extra_images: tuple[str, ...] = ()
) -> None:
    """Like :func:`act_for` for a user already reviewed (a QA run started on their behalf)."""
    conn.policy = AccessPolicy(user=user, allowed_images=allowed_images, extra_images=extra_images)
