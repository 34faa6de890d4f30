"""Claude Code hook entry point: append the raw event to the spool and return.

Runs on every tool call, so its latency is the user's. Installed as
``<venv python> -I -S <absolute path>/hook.py <Event>``, it imports only what
the interpreter has already loaded (os, sys, time) plus ``fcntl``: no json,
no re, no subprocess, no gitmem package. It never parses the payload; the
flush worker does that later.

Invariants:
- Fail open: every error goes to a log file and one line to stderr, and the
  exit status is 0. stdout is left empty (at SessionStart it is model context).
- One ``os.write`` of one line per event to ``<common-dir>/gitmem/spool/
  <session-id>.jsonl`` opened with O_APPEND under ``flock``; after taking the
  lock the writer checks its fd is still the path's inode, because the flush
  worker consumes a spool file by renaming it and then locking it.
- A session id that is not 1-128 of ``[A-Za-z0-9._-]`` (or holds ``..``) is
  refused, so nothing escapes the spool folder.
- Stop, SubagentStop, SessionEnd and PreCompact leave a flush request and start
  at most one detached worker per repository; SessionStart asks for a sweep
  of sessions whose client died without ending them.
"""

import os
import sys
import time

import fcntl

SPOOL = "spool"
STATE = "gitmem"
LOCK_FILE = "flush.lock"
HOOK_LOG = "hook.log"
SWEEP = "_sweep"
FLUSH_EVENTS = ("Stop", "SubagentStop", "SessionEnd", "PreCompact")
MAX_LOG_BYTES = 1 << 20
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class HookError(Exception):
    pass


def event_name(arg):
    """``post-tool-use`` or ``PostToolUse`` -> ``PostToolUse``."""
    if "-" in arg or "_" in arg or arg.islower():
        arg = "".join(p[:1].upper() + p[1:] for p in arg.replace("_", "-").split("-"))
    if not arg or not arg.isalnum() or not arg.isascii():
        raise HookError("unknown hook event %r" % arg)
    return arg


def valid_id(value):
    return (0 < len(value) <= 128 and value[0] != "." and ".." not in value
            and all(c in _ID_CHARS for c in value))


def session_id_of(payload):
    """The value of the top-level ``"session_id"`` key, found without parsing JSON.

    A quote inside a JSON string is always escaped, so an unescaped
    ``"session_id"`` followed by ``:`` can only be a key. Claude Code puts it first.
    """
    key = b'"session_id"'
    start = 0
    while True:
        i = payload.find(key, start)
        if i < 0:
            return None
        if i == 0 or payload[i - 1] != 92:  # 92 == backslash
            j = i + len(key)
            while j < len(payload) and payload[j] in b" \t\r\n":
                j += 1
            if j < len(payload) and payload[j] == 58:  # ':'
                j += 1
                while j < len(payload) and payload[j] in b" \t\r\n":
                    j += 1
                if j < len(payload) and payload[j] == 34:  # '"'
                    end = payload.find(b'"', j + 1)
                    if end < 0:
                        return None
                    try:
                        return payload[j + 1:end].decode("ascii")
                    except UnicodeDecodeError:
                        return None
                return None
        start = i + 1


def _read_gitdir_file(path):
    with open(path, "rb") as fh:
        text = fh.read(4096).decode("utf-8", "surrogateescape").strip()
    if not text.startswith("gitdir:"):
        raise HookError("%s is not a gitdir link" % path)
    target = text[len("gitdir:"):].strip()
    return target if os.path.isabs(target) else os.path.normpath(os.path.join(os.path.dirname(path), target))


def common_dir(start):
    """The repository's common git dir, found with os calls only (no git process)."""
    env_dir = os.environ.get("GIT_COMMON_DIR") or os.environ.get("GIT_DIR")
    if env_dir:
        return os.path.abspath(env_dir)
    d = os.path.abspath(start)
    while True:
        dot = os.path.join(d, ".git")
        if os.path.isdir(dot):
            return dot
        if os.path.isfile(dot):
            gitdir = _read_gitdir_file(dot)
            commondir = os.path.join(gitdir, "commondir")
            if os.path.isfile(commondir):
                with open(commondir, "rb") as fh:
                    rel = fh.read(4096).decode("utf-8", "surrogateescape").strip()
                return rel if os.path.isabs(rel) else os.path.normpath(os.path.join(gitdir, rel))
            return gitdir
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def append_line(path, line):
    """Append ``line`` with one write under an exclusive lock; survive a concurrent rename."""
    for _ in range(8):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                continue
            if st.st_ino != os.fstat(fd).st_ino:
                continue  # the worker took this file; write to the new one
            view = memoryview(line)
            while view:
                n = os.write(fd, view)
                if n <= 0:
                    raise OSError("short write to %s" % path)
                view = view[n:]
            return
        finally:
            os.close(fd)
    raise HookError("spool file %s kept being replaced" % path)


def _touch(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))


def worker_running(state):
    """True when a flush worker holds the repository's flush lock."""
    fd = os.open(os.path.join(state, LOCK_FILE), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def spawn_worker(common):
    """Start ``python -m gitmem.flush`` detached: its own session, no inherited stdio."""
    python = os.environ.get("GITMEM_PYTHON") or sys.executable
    devnull = os.devnull
    actions = [(os.POSIX_SPAWN_OPEN, 0, devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, devnull, os.O_WRONLY, 0)]
    os.posix_spawn(python, [python, "-I", "-m", "gitmem.flush", "--common-dir", common],
                   os.environ, file_actions=actions, setsid=True)


def log(state_or_none, message):
    """One line to the hook log (state folder, else GITMEM_HOME) and one to stderr."""
    line = ("%s gitmem hook: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), message)).encode("utf-8", "replace")
    try:
        sys.stderr.write("gitmem: " + message + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - stderr may be closed
        pass
    folder = state_or_none
    if folder is None or not os.path.isdir(folder):
        home = os.environ.get("GITMEM_HOME")
        if not home:
            base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
            home = os.path.join(base, "gitmem")
        folder = home
    try:
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, HOOK_LOG)
        try:
            if os.stat(path).st_size > MAX_LOG_BYTES:
                os.replace(path, path + ".1")
        except OSError:
            pass
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        pass


def read_stdin():
    chunks = []
    while True:
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def run(argv):
    if len(argv) < 2:
        raise HookError("usage: hook.py <Event>  (for example PostToolUse)")
    event = event_name(argv[1])
    payload = read_stdin().strip()
    start = os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd()
    common = common_dir(start)
    if common is None:
        raise HookError("%s is not inside a git repository; nothing recorded" % start)
    state = os.path.join(common, STATE)
    if not os.path.isdir(state):
        raise HookError("gitmem is not set up in %s; run `gitmem init` (event not recorded)" % start)
    if not payload:
        raise HookError("%s: empty payload on stdin; nothing recorded" % event)
    sid = session_id_of(payload)
    if sid is None or not valid_id(sid):
        raise HookError("%s: refused session id %r (want 1-128 of A-Z a-z 0-9 . _ -)" % (event, sid))
    spool = os.path.join(state, SPOOL)
    os.makedirs(spool, exist_ok=True)
    line = b'{"ts":%.6f,"event":"%s","payload":%s}\n' % (time.time(), event.encode(), payload.replace(b"\n", b" "))
    append_line(os.path.join(spool, sid + ".jsonl"), line)
    if event in FLUSH_EVENTS or event == "SessionStart":
        _touch(os.path.join(spool, (sid if event != "SessionStart" else SWEEP) + ".flush"))
        if os.environ.get("GITMEM_NO_WORKER") != "1" and not worker_running(state):
            spawn_worker(common)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        run(argv)
    except Exception as exc:  # noqa: BLE001 - a hook must never fail the session
        state = None
        try:
            c = common_dir(os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd())
            state = os.path.join(c, STATE) if c else None
        except Exception:  # noqa: BLE001
            pass
        log(state, "%s: %s" % (type(exc).__name__, exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
