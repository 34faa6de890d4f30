"""Commits as ``git fast-import`` text: the one writer of fast-import streams, and of the paths in them.

Invariants:
- A stream holds one commit on one ref, marked ``:1``, and ends with ``get-mark :1`` and ``done``: fast-import
  prints the id of the commit it made, and a stream cut short is refused rather than half applied.
- A path is written as is, or C-quoted when it holds a space, a quote, a backslash, a newline or a tab (or
  starts with a quote), as fast-import reads it; no other code quotes paths for fast-import.
- ``from <parent>`` makes the ref update a compare-and-swap (see ``Repo.fast_import``).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

# One change to a path: (path, mode, content). Content is the new bytes (written inline), the id of an
# existing blob, or None to delete the path.
Change = tuple[str, str, "bytes | str | None"]


def quote_path(path: str) -> str:
    """``path`` as fast-import reads it: bare, or C-quoted when it must be."""
    if any(c in path for c in ' "\\\n\t') or path.startswith('"'):
        escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return f'"{escaped}"'
    return path


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def commit_stream(ref: str, parents: Sequence[str], author: str, committer: str, message: str,
                  changes: Iterable[Change] = (), *, root: str | None = None,
                  notes: Mapping[str, bytes] | None = None) -> bytes:
    """A fast-import stream for one commit on ``ref``.

    ``parents[0]`` is the ``from`` (the ref's old tip), the rest are ``merge`` parents. ``root`` replaces the
    whole tree first (a tree id); ``changes`` then apply in order; ``notes`` (``{commit: text}``) are git
    notes written inline.
    """
    parts = [f"commit {ref}\nmark :1\n".encode(), f"author {author}\n".encode(), f"committer {committer}\n".encode(),
             _data(message.encode())]
    if parents:
        parts.append(f"from {parents[0]}\n".encode())
    parts += [f"merge {p}\n".encode() for p in parents[1:]]
    if root:
        parts.append(f'M 040000 {root} ""\n'.encode())
    for path, mode, content in changes:
        if content is None:
            parts.append(f"D {quote_path(path)}\n".encode())
        elif isinstance(content, bytes):
            parts.append(f"M {mode} inline {quote_path(path)}\n".encode())
            parts.append(_data(content))
        else:
            parts.append(f"M {mode} {content} {quote_path(path)}\n".encode())
    for commit, content in (notes or {}).items():
        parts.append(f"N inline {commit}\n".encode())
        parts.append(_data(content))
    parts.append(b"\nget-mark :1\ndone\n")
    return b"".join(parts)
