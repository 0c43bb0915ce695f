"""A small Kubernetes API server on 127.0.0.1 for tests.

It speaks the HTTP/JSON the real ``kubernetes`` client uses: bearer-token auth (401 when
wrong), per-resource 403s, list calls with ``limit`` / ``continue`` paging and the
``fieldSelector`` forms Navigator sends (``a=b``, ``a!=b``, comma-joined), ``/version``.
Objects are plain dicts shaped like the API's (see ``kube_objects``).

Every change to the write store (below) gets the next ``resourceVersion`` and an event, and a
list of a stored collection with ``watch=true`` streams them as the API server does: one JSON
``{"type": "ADDED"|"MODIFIED"|"DELETED", "object": {...}}`` per line, filtered by
``labelSelector`` / ``fieldSelector``, from ``resourceVersion`` on (unset or ``0``: the current
objects as ADDED first), until ``timeoutSeconds``; a version older than
:attr:`FakeKube.expired_below` answers an ERROR event with a 410 Expired Status.

Writes go to a generic object store keyed by collection path: create (409 when the name is
taken, 404 when the namespace does not exist), JSON merge patch, server-side apply (PATCH
``application/apply-patch+yaml``: field ownership in ``metadata.managedFields``, 409 conflicts
by field, ``force=true``; see :func:`server_side_apply`), delete, ``dryRun=All`` (answered but
not stored), per-verb 403s and admission rules answering 422 with field causes, like a
validating webhook.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from tests.support.local_server import JsonHandler, LocalServer


def _field(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def matches_field_selector(obj: dict[str, Any], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if _field(obj, key) == value:
                return False
        else:
            key, value = term.split("=", 1)
            key = key.rstrip("=")
            if _field(obj, key) != value:
                return False
    return True


@dataclass
class FakeKube:
    """State of the fake cluster; tests mutate it between calls."""

    token: str = "test-token"
    nodes: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    """Resources (``nodes``, ``pods``) that answer 403."""
    max_page: int = 500
    requests: list[str] = field(default_factory=list)
    git_version: str = "v1.31.4"
    custom: dict[tuple[str, str, str, str | None], list[dict[str, Any]]] = field(default_factory=dict)
    """Custom resources by (group, version, plural, namespace or None for cluster scope)."""
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """The write store: collection path (``/api/v1/namespaces/ns/pods``) → name → object."""
    forbidden_verbs: set[tuple[str, str]] = field(default_factory=set)
    """(verb, plural) pairs that answer 403, e.g. ``("create", "inferenceservices")``."""
    admission: list[Callable[[dict[str, Any]], list[dict[str, str]]]] = field(default_factory=list)
    """Rules run on every create/patch; a non-empty list of causes answers 422."""
    on_create: list[Callable[[FakeKube, dict[str, Any]], None]] = field(default_factory=list)
    """Controllers: called with each object actually created (e.g. a Job makes its pod)."""
    pod_logs: dict[str, str] = field(default_factory=dict)
    """Pod name → its log, served by ``…/pods/NAME/log`` line by line."""
    hang_logs: set[str] = field(default_factory=set)
    """Pods whose log stream stays open after the last line (a run that hangs)."""
    writes: list[tuple[str, str, bool]] = field(default_factory=list)
    """(method, path, dry_run) of every write, in order."""
    identities: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """Users' tokens (as the OAuth proxy passes them) → (user name, groups), for TokenReviews."""
    grants: set[tuple[str, str, str, str]] = field(default_factory=set)
    """RBAC for SubjectAccessReviews: (user, or ``group:<name>``, verb, resource, namespace);
    ``*`` matches any verb, resource or namespace."""
    reviews: list[dict[str, Any]] = field(default_factory=list)
    """The spec of every SubjectAccessReview asked, in order."""
    revision: int = 0
    """The store's resourceVersion: bumped by every change, answered by every store list."""
    events: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    """(resourceVersion, type, collection, object) of every change to the store, for watches."""
    expired_below: int = 0
    """Watches from a resourceVersion below this (and below the current one, which is never
    compacted) answer 410 Expired: the history before it is gone."""
    watch_limit_s: float | None = None
    """End every watch after this many seconds whatever its ``timeoutSeconds`` (a proxy's idle
    timeout, an API server restart): the client has to resume from its last resourceVersion."""
    changed: threading.Condition = field(default_factory=threading.Condition, repr=False)
    """Notified on every store change; watches wait on it."""
    stopped: bool = False
    """Set when the server stops: open watches end."""

    def put(self, collection: str, obj: dict[str, Any]) -> None:
        """Store an object directly (as if another client had created or updated it)."""
        store = self.objects.setdefault(collection, {})
        kind = "MODIFIED" if obj["metadata"]["name"] in store else "ADDED"
        store[obj["metadata"]["name"]] = obj
        self.record(kind, collection, obj)

    def remove(self, collection: str, name: str) -> None:
        """Delete an object directly (as if another client had deleted it)."""
        self.record("DELETED", collection, self.objects[collection].pop(name))

    def record(self, kind: str, collection: str, obj: dict[str, Any]) -> None:
        """Give a stored object the next resourceVersion and tell the watches (``kind`` is
        ADDED, MODIFIED or DELETED)."""
        with self.changed:
            self.revision += 1
            obj.setdefault("metadata", {})["resourceVersion"] = str(self.revision)
            self.events.append((self.revision, kind, collection, copy.deepcopy(obj)))
            self.changed.notify_all()

    def collection(self, name: str) -> list[dict[str, Any]] | None:
        return {"nodes": self.nodes, "pods": self.pods}.get(name)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(JsonHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        state = self.server.state
        url = urlparse(self.path)
        state.requests.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        if url.path.rstrip("/") == "/version":
            self._send(
                200,
                {
                    "major": "1",
                    "minor": "31",
                    "gitVersion": state.git_version,
                    "gitCommit": "5a1d3b2c9f0e",
                    "gitTreeState": "clean",
                    "buildDate": "2026-10-01T00:00:00Z",
                    "goVersion": "go1.23.4",
                    "compiler": "gc",
                    "platform": "linux/amd64",
                },
            )
            return
        parts = url.path.strip("/").split("/")
        if _log_handler(self, url.path):
            return
        if _store_handler(self, "GET", url.path, parse_qs(url.query)):
            return
        if parts[0] == "apis":
            _custom_handler(self, parts, parse_qs(url.query))
            return
        if parts[:2] != ["api", "v1"] or len(parts) != 3:
            self._send(404, _status(404, "NotFound", f"the server could not find {url.path}"))
            return
        resource = parts[2]
        items = state.collection(resource)
        if items is None:
            self._send(404, _status(404, "NotFound", f"unknown resource {resource}"))
            return
        if resource in state.forbidden:
            self._send(
                403,
                _status(
                    403,
                    "Forbidden",
                    f'{resource} is forbidden: User "dev" cannot list resource "{resource}" '
                    'in API group "" at the cluster scope',
                ),
            )
            return
        query = parse_qs(url.query)
        selector = query.get("fieldSelector", [""])[0]
        selected = [o for o in items if matches_field_selector(o, selector)]
        limit = min(int(query.get("limit", [str(len(selected) or 1)])[0]), state.max_page)
        start = int(base64.b64decode(query["continue"][0]).decode()) if "continue" in query else 0
        page = selected[start : start + limit]
        nxt = start + limit
        meta: dict[str, Any] = {"resourceVersion": "4242"}
        if nxt < len(selected):
            meta["continue"] = base64.b64encode(str(nxt).encode()).decode()
        kind = resource[:-1].capitalize() + "List"
        self._send(200, {"kind": kind, "apiVersion": "v1", "metadata": meta, "items": page})


def _custom_handler(self: _Handler, parts: list[str], query: dict[str, list[str]]) -> None:
    state = self.server.state
    # /apis/{group}/{version}/{plural} or /apis/{group}/{version}/namespaces/{ns}/{plural}
    if len(parts) == 4:
        key: tuple[str, str, str, str | None] = (parts[1], parts[2], parts[3], None)
    elif len(parts) == 6 and parts[3] == "namespaces":
        key = (parts[1], parts[2], parts[5], parts[4])
    else:
        self._send(404, _status(404, "NotFound", f"the server could not find /{'/'.join(parts)}"))
        return
    if key not in state.custom:
        self._send(404, _status(404, "NotFound", f"the server could not find the requested resource ({key[2]})"))
        return
    if key[2] in state.forbidden:
        message = f'{key[2]}.{key[0]} is forbidden: User "dev" cannot list resource "{key[2]}"'
        self._send(403, _status(403, "Forbidden", message))
        return
    items = state.custom[key]
    selector = query.get("labelSelector", [""])[0]
    if selector:
        k, _, v = selector.partition("=")
        items = [o for o in items if (o.get("metadata", {}).get("labels") or {}).get(k) == v]
    body = {"apiVersion": f"{key[0]}/{key[1]}", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items}
    self._send(200, body)


def _split(path: str) -> tuple[str, str | None, str | None, str] | None:
    """(collection path, name or None, namespace, plural) of an API path; None if not one."""
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        prefix, rest = parts[:2], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        prefix, rest = parts[:3], parts[3:]
    else:
        return None
    base = "/" + "/".join(prefix)
    if len(rest) == 1:
        return f"{base}/{rest[0]}", None, None, rest[0]
    if len(rest) == 2:
        return f"{base}/{rest[0]}", rest[1], None, rest[0]
    if len(rest) in (3, 4) and rest[0] == "namespaces":
        return f"{base}/namespaces/{rest[1]}/{rest[2]}", (rest[3] if len(rest) == 4 else None), rest[1], rest[2]
    return None


def _matches_labels(obj: dict[str, Any], selector: str) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in filter(None, selector.split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value:
            return False
    return True


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


# ---- field ownership and server-side apply ---------------------------------------------------------
# https://kubernetes.io/docs/reference/using-api/server-side-apply/ — a simplified model: maps are
# recursive, lists, scalars and empty maps are atomic leaves (what ``+listType=atomic`` does; the
# real server merges some lists by key, but Navigator's objects' lists are replaced whole).
# ``apiVersion``, ``kind``, ``status`` and the server-set metadata are not owned by anyone.

APPLY_PATCH = "application/apply-patch+yaml"
FieldPath = tuple[str, ...]
_UNOWNED = frozenset({"apiVersion", "kind", "status"})
_UNOWNED_META = frozenset(
    {"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"}
)
_MISSING: Any = object()


def owned_leaves(obj: dict[str, Any], prefix: FieldPath = ()) -> dict[FieldPath, Any]:
    """Every field a manager can own, by path: ``{("spec", "predictor", "minReplicas"): 2, …}``."""
    out: dict[FieldPath, Any] = {}
    for key, value in obj.items():
        if (not prefix and key in _UNOWNED) or (prefix == ("metadata",) and key in _UNOWNED_META):
            continue
        path = (*prefix, key)
        if isinstance(value, dict) and value:
            out.update(owned_leaves(value, path))
        else:
            out[path] = value
    return out


def dotted(path: FieldPath) -> str:
    """The field as the API server names it in a conflict: ``.spec.predictor.minReplicas``."""
    return "".join(f".{p}" for p in path)


def _fields_v1(paths: set[FieldPath]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(f"f:{part}", {})
    return root


def _paths(fields: dict[str, Any], prefix: FieldPath = ()) -> set[FieldPath]:
    out: set[FieldPath] = set()
    for key, inner in fields.items():
        if key.startswith("f:"):
            path = (*prefix, key[2:])
            out |= _paths(inner, path) if inner else {path}
    return out


def managers(obj: dict[str, Any] | None) -> dict[tuple[str, str], set[FieldPath]]:
    """(manager, operation) → the fields it owns, read from ``metadata.managedFields``."""
    entries = ((obj or {}).get("metadata") or {}).get("managedFields") or []
    return {(e["manager"], e["operation"]): _paths(e.get("fieldsV1") or {}) for e in entries}


def _record(obj: dict[str, Any], owners: dict[tuple[str, str], set[FieldPath]]) -> None:
    """Write ``owners`` to ``metadata.managedFields``, keeping only fields the object still has."""
    present = set(owned_leaves(obj))
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    obj.setdefault("metadata", {})["managedFields"] = [
        {
            "manager": manager,
            "operation": operation,
            "apiVersion": obj.get("apiVersion", "v1"),
            "time": stamp,
            "fieldsType": "FieldsV1",
            "fieldsV1": _fields_v1(paths & present),
        }
        for (manager, operation), paths in owners.items()
        if paths & present
    ]


def _overlaps(a: FieldPath, b: FieldPath) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def _get(obj: Any, path: FieldPath) -> Any:
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            return _MISSING
        obj = obj[part]
    return obj


def _set(obj: dict[str, Any], path: FieldPath, value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(obj.get(part), dict):
            obj[part] = {}
        obj = obj[part]
    obj[path[-1]] = copy.deepcopy(value)


def _remove(obj: dict[str, Any], path: FieldPath) -> None:
    """Drop a field, and the maps it leaves empty."""
    parents: list[tuple[dict[str, Any], str]] = []
    node = obj
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            return
        parents.append((node, part))
        node = node[part]
    node.pop(path[-1], None)
    for parent, key in reversed(parents):
        if parent[key]:
            break
        del parent[key]


def record_update(old: dict[str, Any] | None, new: dict[str, Any], manager: str) -> None:
    """A create or a non-apply patch: ``manager`` (operation ``Update``) takes the fields whose
    value it changed, without conflicts, as the API server does."""
    owners = managers(old)
    before = owned_leaves(old) if old else {}
    changed = {p for p, v in owned_leaves(new).items() if before.get(p, _MISSING) != v}
    for key, paths in owners.items():
        if key != (manager, "Update"):
            paths -= {q for q in paths if any(_overlaps(p, q) for p in changed)}
    owners.setdefault((manager, "Update"), set()).update(changed)
    _record(new, owners)


def server_side_apply(
    current: dict[str, Any] | None, config: dict[str, Any], manager: str, *, force: bool
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The object after ``manager`` applies ``config`` and the conflicts, if any (then nothing changes).

    A field ``config`` sets to a value other than the current one conflicts when another manager
    owns it (or a field under or above it), unless ``force`` (ownership moves to ``manager``); an
    equal value is co-owned. Managers are (name, operation) pairs, as on the API server: a
    ``navigator`` Update (a create or merge patch) is another manager than ``navigator`` Apply.
    Fields ``manager`` applied before and no longer sends are removed unless another manager owns
    them too.

    >>> obj, conflicts = server_side_apply(None, {"kind": "ConfigMap", "data": {"a": "1"}}, "navigator", force=False)
    """
    owners = managers(current)
    mine = (manager, "Apply")
    obj = copy.deepcopy(current) if current is not None else {}
    wanted = owned_leaves(config)
    taken: set[tuple[tuple[str, str], FieldPath]] = set()
    for path, value in wanted.items():
        if _get(obj, path) == value:
            continue
        for key, paths in owners.items():
            if key == mine:  # the same name with operation Update is another manager, as on the API server
                continue
            taken |= {(key, q) for q in paths if _overlaps(path, q)}
    # the Status the API server answers carries one cause per field: reason FieldManagerConflict,
    # the field, and the manager owning it in the message
    conflicts = [
        {"reason": "FieldManagerConflict", "message": f'conflict with "{key[0]}": {dotted(q)}', "field": dotted(q)}
        for key, q in sorted(taken)
    ]
    if conflicts and not force:
        return obj, conflicts
    for key, owned in taken:
        owners[key].discard(owned)
    others = [q for key, paths in owners.items() if key != mine for q in paths]
    for path in owners.get(mine, set()) - set(wanted):
        if not any(_overlaps(path, q) for q in others):
            _remove(obj, path)
    for path, value in wanted.items():
        _set(obj, path, value)
    obj["apiVersion"], obj["kind"] = config.get("apiVersion"), config.get("kind")
    meta = obj.setdefault("metadata", {})
    for attr in ("name", "namespace"):
        if attr in config.get("metadata", {}):
            meta[attr] = config["metadata"][attr]
    owners[mine] = set(wanted)
    _record(obj, owners)
    return obj, []


_VERBS = {"GET": "get", "POST": "create", "PATCH": "patch", "DELETE": "delete"}


def _store_handler(self: _Handler, method: str, path: str, query: dict[str, list[str]]) -> bool:
    """Serve ``path`` from the write store; False when the store does not hold it (GET only)."""
    state = self.server.state
    split = _split(path)
    if split is None:
        return False
    collection, name, namespace, plural = split
    if method == "GET" and collection not in state.objects:
        if not (name is None and namespace and namespace in state.objects.get("/api/v1/namespaces", {})):
            return False
        state.objects[collection] = {}  # an existing namespace lists an empty collection
    verb = _VERBS[method] if name or method != "GET" else "list"
    store = state.objects.setdefault(collection, {}) if method != "GET" else state.objects[collection]
    apply = method == "PATCH" and (self.headers.get("Content-Type") or "").startswith(APPLY_PATCH)
    # An apply that creates the object needs ``create`` as well as ``patch``, as on the API server.
    for needed in (verb, "create") if apply and name not in store else (verb,):
        if (needed, plural) in state.forbidden_verbs:
            where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            message = f'{plural} is forbidden: User "dev" cannot {needed} resource "{plural}" {where}'
            self._send(403, _status(403, "Forbidden", message))
            return True
    dry_run = query.get("dryRun", [""])[0] == "All"
    if method == "GET":
        if name is None and query.get("watch", [""])[0] in ("true", "1"):
            _watch_handler(self, collection, query)
        elif name is None:
            items = [
                o
                for o in store.values()
                if _matches_labels(o, query.get("labelSelector", [""])[0])
                and matches_field_selector(o, query.get("fieldSelector", [""])[0])
            ]
            meta = {"resourceVersion": str(state.revision)}
            self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": items})
        elif name in store:
            self._send(200, store[name])
        else:
            self._send(404, _status(404, "NotFound", f'{plural} "{name}" not found'))
        return True
    state.writes.append((method, path, dry_run))
    if method == "DELETE":
        if name not in store:
            self._send(404, _status(404, "NotFound", f'{plural} "{name}" not found'))
        else:
            if not dry_run:
                state.record("DELETED", collection, store.pop(name))
            self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "metadata": {}})
        return True
    length = int(self.headers.get("Content-Length") or 0)
    raw = self.rfile.read(length) or b"{}"
    body = yaml.safe_load(raw) if apply else json.loads(raw)  # an apply body is YAML (JSON is YAML)
    manager = query.get("fieldManager", ["unknown"])[0]
    if namespace and namespace not in state.objects.get("/api/v1/namespaces", {}):
        self._send(404, _status(404, "NotFound", f'namespaces "{namespace}" not found'))
        return True
    if method == "POST":
        name = body.get("metadata", {}).get("name", "")
        if name in store:
            self._send(409, _status(409, "AlreadyExists", f'{plural} "{name}" already exists'))
            return True
        obj = copy.deepcopy(body)
        obj["metadata"]["uid"] = str(uuid.uuid4())
        record_update(None, obj, manager)
        code = 201
    elif apply:
        if not isinstance(body, dict) or (body.get("metadata") or {}).get("name") != name:
            self._send(400, _status(400, "BadRequest", f"the apply body must be a {plural} object named {name}"))
            return True
        current = store.get(name)
        obj, conflicts = server_side_apply(current, body, manager, force=query.get("force", [""])[0] == "true")
        if conflicts:
            fields = "; ".join(c["message"] for c in conflicts)
            status = _status(409, "Conflict", f"Apply failed with {len(conflicts)} conflict(s): {fields}")
            status["details"] = {"name": name, "kind": plural, "causes": conflicts}
            self._send(409, status)
            return True
        if current is None:
            obj["metadata"]["uid"] = str(uuid.uuid4())
        code = 201 if current is None else 200
    else:
        if name not in store:
            self._send(404, _status(404, "NotFound", f'{plural} "{name}" not found'))
            return True
        obj = _merge(copy.deepcopy(store[name]), body)
        record_update(store[name], obj, manager)
        code = 200
    causes = [c for rule in state.admission for c in rule(obj)]
    if causes:
        kind = obj.get("kind", plural)
        status = _status(422, "Invalid", f'{kind} "{name}" is invalid: ' + "; ".join(c["message"] for c in causes))
        status["details"] = {"name": name, "kind": kind, "causes": causes}
        self._send(422, status)
        return True
    if not dry_run:
        store[name] = obj
        state.record("ADDED" if code == 201 else "MODIFIED", collection, obj)
    self._send(code, obj)
    if not dry_run and code == 201:
        for controller in state.on_create:
            controller(state, obj)
    return True


def _watch_handler(self: _Handler, collection: str, query: dict[str, list[str]]) -> None:
    """A watch on a stored collection, streamed as the API server does (chunked, one JSON event a
    line): the current objects first when ``resourceVersion`` is unset or ``0``, then every change
    after it that matches the selectors, until ``timeoutSeconds`` (or :attr:`FakeKube.watch_limit_s`)."""
    state: FakeKube = self.server.state
    labels = query.get("labelSelector", [""])[0]
    fields = query.get("fieldSelector", [""])[0]
    wanted = query.get("resourceVersion", [""])[0]
    timeout = float(query.get("timeoutSeconds", ["1800"])[0])
    if state.watch_limit_s is not None:
        timeout = min(timeout, state.watch_limit_s)
    end = time.monotonic() + timeout

    def selected(obj: dict[str, Any]) -> bool:
        return _matches_labels(obj, labels) and matches_field_selector(obj, fields)

    with state.changed:
        since = state.revision if wanted in ("", "0") else int(wanted)
        initial = [("ADDED", copy.deepcopy(o)) for o in state.objects.get(collection, {}).values()]
        pending = [e for e in initial if selected(e[1])] if wanted in ("", "0") else []
    self.send_response(200)
    self.send_header("Content-Type", "application/json")
    self.send_header("Transfer-Encoding", "chunked")
    self.end_headers()
    try:
        if since < min(state.expired_below, state.revision):  # compacted (the current version never is)
            gone = _status(410, "Expired", f"too old resource version: {since} ({state.expired_below})")
            _chunk(self, {"type": "ERROR", "object": gone})
        else:
            for kind, obj in pending:
                _chunk(self, {"type": kind, "object": obj})
            while not state.stopped and time.monotonic() < end:
                with state.changed:
                    news = [e for e in state.events if e[0] > since and e[2] == collection]
                    if not news:
                        state.changed.wait(min(0.1, max(end - time.monotonic(), 0)))
                for rv, kind, _, obj in news:
                    since = rv
                    if selected(obj):
                        _chunk(self, {"type": kind, "object": obj})
        self.wfile.write(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):  # the client stopped watching
        self.close_connection = True


def _chunk(self: _Handler, event: dict[str, Any]) -> None:
    data = json.dumps(event).encode() + b"\n"
    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    self.wfile.flush()


def _log_handler(self: _Handler, path: str) -> bool:
    """``/api/v1/namespaces/NS/pods/NAME/log``: the pod's log, streamed line by line."""
    parts = path.strip("/").split("/")
    if len(parts) != 7 or parts[:3] != ["api", "v1", "namespaces"] or parts[4] != "pods" or parts[6] != "log":
        return False
    state = self.server.state
    name = parts[5]
    if name not in state.pod_logs:
        self._send(404, _status(404, "NotFound", f'pods "{name}" not found'))
        return True
    self.send_response(200)
    self.send_header("Content-Type", "text/plain")
    self.send_header("Transfer-Encoding", "chunked")  # as the API server streams a followed log
    self.end_headers()
    for line in state.pod_logs[name].splitlines():
        data = line.encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()
        time.sleep(0.01)
    if name in state.hang_logs:
        time.sleep(60)
    self.wfile.write(b"0\r\n\r\n")
    return True


def kserve_admission(obj: dict[str, Any]) -> list[dict[str, str]]:
    """The KServe webhook rules the CRD schema misses (HPA metric, multi-node autoscaling)."""
    if obj.get("kind") != "InferenceService":
        return []
    ann = obj.get("metadata", {}).get("annotations") or {}
    predictor = obj.get("spec", {}).get("predictor") or {}
    causes = []
    klass = ann.get("serving.kserve.io/autoscalerClass", "hpa")
    if klass == "hpa" and predictor.get("scaleMetric", "cpu") not in ("cpu", "memory"):
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "field": "spec.predictor.scaleMetric",
                "message": f"the HPA autoscaler supports only cpu and memory, not {predictor['scaleMetric']}",
            }
        )
    if "workerSpec" in predictor and klass != "none":
        causes.append(
            {
                "reason": "FieldValueInvalid",
                "field": "metadata.annotations",
                "message": "multi-node serving requires serving.kserve.io/autoscalerClass: none",
            }
        )
    return causes


def _write(method: str) -> Callable[[_Handler], None]:
    def handler(self: _Handler) -> None:
        state = self.server.state
        url = urlparse(self.path)
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        if method == "POST" and _review_handler(self, url.path):
            return
        if not _store_handler(self, method, url.path, parse_qs(url.query)):
            self._send(404, _status(404, "NotFound", f"the server could not find {url.path}"))

    return handler


def _review_handler(self: _Handler, path: str) -> bool:
    """TokenReview (who a token belongs to) and SubjectAccessReview (may they?) as the API
    server answers them, from :attr:`FakeKube.identities` and :attr:`FakeKube.grants`."""
    state = self.server.state
    if path.rstrip("/") not in (
        "/apis/authentication.k8s.io/v1/tokenreviews",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    ):
        return False
    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
    spec = body.get("spec") or {}
    if path.rstrip("/") == "/apis/authentication.k8s.io/v1/tokenreviews":
        who = state.identities.get(spec.get("token"))
        status: dict[str, Any] = {"authenticated": False, "error": "token not valid"}
        if who is not None:
            user = {"username": who[0], "uid": f"uid-{who[0]}", "groups": list(who[1])}
            status = {"authenticated": True, "user": user}
        self._send(201, {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status})
        return True
    if path.rstrip("/") == "/apis/authorization.k8s.io/v1/subjectaccessreviews":
        state.reviews.append(spec)
        attrs = spec.get("resourceAttributes") or {}
        subjects = {spec.get("user"), *(f"group:{g}" for g in spec.get("groups") or [])}
        resource = attrs.get("resource", "") + (f"/{attrs['subresource']}" if attrs.get("subresource") else "")
        allowed = any(
            who in subjects
            and verb in ("*", attrs.get("verb"))
            and res in ("*", resource)
            and ns in ("*", attrs.get("namespace", ""))
            for who, verb, res, ns in state.grants
        )
        answer = {"allowed": allowed, **({} if allowed else {"reason": "no RBAC policy matched"})}
        self._send(201, {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "status": answer})
        return True
    return False


_Handler.do_POST = _write("POST")  # type: ignore[attr-defined]
_Handler.do_PATCH = _write("PATCH")  # type: ignore[attr-defined]
_Handler.do_DELETE = _write("DELETE")  # type: ignore[attr-defined]


class FakeKubeServer(LocalServer):
    """Runs :class:`FakeKube` on a free port until :meth:`stop`."""

    state: FakeKube

    def __init__(self, state: FakeKube | None = None) -> None:
        super().__init__(_Handler, state or FakeKube())

    def stop(self) -> None:
        """End open watches, then stop serving."""
        with self.state.changed:
            self.state.stopped = True
            self.state.changed.notify_all()
        super().stop()


def write_kubeconfig(path: Path, server: str, token: str, context: str = "test-cluster") -> Path:
    """A kubeconfig pointing the real client at ``server`` with a bearer token."""
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "clusters": [{"name": "fake", "cluster": {"server": server}}],
                "users": [{"name": "dev", "user": {"token": token}}],
                "contexts": [{"name": context, "context": {"cluster": "fake", "user": "dev"}}],
            }
        )
    )
    return path
