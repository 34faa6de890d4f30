"""Surgical edits of the YAML front matter at the top of a Markdown file.

Invariant: an edit replaces the characters of one value (or inserts one line,
or one list item) and leaves every other character of the file as it was: the
body, comments, quoting, key order, line endings and a byte order mark. Values
are found through the YAML parser's marks, never by re-dumping the YAML, so a
person's formatting survives a status change made by a command.

The caller checks the result by parsing it (``decisions`` compares the record
before and after); a value this module cannot edit in place raises
``FrontMatterEditError`` and the person edits the file by hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import yaml

from gitmem.errors import GitmemError, RecordError
from gitmem.yaml_text import load_yaml

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./@+-]*")


class FrontMatterEditError(GitmemError):
    default_hint = "edit the front matter by hand, then run `gitmem check`."


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """Where the front matter sits in ``text``: ``text[start:end]`` is the YAML between the ``---`` lines."""

    text: str
    start: int          # offset just after the opening `---` line
    end: int            # offset of the closing `---` line
    first_line: int     # 1-based number of the first YAML line
    newline: str        # the line ending the file uses ("\n" or "\r\n")

    @property
    def source(self) -> str:
        return self.text[self.start:self.end]


def locate(text: str, path: str) -> FrontMatter:
    """The front matter of ``text``; ``RecordError`` (with a line) when there is none or it is not closed."""
    first_end = text.find("\n")
    opening = text[:first_end if first_end >= 0 else len(text)].rstrip("\r").lstrip("\ufeff")
    if opening != "---":
        raise RecordError("does not start with a `---` front matter line", path, 1,
                          hint="put the YAML front matter between two `---` lines at the top of the file.")
    if first_end < 0:
        raise RecordError("front matter is not closed by a `---` line", path, 1,
                          hint="add a line `---` after the YAML front matter.")
    newline = "\r\n" if text[:first_end].endswith("\r") else "\n"
    start = pos = first_end + 1
    while pos < len(text):
        nl = text.find("\n", pos)
        line_end = nl if nl >= 0 else len(text)
        if text[pos:line_end].rstrip("\r") in ("---", "..."):
            return FrontMatter(text, start, pos, 2, newline)
        if nl < 0:
            break
        pos = nl + 1
    raise RecordError("front matter is not closed by a `---` line", path, 1,
                      hint="add a line `---` after the YAML front matter.")


def compose(fm: FrontMatter, path: str) -> yaml.MappingNode | None:
    """The front matter as a YAML node tree (None when empty); ``RecordError`` with a line for bad YAML."""
    try:
        # The precise error message, when there is one; without the last line break, an error at the end
        # of the YAML is reported on its last line rather than on the closing `---`.
        load_yaml(fm.source.removesuffix("\n"), path, fm.first_line - 1)
    except ValueError as exc:
        # YAML reads `2026-13-01` as a timestamp and the date constructor raises a bare ValueError.
        raise RecordError(f"invalid date: {exc}", path, _bad_timestamp_line(fm),
                          hint="write a real date as yyyy-mm-dd, or quote the value to keep it as text.") from None
    node = yaml.compose(fm.source, Loader=yaml.SafeLoader)
    if node is not None and not isinstance(node, yaml.MappingNode):
        raise RecordError("the front matter is not a mapping of `key: value` lines", path, fm.first_line,
                          hint="write each field as `key: value` on its own line.")
    return node


def _bad_timestamp_line(fm: FrontMatter) -> int | None:
    """The line of the first timestamp-looking scalar that is not a real date or time."""
    loader = yaml.SafeLoader("")
    stack = [yaml.compose(fm.source, Loader=yaml.SafeLoader)]
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            try:
                loader.construct_yaml_timestamp(node)
            except ValueError:
                return line_of(fm, node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
    return None


def top_level(node: yaml.MappingNode | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Top-level ``key -> (key node, value node)``; for a repeated key the last, as the YAML loader reads it."""
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key, value in node.value if node is not None else ():
        if isinstance(key, yaml.ScalarNode):
            found[str(key.value)] = (key, value)
    return found


def line_of(fm: FrontMatter, node: yaml.Node) -> int:
    """The file line (1-based) where ``node`` starts."""
    return fm.first_line + node.start_mark.line


def yaml_scalar(value: str) -> str:
    """``value`` as YAML text that reads back as the same string: plain when that is safe, else double-quoted."""
    if _PLAIN.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value)  # a JSON string (ASCII, escaped) is a valid YAML double-quoted scalar


def _splice(fm: FrontMatter, start: int, end: int, new: str) -> str:
    """Replace ``source[start:end]`` (offsets inside the front matter) with ``new``."""
    a, b = fm.start + start, fm.start + end
    return fm.text[:a] + new + fm.text[b:]


def _after(source: str, index: int) -> int:
    """Where a new line goes after a value ending at ``index``: the start of the next line (a block
    scalar or block list already ends there; a plain value ends mid-line, before any comment)."""
    if index == 0 or source[index - 1] == "\n":
        return index
    nl = source.find("\n", index)
    return len(source) if nl < 0 else nl + 1


def set_value(text: str, key: str, value: str, path: str, *, after: str | None = None) -> str:
    """Set top-level ``key`` to the YAML text ``value``.

    The old value's characters are replaced; a comment after it stays. A missing
    key is inserted as one line after the line of ``after`` (when present) or at
    the end of the front matter.
    """
    fm = locate(text, path)
    nodes = top_level(compose(fm, path))
    source = fm.source
    if key in nodes:
        key_node, node = nodes[key]
        if not isinstance(node, yaml.ScalarNode):
            raise FrontMatterEditError(f"{path}:{line_of(fm, key_node)}: `{key}` is not a single value")
        start, end = node.start_mark.index, node.end_mark.index
        if start == end:   # `key:` with nothing after it
            return _splice(fm, start, end, " " + value)
        return _splice(fm, start, end, value)
    line = f"{key}: {value}{fm.newline}"
    at = _after(source, nodes[after][1].end_mark.index) if after is not None and after in nodes else len(source)
    return _splice(fm, at, at, line)


def add_list_item(text: str, key: str, item: str, path: str) -> str:
    """Append the YAML text ``item`` to the top-level list ``key``, in the style the list is written in.

    ``[]`` becomes ``[item]``; ``[a, b]`` becomes ``[a, b, item]``; a block list
    gets one more ``- item`` line, indented like its last item; a single value
    ``a`` becomes ``[a, item]``; an empty or missing key becomes ``key: [item]``.
    """
    fm = locate(text, path)
    nodes = top_level(compose(fm, path))
    source = fm.source
    if key not in nodes:
        return _splice(fm, len(source), len(source), f"{key}: [{item}]{fm.newline}")
    key_node, node = nodes[key]
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.SequenceNode):
        if node.flow_style:
            if not node.value:
                return _splice(fm, start, end, f"[{item}]")
            last = node.value[-1].end_mark.index
            return _splice(fm, last, last, f", {item}")
        last_item = node.value[-1]
        line_start = source.rfind("\n", 0, last_item.start_mark.index) + 1
        prefix = source[line_start:last_item.start_mark.index]
        if not re.fullmatch(r"\s*-\s+", prefix):
            raise FrontMatterEditError(f"{path}:{line_of(fm, last_item)}: cannot tell how the `{key}` list is "
                                       "indented")
        at = _after(source, last_item.end_mark.index)
        lead = "" if at == 0 or source[at - 1] == "\n" else fm.newline
        return _splice(fm, at, at, f"{lead}{prefix}{item}{fm.newline}")
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null":
            if start == end:
                return _splice(fm, start, end, f" [{item}]")
            return _splice(fm, start, end, f"[{item}]")
        if node.style in (None, "", "'", '"') and "\n" not in source[start:end]:
            return _splice(fm, start, end, f"[{source[start:end]}, {item}]")
    raise FrontMatterEditError(f"{path}:{line_of(fm, key_node)}: cannot add to `{key}` as it is written")
