"""YAML in the block shape gitmem's own dumper writes, read without PyYAML's constructor (several times faster).

Invariants:
- ``load`` returns exactly what ``yaml.safe_load`` returns for the text, or ``None`` when the text holds anything
  outside the small subset it knows; the caller then parses it with PyYAML. It never guesses: a shape it does not
  know, a character it does not trust, a scalar PyYAML would read as anything but text or a plain whole number,
  all give ``None``.
- The subset is what ``yaml_text.dump_yaml`` writes for gitmem's records: block mappings with lowercase keys,
  indentless block sequences under a key, sequence items that are scalars or mappings, plain and single-quoted
  one-line scalars, ``|``, ``|-`` and ``|+`` literal blocks, ``[]`` and ``{}``, and plain whole numbers.
- Records people edit by hand (decision files, settings) mostly leave the subset; they cost a fallback, nothing
  else.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.resolver import Resolver

# Characters the subset reads: line feeds and printable text; no tab, carriage return, NEL, line or paragraph
# separator, byte order mark or control character (each has YAML rules of its own).
_UNTRUSTED = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_KEY = re.compile(r"([a-z_][a-z0-9_]*):(?: (.*))?\Z")
_INT = re.compile(r"(?:0|[1-9][0-9]*)\Z")
# A plain scalar never starts with an indicator, and a quoted one is only read when single-quoted.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_RESOLVERS = Resolver.yaml_implicit_resolvers   # first character -> [(tag, regexp)]: what a plain scalar may be


class _Outside(Exception):
    """The text leaves the subset."""


def load(text: str) -> Any:
    """The document ``text`` as ``yaml.safe_load`` reads it, or None when it is outside the subset."""
    if _UNTRUSTED.search(text):
        return None
    lines = text.split("\n")
    ended = bool(lines) and lines[-1] == ""
    if ended:
        lines.pop()
    try:
        reader = _Reader(lines, ended)
        value = reader.node(0) if reader.lines else None
        if reader.pos < len(reader.lines) or not isinstance(value, dict):
            return None
        return value
    except _Outside:
        return None


def _plain(value: str) -> str | int:
    if value[0] in _INDICATORS or value[-1] == " " or value[0] == " " or ": " in value or " #" in value \
            or value.endswith(":"):
        raise _Outside(value)
    if _INT.match(value):
        return int(value)
    for _tag, regexp in _RESOLVERS.get(value[0], ()):
        if regexp.match(value):
            raise _Outside(value)   # a bool, null, float, date, other number spelling, merge key...
    return value


def _key(name: str) -> str:
    if name[0] in _RESOLVERS and any(regexp.match(name) for _tag, regexp in _RESOLVERS[name[0]]):
        raise _Outside(name)   # `on`, `no`, `null`... are not text keys
    return name


class _Reader:
    def __init__(self, lines: list[str], ended: bool) -> None:
        self.lines = lines
        self.ended = ended   # the text's last line ends with a line feed
        self.pos = 0

    def _indent(self, i: int) -> int:
        line = self.lines[i]
        stripped = line.lstrip(" ")
        if not stripped:
            raise _Outside("blank line")
        return len(line) - len(stripped)

    def node(self, indent: int, first: str | None = None) -> Any:
        """The mapping or sequence whose lines start at column ``indent`` (``first``: line pos's text, when it
        is a mapping's first key after a sequence's ``- ``)."""
        text = first if first is not None else self.lines[self.pos][indent:]
        if text.startswith("- "):
            return self._sequence(indent)
        if _KEY.match(text):
            return self._mapping(indent, first)
        raise _Outside(text)

    def _mapping(self, indent: int, first: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while self.pos < len(self.lines):
            if first is None:
                if self._indent(self.pos) != indent:
                    break
                text = self.lines[self.pos][indent:]
            else:
                text, first = first, None
            m = _KEY.match(text)
            if m is None:
                raise _Outside(text)
            key, value = _key(m.group(1)), m.group(2)
            self.pos += 1
            if value is None or value == "":
                if value == "" or self.pos >= len(self.lines):
                    raise _Outside("null value")
                inner = self._indent(self.pos)
                if inner == indent and self.lines[self.pos].startswith("- ", indent):
                    out[key] = self._sequence(indent)
                elif inner > indent:
                    out[key] = self.node(inner)
                else:
                    raise _Outside("null value")
            else:
                out[key] = self._scalar(value, indent)
        if self.pos < len(self.lines) and self._indent(self.pos) > indent:
            raise _Outside("unexpected indentation")
        return out

    def _sequence(self, indent: int) -> list[Any]:
        out: list[Any] = []
        while self.pos < len(self.lines) and self._indent(self.pos) == indent \
                and self.lines[self.pos].startswith("- ", indent):
            text = self.lines[self.pos][indent + 2:]
            if _KEY.match(text):
                out.append(self._mapping(indent + 2, text))
            else:
                self.pos += 1
                out.append(self._scalar(text, indent))
        if self.pos < len(self.lines) and self._indent(self.pos) > indent:
            raise _Outside("unexpected indentation")
        return out

    def _scalar(self, value: str, indent: int) -> Any:
        """A scalar written after a key or a ``- `` on a line of column ``indent``; pos is past that line."""
        if value[0] == "'":
            if len(value) < 2 or value[-1] != "'" or "'" in value[1:-1].replace("''", ""):
                raise _Outside(value)
            return value[1:-1].replace("''", "'")
        if value in ("|", "|-", "|+"):
            return self._literal(value[1:], indent)
        if value == "[]":
            return []
        if value == "{}":
            return {}
        return _plain(value)

    def _literal(self, chomp: str, indent: int) -> str:
        """A literal block's text: the lines after pos indented deeper than ``indent`` (empty lines inside)."""
        start = self.pos
        lines = self.lines
        content = -1
        end = start
        while end < len(lines):
            line = lines[end]
            if line == "":
                end += 1
                continue
            stripped = line.lstrip(" ")
            col = len(line) - len(stripped)
            if content < 0:
                if col <= indent:
                    break
                content = col
            elif col < content:
                if col > indent:
                    raise _Outside("under-indented block line")
                break
            if line[-1] == " ":
                raise _Outside("trailing space in a block")
            end += 1
        if content < 0 or lines[start] == "":
            raise _Outside("empty or leading-blank block")
        body = end
        while lines[body - 1] == "":
            body -= 1
        if end == len(lines) and (chomp == "+" or not self.ended):
            raise _Outside("block at the end")   # YAML's rules for the stream's end: left to PyYAML
        self.pos = end
        text = "\n".join(line[content:] for line in lines[start:body])
        if chomp == "-":
            return text
        if chomp == "+":
            return text + "\n" * (1 + end - body)
        return text + "\n"
