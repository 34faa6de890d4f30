"""Codex's trust entries in ``$CODEX_HOME/config.toml``: read them, and add or remove gitmem's own.

Codex runs a project's hooks only when two entries say so (tests/data/codex/README.md):
``[projects."<root>"] trust_level = "trusted"`` (the person's decision to trust
the project; gitmem reads it and never writes it) and, per hook,
``[hooks.state."<key>"] trusted_hash = "<hash>"``. gitmem writes the second kind
for the hooks it installs itself, the way Codex's own ``/hooks`` review does.

Invariants:
- The file is the person's: only gitmem's ``[hooks.state."<key>"]`` tables change; every
  other line keeps its bytes. A table is found by its header, whatever the key's quoting.
- A file TOML cannot read is a ``ConfigError`` naming the file and the line, and is left
  unchanged; so is an edit whose result does not read back as intended (checked where the
  standard library has ``tomllib``). ``plan_hook_trust`` checks an edit without writing it, so
  the install checks config.toml and hooks.json both before it writes either.
- Written atomically, keeping the file's permission bits.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmem.atomic import write_atomic
from gitmem.errors import ConfigError

logger = logging.getLogger(__name__)


_HEADER = re.compile(r"^\s*\[(?!\[)(?P<key>(?:[^\]\"']|\"(?:[^\"\\]|\\.)*\"|'[^']*')+)\]\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*(?P<key>[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')\s*=\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True, slots=True)
class TrustState:
    """What config.toml says: trusted hook hashes by key, and each project's trust level by path."""

    hooks: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)


def _hint(path: Path) -> str:
    return f"fix {path} (Codex's own settings) and rerun `gitmem install codex`; gitmem left it unchanged."


def _dotted(text: str) -> list[str] | None:
    """The parts of a TOML dotted key (``hooks.state."a:b"`` -> ["hooks", "state", "a:b"]), or None."""
    parts, i, n = [], 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            m = re.match(r'"(?:[^"\\]|\\.)*"', text[i:])
            if not m:
                return None
            try:
                parts.append(json.loads(m.group(0)))
            except ValueError:
                return None
            i += m.end()
        elif i < n and text[i] == "'":
            end = text.find("'", i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1:end])
            i = end + 1
        else:
            m = re.match(r"[A-Za-z0-9_-]+", text[i:])
            if not m:
                return None
            parts.append(m.group(0))
            i += m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts


def _quote(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's for everything json.dumps writes)."""
    return json.dumps(value, ensure_ascii=False)


def _load(path: Path, text: str) -> dict[str, Any] | None:
    """The parsed file where the standard library reads TOML (3.11+); on 3.10 None, and the entries are found
    by their table headers alone."""
    if sys.version_info < (3, 11):
        return None
    tomllib = importlib.import_module("tomllib")  # by name: mypy checks for 3.10, which has no tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Codex settings {path} is not valid TOML: {exc}", hint=_hint(path)) from None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read Codex settings {path}: {exc}", hint=_hint(path)) from None


def read_trust(path: Path) -> TrustState:
    """The trust entries of ``path`` (missing: none)."""
    text = read_text(path)
    data = _load(path, text)
    if data is not None:
        projects = _table(data, "projects")
        return TrustState(
            hooks=read_trust_from(data),
            projects={k: v["trust_level"] for k, v in projects.items()
                      if isinstance(v, dict) and isinstance(v.get("trust_level"), str)})
    hooks: dict[str, str] = {}
    projects_found: dict[str, str] = {}
    for parts, body in _tables(text.splitlines(keepends=True)):
        values = {k: v for k, v in (_assignment(line) for line in body) if k}
        if len(parts) == 3 and parts[:2] == ["hooks", "state"] and "trusted_hash" in values:
            hooks[parts[2]] = values["trusted_hash"]
        if len(parts) == 2 and parts[0] == "projects" and "trust_level" in values:
            projects_found[parts[1]] = values["trust_level"]
    return TrustState(hooks=hooks, projects=projects_found)


def _assignment(line: str) -> tuple[str, str]:
    m = _ASSIGN.match(line)
    if not m:
        return "", ""
    key = _dotted(m.group("key"))
    try:
        value = json.loads(m.group("value")) if m.group("value").startswith('"') else m.group("value")
    except ValueError:
        return "", ""
    return (key[0] if key and len(key) == 1 else ""), value if isinstance(value, str) else ""


def _tables(lines: list[str]) -> list[tuple[list[str], list[str]]]:
    """(dotted header key, body lines) of each ``[table]`` in order; lines before the first are skipped."""
    found: list[tuple[list[str], list[str]]] = []
    for line in lines:
        m = _HEADER.match(line)
        parts = _dotted(m.group("key").strip()) if m else None
        if parts is not None:
            found.append((parts, []))
        elif found:
            found[-1][1].append(line)
    return found


@dataclass(frozen=True, slots=True)
class TrustEdit:
    """config.toml's text before and after an edit of gitmem's trust entries: checked, not yet written."""

    path: Path
    old: str
    new: str
    existed: bool

    @property
    def changed(self) -> bool:
        return self.new != self.old

    def write(self) -> bool:
        """Write the new text (atomically, keeping the permission bits); whether the file changed."""
        if not self.changed:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, self.new.encode("utf-8"))
        logger.info("codex hook trust in %s updated", self.path)
        return True

    def undo(self) -> None:
        """Give the file its old text back (remove it when the edit created it)."""
        if not self.changed:
            return
        if self.existed:
            write_atomic(self.path, self.old.encode("utf-8"))
        else:
            self.path.unlink(missing_ok=True)


def plan_hook_trust(path: Path, trust: dict[str, str], drop: frozenset[str] | set[str] = frozenset()) -> TrustEdit:
    """The edit that makes ``[hooks.state."<key>"] trusted_hash`` equal ``trust[key]`` and removes the tables of
    ``drop`` (only those tables are touched): checked, a ``ConfigError`` when the file or the result does not read
    as intended, and not written (``.write()``), so a caller that writes another file too checks both first."""
    existed = path.exists()
    text = read_text(path)
    _load(path, text)  # an unreadable file stops here, unchanged
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    pending = dict(trust)
    i = 0
    while i < len(lines):
        m = _HEADER.match(lines[i])
        parts = _dotted(m.group("key").strip()) if m else None
        key = parts[2] if parts and len(parts) == 3 and parts[:2] == ["hooks", "state"] else None
        if key is None or (key not in pending and key not in drop):
            out.append(lines[i])
            i += 1
            continue
        end = i + 1
        while end < len(lines) and not _HEADER.match(lines[end]):
            end += 1
        if key in drop and key not in pending:
            # the table goes with the one blank line before it (the separator an install adds); the blank
            # lines after it stay, unless it opens the file
            kept = end
            while kept > i + 1 and not lines[kept - 1].strip():
                kept -= 1
            if out and not out[-1].strip():
                out.pop()
            i = kept if out else end
            continue
        body = lines[i + 1:end]
        want = f"trusted_hash = {_quote(pending.pop(key))}{newline}"
        at = next((j for j, line in enumerate(body) if _assignment(line)[0] == "trusted_hash"), None)
        if at is None:
            body.insert(0, want)
        else:
            body[at] = want
        out += [lines[i], *body]
        i = end
    if pending:
        if out and not out[-1].endswith("\n"):
            out[-1] += newline
        if out and out[-1].strip():
            out.append(newline)
        for n, (key, value) in enumerate(pending.items()):
            out += ([newline] if n else []) + [f"[hooks.state.{_quote(key)}]{newline}",
                                               f"trusted_hash = {_quote(value)}{newline}"]
    new = "".join(out)
    if new == text:
        return TrustEdit(path, text, text, existed)
    try:
        data = _load(path, new)
        got = read_trust_from(data) if data is not None else None
        broken = got is not None and (any(got.get(k) != v for k, v in trust.items())
                                      or any(k in got for k in set(drop) - set(trust)))
    except ConfigError:  # the file read before the edit, not after it
        broken = True
    if broken:
        raise ConfigError(f"could not update the hook trust entries in Codex settings {path} "
                          "(they are written in a form gitmem does not edit)", hint=_hint(path))
    return TrustEdit(path, text, new, existed)


def read_trust_from(data: dict[str, Any]) -> dict[str, str]:
    """``hooks.state.<key>.trusted_hash`` of parsed config.toml data, by key."""
    states = _table(_table(data, "hooks"), "state")
    return {k: v["trusted_hash"] for k, v in states.items()
            if isinstance(v, dict) and isinstance(v.get("trusted_hash"), str)}


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}
