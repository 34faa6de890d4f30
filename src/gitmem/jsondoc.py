"""A JSON file that gitmem edits in place, owned by someone else.

Claude Code's settings are the user's files. ``read_json_doc`` parses one and
remembers its layout (indentation, escaping, line ends, final newline, BOM),
so ``JsonDoc.render`` writes it back the way it was: a document whose text
round-trips comes back byte for byte when its data does. Errors name the file
and the line. ``write_atomic`` replaces a file through a temporary file in the
same folder, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        # json.dumps(indent=n) lays out like JSON.stringify(data, null, n), which Claude Code writes.
        text = json.dumps(self.data, indent=self.indent, ensure_ascii=self.ensure_ascii)
        return text.replace("\n", self.newline) + (self.newline if self.final_newline else "")

    def render(self) -> bytes:
        return (_BOM if self.bom else b"") + self.render_text().encode("utf-8")

    def round_trips(self) -> bool:
        """True when rendering the unchanged data gives back the file's text."""
        return not self.text.strip() or self.render_text() == self.text

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


class _Found(Exception):
    pass


def key_line(text: str, path: tuple[str, ...]) -> int | None:
    """The 1-based line of the object key at ``path`` in valid JSON ``text``."""
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

    def value(i: int, at: tuple[Any, ...]) -> int:
        c = text[i]
        if c in "{[":
            close, index = ("}" if c == "{" else "]"), 0
            i = ws(i + 1)
            while text[i] != close:
                sub: tuple[Any, ...] = at + (index,)
                if c == "{":
                    end = string_end(i)
                    sub = at + (json.loads(text[i:end]),)
                    if sub == path:
                        raise _Found(text.count("\n", 0, i) + 1)
                    i = ws(ws(end) + 1)  # past the colon
                i = ws(value(i, sub))
                if text[i] == ",":
                    i = ws(i + 1)
                index += 1
            return i + 1
        if c == '"':
            return string_end(i)
        while i < n and text[i] not in ",]} \t\r\n":
            i += 1
        return i

    try:
        value(ws(0), ())
    except _Found as found:
        return int(found.args[0])
    except (IndexError, ValueError):
        return None
    return None


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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` through a temporary file in the same folder.

    A symlinked file (dotfiles) is written through to its target so the link
    survives, and an existing file keeps its permission bits (mkstemp's 0600
    would otherwise hide it from other readers).
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
