"""Hosted resolution: what a model reference may be when the caller is not on this machine.

The MCP server answers remote users, so the server's files and its network neighbours are not
theirs to read. Inside :func:`hosted_references` (the MCP server wraps every tool call in it),
:func:`~core.architecture.resolve_model` takes a reference only as

* a catalog name (``Llama-3.1-8B``),
* a Hugging Face id (``org/name``, ``hf://org/name[:revision]``, a huggingface.co URL),
* a model-car image ``oci://host/org/name:tag`` on a public registry host,
* a registered model ``registry://name[/version]`` (its artifact is held to the same rules),

and refuses, in one line and before any file or network is touched, a path on the server
(absolute, relative, ``~``, ``file:``, a ``.json`` name), an ``upload://`` reference (configs
uploaded to this server's pages), any other scheme, and an image whose host is loopback,
link-local (169.254/16, fe80::/10), private (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10),
``localhost``, a single-label name (found through the pod's DNS search domains) or a
cluster-internal name (``*.svc``, ``*.cluster.local``, ``*.internal``). Host names are judged
by their text only — nothing is resolved — so a public DNS name that resolves to an internal
address is the deployment's egress network policy's job, not this check's.

The command line and the app stay as they were: outside this context local paths are read (the
machine is the user's own)::

    with hosted_references():
        resolve_model("/etc/passwd")          # InputError: a path on the server …
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from core.errors import InputError

_HOSTED: ContextVar[set[str] | None] = ContextVar("navigator_hosted_references", default=None)

ACCEPTED = "give a catalog name, a Hugging Face id (org/name), an oci:// model-car image or a registry:// model"
_HF_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/", re.IGNORECASE)
_INTERNAL_SUFFIXES = (".svc", ".cluster.local", ".internal", ".localhost", ".localdomain")
_INTERNAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "cluster.local")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


@contextmanager
def hosted_references() -> Iterator[None]:
    """Resolve only what a remote caller may name, for the duration of the block (this thread
    and the tasks it starts with its context)."""
    token = _HOSTED.set(set())
    try:
        yield
    finally:
        _HOSTED.reset(token)


def hosted() -> bool:
    """Whether references are being taken from a remote caller (:func:`hosted_references`)."""
    return _HOSTED.get() is not None


def permit_upload(ref: str) -> None:
    """Let an ``upload://`` reference the server itself made in this call (from a config.json
    given inline) through; a no-op outside :func:`hosted_references`."""
    allowed = _HOSTED.get()
    if allowed is not None:
        allowed.add(ref.strip())


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as an IP literal stands for, in any form the resolver takes
    (``127.1``, ``0x7f.0.0.1``, ``2130706433``, ``[::ffff:127.0.0.1]``); None for a name."""
    text = host.strip("[]")
    try:
        ip = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        if not re.fullmatch(r"[0-9a-fx.]+", text):
            return None
        try:  # the shorthand forms getaddrinfo accepts for IPv4 (no lookup happens here)
            ip = ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def internal_host(host: str) -> str | None:
    """Why an image host is not one the hosted server reaches (None: a public registry name)."""
    h = host.strip().lower()
    if not h or any(c in h for c in "@%\\ ") or any(ord(c) < 33 or ord(c) > 126 for c in h):
        return "written with characters a registry host never has (user info, escapes, spaces)"
    if h.startswith("["):
        name = h[1 : h.find("]")] if "]" in h else h[1:]
    elif h.count(":") == 1:
        name = h.split(":", 1)[0]
    else:
        name = h  # a bare IPv6 literal, or a name without a port
    name = name.rstrip(".")
    ip = _ip(name)
    if ip is not None:
        if ip.is_loopback:
            return "a loopback address"
        if ip.is_link_local:
            return "a link-local address"
        if ip in _SHARED or ip.is_private or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
            return "a private or reserved address"
        if not ip.is_global:
            return "an address that is not public"
        return None
    if name in _INTERNAL_NAMES or name.endswith(_INTERNAL_SUFFIXES):
        return "a loopback or cluster-internal name"
    if "." not in name:
        return "a single-label name (a cluster service through the DNS search path)"
    return None


def resolves_internal(host: str) -> str | None:
    """Why a public-looking registry name is not one the hosted server reaches: the addresses DNS
    gives for it, held to :func:`internal_host`'s rules (``127.0.0.1.nip.io`` is a loopback address
    by another name). None when every address is public, or when the name does not resolve (the
    connection then fails and says so)."""
    name = host.strip().lower()
    if name.startswith("["):
        return None  # an IPv6 literal: internal_host has judged it
    name = name.split(":", 1)[0].rstrip(".")
    if not name or _ip(name) is not None:
        return None
    try:
        answers = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    for *_, sockaddr in answers:
        address = str(sockaddr[0])
        why = internal_host(f"[{address}]" if ":" in address else address)
        if why is not None:
            return f"a name that resolves to {why} ({address})"
    return None


def hosted_host_problem(host: str) -> str | None:
    """In a remote caller's request (:func:`hosted_references`), why the server may not connect to
    ``host`` (the name itself, or where DNS says it is); None outside one, or for a public host."""
    if not hosted():
        return None
    return internal_host(host) or resolves_internal(host)


def hosted_refusal(ref: str, *, field: str = "model") -> str | None:
    """Why a remote caller may not name this reference (one line naming ``field``), or None."""
    text = ref.strip()
    low = text.lower()
    if "\x00" in text:
        return f"{field}: the reference holds a NUL character; {ACCEPTED}"
    if low.startswith("upload://"):
        allowed = _HOSTED.get() or set()
        if text in allowed:
            return None
        return (
            f"{field}: upload:// references name files uploaded to this server's pages and are not taken over MCP; "
            f"{ACCEPTED} (fit's model_configs also takes a config.json's content)"
        )
    segments = re.split(r"[/\\]", text)
    if (
        low.startswith(("file:", "/", "~", "./", "../", ".\\", "..\\", "\\"))
        or re.match(r"^[a-z]:[\\/]", low)
        or low.endswith(".json")
        or "\\" in text
        or any(s in (".", "..") for s in segments)
    ):
        return f"{field}: paths on the server are not accepted by the MCP server; {ACCEPTED}"
    if low.startswith("oci://"):
        host = text[len("oci://") :].split("/", 1)[0]
        why = internal_host(host) or resolves_internal(host)
        if why is not None:
            return (
                f"{field}: the image host {host!r} is {why}; the MCP server reads images only from public registries "
                "(never loopback, link-local, private or cluster-internal addresses)"
            )
        return None
    if low.startswith(("registry://", "hf://")) or _HF_URL.match(text):
        return None
    if "://" in text or low.startswith(("http:", "https:", "docker:", "s3:", "pvc:", "data:", "ftp:")):
        return f"{field}: that kind of reference is not accepted by the MCP server; {ACCEPTED}"
    return None


def check_hosted_reference(ref: str, *, field: str = "model") -> None:
    """Raise :class:`InputError` when a remote caller may not name ``ref``."""
    why = hosted_refusal(ref, field=field)
    if why is not None:
        raise InputError(why)
