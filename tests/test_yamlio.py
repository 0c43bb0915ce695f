"""Safe YAML: alias bombs, deep nesting and oversized input are rejected quickly."""

from __future__ import annotations

import pytest

from core.errors import YamlError
from core.yamlio import load_yaml

BOMB = """
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def test_alias_bomb_rejected() -> None:
    with pytest.raises(YamlError, match="alias") as err:
        load_yaml(BOMB, source="bomb.yaml")
    assert "bomb.yaml" in str(err.value)


def test_few_aliases_are_fine() -> None:
    assert load_yaml("base: &b {x: 1}\nother: *b\n") == {"base": {"x": 1}, "other": {"x": 1}}


def test_deep_nesting_rejected() -> None:
    with pytest.raises(YamlError, match="nesting"):
        load_yaml("[" * 200 + "]" * 200, source="deep.yaml")


def test_oversized_rejected_with_size() -> None:
    with pytest.raises(YamlError, match="limit"):
        load_yaml("a: 1\n" * 10, source="big.yaml", max_bytes=20)


def test_invalid_yaml_names_line() -> None:
    with pytest.raises(YamlError) as err:
        load_yaml("a: 1\nb: [\n", source="x.yaml")
    assert "x.yaml" in str(err.value) and "line" in str(err.value)


def test_python_tags_refused() -> None:
    with pytest.raises(YamlError):
        load_yaml("!!python/object/apply:os.system ['true']")


def test_written_yaml_is_plain_no_anchors_and_multi_line_strings_as_blocks() -> None:
    """What Navigator writes is read by people: one dict used twice is written twice (no
    ``&id001``/``*id001``), text of several lines is a literal block, and it all reads back."""
    from core.yamlio import dump_yaml

    labels = {"app": "navigator-qa"}
    data = {
        "metadata": {"labels": labels},
        "template": {"metadata": {"labels": labels}},
        "config": "model-car:\n  - name: granite\n    image: oci://x:1\n",
        "script": "echo one\necho two",
        "odd": "trailing space \nkept exactly",
        "command": "uv run pytest" + " --an-argument" * 12,
    }
    text = dump_yaml(data)
    assert "&id" not in text and "*id" not in text
    assert "config: |\n  model-car:\n    - name: granite\n" in text
    assert "script: |-\n  echo one\n  echo two\n" in text
    assert "\\n" not in text.replace('"trailing space \\nkept exactly"', "")  # only where a block cannot hold it
    assert f"command: {data['command']}" in text.splitlines(), "a long line is not folded into the next"
    assert load_yaml(text) == data
