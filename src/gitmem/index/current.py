"""The search index opened when files alone show it current: no git process, nothing a query does not need.

``gitmem search`` runs often, and a git process costs about an interpreter start. ``open_if_current`` is given
what was read from files (the memory ref's tip by ``ref_files``, the work tree found by ``hook.locate``) and
answers with an open index only when that index says it reflects exactly them: the same ref tip, the same
decision files' signature, every migration applied and every line embedded that this process would embed.
Anything else is None, and the caller takes the full path (``search.find``: git finds the repository, the
index is brought up to date). What the index records about its freshness is kept here (``recorded_state``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from gitmem.recall import INDEX_FILE

REF_TIP_KEY = "ref_tip"                  # meta: the memory ref commit the index reflects ('' when no ref)
BUSY_TIMEOUT_SECONDS = 10.0


def decisions_key(worktree: str) -> str:
    """The meta key of the decision files' signature of one work tree."""
    return f"decisions:{worktree}"


def recorded_state(conn: sqlite3.Connection, worktree: str) -> tuple[str | None, str | None]:
    """(the ref tip, the decision files' signature) the index reflects; None for what it never recorded."""
    from gitmem.index.tables import get_meta

    return get_meta(conn, REF_TIP_KEY), get_meta(conn, decisions_key(worktree)) if worktree else ""


def open_if_current(state: str, worktree: str, tip: str) -> sqlite3.Connection | None:
    """The index in the state folder ``state`` opened, when it reflects the memory ref at ``tip`` ('' for no
    ref) and the decision files of ``worktree`` as they are; else None (nothing was written)."""
    from gitmem.index import embedding, vectors
    from gitmem.index.migrations import pending_migrations
    from gitmem.index.rows import decisions_signature

    path = os.path.join(state, INDEX_FILE)
    if not os.path.isfile(path):
        return None
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        if (not pending_migrations(conn) and recorded_state(conn, worktree) == (tip, decisions_signature(Path(worktree)))
                and vectors.complete(conn)):
            embedding.keep_weights_in(Path(state))   # as ``index_file.connect_index`` does: the weights beside the index
            return conn
    except Exception:  # noqa: BLE001 - unusable here (damaged, locked, newer): the full path decides what to do
        pass
    conn.close()
    return None
