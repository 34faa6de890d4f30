"""``gitmem watch``: file changes in a work tree -> spooled observations, for editors and agents without hooks.

A watchdog observer feeds a pending table (path -> what happened); a pump
(``tick``) writes a burst out once it has been quiet for ``debounce`` seconds
(or ``max_delay`` after it began), flushes the session into the memory ref
after ``idle`` seconds without changes, and starts a new session at the next
change.

Invariants:
- Only this module imports watchdog; nothing here runs in a hook.
- Nothing under a ``.git`` folder is recorded (the spool lives there), nor any
  path git ignores (``.gitignore``, ``info/exclude``, ``core.excludesFile``;
  tracked files are never ignored). One ``git check-ignore --stdin`` answers
  for every path of a burst that is not in the cache, never one process per
  event. Top-level folders git ignores (``node_modules``, ``.venv``, ``build``)
  and nested repositories are not even watched.
- Events are coalesced per file: a file written fifty times in a burst is one
  observation, and a file created and removed in one burst (an editor's
  temporary file) is none.
- A burst of more than ``bulk_files`` files (a checkout, a build) is one
  summarized observation with counts per top folder; a burst is forced out at
  ``MAX_PENDING`` paths, so memory stays bounded too.
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
import json
import logging
import os
import re
import socket
import stat
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

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

logger = logging.getLogger(__name__)

MAX_PENDING = 50_000        # paths held before a burst is forced out
MAX_IGNORE_CACHE = 200_000
MAX_IGNORE_RETRIES = 32    # extra git processes when a batch fails, to find the path git refuses
MAX_SESSION_FILES = 100_000  # distinct paths remembered for the status line
MAX_FOLDERS = 12            # per summarized observation
MAX_SAMPLE = 10
EVENT, BULK_EVENT = "FileChange", "FileChanges"  # capture.py turns these into observations
_EVENT_TYPES = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
                DirCreatedEvent, DirDeletedEvent, DirMovedEvent]
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")
_DECISIONS = DECISIONS_DIR + "/"
_RULE_FILES = (".gitignore", ".gitmodules")


# -- options, status, session ids -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WatchOptions:
    session_name: str = ""     # watch-<name>-<start time>; default: the host name
    debounce: float = 1.0      # seconds of quiet that end a burst
    max_delay: float = 10.0    # a burst that never goes quiet is written after this long
    idle: float = 600.0        # seconds without changes before the session is flushed
    bulk_files: int = 100      # more files than this in one burst: one summarized observation
    skip_files: tuple[tuple[int, int], ...] = ()  # (st_dev, st_ino) never recorded: our own output files

    def __post_init__(self) -> None:
        if self.debounce <= 0 or self.max_delay < self.debounce or self.idle <= 0 or self.bulk_files < 1:
            raise ValueError("watch needs debounce > 0, max_delay >= debounce, idle > 0 and bulk_files >= 1")


@dataclass(frozen=True, slots=True)
class WatchStatus:
    root: str
    state: str = "watching"    # watching | flushing | stopping | stopped
    session_id: str = ""       # the open session ("" between sessions)
    changes: int = 0           # changed files recorded in the open session, burst by burst
    files: int = 0             # distinct files among them
    last_change: float = 0.0   # epoch seconds of the last recorded change
    pending: int = 0           # paths seen but not yet written
    flushed: tuple[str, ...] = ()  # sessions flushed into memory, oldest first
    lost_events: bool = False  # the kernel dropped events at least once (counts are a lower bound)
    error: str = ""            # the last failure (writing the spool, flushing)


def session_name(name: str | None) -> str:
    """``name`` checked, or this machine's host name made safe for a session id."""
    if name:
        if not _NAME.fullmatch(name) or ".." in name:
            raise GitmemError(f"session name {name!r} is not 1-64 letters, digits, '.', '_' or '-'",
                              hint="pick a name such as `editor` or `build-box`.")
        return name
    host = re.sub(r"[^A-Za-z0-9_-]+", "-", socket.gethostname().split(".")[0]).strip("-")[:40]
    return host or "host"


def new_session_id(name: str, epoch: float, previous: str = "") -> str:
    """``watch-<name>-<UTC start time>``; a second session started within the same second gets ``-2``, ``-3``..."""
    base = f"watch-{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(epoch))}"
    if previous != base and not previous.startswith(base + "-"):
        return base
    tail = previous[len(base) + 1:]
    return f"{base}-{int(tail) + 1 if tail.isdigit() else 2}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min" if seconds < 5400 else f"{seconds // 3600} h"


def describe(status: WatchStatus, now: float | None = None, width: int | None = None) -> str:
    """The one-line status; ``now`` (epoch) adds how long ago the last change was.

    Longer than ``width``, the line names the folder instead of its path, and is cut.
    """
    line = _describe(status, now)
    if width is not None and len(line) > width:
        line = _describe(dataclasses.replace(status, root=os.path.basename(status.root) or status.root), now)
        line = line if len(line) <= width else line[:max(width - 1, 0)] + "…"
    return line


def _describe(status: WatchStatus, now: float | None) -> str:
    line = f"watching {status.root}"
    if status.state == "stopping":
        line = ("stopping: flushing the session into memory" if status.session_id or status.pending
                else "stopping")
    elif status.state == "stopped":
        line = (f"stopped: session {status.flushed[-1]} flushed into memory" if status.flushed
                else "stopped: nothing to flush")
    elif status.state == "flushing":
        line += f": flushing session {status.session_id} into memory"
    elif status.session_id:
        line += f" (session {status.session_id}): {_plural(status.changes, 'change')} in " \
                f"{_plural(status.files, 'file')}"
        if now is not None and status.last_change:
            line += f", last {_ago(now - status.last_change)} ago"
    elif status.flushed:
        line += f": session {status.flushed[-1]} is in memory; waiting for changes"
    else:
        line += ": waiting for changes"
    if status.lost_events:
        line += " (the kernel dropped events: counts are a lower bound)"
    if status.error:
        line += f"; error: {status.error}"
    return line


# -- which paths git ignores ---------------------------------------------------------------------------


class IgnoreRules:
    """Which work-tree paths git ignores: asked in batches of one ``git check-ignore`` and cached.

    The cache is dropped when a ``.gitignore`` changes (the watcher calls
    ``invalidate``) or when ``info/exclude`` or the global excludes file changes
    (their mtimes are checked on every call).
    """

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._cache: dict[str, bool] = {}
        self.queries = 0  # git processes run: one per batch of unknown paths
        global_file = repo.config_get("core.excludesFile") or os.path.join(
            os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config"), "git", "ignore")
        self._sources = (repo.common_dir / "info" / "exclude", Path(os.path.expanduser(global_file)))
        self._stamp = self._stamps()

    def _stamps(self) -> tuple[int, ...]:
        out = []
        for path in self._sources:
            try:
                out.append(path.stat().st_mtime_ns)
            except OSError:
                out.append(0)
        return tuple(out)

    def invalidate(self) -> None:
        self._cache.clear()

    def ignored(self, paths: Iterable[str]) -> set[str]:
        """The paths (relative to the work tree, ``/``-separated) that git ignores."""
        paths = list(dict.fromkeys(paths))
        stamp = self._stamps()
        if stamp != self._stamp:
            self._stamp = stamp
            self.invalidate()
        unknown = [p for p in paths if p not in self._cache]
        if unknown:
            if len(self._cache) + len(unknown) > MAX_IGNORE_CACHE:
                self._cache.clear()
            self._ask(unknown)
        return {p for p in paths if self._cache.get(p, True)}

    def _ask(self, paths: list[str], budget: list[int] | None = None) -> None:
        budget = [MAX_IGNORE_RETRIES] if budget is None else budget
        data = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)
        proc = self._repo.git_bytes("check-ignore", "--stdin", "-z", "--non-matching", "-v", input=data, check=False)
        self.queries += 1
        if proc.returncode in (0, 1):  # 0: some ignored, 1: none
            fields = proc.stdout.split(b"\0")
            for i in range(0, len(fields) - 3, 4):
                pattern, path = fields[i + 2], fields[i + 3].decode("utf-8", "surrogateescape")
                self._cache[path] = bool(pattern) and not pattern.startswith(b"!")  # "!x" re-includes
            return
        if len(paths) > 1 and budget[0] >= 2:
            # One path git refuses (beyond a symlink, inside a submodule) fails the whole batch: halve it.
            budget[0] -= 2
            half = len(paths) // 2
            self._ask(paths[:half], budget)
            self._ask(paths[half:], budget)
            return
        logger.warning("git check-ignore refused %s (%s); not recording %s",
                       paths[0] if len(paths) == 1 else f"{len(paths)} paths",
                       proc.stderr.decode("utf-8", "replace").strip()[:300], "it" if len(paths) == 1 else "them")
        for path in paths:
            self._cache[path] = True


# -- the watcher ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Pending:
    first: str          # created | appeared (moved in) | changed | removed
    seen: float         # clock time of the last event
    wall: float         # epoch time of the last event
    events: int = 1
    moved_from: str = ""


@dataclass(frozen=True, slots=True)
class FileChange:
    path: str           # relative to the work tree
    change: str         # created | modified | deleted | renamed
    ts: float
    moved_from: str = ""


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
        self._pending: dict[str, _Pending] = {}
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

    def _rel(self, path: str | bytes) -> str | None:
        path = os.fsdecode(path)
        if not path.startswith(self._prefix):
            return None
        rel = path[len(self._prefix):]
        if not rel or rel == ".git" or rel.startswith(".git/") or "/.git/" in rel or rel.endswith("/.git"):
            return None
        return rel

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
        src = self._rel(event.src_path)
        if event.event_type == "moved":
            dest = self._rel(event.dest_path)
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
                self._pending[rel] = _Pending(what, now, wall, moved_from=moved_from)
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

    def _write_burst(self, burst: dict[str, _Pending], lost: bool) -> int:
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
        changes = self._settle(burst, ignored)
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

    def _settle(self, burst: dict[str, _Pending], ignored: set[str]) -> list[FileChange]:
        """What each path's events add up to, judged against the disk now."""
        out: list[FileChange] = []
        renamed_from: set[str] = set()
        for rel, e in burst.items():
            if rel in ignored:
                continue
            try:
                st = os.lstat(self._prefix + rel)
            except OSError:
                if e.first not in ("created", "appeared"):
                    out.append(FileChange(rel, "deleted", e.wall))
                continue  # created and gone again within the burst: a temporary file
            if stat.S_ISDIR(st.st_mode) or (st.st_dev, st.st_ino) in self.options.skip_files:
                continue  # skip_files: a status line redirected into the work tree must not record itself forever
            source = e.moved_from if e.moved_from not in ignored else ""
            before = burst.get(source) if source else None
            if (e.first == "appeared" and before is not None and before.first in ("changed", "removed")
                    and not os.path.lexists(self._prefix + source)):
                out.append(FileChange(rel, "renamed", e.wall, source))  # not a save through a temporary file
                renamed_from.add(source)
            else:
                out.append(FileChange(rel, "created" if e.first == "created" else "modified", e.wall))
        return [c for c in out if not (c.change == "deleted" and c.path in renamed_from)]

    # -- spool ------------------------------------------------------------------------------------------

    def _payload(self, event: str, **fields: object) -> dict:
        return {"session_id": self._session.id, "hook_event_name": event, "cwd": self.root, **fields}

    def _line(self, ts: float, event: str, payload: dict) -> bytes:
        return (json.dumps({"ts": round(ts, 6), "event": event, "payload": payload}, ensure_ascii=True,
                           separators=(",", ":")) + "\n").encode("ascii")

    def _append(self, changes: list[FileChange], lost: bool) -> int:
        with self._lock:
            if not self._session.id:
                self._last_id = new_session_id(self.options.session_name or session_name(None), self._wall(),
                                               self._last_id)
                self._session = _Session(id=self._last_id)
        if len(changes) > self.options.bulk_files or (lost and len(changes) > 1):
            lines = [self._line(max(c.ts for c in changes), BULK_EVENT, self._bulk_payload(changes, lost))]
        else:
            lines = [self._line(c.ts, EVENT, self._payload(
                EVENT, path=self._prefix + c.path, change=c.change,
                **({"from": self._prefix + c.moved_from} if c.moved_from else {}))) for c in changes]
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

    def _bulk_payload(self, changes: list[FileChange], lost: bool) -> dict:
        paths = [c.path for c in changes]
        tops = Counter(p.split("/", 1)[0] if "/" in p else "." for p in paths)
        if len(tops) == 1 and "." not in tops:  # all under one folder: one level deeper says more
            tops = Counter("/".join(p.split("/")[:2]) if p.count("/") >= 2 else p.split("/", 1)[0] for p in paths)
        folders = tops.most_common(MAX_FOLDERS)
        rest = len(paths) - sum(n for _, n in folders)
        return self._payload(BULK_EVENT, files=len(changes), folders=[[f, n] for f, n in folders], other=rest,
                             changes=dict(Counter(c.change for c in changes)),
                             sample=[self._prefix + p for p in sorted(paths)[:MAX_SAMPLE]], lost_events=lost)

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
                rel = self._rel(os.path.join(folder, name))
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

