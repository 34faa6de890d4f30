"""``python -m gitmem``: the same as the ``gitmem`` command."""

from gitmem.cli.commands import main

raise SystemExit(main())
