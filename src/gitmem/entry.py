"""The ``gitmem`` console script.

``gitmem hook <Event> [<agent>]`` is what a committed, portable hook command runs on
every tool call, so it goes straight to ``hook.main`` without the CLI
framework (importing typer, with rich and pydantic, costs about 14 starts of
the interpreter here). ``gitmem search`` in its plain forms is answered
without it too (``cli.quick_search``). Everything else is the typer app in
``cli.app``.
"""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv
    if len(argv) in (3, 4) and argv[1] == "hook" and not any(a.startswith("-") for a in argv[2:]):
        from gitmem import hook

        return hook.main(argv[1:])
    if len(argv) >= 2 and argv[1] == "search":
        from gitmem.cli import quick_search

        code = quick_search.run(argv[2:])
        if code is not None:
            return code
    from gitmem.cli.app import main as cli_main

    return cli_main()
