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
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from gitmem.errors import ExitCode

VALUE_OPTIONS = {"--type": "types", "--author": "author", "--branch": "branch", "--file": "file",
                 "--since": "since", "--limit": "limit", "-n": "limit"}
FLAGS = {"--lexical": "lexical", "--json": "as_json"}
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
    from gitmem.cli.repository import read_repo
    from gitmem.index import search

    found = search.find(read_repo(), " ".join(params["words"]), types=params["types"] or None,
                        author=params.get("author"), branch=params.get("branch"), file=params.get("file"),
                        since=params.get("since"), limit=params["limit"], lexical=params["lexical"])
    if params["as_json"]:
        return json.dumps(fence.scrub({"hybrid": found.hybrid, "results": [h.to_dict() for h in found.hits]}),
                          indent=2, ensure_ascii=False)
    if not found.hits:
        return "nothing found."
    from gitmem.cli import render

    return render.search_text(found.hits)
