"""Frozen records and their text form.

Invariant: ``from_text(to_text(r)) == r`` for every record. Dicts exist only
at the YAML edge: ``from_dict`` checks every key and type once and names the
file, line and field of anything wrong; past it, code passes typed records.

A session summary is ``summary.md``: YAML front matter holding every field,
then a Markdown body rendered from those fields for people (the front matter
is authoritative; the body is regenerated on every write). A decision is the
same shape, but its body is the person's text and is kept byte for byte.
Observations are YAML, one file per flush.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any, Mapping

import yaml

from gitmem.errors import RecordError
from gitmem.yaml_text import dump_yaml, load_yaml, split_front_matter

SCHEMA_VERSION = 1
DECISION_STATUSES = ("proposed", "accepted", "superseded", "rejected")


# -- field lines (YAML text itself: gitmem.yaml_text) ---------------------------------


def _line_of_key(front: str, key: str, first_line: int) -> int | None:
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for i, line in enumerate(front.split("\n")):
        if pattern.match(line):
            return first_line + i
    return None


def _node_line(node: Any, parts: list[str | int]) -> int | None:
    """0-based line of the key (or list item) that ``parts`` leads to in a composed YAML tree."""
    line = None
    for part in parts:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    line, node = key.start_mark.line, value
                    break
            else:
                return None
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line
        else:
            return None
    return line


def _line_of(front: str, where: str, first_line: int, parent: bool = False) -> int:
    """The file line of field ``where`` (``tokens_in``, ``observations[2].ts``), or of the
    mapping holding it when ``parent``; the first line when it cannot be found."""
    parts: list[str | int] = [int(p[1:-1]) if p.startswith("[") else p
                              for p in re.findall(r"\[\d+\]|[^.\[\]]+", where)]
    if parent:
        parts = parts[:-1]
        if not parts:
            return first_line
    try:
        line = _node_line(yaml.compose(front, Loader=yaml.SafeLoader), parts)
    except (yaml.YAMLError, RecursionError):
        line = None
    if line is not None:
        return first_line + line
    return _line_of_key(front, where, first_line) or first_line


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_id(prefix: str, data: Any, length: int = 16) -> str:
    """A stable id: scheme tag plus the hash of the record's canonical JSON."""
    digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
    return f"{prefix}{digest[:length]}"


# -- text normalisation --------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    """Text UTF-8 can hold: surrogate halves (JSON's "\\ud83d\\ude00" escapes, broken ones
    included) become the character they pair into, or U+FFFD when unpaired. (``isascii`` is answered
    without a scan: most text is ASCII and needs no search.)"""
    if isinstance(value, str):
        if not value.isascii() and _SURROGATE.search(value):
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return value
    if isinstance(value, tuple) and any(isinstance(v, str) and not v.isascii() and _SURROGATE.search(v)
                                        for v in value):
        return tuple(_scrub(v) for v in value)
    return value


@functools.cache
def _fields(cls: Any) -> tuple[dataclasses.Field, ...]:   # type: ignore[type-arg]
    return dataclasses.fields(cls)


@functools.cache
def _field_names(cls: Any) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(cls))


def _normalize_text(record: Any) -> None:
    """Called from ``__post_init__``: a record never holds text it could not write as UTF-8."""
    for f in _fields(record.__class__):
        value = getattr(record, f.name)
        clean = _scrub(value)
        if clean is not value:
            object.__setattr__(record, f.name, clean)


# -- generic dict <-> dataclass ------------------------------------------------------


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return value.to_dict()  # type: ignore[union-attr]
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


def _dataclass_to_dict(obj: Any) -> dict[str, Any]:
    return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _coerce(tp: Any, value: Any, where: str) -> Any:
    if tp is str:
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        # Hand-written YAML turns `date: 2026-11-24` or `title: 2026` into non-text scalars.
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise TypeError(f"{where} must be text, not {type(value).__name__}")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where} must be a whole number, not {type(value).__name__}")
        return value
    if typing.get_origin(tp) is tuple:
        (item_tp, _ellipsis) = typing.get_args(tp)
        if value is None:
            return ()
        if isinstance(value, str) and item_tp is str:
            return (value,)
        if not isinstance(value, list):
            raise TypeError(f"{where} must be a list, not {type(value).__name__}")
        if item_tp is str and all(isinstance(v, str) for v in value):
            return tuple(value)   # the common case, without naming each item's place
        return tuple(_coerce(item_tp, v, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise TypeError(f"{where} must be a mapping, not {type(value).__name__}")
        return _build(tp, value, where)
    raise TypeError(f"{where}: unsupported type {tp!r}")  # pragma: no cover - programming error


@functools.cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)  # costly, and half of all parsing time when uncached


def _build(cls: Any, data: Mapping[str, Any], where: str = "") -> Any:
    hints = _hints(cls)
    names = _field_names(cls)
    unknown = [k for k in data if k not in names]
    if unknown:
        raise KeyError(f"{where + '.' if where else ''}{unknown[0]}")
    kwargs = {}
    for f in _fields(cls):
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name], f"{where + '.' if where else ''}{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise LookupError(f"{where + '.' if where else ''}{f.name}")
    return cls(**kwargs)


def _from_mapping(cls: Any, data: Any, path: str, front: str = "", first_line: int = 1) -> Any:
    if not isinstance(data, dict):
        raise RecordError(f"expected a mapping of fields, found {type(data).__name__}", path, first_line,
                          hint=f"write the {cls.__name__} fields as `key: value` lines.")
    schema = data.get("schema", SCHEMA_VERSION)
    if isinstance(schema, int) and schema > SCHEMA_VERSION:
        raise RecordError(f"schema {schema} is newer than this gitmem understands ({SCHEMA_VERSION})", path,
                          _line_of(front, "schema", first_line),
                          hint="upgrade gitmem to read this record.")
    try:
        return _build(cls, data)
    except KeyError as exc:
        key = str(exc.args[0])
        allowed = ", ".join(f.name for f in dataclasses.fields(cls))
        raise RecordError(f"unknown field `{key}`", path, _line_of(front, key, first_line),
                          hint=f"remove it or fix its spelling; known fields: {allowed}.") from None
    except LookupError as exc:
        key = str(exc.args[0])
        raise RecordError(f"missing required field `{key}`", path, _line_of(front, key, first_line, parent=True),
                          hint=f"add `{key}: ...` to the front matter.") from None
    except (TypeError, ValueError) as exc:
        # Both messages start with the field: "tokens_in must be ...", "status `x` is not one of ...".
        msg = str(exc)
        raise RecordError(msg, path, _line_of(front, msg.split(" ", 1)[0], first_line),
                          hint="correct the value at that line.") from None


# -- observations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Observation:
    """One compact fact about a session: a prompt, a tool call and its outcome."""

    ts: str
    kind: str
    tool: str = ""
    text: str = ""
    files: tuple[str, ...] = ()
    command: str = ""
    outcome: str = ""
    detail: str = ""
    event_id: str = ""

    def __post_init__(self) -> None:
        _normalize_text(self)

    def to_dict(self) -> dict[str, Any]:
        # ts and kind always, the other fields when not empty (the id hashes this: it is read for every row)
        out: dict[str, Any] = {"ts": self.ts, "kind": self.kind}
        for name in _OBSERVATION_OPTIONAL:
            value = getattr(self, name)
            if value:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "<dict>") -> "Observation":
        return _from_mapping(cls, data, path)

    @property
    def id(self) -> str:
        return content_id("o1-", self.to_dict())


_OBSERVATION_OPTIONAL = tuple(f.name for f in dataclasses.fields(Observation) if f.name not in ("ts", "kind"))


@dataclass(frozen=True, slots=True)
class ObservationBatch:
    """The observations one flush wrote for one session: ``obs-NNNN.yaml``."""

    session_id: str
    seq: int
    observations: tuple[Observation, ...] = ()
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _normalize_text(self)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema, "session_id": self.session_id, "seq": self.seq,
                "observations": [o.to_dict() for o in self.observations]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "<dict>") -> "ObservationBatch":
        return _from_mapping(cls, data, path)

    def to_text(self) -> str:
        return dump_yaml(self.to_dict())

    @classmethod
    def from_text(cls, text: str, path: str = "<text>") -> "ObservationBatch":
        return _from_mapping(cls, load_yaml(text, path), path, text, 1)


# -- session summaries ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionNote:
    """A decision as a summarizer saw it in a session (before it is a decision file)."""

    title: str
    decision: str = ""
    context: str = ""
    rationale: str = ""
    alternatives: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _normalize_text(self)

    def to_dict(self) -> dict[str, Any]:
        return _dataclass_to_dict(self)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What one session asked, learned, did and decided; ``summary.md``."""

    id: str
    title: str
    started_at: str
    ended_at: str = ""
    author: str = ""
    agent: str = "claude-code"
    branch: str = ""
    head_start: str = ""
    head_end: str = ""
    commits: tuple[str, ...] = ()
    request: str = ""
    investigated: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    dead_ends: tuple[str, ...] = ()
    decisions: tuple[DecisionNote, ...] = ()
    files_read: tuple[str, ...] = ()
    files_modified: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    observation_count: int = 0
    summarizer: str = ""
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    fallback_reason: str = ""
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _normalize_text(self)

    def to_dict(self) -> dict[str, Any]:
        return _dataclass_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "<dict>") -> "SessionSummary":
        return _from_mapping(cls, data, path)

    def to_text(self) -> str:
        return "---\n" + dump_yaml(self.to_dict()) + "---\n" + render_summary_body(self)

    @classmethod
    def from_text(cls, text: str, path: str = "<text>") -> "SessionSummary":
        front, _body, first = split_front_matter(text, path)
        return _from_mapping(cls, load_yaml(front, path, first - 1), path, front, first)


def _section(title: str, items: tuple[str, ...]) -> str:
    if not items:
        return ""
    return f"\n## {title}\n\n" + "".join(f"- {_one_line(i)}\n" for i in items)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_summary_body(s: SessionSummary) -> str:
    """The Markdown people read under the front matter (regenerated, never parsed)."""
    out = [f"\n# {_one_line(s.title) or s.id}\n"]
    if s.request:
        out.append(f"\n**Asked:** {_one_line(s.request)}\n")
    out.append(_section("Investigated", s.investigated))
    out.append(_section("Learned", s.learned))
    out.append(_section("Completed", s.completed))
    out.append(_section("Tried, did not work", s.dead_ends))
    if s.decisions:
        out.append("\n## Decisions\n")
        for d in s.decisions:
            out.append(f"\n### {_one_line(d.title)}\n\n")
            if d.context:
                out.append(f"- Context: {_one_line(d.context)}\n")
            if d.decision:
                out.append(f"- Decision: {_one_line(d.decision)}\n")
            if d.rationale:
                out.append(f"- Why: {_one_line(d.rationale)}\n")
            for alt in d.alternatives:
                out.append(f"- Considered: {_one_line(alt)}\n")
            if d.files:
                out.append(f"- Files: {', '.join(d.files)}\n")
    out.append(_section("Next steps", s.next_steps))
    out.append(_section("Files modified", s.files_modified))
    return "".join(out)


# -- decision files ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision note: ``.gitmem/decisions/<yyyy-mm-dd>-<slug>.md``; the body is the person's text."""

    id: str
    title: str
    status: str = "proposed"
    date: str = ""
    authors: tuple[str, ...] = ()
    supersedes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    session: str = ""
    body: str = field(default="", compare=True)
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _normalize_text(self)
        if self.status not in DECISION_STATUSES:
            raise ValueError(f"status `{self.status}` is not one of {', '.join(DECISION_STATUSES)}")

    def front_matter(self) -> dict[str, Any]:
        d = _dataclass_to_dict(self)
        d.pop("body")
        return d

    def to_dict(self) -> dict[str, Any]:
        return _dataclass_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "<dict>") -> "Decision":
        return _from_mapping(cls, data, path)

    def to_text(self) -> str:
        return "---\n" + dump_yaml(self.front_matter()) + "---\n" + self.body

    @classmethod
    def from_text(cls, text: str, path: str = "<text>") -> "Decision":
        front, body, first = split_front_matter(text, path)
        data = load_yaml(front, path, first - 1)
        if isinstance(data, dict):
            if "body" in data:
                raise RecordError("`body` is not a front matter field", path, _line_of_key(front, "body", first),
                                  hint="write the body below the closing `---` line.")
            data = {**data, "body": body}
        return _from_mapping(cls, data, path, front, first)


def new_decision_id(title: str, date: str, authors: tuple[str, ...], session: str = "") -> str:
    return content_id("d-", {"title": title, "date": date, "authors": list(authors), "session": session}, 10)
