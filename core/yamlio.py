"""Safe YAML reading with limits on size, nesting depth and aliases.

PyYAML's ``SafeLoader`` builds no arbitrary objects, but it still expands a "billion
laughs" alias bomb into a structure that explodes when walked, and it recurses without
bound on deeply nested input, and keeps the last of two equal keys in a mapping without a
word. Every YAML file a user hands Navigator goes through :func:`load_yaml`, which rejects such
input quickly and with a message naming the file (and, for a duplicate key, the key and both
lines)::

    data = load_yaml(text, source="inventory.yaml")
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.errors import YamlError

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40
MAX_ALIASES = 200
MAX_EXPANDED_NODES = 500_000


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlError(f"more than {MAX_ALIASES} YAML aliases (possible alias bomb)")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_unique_keys(node: MappingNode) -> None:
    """Refuse a mapping that names a key twice (PyYAML keeps the last value silently). ``<<``
    merges are YAML's way to override on purpose and are left alone."""
    seen: dict[tuple[str, str], int] = {}
    for k, _ in node.value:
        if not isinstance(k, ScalarNode) or k.tag == _MERGE_TAG:
            continue
        ident = (k.tag, k.value)
        line = k.start_mark.line + 1
        if ident in seen:
            key = k.value if len(k.value) <= 60 else k.value[:57] + "..."
            raise YamlError(
                f"duplicate key {key!r} at line {line}, column {k.start_mark.column + 1} (first at line "
                f"{seen[ident]}): keep one of them (YAML would silently use the last)"
            )
        seen[ident] = line


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """Number of nodes once aliases are expanded (memoised, so linear in the graph); a mapping
    with a duplicate key is refused on the way."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive aliases
    total = 1
    if isinstance(node, SequenceNode):
        total += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, MappingNode):
        _check_unique_keys(node)
        total += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = total
    if total > MAX_EXPANDED_NODES:
        raise YamlError(f"expands to more than {MAX_EXPANDED_NODES:,} nodes through aliases (alias bomb)")
    return total


def load_yaml(text: str | bytes, *, source: str = "<input>", max_bytes: int = MAX_BYTES) -> Any:
    """Parse one YAML document safely; raise :class:`YamlError` naming ``source``.

    >>> load_yaml("a: 1", source="x.yaml")
    {'a': 1}
    """
    size = len(text)
    if size > max_bytes:
        raise YamlError(
            f"{source}: file is {size / 1_048_576:.1f} MiB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MiB. Split it or remove unused entries."
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YamlError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        loader = _LimitedLoader(text)  # the reader refuses control characters here already
    except yaml.reader.ReaderError as exc:
        raise YamlError(
            f"{source}: character U+{exc.character:04X} at position {exc.position} is not allowed in YAML "
            "(a control character: remove it)"
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {})
        return loader.construct_document(node)
    except YamlError as exc:
        raise YamlError(f"{source}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise YamlError(f"{source}: invalid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError(f"{source}: nesting too deep") from None
    finally:
        loader.dispose()


def read_bounded(path: str | Path, *, max_bytes: int = MAX_BYTES, kind: str = "file") -> bytes:
    """A regular file's bytes, at most ``max_bytes``; a folder, a device (``/dev/zero``), a pipe
    (which would block) or a missing, unreadable or too large file is a one-line YamlError."""
    p = Path(path)
    try:
        info = p.stat()
        if stat.S_ISDIR(info.st_mode):
            raise YamlError(f"{p}: is a folder, expected a {kind}")
        if not stat.S_ISREG(info.st_mode):
            raise YamlError(f"{p}: not a regular file (a device or a pipe?); expected a {kind}")
        if info.st_size > max_bytes:
            raise YamlError(
                f"{p}: file is {info.st_size / 1_048_576:.1f} MiB; the limit is {max_bytes / 1_048_576:.0f} MiB."
            )
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise YamlError(f"{p}: file not found") from None
    except PermissionError:
        raise YamlError(f"{p}: permission denied") from None
    except OSError as exc:
        raise YamlError(f"{p}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if len(data) > max_bytes:  # it grew while being read
        raise YamlError(f"{p}: more than {max_bytes / 1_048_576:.0f} MiB")
    return data


def load_yaml_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Any:
    """Read and parse a YAML file with :func:`load_yaml`; missing files are a YamlError."""
    data = read_bounded(path, max_bytes=max_bytes, kind="YAML file")
    return load_yaml(data, source=str(path), max_bytes=max_bytes)


class _PlainDumper(yaml.SafeDumper):
    """SafeDumper for YAML people read: an object that appears twice (one labels dict in a Job's
    metadata and in its pod template) is written out twice, never as an ``&id001`` anchor and a
    ``*id001`` alias, and a string of several lines is a literal block, not one quoted line of
    ``\\n`` escapes."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> ScalarNode:
    # PyYAML falls back to a quoted scalar by itself when a block cannot hold the text exactly
    # (trailing spaces on a line, control characters).
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_PlainDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Serialise plain data as block-style YAML, keeping key order: every YAML Navigator writes
    (manifests, overlays, inventories, previews) goes through here, and reads back to ``data``.
    No anchors or aliases, multi-line strings as literal blocks, and no line folded into the
    next (a long command stays on its line)::

        dump_yaml({"a": {"k": 1}, "b": "line 1\nline 2\n"})
        # 'a:\n  k: 1\nb: |\n  line 1\n  line 2\n'
    """
    return yaml.dump(
        data, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=float("inf")
    )
