"""Progress reports: how a long job tells its front end how far it has got, without knowing how that is shown.

A job takes an optional ``progress`` callback and calls it as ``progress(what, done, total)``; the CLI turns
the calls into a bar on a terminal (``cli/progress.py``) and passes None when piped or ``--quiet``.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TypeVar

Progress = Callable[[str, int, int], None]   # (what, done, total)

T = TypeVar("T")
EVERY = 100   # items between two reports of ``counted`` (a report per item would cost more than some items)


def counted(items: Iterable[T], progress: Progress | None, what: str, total: int) -> Iterator[T]:
    """``items`` unchanged, reporting ``what`` done of ``total`` every ``EVERY`` items and after the last one."""
    if progress is None:
        yield from items
        return
    done = 0
    progress(what, 0, total)
    for item in items:
        yield item
        done += 1
        if done % EVERY == 0:
            progress(what, done, total)
    progress(what, done, total)
