"""A JSON file that gitmem edits in place, owned by someone else.

Claude Code's settings are the user's files. ``read_json_doc`` parses one and
keeps its text; ``JsonDoc.render`` splices the changes into that text, so every
part of the file whose data did not change keeps its exact bytes (inline arrays,
key spacing, number spelling, comments-free hand layout), new members take the
layout of their neighbours (indentation, separators, line ends, escaping), and
a removed member takes its separator with it. Adding members and removing them
again therefore gives back the original bytes. Errors name the file and the
line. ``write_atomic`` (gitmem.atomic) replaces a file through a temporary file in the same
folder, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.atomic import write_atomic
from gitmem.errors import ConfigError

logger = logging.getLogger(__name__)

_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class JsonDoc:
    path: Path
    display: str
    existed: bool
    text: str
    data: dict[str, Any]
    indent: int | str = 2
    ensure_ascii: bool = False
    newline: str = "\n"
    final_newline: bool = True
    bom: bool = False

    def render_text(self) -> str:
        if self.text.strip():
            tree = _parse(self.text)
            if tree is not None:
                original = json.loads(self.text)
                return (self.text[:tree.start] + _Splicer(self).value(tree, original, self.data)
                        + self.text[tree.end:])
        # json.dumps(indent=n) lays out like JSON.stringify(data, null, n), which Claude Code writes.
        return self.fresh(self.data, "") + (self.newline if self.final_newline else "")

    def fresh(self, value: Any, base: str) -> str:
        """``value`` laid out in this file's style, its lines after the first indented by ``base``."""
        text = json.dumps(value, indent=self.indent, ensure_ascii=self.ensure_ascii)
        return text.replace("\n", self.newline + base)

    def render(self) -> bytes:
        return (_BOM if self.bom else b"") + self.render_text().encode("utf-8")


    def key_line(self, *path: str) -> int:
        """The line of the object key at ``path``, else of the document's first character."""
        return key_line(self.text, path) or first_line(self.text)


def json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    return "null" if value is None else "a number"


@dataclass(slots=True)
class _Node:
    """One JSON value's span in the text; members are (key, key start, value node) or (None, start, node)."""

    start: int
    end: int
    kind: str                                   # object | array | scalar
    members: list[tuple[str | None, int, "_Node"]]


def _parse(text: str) -> _Node | None:
    """The spans of every value in valid JSON ``text`` (None if it cannot be scanned)."""
    n = len(text)

    def ws(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    def string_end(i: int) -> int:
        j = i + 1
        while text[j] != '"':
            j += 2 if text[j] == "\\" else 1
        return j + 1

    def value(i: int) -> _Node:
        c = text[i]
        if c in "{[":
            close = "}" if c == "{" else "]"
            node = _Node(i, i, "object" if c == "{" else "array", [])
            i = ws(i + 1)
            while text[i] != close:
                key: str | None = None
                at = i
                if c == "{":
                    end = string_end(i)
                    key = json.loads(text[i:end])
                    i = ws(ws(end) + 1)  # past the colon
                sub = value(i)
                node.members.append((key, at, sub))
                i = ws(sub.end)
                if text[i] == ",":
                    i = ws(i + 1)
            node.end = i + 1
            return node
        if c == '"':
            return _Node(i, string_end(i), "scalar", [])
        j = i
        while j < n and text[j] not in ",]} \t\r\n":
            j += 1
        return _Node(i, j, "scalar", [])

    try:
        return value(ws(0))
    except (IndexError, ValueError):
        return None


def key_line(text: str, path: tuple[str, ...]) -> int | None:
    """The 1-based line of the object key at ``path`` in valid JSON ``text``."""
    node = _parse(text)
    at = None
    for key in path:
        if node is None or node.kind != "object":
            return None
        found = [(start, sub) for k, start, sub in node.members if k == key]
        if not found:
            return None
        at, node = found[-1]
    return None if at is None else text.count("\n", 0, at) + 1


def _same(a: Any, b: Any) -> bool:
    # json.dumps tells True from 1 and 1.0 from 1, and sees key order: all of which change bytes.
    return type(a) is type(b) and json.dumps(a) == json.dumps(b)


class _Splicer:
    """Renders new data into an existing document's text, changing only the spans whose data changed."""

    def __init__(self, doc: JsonDoc) -> None:
        self.doc = doc
        self.text = doc.text

    def line_indent(self, pos: int) -> str:
        line_start = self.text.rfind("\n", 0, pos) + 1
        line = self.text[line_start:pos]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def value(self, node: _Node, old: Any, new: Any) -> str:
        if _same(old, new):
            return self.text[node.start:node.end]
        if node.members and node.kind == "object" and isinstance(old, dict) and isinstance(new, dict):
            keys = [k for k, _, _ in node.members]
            kept = [k for k in new if k in old]
            if len(set(keys)) == len(keys) and kept == [k for k in keys if k in new]:
                return self.container(node, [(keys.index(k) if k in old else None, k, new[k]) for k in new], old)
        if node.members and node.kind == "array" and isinstance(old, list) and isinstance(new, list):
            return self.container(node, self.align(old, new), old)
        return self.doc.fresh(new, self.line_indent(node.start))

    @staticmethod
    def align(old: list[Any], new: list[Any]) -> list[tuple[int | None, str | None, Any]]:
        """Each new element with the old element whose text it keeps (equal ones, or one edited in place)."""
        import difflib

        matcher = difflib.SequenceMatcher(None, [json.dumps(v) for v in old], [json.dumps(v) for v in new],
                                          autojunk=False)
        out: list[tuple[int | None, str | None, Any]] = []
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
                out += [(i1 + k, None, new[j1 + k]) for k in range(j2 - j1)]
            elif op in ("insert", "replace"):
                out += [(None, None, v) for v in new[j1:j2]]
        return out

    def container(self, node: _Node, wanted: list[tuple[int | None, str | None, Any]], old: Any) -> str:
        text, members = self.text, node.members
        if not wanted:
            return text[node.start] + text[node.end - 1]
        ends = [m[2].end for m in members]
        starts = [m[1] for m in members]
        lead = text[node.start + 1:starts[0]]
        trail = text[ends[-1]:node.end - 1]
        seps = [text[ends[i]:starts[i + 1]] for i in range(len(members) - 1)]
        if seps:
            new_sep = seps[-1]
        elif "\n" in lead:
            new_sep = "," + lead
        else:
            new_sep = ", "
        inner = lead.rsplit("\n", 1)[1] if "\n" in lead else self.line_indent(node.start)
        colon = ""
        if node.kind == "object":  # what follows a key: `": "`, `":"`, `" : "` as the file spells it
            head = text[members[0][1]:members[0][2].start]
            colon = head[head.rindex('"') + 1:]
        out = [text[node.start], lead]
        previous: int | None = None
        for n, (index, key, value) in enumerate(wanted):
            if n:
                # An old member keeps the separator before it when the member before it in the output
                # came earlier in the file; anything else is joined the way the file joins its last members.
                out.append(seps[index - 1] if index and previous is not None and previous < index else new_sep)
            if index is not None:
                k, at, sub = members[index]
                old_value = old[k] if node.kind == "object" else old[index]
                out.append(text[at:sub.start] + self.value(sub, old_value, value))
            else:
                prefix = (self._key(key) + colon) if node.kind == "object" else ""
                out.append(prefix + self.doc.fresh(value, inner))
            previous = index
        out += [trail, text[node.end - 1]]
        return "".join(out)

    def _key(self, key: str | None) -> str:
        return json.dumps(key, ensure_ascii=self.doc.ensure_ascii)


def first_line(text: str) -> int:
    stripped = text.lstrip()
    return text.count("\n", 0, len(text) - len(stripped)) + 1


def read_json_doc(path: Path, display: str, hint: str) -> JsonDoc:
    """Parse a JSON object file (missing or blank: empty) and remember its layout.

    Raises ConfigError naming ``display`` and the line, with ``hint``.
    """
    if not path.exists():
        return JsonDoc(path, display, existed=False, text="", data={})
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {display}: {exc.strerror}", hint=hint) from None
    bom = raw.startswith(_BOM)
    try:
        text = raw[len(_BOM) if bom else 0:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display} is not UTF-8 text (byte {exc.start})", hint=hint) from None
    data: Any = {}
    if text.strip():
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{display} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                              f"{exc.msg})", hint=hint) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{display} must hold a JSON object, not {json_kind(data)} (line {first_line(text)})",
                          hint=hint)
    doc = JsonDoc(path, display, existed=True, text=text, data=data, bom=bom)
    for line in text.splitlines()[1:]:
        body = line.lstrip(" \t")
        if body and len(body) < len(line):
            lead = line[: len(line) - len(body)]
            doc.indent = "\t" if lead.startswith("\t") else len(lead)
            break
    # An all-ASCII file with \u escapes was written escaping non-ASCII text; keep doing so.
    doc.ensure_ascii = text.isascii() and "\\u" in text
    doc.newline = "\r\n" if "\r\n" in text else "\n"
    doc.final_newline = text.endswith("\n") or not text.strip()
    return doc


def read_install_record(path: Path) -> dict[str, Any]:
    """What gitmem recorded it created in a settings file (``{"version": 1, "files": {...}}``).

    A missing or unreadable record reads as empty: uninstall then removes only
    what it can recognise as gitmem's own, and never deletes a file.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("files"), dict):
            return data
        logger.warning("ignoring %s: unexpected content", path)
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
    return {"version": 1, "files": {}}


def write_install_record(path: Path, record: dict[str, Any]) -> None:
    write_atomic(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode())
