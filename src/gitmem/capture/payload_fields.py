"""A hook payload's fields read defensively: wrong types count as absent, text is cleaned, redacted and bounded.

Claude Code's payloads are input from outside: any field may be missing, of
another type, huge, or full of terminal escapes. Everything an observation
carries is read through here.

Invariants:
- Nothing here raises on bad input: a field of the wrong type reads as empty.
- ``clip`` redacts before it cuts or joins lines (a secret that straddles the
  cut is still recognised) and looks at a bounded window of the value only.
- ``local_path`` is the one field reader that does not redact: a path an agent
  names for its own files is only opened or looked up on this machine, never
  stored or sent, and a redacted path names no file.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any

from gitmem.redact import redact_text

MAX_TEXT = 300
MAX_DETAIL = 500
MAX_PATH = 500
MAX_LOCAL_PATH = 4096   # PATH_MAX on Linux

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _clean(text: str, oneline: bool) -> str:
    text = _ANSI.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _CONTROL.sub("", text)
    if any("\ud800" <= c <= "\udfff" for c in text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    if oneline:
        return " ".join(text.split())
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def clip(value: Any, limit: int, *, tail: bool = False, oneline: bool = False) -> str:
    """A string field cleaned and bounded to ``limit`` characters ("…" marks a cut).

    Work is bounded too: only a window of about twice the limit is looked at.
    ``tail`` keeps the end (where a command prints its error).
    """
    if not isinstance(value, str) or limit <= 0:
        return ""
    window = limit * 2 + 64
    cut = len(value) > window
    # Redact the whole window before cutting, so a secret that straddles the cut is still recognised,
    # and before joining lines, so a `key: value` line of YAML or INI still starts a line.
    text = redact_text(_clean(value[-window:] if tail else value[:window], False)).text
    if oneline:
        text = " ".join(text.split())
    if not cut and len(text) <= limit:
        return text
    keep = limit - 1
    if tail:
        return "…" + (text[len(text) - keep:].lstrip() if keep else "")
    return text[:keep].rstrip() + "…"


def local_path(value: Any) -> str:
    """A path an agent names for its own files on this machine (``transcript_path``, ``cwd``), as given, or "".

    Such a path is opened or looked up here (after the reader's own checks: its folder, no symlinks) and never
    written to the memory ref or sent to a summarizer, so it is not redacted: the entropy rule would take
    Codex's ``rollout-<time>-<uuid>.jsonl`` for a token and leave a path to nothing. Only an absolute path
    without control characters, at most ``MAX_LOCAL_PATH`` long, counts; anything else reads as "".
    """
    if not isinstance(value, str) or not value.startswith("/") or len(value) > MAX_LOCAL_PATH:
        return ""
    return "" if _CONTROL.search(value) or "\n" in value or "\r" in value else value


def as_int(value: Any) -> int | None:
    """An int field, or None (a bool is no number here)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_dict(value: Any) -> dict:
    """A dict field, or {} when it is anything else."""
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str:
    """A string field, or "" when it is anything else."""
    return value if isinstance(value, str) else ""


def plural(n: int, word: str, many: str = "") -> str:
    """``1 line``, ``2,048 lines``: a count and its noun."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {many or word + 's'}"


def rel_path(path: Any, root: str | None, cwd: str = "") -> str:
    """A payload path made relative to ``root`` when inside it; otherwise absolute (or as given)."""
    if not isinstance(path, str) or not path or len(path) > 4096:
        return ""
    path = _clean(path, oneline=False).replace("\n", " ")
    if not path:
        return ""
    if not path.startswith("/") and cwd.startswith("/"):
        path = posixpath.join(cwd, path)
    path = posixpath.normpath(path)
    if root and root.startswith("/") and path.startswith("/"):
        base = posixpath.normpath(root)
        if path == base:
            path = "."
        elif path.startswith(base.rstrip("/") + "/"):
            path = path[len(base.rstrip("/")) + 1:]
    return clip(path, MAX_PATH, oneline=True)
