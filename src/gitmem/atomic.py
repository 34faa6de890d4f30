"""Replacing a file whole: a reader sees the old content or the new, never half of it.

Every file gitmem rewrites (settings, the brief, state and status files, the
pre-push hook) goes through ``write_atomic``: the bytes go to a temporary file
in the same folder, are synced, and ``os.replace`` puts it in place.

Invariants:
- A failed write (a full disk) leaves the old file as it was and no temporary
  file behind.
- A symlinked file (dotfiles) is written through to its target, so the link
  survives; an existing file keeps its permission bits unless ``mode`` is
  given (mkstemp's 0600 would otherwise hide it from other readers).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` through a temporary file in the same folder (made if missing)."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
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
