"""``python -m gitmem``: the same as the ``gitmem`` command."""

from gitmem.cli.app import main

raise SystemExit(main())
