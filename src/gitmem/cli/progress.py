"""Progress bars for long commands: drawn by rich on stderr when it is a terminal, nothing when piped or --quiet.

The parts below report progress through a plain callback ``(what, done, total)``; only this module knows how
it is shown, so a command's output (stdout) never carries a bar.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, Optional

from gitmem.progress import Progress


@contextlib.contextmanager
def progress_bar(quiet: bool = False) -> Iterator[Optional[Progress]]:
    """A callback that moves a bar on stderr, or None when stderr is not a terminal or ``quiet``."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TaskID, TextColumn, TimeElapsedColumn

    with Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
             console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield update

