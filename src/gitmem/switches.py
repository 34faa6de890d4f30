"""Process switches: environment variables that change how one gitmem process runs, not what it remembers.

They share the ``GITMEM_`` prefix with the settings overrides (``GITMEM_<KEY>``
for a key of ``.gitmem/config.yaml``, read by ``config.load_config``), so no
switch is named like a setting (tests/test_switches.py checks it). Every switch
is named in ``SWITCHES`` with its meaning (the README's "Environment variables"
lists the same) and read through this module, except in the per-tool-call hook
(``hook.py``), which imports no gitmem module and reads its switches with the
standard library: the names it reads are the ones in this table.
"""

from __future__ import annotations

import os
import sys
from typing import Mapping

DISABLE = "GITMEM_DISABLE"
PYTHON = "GITMEM_PYTHON"
NO_WORKER = "GITMEM_NO_WORKER"
MERGE_ENGINE = "GITMEM_MERGE_ENGINE"
SYNC = "GITMEM_SYNC"
HOME = "GITMEM_HOME"

SWITCHES: dict[str, str] = {
    DISABLE: "`1`: the hooks record nothing and the pre-push hook starts no sync (gitmem sets it for its own "
             "`claude` summarizer run, so gitmem never records itself).",
    PYTHON: "the interpreter that runs the detached workers (flush, brief, index build); default: the one "
            "running gitmem.",
    NO_WORKER: "`1`: a session's end leaves its flush request in the spool but starts no flush worker "
               "(`gitmem flush` or the next worker takes it).",
    MERGE_ENGINE: "`merge-tree` or `union`: how memory from a remote is merged; default: `merge-tree` where git "
                  "has `merge-tree --write-tree` (2.38+), else `union`.",
    SYNC: "set by gitmem on its own fetches and pushes, so the pre-push hook does not start a second sync.",
    HOME: "user-level state (logs outside a repository); default: `$XDG_STATE_HOME/gitmem` or "
          "`~/.local/state/gitmem`.",
}


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def worker_python(environ: Mapping[str, str] | None = None) -> str:
    """The interpreter to start a detached worker with (``GITMEM_PYTHON``, else this one)."""
    return _env(environ).get(PYTHON) or sys.executable


def merge_engine(environ: Mapping[str, str] | None = None) -> str | None:
    """The merge engine ``GITMEM_MERGE_ENGINE`` asks for, or None (sync then picks by git's version)."""
    return _env(environ).get(MERGE_ENGINE) or None


def home(environ: Mapping[str, str] | None = None) -> str | None:
    """``GITMEM_HOME`` when set and not empty."""
    return _env(environ).get(HOME) or None
