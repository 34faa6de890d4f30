"""Claude Code hook entry point: append the raw event to the spool and return.

Runs on every tool call, so its latency is the user's. Installed as
``<venv python> -I -S <absolute path>/hook.py <Event>``, it imports only what
the interpreter has already loaded (posix, sys, time) plus ``fcntl``: no json,
no re, no subprocess, no gitmem package. It never parses the payload; the
flush worker does that later.

Invariants:
- Fail open: every error goes to a log file and one line to stderr, and the
  exit status is 0. stdout is left empty (at SessionStart it is model context).
- One ``write`` of one line per event to ``<common-dir>/gitmem/spool/
  <session-id>.jsonl`` opened with O_APPEND under ``flock``; after taking the
  lock the writer checks its fd is still the path's inode, because the flush
  worker consumes a spool file by renaming it and then locking it.
- A session id that is not 1-128 of ``[A-Za-z0-9._-]`` (or holds ``..``) is
  refused, so nothing escapes the spool folder.
- Stop, SubagentStop, SessionEnd and PreCompact leave a flush request and start
  at most one detached worker per repository; SessionStart asks for a sweep
  of sessions whose client died without ending them.
- ``<Event> <agent>``: the spool line names the agent; one in ``TOP_LEVEL_CONTEXT`` (Copilot) gets brief and
  recall as the top-level ``{"additionalContext"}`` it reads, one in ``NO_HOOK_OUTPUT`` (Cursor) gets nothing.
- The process switches it reads (GITMEM_DISABLE, GITMEM_NO_WORKER,
  GITMEM_PYTHON, GITMEM_HOME) are those of ``gitmem.switches``, read here
  without importing it.
"""

import posix  # os's C core: loaded at start-up, where importing os costs ~1 ms (1/10 of a start) under -S
import sys
import time

import fcntl

SPOOL = b"spool"
STATE = b"gitmem"
LOCK_FILE = b"flush.lock"
HOOK_LOG = b"hook.log"
SWEEP = b"_sweep"
BRIEF_DIR = b"briefs"
MAX_BRIEF_BYTES = 64 * 1024
FLUSH_EVENTS = ("Stop", "SubagentStop", "SessionEnd", "PreCompact")
MAX_LOG_BYTES = 1 << 20
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
_S_IFMT, _S_IFDIR, _S_IFREG = 0o170000, 0o040000, 0o100000
_HEX = frozenset(b"0123456789abcdef")
MAX_PACKED_REFS_BYTES = 16 << 20
# Agents that read a hook's model context from a top-level "additionalContext" (GitHub Copilot CLI: it ignores
# Claude Code's hookSpecificOutput, tests/data/copilot/README.md).
TOP_LEVEL_CONTEXT = (b"copilot",)
# Agents that read no hook output at all (Cursor drops start-of-session context in the IDE): their brief is in a
# rules file, and their hook prints nothing.
NO_HOOK_OUTPUT = (b"cursor",)


class HookError(Exception):
    pass


# -- bytes paths, without os.path -------------------------------------------------------

def _join(*parts):
    return b"/".join([parts[0].rstrip(b"/") or b"/"] + [p.strip(b"/") for p in parts[1:]]).replace(b"//", b"/")


def _dirname(path):
    head = path.rstrip(b"/").rsplit(b"/", 1)[0]
    return head or b"/"


def _normpath(path):
    out: list[bytes] = []
    for part in path.split(b"/"):
        if part in (b"", b"."):
            continue
        if part == b"..":
            if out:
                out.pop()
            continue
        out.append(part)
    return b"/" + b"/".join(out)


def _absolute(path, base):
    return _normpath(path if path.startswith(b"/") else base + b"/" + path)


def _mode(path):
    try:
        return posix.stat(path).st_mode & _S_IFMT
    except OSError:
        return 0


def _env(name):
    return posix.environ.get(name)


def _text(path):
    return path.decode("utf-8", "surrogateescape")


def event_name(arg):
    """``post-tool-use`` or ``PostToolUse`` -> ``PostToolUse``."""
    if "-" in arg or "_" in arg or arg.islower():
        arg = "".join(p[:1].upper() + p[1:] for p in arg.replace("_", "-").split("-"))
    if not arg or not arg.isalnum() or not arg.isascii():
        raise HookError("unknown hook event %r" % arg)
    return arg


def agent_name(argv):
    """The agent named after the event (``_hook.py SessionStart copilot``) as bytes, or None."""
    agent = argv[2] if len(argv) > 2 else None
    if agent is not None and not (0 < len(agent) <= 32 and agent.isascii() and agent.replace("-", "").isalnum()
                                  and agent.islower()):
        raise HookError("refused agent name %r (want 1-32 of a-z 0-9 -)" % agent)
    return agent.encode() if agent else None


def context_answer(data, agent):
    """Claude Code's ``{"hookSpecificOutput": {..., "additionalContext": V}}`` as is, or ``{"additionalContext": V}``
    for an agent in ``TOP_LEVEL_CONTEXT`` (JSON escapes quotes in V: the first ``"additionalContext"`` is the key)."""
    body = data.rstrip() if data and agent in TOP_LEVEL_CONTEXT else None
    if body is None:
        return data
    at = body.find(b'"additionalContext"')
    return b"{" + body[at:-1] + b"\n" if at > 0 and body.endswith(b"}}") else b""


def valid_id(value):
    return (0 < len(value) <= 128 and value[0] != "." and ".." not in value
            and all(c in _ID_CHARS for c in value))


def session_id_of(payload):
    """The value of the top-level ``"session_id"`` key (else ``"conversation_id"``, Cursor's), found without
    parsing JSON.

    A quote inside a JSON string is always escaped, so an unescaped
    ``"session_id"`` followed by ``:`` can only be a key. Claude Code puts it first.
    """
    value = string_value(payload, b'"session_id"') or string_value(payload, b'"conversation_id"')
    if value is None:
        return None
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def event_dir(payload):
    """The event's own ``cwd`` when it is an existing folder: the repository the event happened in.

    Claude Code puts ``cwd`` before any tool input. A value holding a JSON escape is not decoded here
    (None: the caller falls back to the project folder); the flush worker checks every event again.
    """
    cwd = string_value(payload, b'"cwd"')
    if not cwd or not cwd.startswith(b"/") or b"\\" in cwd or _mode(cwd) != _S_IFDIR:
        return None
    return cwd


def string_value(payload, key):
    """The raw bytes of the first string value of the unescaped ``key`` (with its quotes), or None."""
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
                    while end > 0 and payload[end - 1] == 92:  # an escaped quote inside the value
                        end = payload.find(b'"', end + 1)
                    return payload[j + 1:end] if end > 0 else None
                return None
        start = i + 1


def _read_small(path):
    fd = posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC)
    try:
        return posix.read(fd, 4096).strip()
    finally:
        posix.close(fd)


def _read_gitdir_file(path):
    text = _read_small(path)
    if not text.startswith(b"gitdir:"):
        raise HookError("%s is not a gitdir link" % _text(path))
    return _absolute(text[len(b"gitdir:"):].strip(), _dirname(path))


def locate(start):
    """(common git dir, git dir, work tree root) as bytes, found with stat calls only (no git process).

    None when ``start`` is not inside a repository. The root is None when git
    is pointed at a repository through GIT_DIR.
    """
    cwd = posix.getcwdb()
    env_dir = _env(b"GIT_COMMON_DIR") or _env(b"GIT_DIR")
    if env_dir:
        git_dir = _absolute(_env(b"GIT_DIR") or env_dir, cwd)
        return _absolute(env_dir, cwd), git_dir, None
    d = _absolute(start, cwd)
    while True:
        dot = _join(d, b".git")
        kind = _mode(dot)
        if kind == _S_IFDIR:
            return dot, dot, d
        if kind == _S_IFREG:
            gitdir = _read_gitdir_file(dot)
            commondir = _join(gitdir, b"commondir")
            if _mode(commondir) == _S_IFREG:
                return _absolute(_read_small(commondir), gitdir), gitdir, d
            return gitdir, gitdir, d
        if d == b"/":
            return None
        d = _dirname(d)


def common_dir(start):
    """The repository's common git dir (bytes), or None outside a repository."""
    found = locate(start)
    return found[0] if found else None


def append_line(path, line):
    """Append ``line`` with one write under an exclusive lock; survive a concurrent rename.

    The one spool append protocol: the watcher and the flush worker (moving events to another repository's
    spool) call this too, so it stays importable from the package (stdlib only). ``path`` is bytes or a path;
    ``line`` may hold several lines and ends with a newline.
    """
    for _ in range(8):
        fd = posix.open(path, posix.O_RDWR | posix.O_APPEND | posix.O_CREAT | posix.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                st = posix.stat(path)
            except FileNotFoundError:
                continue
            own = posix.fstat(fd)
            if st.st_ino != own.st_ino:
                continue  # the worker took this file; write to the new one
            if own.st_size and posix.pread(fd, 1, own.st_size - 1) != b"\n":
                line = b"\n" + line  # a writer killed mid-line: end its line, or this event would join it
            view = memoryview(line)
            while view:
                n = posix.write(fd, view)
                if n <= 0:
                    raise OSError("short write to %s" % (path,))
                view = view[n:]
            return
        finally:
            posix.close(fd)
    raise OSError("spool file %s kept being replaced" % (_text(path) if isinstance(path, bytes) else path))


def _touch(path):
    posix.close(posix.open(path, posix.O_WRONLY | posix.O_CREAT | posix.O_CLOEXEC, 0o600))


def _object_id(text):
    """``text`` when it is a full object id (40 or 64 lower-case hex digits), else None."""
    return text if len(text) in (40, 64) and all(c in _HEX for c in text) else None


def read_head(common, git_dir):
    """The commit HEAD points at (bytes), read from the ref files the way git stores them, without git.

    ``HEAD`` holds an id (detached) or ``ref: refs/heads/<name>``; the ref is a loose file in the common
    dir, or a line ``<id> refs/heads/<name>`` of ``packed-refs``. None when it cannot be told (an unborn
    branch, a symbolic chain, a ref backend this does not know): the flush then falls back to its own HEAD.
    """
    head = _read_small(_join(git_dir, b"HEAD"))
    if not head.startswith(b"ref:"):
        return _object_id(head)
    ref = head[4:].strip()
    if not ref.startswith(b"refs/") or b".." in ref:
        return None
    for base in (git_dir, common):
        try:
            found = _object_id(_read_small(_join(base, ref)))
        except OSError:
            continue
        return found
    try:
        fd = posix.open(_join(common, b"packed-refs"), posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError:
        return None
    try:
        data = posix.read(fd, MAX_PACKED_REFS_BYTES)
    finally:
        posix.close(fd)
    at = data.find(b" " + ref + b"\n")
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        if data[start:start + 1] not in (b"#", b"^"):
            return _object_id(data[start:at])
        at = data.find(b" " + ref + b"\n", at + 1)
    return None


def claim_worker_lock(state):
    """A descriptor holding the repository's flush lock, or None when a worker already holds it.

    The winner hands this descriptor to the worker it starts (an flock belongs
    to the open file, which the child shares), so at most one worker starts
    however many sessions end at once.
    """
    fd = posix.open(_join(state, LOCK_FILE), posix.O_RDWR | posix.O_CREAT | posix.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        posix.close(fd)
        return None
    return fd


def spawn_worker(common, lock_fd):
    """Start ``python -m gitmem.workers flush`` detached: its own session, no inherited stdio, the lock on fd 3."""
    python = _env(b"GITMEM_PYTHON") or sys.executable.encode("utf-8", "surrogateescape")
    actions = [(posix.POSIX_SPAWN_OPEN, 0, "/dev/null", posix.O_RDONLY, 0),
               (posix.POSIX_SPAWN_OPEN, 1, "/dev/null", posix.O_WRONLY, 0),
               (posix.POSIX_SPAWN_OPEN, 2, "/dev/null", posix.O_WRONLY, 0),
               (posix.POSIX_SPAWN_DUP2, lock_fd, 3)]
    posix.posix_spawn(python, [python, b"-I", b"-m", b"gitmem.workers", b"flush", b"--common-dir", common,
                                b"--lock-fd", b"3"],
                      posix.environ, file_actions=actions, setsid=True)


def memory_stamp(common, root):
    """What a brief is made of, as inode, mtime and size of each file: the memory ref, teammates' fetched
    memory, the decisions folder (inject.memory_stamp computes the same).

    A brief is fresh when the stamp recorded with it is the current one: equality, never "newer than", so a
    brief whose mtime lies in the future (a clock ahead, a copied file) cannot hide memory fetched later.
    """
    paths = [_join(common, b"refs/notes/gitmem"), _join(common, b"packed-refs")]
    remotes = _join(common, b"refs/gitmem/remotes")
    try:
        names = sorted(posix.listdir(remotes))[:64]
    except OSError:
        names = []
    paths += [_join(remotes, name, b"memory") for name in names]
    if root is not None:
        paths.append(_join(root, b".gitmem/decisions"))
    parts = []
    for path in paths:
        try:
            st = posix.stat(path)
        except OSError:
            parts.append(b"-")
            continue
        parts.append(b"%d.%d.%d" % (st.st_ino, st.st_mtime_ns, st.st_size))
    return b",".join(parts)


def fresh_brief(path, stamp):
    """The pre-rendered brief when it is whole and was rendered from the memory as it is now, else None.

    ``<brief>.stamp`` holds the brief's size and the memory stamp it was rendered from. A brief whose size
    differs, or that is not one fenced hook answer, is damaged (a torn write, garbage): never printed.
    """
    try:
        recorded = _read_small(path + b".stamp")
        fd = posix.open(path, posix.O_RDONLY | posix.O_CLOEXEC)
    except OSError:
        return None
    try:
        data = posix.read(fd, MAX_BRIEF_BYTES + 1)
    finally:
        posix.close(fd)
    if recorded != b"%d %s" % (len(data), stamp) or len(data) > MAX_BRIEF_BYTES:
        return None
    if data and not (data.startswith(b'{"hookSpecificOutput"') and data.rstrip().endswith(b"}")
                     and b"<gitmem-memory" in data and b"</gitmem-memory>" in data[-400:]):
        return None  # not one JSON answer holding the whole fenced brief
    return data


def brief_file(common, git_dir):
    """``<state>/briefs/<hex of HEAD's branch ref>.json`` (inject.brief_key computes the same name)."""
    head = _read_small(_join(git_dir, b"HEAD"))
    key = head[4:].strip().hex().encode() if head.startswith(b"ref:") else b"detached"
    return _join(common, STATE, BRIEF_DIR, key + b".json")


def emit_brief(common, git_dir, root, agent=None):
    """Print the pre-rendered brief; when memory changed since it was rendered, render it now."""
    data = fresh_brief(brief_file(common, git_dir), memory_stamp(common, root))
    if data is not None:
        _write_stdout(context_answer(data, agent))
        return
    if root is None:
        return
    # Stale or missing: `python -m gitmem.workers session-start` merges fetched memory, renders, stores and
    # prints the brief.
    python = _env(b"GITMEM_PYTHON") or sys.executable.encode("utf-8", "surrogateescape")
    actions = [(posix.POSIX_SPAWN_OPEN, 0, "/dev/null", posix.O_RDONLY, 0)]
    pid = posix.posix_spawn(python, [python, b"-I", b"-m", b"gitmem.workers", b"session-start", b"--root",
                                    root] + ([b"--agent", agent] if agent else []),
                            posix.environ, file_actions=actions)
    posix.waitpid(pid, 0)


def emit_recall(payload, state, root, agent=None):
    """A few lines of memory for a prompt that strongly matches a recorded title (recall.py)."""
    if root is None or _mode(_join(state, b"recall.conf")) != _S_IFREG:
        return  # prompt recall is off: nothing more is imported
    try:
        from gitmem import recall
    except ImportError:  # run by the installed launcher: the package folder itself is on sys.path
        import recall  # type: ignore[import-not-found, no-redef]  # from the launcher's sys.path entry
    out = context_answer(recall.recall_output(payload, _text(state), _text(root)), agent)
    if out:
        _write_stdout(out)


def _write_stdout(data):
    view = memoryview(data)
    while view:
        view = view[posix.write(1, view):]


def _mkdir(path):
    try:
        posix.mkdir(path, 0o700)
    except FileExistsError:
        pass


def log(state_or_none, message):
    """One line to the hook log (state folder, else GITMEM_HOME) and one to stderr."""
    line = ("%s gitmem hook: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), message)).encode("utf-8", "replace")
    try:
        sys.stderr.write("gitmem: " + message + "\n")
        sys.stderr.flush()
    except Exception:  # noqa: BLE001 - stderr may be closed
        pass
    try:
        folder = state_or_none
        if folder is None or _mode(folder) != _S_IFDIR:
            folder = _env(b"GITMEM_HOME")
            if not folder:
                base = _env(b"XDG_STATE_HOME") or _join(_env(b"HOME") or b"/tmp", b".local/state")
                for part in (_dirname(base), base):
                    _mkdir(part)
                folder = _join(base, b"gitmem")
            _mkdir(folder)
        path = _join(folder, HOOK_LOG)
        try:
            if posix.stat(path).st_size > MAX_LOG_BYTES:
                posix.rename(path, path + b".1")
        except OSError:
            pass
        fd = posix.open(path, posix.O_WRONLY | posix.O_APPEND | posix.O_CREAT | posix.O_CLOEXEC, 0o600)
        try:
            posix.write(fd, line)
        finally:
            posix.close(fd)
    except OSError:
        pass


def read_stdin():
    chunks: list[bytes] = []
    while True:
        chunk = posix.read(0, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _start_dir():
    return _env(b"CLAUDE_PROJECT_DIR") or posix.getcwdb()


def run(argv):
    if _env(b"GITMEM_DISABLE") == b"1":
        return  # set for gitmem's own `claude` summarizer run: never record gitmem itself
    if len(argv) < 2:
        raise HookError("usage: hook.py <Event> [<agent>]  (for example PostToolUse)")
    event = event_name(argv[1])
    agent = agent_name(argv)
    payload = read_stdin().strip()
    # The event's cwd decides the repository: a turn run in a nested clone belongs to that clone, not to
    # the project folder the session started in.
    start = event_dir(payload) or _start_dir()
    found = locate(start)
    if found is None:
        raise HookError("%s is not inside a git repository; nothing recorded" % _text(start))
    common, git_dir, root = found
    state = _join(common, STATE)
    if _mode(state) != _S_IFDIR:
        raise HookError("gitmem is not set up in %s; run `gitmem init` (event not recorded)" % _text(start))
    if agent in NO_HOOK_OUTPUT:
        # An agent that reads no hook output (``SessionStart cursor``): its brief is in a rules file
        # (agents/rules_file.py). The event is recorded with the agent's name and nothing is printed.
        record(event, payload, common, state, git_dir, agent)
        return
    if event == "UserPromptSubmit":
        try:
            record(event, payload, common, state, agent=agent)
        finally:
            emit_recall(payload, state, root, agent)
        return
    if event != "SessionStart":
        record(event, payload, common, state, agent=agent)
        return
    try:
        record(event, payload, common, state, git_dir, agent)
    finally:
        emit_brief(common, git_dir, root, agent)  # the brief is worth giving even when recording failed


def record(event, payload, common, state, git_dir=None, agent=None):
    """Spool the event; flush events also request a flush and start the worker if none runs.

    A SessionStart line also carries ``"head"``: the commit checked out as the session starts, so that
    commits made before the first flush still count as the session's (capture.session_facts reads it).
    """
    if not payload:
        raise HookError("%s: empty payload on stdin; nothing recorded" % event)
    sid = session_id_of(payload)
    if sid is None or not valid_id(sid):
        raise HookError("%s: refused session id %r (want 1-128 of A-Z a-z 0-9 . _ -)" % (event, sid))
    spool = _join(state, SPOOL)
    _mkdir(spool)
    head = None
    if event == "SessionStart" and git_dir is not None:
        try:
            head = read_head(common, git_dir)
        except OSError:
            head = None
    extra = (b'"head":"%s",' % head if head else b"") + (b'"agent":"%s",' % agent if agent else b"")
    line = b'{"ts":%.6f,"event":"%s",%s"payload":%s}\n' % (time.time(), event.encode(), extra,
                                                          payload.replace(b"\n", b" "))
    append_line(_join(spool, sid.encode() + b".jsonl"), line)
    if event in FLUSH_EVENTS or event == "SessionStart":
        _touch(_join(spool, (sid.encode() if event != "SessionStart" else SWEEP) + b".flush"))
        if _env(b"GITMEM_NO_WORKER") != b"1":
            lock_fd = claim_worker_lock(state)
            if lock_fd is not None:
                try:
                    spawn_worker(common, lock_fd)
                finally:
                    posix.close(lock_fd)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    try:
        run(argv)
    except Exception as exc:  # noqa: BLE001 - a hook must never fail the session
        state = None
        try:
            c = common_dir(_start_dir())
            state = _join(c, STATE) if c else None
        except Exception:  # noqa: BLE001
            pass
        log(state, "%s: %s" % (type(exc).__name__, exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
