"""File patterns: the one glob dialect of gitmem, for a decision's ``files``, ``--file`` filters and ``gitmem why``.

A pattern follows git's wildmatch as gitignore applies it (as .gitattributes
and CODEOWNERS do too), implemented by ``pathspec``'s ``GitIgnoreSpec``:

- ``*``, ``?`` and ``[...]`` never match ``/``; ``**`` matches any number of
  folders, none included: ``src/**/*.py`` matches ``src/app.py`` and
  ``src/a/b.py``, ``src/*.py`` matches ``src/app.py`` but not ``src/a/b.py``.
- A pattern with no ``/`` (other than a trailing one) matches a name at any
  depth: ``*.py`` and ``README.md`` match ``docs/README.md`` and ``a/b/c.py``.
  A pattern with a ``/`` is anchored at the repository root.
- A pattern that matches a folder matches everything under it (``src``,
  ``docs/*``); one ending in ``/`` matches folders only.

Where an entry names files rather than excluding them, three things differ from
a ``.gitignore`` line: a leading ``!`` or ``#`` is literal, a leading ``./`` is
dropped, and ``\\`` is a folder separator (a path written on Windows), not an
escape. An invalid pattern (``[z-a]``) matches nothing; ``problem`` says why,
for ``gitmem check``.

Paths are relative to the repository root. A path ending in ``/`` is a folder
(``gitmem why src/``): a pattern concerns it when it matches the folder or
names something inside it. An absolute path (a file outside the work tree, as
a session recorded it) is matched by each of its tails, since the root it was
relative to is unknown: ``src/app.py`` matches ``/home/me/project/src/app.py``.
"""

from __future__ import annotations

import functools
import re
import warnings
from typing import Callable


def clean(path: str) -> str:
    """``path`` with ``\\`` as ``/`` and without surrounding blanks or a leading ``./``."""
    p = path.strip().replace("\\", "/")
    while p.startswith("./"):
        p = p[2:]
    return p


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[Callable[[str], bool] | None, str]:
    """(a test for one clean relative path, '') or (None, why the pattern is invalid)."""
    import pathspec  # 25 ms; only readers of decisions and filters need it

    line = "\\" + pattern if pattern.startswith(("!", "#")) else pattern
    try:
        with warnings.catch_warnings():   # re's FutureWarning for "[[]", a valid set holding "["
            warnings.simplefilter("ignore", FutureWarning)
            spec = pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error) as exc:   # pathspec's pattern errors are ValueErrors
        return None, exc.msg if isinstance(exc, re.error) else str(exc)
    if not spec.patterns or getattr(spec.patterns[0], "include", None) is None:
        return None, "not a usable pattern"
    return spec.match_file, ""


def problem(pattern: str) -> str:
    """Why ``pattern`` can match nothing ('' when it is a valid pattern)."""
    pat = clean(pattern)
    return _compile(pat)[1] if pat else "an empty pattern"


def _test(pattern: str, path: str) -> bool:
    test = _compile(pattern)[0]
    return test is not None and bool(test(path))


def _reaches_into(pattern: str, folder: str) -> bool:
    """Can an anchored ``pattern`` match something under ``folder``? Its leading segments match the folder's
    (a ``**`` matches the rest) and it has a segment left for what is inside."""
    segments = pattern.strip("/").split("/")
    for i, name in enumerate(folder.split("/")):
        if segments[i] == "**":
            return True
        if i >= len(segments) - 1 or not _test("/" + segments[i], name):
            return False
    return True


def matches(pattern: str, path: str) -> bool:
    """Does ``pattern`` cover ``path`` (relative to the root; a folder ends in ``/``; see the module docstring)?"""
    pat, p = clean(pattern), clean(path)
    if not pat or not p:
        return False
    if p.startswith("/"):
        if p.rstrip("/") == "":
            return True
        parts = p.strip("/").split("/")
        return any(_test(pat, "/".join(parts[i:])) for i in range(len(parts)))
    if p.endswith("/"):
        folder = p.rstrip("/")
        anchored = "/" in pat.rstrip("/")
        return _test(pat, folder) or _test(pat, folder + "/") or (anchored and _reaches_into(pat, folder))
    return _test(pat, p)
