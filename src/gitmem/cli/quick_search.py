"""``gitmem search`` without the CLI framework: its plain forms parsed here, the same core call, the same output.

Importing typer (with click and rich) costs several interpreter starts, and an assistant runs ``gitmem search``
often. ``entry.main`` hands ``search`` argument lists here first.

Invariants:
- ``run`` answers only argument lists it reads whole: words, and ``gitmem search``'s options in the spellings
  ``--opt value``, ``--opt=value`` and ``-n value``. For anything else (``--help``, an unknown option, a missing
  or bad value) it returns None, having printed nothing, and the typer app runs instead: help, usage errors and
  their messages stay the CLI's.
- An error also returns None before anything is printed; the typer app then runs the same search and renders
  the error in its one place (``cli.app.error_handler``). A search only reads memory (and brings its cache, the
  index, up to date), so running it twice changes nothing.
- Output and exit code are the typer command's (``memory_commands.search_cmd``), byte for byte; tests compare.
- When files alone show the index current (``index.current``: the repository found as the hook finds it, the
  memory ref's tip and teammates' fetched tips read from the ref files), the query runs on it with no git
  process and no YAML, records or git modules imported; otherwise the core call (``search.find``) runs.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from gitmem.errors import ExitCode

if TYPE_CHECKING:
    from gitmem.index.query import SearchHit

VALUE_OPTIONS = {"--type": "types", "--author": "author", "--branch": "branch", "--file": "file",
                 "--since": "since", "--limit": "limit", "-n": "limit"}
FLAGS = {"--lexical": "lexical", "--json": "as_json"}
# Variables that change where git finds the repository: with any of them set, git finds it (the full path).
DISCOVERY_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES",
                 "GIT_DISCOVERY_ACROSS_FILESYSTEM")
LOG_FORMAT = "gitmem: %(levelname)s: %(name)s: %(message)s"   # the CLI's (``cli.app``), for the same stderr


def parse(args: list[str]) -> dict[str, Any] | None:
    """``gitmem search``'s arguments (after ``search``) as the command's parameters, or None when unsure."""
    got: dict[str, Any] = {"words": [], "types": [], "limit": 20, "lexical": False, "as_json": False}
    i, only_words = 0, False
    while i < len(args):
        arg = args[i]
        i += 1
        if only_words or not arg.startswith("-") or arg == "-":
            got["words"].append(arg)
            continue
        if arg == "--":
            only_words = True
            continue
        name, eq, value = arg.partition("=")
        if name in FLAGS and not eq:
            got[FLAGS[name]] = True
            continue
        if name not in VALUE_OPTIONS or (eq and name == "-n"):
            return None
        if not eq:
            if i >= len(args):
                return None
            value = args[i]
            i += 1
        key = VALUE_OPTIONS[name]
        if key == "types":
            got["types"].append(value)
        elif key == "limit":
            if not value.isdigit() or int(value) < 1:   # typer's own message for a bad number
                return None
            got["limit"] = int(value)
        else:
            got[key] = value
    return got


def run(args: list[str]) -> int | None:
    """Answer ``gitmem search <args>``: the exit code, or None when the typer app must (nothing printed)."""
    params = parse(args)
    if params is None:
        return None
    logging.basicConfig(level=logging.WARNING, format=LOG_FORMAT, stream=sys.stderr)
    try:
        text = _answer(params)
    except KeyboardInterrupt:  # as the typer app says it (cli.app.main), without a traceback
        sys.stderr.write("gitmem: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except Exception:  # noqa: BLE001 - the typer app runs the search again and renders the error in its one place
        return None
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0


def _answer(params: dict[str, Any]) -> str:
    from gitmem import fence

    found = _from_current_index(params)
    if found is None:
        from gitmem.cli.repository import read_repo
        from gitmem.index import search

        answer = search.find(read_repo(), " ".join(params["words"]), types=params["types"] or None,
                             author=params.get("author"), branch=params.get("branch"), file=params.get("file"),
                             since=params.get("since"), limit=params["limit"], lexical=params["lexical"])
        found = answer.hits, answer.hybrid
    hits, hybrid = found
    if params["as_json"]:
        import json

        return json.dumps(fence.scrub({"hybrid": hybrid, "results": [h.to_dict() for h in hits]}),
                          indent=2, ensure_ascii=False)
    if not hits:
        return "nothing found."
    from gitmem.cli import render

    return render.search_text(hits)


def _from_current_index(params: dict[str, Any]) -> tuple[list[SearchHit], bool] | None:
    """(hits, hybrid) from an index that files alone show current (no git process: ``index.current``); None
    when they cannot tell, or it is not: the full path (``search.find``) then finds, merges and updates."""
    import os

    from gitmem import hook, ref_files
    from gitmem.config import MEMORY_REF
    from gitmem.index import current
    from gitmem.team.fetched_tips import moved_since_merge

    if any(name in os.environ for name in DISCOVERY_ENV):
        return None
    located = hook.locate(os.getcwdb())
    if located is None or located[2] is None:
        return None
    common, root = os.fsdecode(located[0]), os.path.realpath(os.fsdecode(located[2]))
    try:
        if os.stat(common).st_uid != os.geteuid():
            return None   # git may refuse it (safe.directory): let git say so
    except OSError:
        return None
    state = os.path.join(common, os.fsdecode(hook.STATE))
    tip = ref_files.read_ref(common, MEMORY_REF)
    if tip is None or moved_since_merge(common, state) is not False:
        return None
    conn = current.open_if_current(state, root, tip)
    if conn is None:
        return None
    import sqlite3

    from gitmem.index import hybrid

    try:
        return hybrid.query(conn, " ".join(params["words"]), types=params["types"] or None,
                            author=params.get("author"), branch=params.get("branch"), file=params.get("file"),
                            since=params.get("since"), limit=params["limit"], lexical=params["lexical"],
                            worktree=root)
    except sqlite3.DatabaseError:
        return None   # damaged past what opening checks: the full path rebuilds it
    finally:
        conn.close()
