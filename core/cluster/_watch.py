"""Follow objects with ``kubernetes.watch`` instead of listing them over and over (a QA run's
Job and pod, a deployment's pods while it starts).

>>> for pod in watch_objects(conn, Listing.pods(namespace, label_selector="app=x"), until):
...     if done(pod):
...         break

:func:`watch_objects` lists once (the current objects and the list's resourceVersion), then
watches from that version with ``timeoutSeconds`` set to what is left of the run's deadline.
A watch the server ends early (its own timeout, a proxy, a restart) is resumed from the last
resourceVersion seen; one whose version has expired (410 Gone) is listed again. A cancel
stops the watch at once: the socket is shut down, no further events are waited for.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from core.cluster._client import Connection, call, request

_GONE = 410
_CONNECT_S = 5.0
_READ_SLACK_S = 10.0
"""Seconds past ``timeoutSeconds`` the client waits for the server to end a quiet watch."""


@dataclass(frozen=True)
class Listing:
    """What to follow: one kind of object in one namespace, narrowed by selectors."""

    resource: str
    """For messages and the access review: ``pods in namespace qa``."""
    path: str
    """The collection's API path: ``/api/v1/namespaces/qa/pods``."""
    list_fn: Callable[..., Any]
    """The typed client's list call, given the connection's API client."""
    namespace: str
    label_selector: str = ""
    field_selector: str = ""

    @classmethod
    def pods(cls, namespace: str, *, label_selector: str = "", field_selector: str = "") -> Listing:
        """Pods in ``namespace`` matching the selectors."""
        return cls(
            f"pods in namespace {namespace}",
            f"/api/v1/namespaces/{namespace}/pods",
            lambda api: client.CoreV1Api(api).list_namespaced_pod,
            namespace,
            label_selector,
            field_selector,
        )

    def query(self) -> list[tuple[str, str]]:
        """The selectors as query parameters."""
        return [
            (k, v) for k, v in (("labelSelector", self.label_selector), ("fieldSelector", self.field_selector)) if v
        ]


@dataclass(frozen=True)
class Until:
    """When to stop following: the run's deadline (``time.monotonic()``) or its cancel."""

    deadline: float
    cancel: threading.Event | None = None

    def cancelled(self) -> bool:
        """Whether the user cancelled the run."""
        return self.cancel is not None and self.cancel.is_set()

    def left_s(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.deadline - time.monotonic()

    def over(self) -> bool:
        """Whether following should stop: cancelled, or the deadline has passed."""
        return self.cancelled() or self.left_s() <= 0


def watch_objects(conn: Connection, what: Listing, until: Until, *, current: bool = True) -> Iterator[dict[str, Any]]:
    """Each object of ``what`` as it is now (unless ``current`` is False), then each one again as
    it is added or changes, until the caller stops iterating or ``until`` is over (the iterator
    then just ends: the caller tells a cancel from a timeout with ``until``). Deleted objects are
    not yielded."""
    if until.over():
        return
    items, version = _list(conn, what)
    if current:
        yield from items
    while not until.over():
        try:
            for event in _events(conn, what, version, until):
                obj = event.get("raw_object") or {}
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if event.get("type") in ("ADDED", "MODIFIED"):
                    yield obj
        except _Expired:  # the version is too old to resume from: start over from a list
            if until.over():
                return
            items, version = _list(conn, what)
            yield from items


class _Expired(Exception):
    """The watch's resourceVersion has been compacted away (410 Gone)."""


def _list(conn: Connection, what: Listing) -> tuple[list[dict[str, Any]], str]:
    """The current objects and the list's resourceVersion, to watch from."""
    data = request(conn, "list", what.resource, "GET", what.path, query=what.query())
    return list(data.get("items") or []), str((data.get("metadata") or {}).get("resourceVersion") or "")


def _events(conn: Connection, what: Listing, version: str, until: Until) -> Iterator[dict[str, Any]]:
    """One watch request from ``version`` for the time left, its events as the client parses
    them (``raw_object`` the object as a dict); ends when the server ends the watch, the
    deadline passes or the run is cancelled."""
    timeout_s = max(1, math.ceil(until.left_s()))
    query = [("watch", "true"), *what.query(), ("resourceVersion", version), ("timeoutSeconds", str(timeout_s))]
    if conn.policy is not None:  # the typed client bypasses request(): review the watch here
        conn.policy.before(conn, "GET", what.path, query, None)
    watcher = watch.Watch()
    list_fn = what.list_fn(conn.api)

    def open_watch(**kwargs: Any) -> Any:  # raw dicts: no model type for the events' objects
        return call(conn, "watch", what.resource, list_fn, what.namespace, **kwargs)

    events = watcher.stream(
        open_watch,
        label_selector=what.label_selector or None,
        field_selector=what.field_selector or None,
        resource_version=version or None,
        timeout_seconds=timeout_s,
        _request_timeout=(_CONNECT_S, timeout_s + _READ_SLACK_S),
    )
    stopper = _stop_on_cancel(watcher, until)
    try:
        while not until.over():
            event = call(conn, "watch", what.resource, lambda **_: _next_event(events, until))
            if event is None:
                return
            yield event
    finally:
        stopper.set()
        events.close()


def _next_event(events: Iterator[dict[str, Any]], until: Until) -> dict[str, Any] | None:
    """The next event, None when the watch has ended; a read cut short by a cancel is an end."""
    try:
        return next(events, None)
    except ApiException as exc:
        if exc.status == _GONE:
            raise _Expired from None
        raise
    except Exception:
        if until.cancelled():  # the stopper shut the socket down under the read
            return None
        raise


def _stop_on_cancel(watcher: watch.Watch, until: Until) -> threading.Event:
    """Stop ``watcher`` (unblocking its read) as soon as the run is cancelled; the returned
    event ends this once the watch is over."""
    done = threading.Event()
    if until.cancel is None:
        return done
    cancel = until.cancel

    def wait() -> None:
        while not done.is_set():
            if cancel.wait(0.1):
                watcher.stop()
                return

    threading.Thread(target=wait, daemon=True, name="navigator-watch-cancel").start()
    return done
