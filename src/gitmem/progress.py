"""Progress reports: how a long job tells its front end how far it has got, without knowing how that is shown.

A job takes an optional ``progress`` callback and calls it as ``progress(what, done, total)``; the CLI turns
the calls into a bar on a terminal (``cli/progress.py``) and passes None when piped or ``--quiet``.
"""

from __future__ import annotations

from typing import Callable

Progress = Callable[[str, int, int], None]   # (what, done, total)
