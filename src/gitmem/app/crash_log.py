"""The crash log: an unexpected error's traceback, appended to the ``gitmem.log`` a person attaches to a report.

It goes to the repository's state folder when gitmem is set up there (next to what the detached workers
log), else to ``GITMEM_HOME``: it must be written even when git or the repository is what failed, so
finding the folder never raises and a file that cannot be written is given up silently.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from gitmem.config import LOG_FILE, gitmem_home, state_dir
from gitmem.git import discover


def crash_log_path(start: Path | None = None) -> Path:
    """The log of the repository at ``start`` (default: the current folder) if gitmem is set up there,
    else ``GITMEM_HOME``'s."""
    try:
        folder = state_dir(discover(start).common_dir)
        if folder.is_dir():
            return folder / LOG_FILE
    except Exception:  # noqa: BLE001 - the log path must be found even when git is broken
        pass
    return gitmem_home() / LOG_FILE


def append_crash(exc: BaseException, header: str, start: Path | None = None) -> Path:
    """Append ``--- header`` and the traceback of ``exc`` to the crash log; return that file."""
    path = crash_log_path(start)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {header}\n")
            fh.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    except OSError:
        pass
    return path
