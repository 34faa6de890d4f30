"""One overall deadline for a blocking call whose own timeouts are per operation.

HTTP clients time out each read: a server that sends one byte every few
seconds never trips a read timeout and can hold a caller (and the flush lock
it holds) for as long as it likes. ``call_before`` runs the call in a daemon
thread and stops waiting at the deadline, whatever the library underneath.

Invariant: the caller gets control back by the deadline; ``abandon`` (for
example closing the HTTP client, which closes its sockets) runs then, so the
abandoned thread ends at its next read instead of when the server pleases.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DeadlinePassed(Exception):
    """The call had not returned when the deadline came; it was abandoned."""


def call_before(fn: Callable[[], T], deadline: float, abandon: Callable[[], object] | None = None) -> T:
    """``fn()``'s result or exception, or DeadlinePassed at ``deadline`` (a ``time.monotonic()`` value)."""
    outcome: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread as is
            outcome["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=run, name="gitmem-deadline", daemon=True)
    worker.start()
    if not done.wait(max(deadline - time.monotonic(), 0.0)):
        if abandon is not None:
            try:
                abandon()
            except Exception:  # noqa: BLE001 - the caller is moving on either way
                logger.debug("abandoning a call past its deadline failed", exc_info=True)
        raise DeadlinePassed()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
