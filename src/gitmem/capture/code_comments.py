"""Comments an edit adds: the lines an Edit, MultiEdit or Write puts into a file that are comments, kept for the summary.

A reason is often written only where the code is (``# bcrypt, not argon2: the
FIPS image ships no argon2 backend``), so the comments an edit adds reach the
summarizer as lines of the observation's ``detail``, each starting with
``MARK``. A comment already in the old text is not added by the edit; a run of
comment lines is one comment; a comment of fewer than ``MIN_WORDS`` words says
nothing worth keeping.

Invariants: bounded (at most ``MAX_COMMENTS`` comments of ``MAX_CHARS``
characters, and only the first ``MAX_SCAN`` characters of a text are looked
at); redacted (``payload_fields.clip``); the caller keeps none for a file whose
contents are never recorded.
"""

from __future__ import annotations

import re

from gitmem.capture.payload_fields import clip

MARK = "comment: "
MAX_COMMENTS = 3
MAX_CHARS = 160
MAX_SCAN = 20_000
MIN_WORDS = 3
# A line comment: "#", "//" or "--" at the start of a line or after a space, then a space ("#!/bin/sh", "--flag"
# and "http://x" are no comments); or a one-line "/* ... */".
_COMMENT = re.compile(r"(?:^|\s)(?:#|//|--)\s+(?P<text>\S.*)$|/\*+\s*(?P<block>\S.*?)\s*\*/")


def _comment_lines(text: str) -> list[tuple[str, bool]]:
    """Each line's comment ('' when it has none) and whether the line is only a comment."""
    out = []
    for line in text[:MAX_SCAN].splitlines():
        match = _COMMENT.search(line)
        comment = (match.group("text") or match.group("block") or "").strip() if match else ""
        out.append((comment, bool(comment) and line.lstrip().startswith(("#", "//", "--", "/*"))))
    return out


def added_comments(old: object, new: object, room: int) -> str:
    """The comments ``new`` adds (comment lines ``old`` has not), as ``detail`` lines (``MARK`` + text) of
    ``room`` characters in all, or ''. A run of added comment lines is one comment; one after code stands alone."""
    if not isinstance(new, str):
        return ""
    before = {c for c, _ in _comment_lines(old)} if isinstance(old, str) else set()
    found: list[str] = []
    run: list[str] = []
    for comment, whole_line in [*_comment_lines(new), ("", False)]:
        added = bool(comment) and comment not in before
        if run and not (added and whole_line):
            found.append(" ".join(run))
            run = []
        if added and whole_line:
            run.append(comment)
        elif added:
            found.append(comment)
    lines: list[str] = []
    for comment in [c for c in dict.fromkeys(found) if len(c.split()) >= MIN_WORDS][:MAX_COMMENTS]:
        line = MARK + clip(comment, min(MAX_CHARS, room - len(MARK) - 1), oneline=True)
        if len(line) <= len(MARK) + 1:
            break
        lines.append(line)
        room -= len(line) + 1
    return "\n".join(lines)


def comments_in(detail: str) -> list[str]:
    """The comments an observation's ``detail`` holds (what ``added_comments`` wrote there)."""
    return [line[len(MARK):].strip() for line in (detail or "").splitlines() if line.startswith(MARK)]
