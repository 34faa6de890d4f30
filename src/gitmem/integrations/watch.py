"""``gitmem watch``: file changes in a work tree -> spooled observations, for editors and agents without hooks.

A watchdog observer feeds a pending table (path -> what happened); a pump
(``tick``) writes a burst out once it has been quiet for ``debounce`` seconds
(or ``max_delay`` after it began), flushes the session into the memory ref
after ``idle`` seconds without changes, and starts a new session at the next
change. What a burst adds up to and how it is written is ``watch_events``;
which paths git ignores, ``watch_ignore``; options and status, ``watch_status``.

Invariants:
- Only this module imports watchdog; nothing here runs in a hook.
- Nothing under a ``.git`` folder is recorded (the spool lives there), nor any
  path git ignores (see ``watch_ignore``). Top-level folders git ignores
  (``node_modules``, ``.venv``, ``build``) and nested repositories are not even watched.
- Events are coalesced per file and big bursts summarized (see ``watch_events``);
  a burst is forced out at ``MAX_PENDING`` paths, so memory stays bounded too.
- Lines go to ``<session>.jsonl`` with the hook's protocol (``O_APPEND``,
  ``flock``, inode check; see ``hook.append_line``), so the flush worker may
  take the file at any moment and nothing is lost.
- Decision notes (``.gitmem/decisions/``) are re-indexed as they change and
  not recorded as file changes: they are memory already, and the flush worker
  writes proposed ones, which must not feed the next session.
- ``stop`` writes what is pending, flushes the open session and joins every
  thread it started.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileCreatedEvent, FileDeletedEvent,
                             FileModifiedEvent, FileMovedEvent, FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer

from gitmem import hook
from gitmem.app import flush
from gitmem.capture import spool
from gitmem.config import DECISIONS_DIR, state_dir
from gitmem.errors import GitmemError, NotInitializedError
from gitmem.git import Repo
from gitmem.index import index_file
from gitmem.integrations.watch_events import FileChange, PendingChange, settle, spool_lines, work_tree_path
from gitmem.integrations.watch_ignore import MAX_IGNORE_CACHE, IgnoreRules
from gitmem.integrations.watch_status import WatchOptions, WatchStatus, new_session_id, session_name

logger = logging.getLogger(__name__)

MAX_PENDING = 50_000        # paths held before a burst is forced out
MAX_SESSION_FILES = 100_000  # distinct paths remembered for the status line
_EVENT_TYPES = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
                DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
_DECISIONS = DECISIONS_DIR + "/"
_RULE_FILES = (".gitignore", ".gitmodules")


# -- the watcher ---------------------------------------------------------------------------------------


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: "Watcher") -> None:
        self._watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:  # the observer thread: keep it cheap
        self._watcher._on_event(event)


class _LostEvents(logging.Filter):
    """watchdog reports a kernel queue overflow only by logging it; notice that here."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "overflow" in str(record.msg).lower():
            self.seen = True
        return True


@dataclass(slots=True)
class _Session:
    id: str = ""
    changes: int = 0
    files: set[str] = field(default_factory=set)
    last_change: float = 0.0     # epoch
    last_change_at: float = 0.0  # clock


class Watcher:
    """Watch ``repo``'s work tree and spool its file changes; see the module docstring.

    ``start()`` starts the observer (and, with ``pump=True``, a thread that
    calls ``tick`` several times per debounce); tests pass ``pump=False`` and a
    fake ``clock`` and call ``tick`` themselves.
    """

    def __init__(self, repo: Repo, options: WatchOptions = WatchOptions(), *,
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 flusher: Callable[[Path], "flush.FlushReport"] = flush.run_worker) -> None:
        if repo.root is None:
            raise GitmemError(f"{repo.git_dir} has no work tree to watch")
        if not state_dir(repo.common_dir).is_dir():
            raise NotInitializedError(f"gitmem is not set up in {repo.root}")
        self.repo, self.options = repo, options
        self.root = str(repo.root)
        self._prefix = self.root.rstrip("/") + "/"
        self._clock, self._wall, self._flusher = clock, wall, flusher
        self._lock = threading.Lock()        # pending table and status, shared with the observer thread
        self._work = threading.RLock()       # one writer of bursts, watches and flushes at a time
        self._pending: dict[str, PendingChange] = {}
        self._burst_start = self._last_event = 0.0
        self._top_changed = False
        self._top_moves: dict[str, str] = {}  # top-level folder -> the name it had (a rename seen at the root)
        self._nested: dict[str, bool] = {}  # folder -> holds another repository (its own .git)
        self._tops: dict[str, int] = {}  # top-level folder -> inode at the last look, watched or not
        self._session = _Session()
        self._last_id = ""
        self._flushed: list[str] = []
        self._state, self._error = "watching", ""
        self._ignore: IgnoreRules | None = None
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self._watches: dict[str, object] = {}
        self._handler = _Handler(self)
        self._lost = _LostEvents()
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None
        self._spool = spool.spool_dir(repo.common_dir)

    # -- life cycle ------------------------------------------------------------------------------

    def start(self, pump: bool = True) -> None:
        self._ignore = IgnoreRules(self.repo)
        self._spool.mkdir(parents=True, exist_ok=True)
        logging.getLogger("watchdog.observers.inotify_c").addFilter(self._lost)
        self._observer = Observer()
        try:
            self._observer.schedule(self._handler, self.root, recursive=False, event_filter=_EVENT_TYPES)
            self._sync_watches(scan_new=False)
            self._observer.start()
        except BaseException as exc:
            self._shutdown_observer()  # its inotify thread started with it
            if isinstance(exc, OSError):
                raise GitmemError(f"cannot watch {self.root}: {exc}",
                                  hint="on Linux, raise fs.inotify.max_user_watches (sysctl), or ignore big "
                                       "generated folders in .gitignore.") from exc
            raise
        if pump:
            self._pump = threading.Thread(target=self._run_pump, name="gitmem-watch", daemon=True)
            self._pump.start()

    def stop(self, flush_session: bool = True) -> WatchStatus:
        """Stop watching, write what is pending, flush the open session, join every thread."""
        with self._lock:
            self._state = "stopping"
        self._stop.set()
        if self._pump is not None:
            self._pump.join()
            self._pump = None
        self._shutdown_observer()
        with self._work:
            try:
                self.flush_pending()
            except Exception as exc:  # noqa: BLE001 - still flush what the spool holds
                logger.exception("writing the last changes failed")
                with self._lock:
                    self._error = f"{type(exc).__name__}: {exc}"
            if flush_session and self._session.id:
                self._flush_session()
        with self._lock:
            self._state = "stopped"
        return self.status()

    def _shutdown_observer(self) -> None:
        logging.getLogger("watchdog.observers.inotify_c").removeFilter(self._lost)
        if self._observer is not None:
            self._observer.stop()
            if self._observer.is_alive():
                self._observer.join(timeout=30)
            self._observer = None
            self._watches.clear()

    def _run_pump(self) -> None:
        interval = max(0.02, min(0.25, self.options.debounce / 4))
        while not self._stop.wait(interval):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - keep watching; the status line shows the error
                logger.exception("gitmem watch failed to record changes")
                with self._lock:
                    self._error = f"{type(exc).__name__}: {exc}"

    # -- events (observer thread) --------------------------------------------------------------------

    def _on_event(self, event: FileSystemEvent) -> None:
        src: str | None
        dest: str | None
        if event.is_directory:
            src, dest = os.fsdecode(event.src_path), os.fsdecode(event.dest_path or "")
            if event.event_type in ("created", "deleted", "moved") and self.root in (os.path.dirname(src),
                                                                                      os.path.dirname(dest)):
                with self._lock:
                    self._top_changed = True  # a top-level folder came or went: watches to add or drop
                    if event.event_type == "moved" and os.path.dirname(src) == os.path.dirname(dest) == self.root:
                        self._top_moves[os.path.basename(dest)] = os.path.basename(src)
            return
        src = work_tree_path(self._prefix, event.src_path)
        if event.event_type == "moved":
            dest = work_tree_path(self._prefix, event.dest_path)
            self._note(src, "removed")
            self._note(dest, "appeared", moved_from=src or "")
        elif event.event_type in ("created", "modified", "deleted"):
            self._note(src, {"created": "created", "modified": "changed", "deleted": "removed"}[event.event_type])

    def _note(self, rel: str | None, what: str, moved_from: str = "") -> None:
        if rel is None:
            return
        now, wall = self._clock(), self._wall()
        with self._lock:
            entry = self._pending.get(rel)
            if entry is None:
                if not self._pending:
                    self._burst_start = now
                self._pending[rel] = PendingChange(what, now, wall, moved_from=moved_from)
            else:
                entry.seen, entry.wall, entry.events = now, wall, entry.events + 1
                if moved_from:
                    entry.moved_from = moved_from
            self._last_event = now

    # -- the pump ----------------------------------------------------------------------------------------

    def pending(self) -> set[str]:
        """Paths seen and not written yet (for tests and the status line)."""
        with self._lock:
            return set(self._pending)

    def tick(self) -> None:
        """Write a burst that went quiet, add or drop top-level watches, flush an idle session."""
        with self._work:
            with self._lock:
                top_changed, self._top_changed = self._top_changed, False
                now = self._clock()
                due = bool(self._pending) and (now - self._last_event >= self.options.debounce
                                               or now - self._burst_start >= self.options.max_delay
                                               or len(self._pending) >= MAX_PENDING)
            if top_changed:
                self._sync_watches(scan_new=True)
            if due:
                self.flush_pending()
            with self._lock:
                idle = (self._session.id and not self._pending
                        and self._clock() - self._session.last_change_at >= self.options.idle)
            if idle:
                self._flush_session()

    def flush_pending(self) -> int:
        """Write every pending change now, debounce or not; the number of observations written."""
        with self._work:
            with self._lock:
                burst, self._pending = self._pending, {}
                lost, self._lost.seen = self._lost.seen, False
            return self._write_burst(burst, lost) if burst else 0

    def _write_burst(self, burst: dict[str, PendingChange], lost: bool) -> int:
        assert self._ignore is not None
        decisions = [p for p in burst if p.startswith(_DECISIONS)]
        for p in decisions:
            del burst[p]
        if any(os.path.basename(p) in _RULE_FILES for p in burst):
            self._ignore.invalidate()
            if ".gitignore" in burst:
                self._sync_watches(scan_new=True)  # a top-level folder may be ignored, or no longer
        if ".gitmodules" in burst or len(self._nested) > MAX_IGNORE_CACHE:
            self._nested.clear()
        for p in [p for p in burst if self._in_nested_repo(p)]:
            del burst[p]  # another repository's files (a submodule, a clone inside this one): not ours
        sources = [e.moved_from for e in burst.values() if e.moved_from]
        ignored = self._ignore.ignored(list(burst) + sources)
        changes = settle(burst, ignored, self._prefix, self.options.skip_files)
        written = 0
        if changes:
            written = self._append(changes, lost)
        if decisions:
            try:
                index_file.ensure_index(self.repo)  # the index compares the decision files' signature
            except Exception:  # noqa: BLE001 - the index is a cache; the next search rebuilds it
                logger.exception("re-indexing the decision notes failed")
        return written

    def _in_nested_repo(self, rel: str) -> bool:
        folder = ""
        for part in rel.split("/")[:-1]:
            folder = f"{folder}/{part}" if folder else part
            nested = self._nested.get(folder)
            if nested is None:
                nested = self._nested[folder] = os.path.lexists(f"{self._prefix}{folder}/.git")
            if nested:
                return True
        return False

    # -- spool ------------------------------------------------------------------------------------------

    def _append(self, changes: list[FileChange], lost: bool) -> int:
        with self._lock:
            if not self._session.id:
                self._last_id = new_session_id(self.options.session_name or session_name(None), self._wall(),
                                               self._last_id)
                self._session = _Session(id=self._last_id)
        lines = spool_lines(changes, lost, self._session.id, self.root, self.options.bulk_files)
        hook.append_line(self._spool / (self._session.id + spool.LIVE_SUFFIX), b"".join(lines))
        with self._lock:
            s = self._session
            s.changes += len(changes)
            for c in changes:
                if len(s.files) < MAX_SESSION_FILES:
                    s.files.add(c.path)
            s.last_change = max(c.ts for c in changes)
            s.last_change_at = self._clock()
        return len(lines)

    def _flush_session(self) -> None:
        """Ask for a flush of the open session and run the flush worker here; the next change opens a new one."""
        with self._lock:
            sid = self._session.id
            if not sid:
                return
            state, self._state = self._state, "flushing" if self._state == "watching" else self._state
        try:
            (self._spool / (sid + spool.REQUEST_SUFFIX)).touch()
            report = self._flusher(self.repo.common_dir)
            error = "; ".join(report.errors)
            if not report.ran:
                logger.info("a flush worker is running already; it takes session %s", sid)
        except Exception as exc:  # noqa: BLE001 - the spool keeps the session for the next flush
            logger.exception("flushing session %s failed", sid)
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._state = state
            self._error = f"flushing {sid} failed ({error}); the spool keeps it for `gitmem flush`" if error else ""
            self._flushed.append(sid)
            self._session = _Session()

    # -- top-level watches ---------------------------------------------------------------------------------

    def _sync_watches(self, scan_new: bool) -> None:
        """A recursive watch per top-level folder that git does not ignore (never ``.git``, never a nested repo).

        A folder that appears after the start (a new inode: also one removed and
        made again) is walked once after its watch is added, since files made
        before the watch existed are changes too. A folder that was there and is
        no longer ignored is only watched: its files did not change.
        """
        assert self._ignore is not None and self._observer is not None
        try:
            with os.scandir(self.root) as it:
                found = {e.name: e.inode() for e in it if e.is_dir(follow_symlinks=False) and e.name != ".git"
                         and not os.path.lexists(os.path.join(e.path, ".git"))}
        except OSError:
            found = {}
        new = {name for name, ino in found.items() if self._tops.get(name) != ino}
        self._tops = found
        ignored = self._ignore.ignored(found)
        for name in [n for n in self._watches if n not in found or n in ignored or n in new]:
            try:
                self._observer.unschedule(self._watches.pop(name))
            except (KeyError, OSError):
                pass  # its folder is gone and watchdog dropped the watch already
        for name in sorted(set(found) - ignored - set(self._watches)):
            path = os.path.join(self.root, name)
            try:
                self._watches[name] = self._observer.schedule(self._handler, path, recursive=True,
                                                              event_filter=_EVENT_TYPES)
            except OSError as exc:
                if not scan_new:
                    raise
                logger.warning("cannot watch %s: %s", path, exc)
                continue
            if scan_new and name in new:
                self._scan(name)
        with self._lock:
            self._top_moves.clear()

    def _scan(self, top: str) -> None:
        with self._lock:
            source = self._top_moves.pop(top, "")
        for folder, dirs, files in os.walk(os.path.join(self.root, top)):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in files:
                rel = work_tree_path(self._prefix, os.path.join(folder, name))
                if rel is not None and source:  # the folder was renamed: its files were too
                    self._note(source + rel[len(top):], "removed")
                    self._note(rel, "appeared", moved_from=source + rel[len(top):])
                else:
                    self._note(rel, "created")
            if len(self._pending) >= MAX_PENDING:
                self.flush_pending()

    # -- status -------------------------------------------------------------------------------------------

    def status(self) -> WatchStatus:
        with self._lock:
            s = self._session
            return WatchStatus(root=self.root, state=self._state, session_id=s.id, changes=s.changes,
                               files=len(s.files), last_change=s.last_change, pending=len(self._pending),
                               flushed=tuple(self._flushed), lost_events=self._lost.seen, error=self._error)


def run(repo: Repo, options: WatchOptions, stop: threading.Event,
        on_status: Callable[[WatchStatus], None] | None = None, interval: float = 1.0) -> WatchStatus:
    """Watch until ``stop`` is set, reporting the status every ``interval`` seconds; then flush and stop."""
    watcher = Watcher(repo, options)
    watcher.start()
    try:
        while True:
            if on_status is not None:
                on_status(watcher.status())
            if stop.wait(interval):
                break
        if on_status is not None:
            on_status(dataclasses.replace(watcher.status(), state="stopping"))
    finally:
        final = watcher.stop()
    return final
