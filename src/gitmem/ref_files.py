"""Refs read from the files git keeps them in (a loose file in the common dir, a line of ``packed-refs``), no git.

For the readers that run often (``gitmem search``): a git process costs about as much as the interpreter's
start. ``hook.read_head`` reads HEAD the same way (the hook cannot import this module).

Invariants:
- Every answer is the one git would give, or None ("cannot tell here"): a symbolic ref, a file that is not
  one object id, the reftable backend, a file too large. Callers then ask git (``gitmem.git``).
- Read-only, standard library only (``os``).
"""

from __future__ import annotations

import os

MAX_PACKED_REFS_BYTES = 16 << 20
_HEX = frozenset("0123456789abcdef")


def _object_id(text: str) -> str | None:
    return text if len(text) in (40, 64) and all(c in _HEX for c in text) else None


def _packed_refs(common: str) -> list[tuple[str, str]] | None:
    """``(name, id)`` of every line of ``packed-refs`` ([] when there is none), or None when it cannot be read."""
    try:
        with open(os.path.join(common, "packed-refs"), "rb") as fh:
            data = fh.read(MAX_PACKED_REFS_BYTES + 1)
    except FileNotFoundError:
        return []
    except OSError:
        return None
    if len(data) > MAX_PACKED_REFS_BYTES:
        return None
    out = []
    for line in data.decode("utf-8", "surrogateescape").splitlines():
        if not line or line[0] in "#^":
            continue
        oid, _, name = line.partition(" ")
        if _object_id(oid) is None:
            return None
        out.append((name, oid))
    return out


def _loose(path: str) -> str | None:
    """The id a loose ref file holds; None when it is not one id (a symbolic ref, garbage)."""
    with open(path, "rb") as fh:
        return _object_id(fh.read(200).decode("ascii", "replace").strip())


def _known_backend(common: str) -> bool:
    return not os.path.isdir(os.path.join(common, "reftable"))


def read_ref(common: str, name: str) -> str | None:
    """The id ref ``name`` points at, '' when it does not exist, or None when the files cannot tell."""
    if not name.startswith("refs/") or ".." in name or not _known_backend(common):
        return None
    try:
        found = _loose(os.path.join(common, name))
    except (FileNotFoundError, NotADirectoryError):
        packed = _packed_refs(common)
        if packed is None:
            return None
        return dict(packed).get(name, "")
    except OSError:
        return None
    return found


def refs_under(common: str, prefix: str) -> dict[str, str] | None:
    """``{name: id}`` of every ref under ``prefix`` (ending in ``/``), sorted by name as ``for-each-ref`` lists
    them; None when the files cannot tell."""
    if not prefix.startswith("refs/") or not prefix.endswith("/") or not _known_backend(common):
        return None
    packed = _packed_refs(common)
    if packed is None:
        return None
    found = {name: oid for name, oid in packed if name.startswith(prefix)}
    top = os.path.join(common, prefix)
    for folder, dirs, files in os.walk(top, onerror=None):
        dirs.sort()
        for file in files:
            if file.endswith(".lock"):
                continue   # git's lock beside a ref being written: never a ref name
            name = prefix + os.path.relpath(os.path.join(folder, file), top).replace(os.sep, "/")
            try:
                oid = _loose(os.path.join(folder, file))
            except FileNotFoundError:
                continue   # deleted (or packed) meanwhile: packed-refs was read first
            except OSError:
                return None
            if oid is None:
                return None
            found[name] = oid
    return {name: found[name] for name in sorted(found, key=lambda n: n.encode("utf-8", "surrogateescape"))}
