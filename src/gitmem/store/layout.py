"""The layout of the memory ref ``refs/notes/gitmem``: the one place that knows where each record lives.

::

    sessions/<yyyy-mm>/<session-id>/summary.md       the session's summary
    sessions/<yyyy-mm>/<session-id>/obs-<nnnn>.yaml  its observations, one file per flush
    forgotten/<yyyymmddThhmmssZ>-<digest>.yaml       tombstones written by `gitmem forget`
    conflicts/<path>~<blob id>                       the other side of a record both sides changed
    <ab>/<cdef...>  (or a flat 40/64-hex name)        git notes on commits, kept as git wrote them

Every module that builds or takes apart one of these paths calls a function here.
"""

from __future__ import annotations

import re

from gitmem.errors import RecordError

SESSIONS_DIR = "sessions"
SUMMARY_FILE = "summary.md"
FORGOTTEN_DIR = "forgotten"
CONFLICTS_DIR = "conflicts"
SESSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
MONTH = re.compile(r"^\d{4}-\d{2}$")
OBS_FILE = re.compile(r"^obs-(\d{4,})\.yaml$")
_HEX = frozenset("0123456789abcdef")


def validate_session_id(session_id: str) -> str:
    """Refuse ids that could escape the session folder or the spool."""
    # fullmatch: with match, `$` would also accept a trailing newline ("abc\n").
    if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id) or ".." in session_id:
        raise RecordError(f"invalid session id {session_id!r}",
                          hint="a session id is 1-128 letters, digits, '.', '_' or '-', and no '..'.")
    return session_id


def month_of(timestamp: str) -> str:
    month = timestamp[:7]
    if not MONTH.match(month):
        raise RecordError(f"timestamp {timestamp!r} does not start with yyyy-mm",
                          hint="use ISO 8601 timestamps such as 2026-11-24T08:00:00Z.")
    return month


def session_dir(session_id: str, started_at: str) -> str:
    """The folder of a new session: ``sessions/<month it started>/<id>``."""
    return f"{SESSIONS_DIR}/{month_of(started_at)}/{session_id}"


def obs_file_name(seq: int) -> str:
    return f"obs-{seq:04d}.yaml"


def is_obs_file(name: str) -> bool:
    """True for an observation file's name (``obs-0001.yaml``), not a path."""
    return OBS_FILE.match(name) is not None


def obs_seq(name: str) -> int | None:
    """The sequence number of an observation file's name, or None for any other name."""
    m = OBS_FILE.match(name)
    return int(m.group(1)) if m else None


def session_folder(path: str) -> str | None:
    """``sessions/<month>/<id>`` for a path inside a session folder, else None."""
    parts = path.split("/")
    return "/".join(parts[:3]) if len(parts) >= 4 and parts[0] == SESSIONS_DIR else None


def session_file(path: str) -> tuple[str, str] | None:
    """(folder, file name) for a record file directly inside a session folder, else None."""
    parts = path.split("/")
    if len(parts) != 4 or parts[0] != SESSIONS_DIR:
        return None
    return "/".join(parts[:3]), parts[3]


def is_session_folder(path: str) -> bool:
    """True for ``sessions/<month>/<id>`` itself (three parts), not a file in it or a month."""
    parts = path.split("/")
    return len(parts) == 3 and parts[0] == SESSIONS_DIR and all(parts)


def folder_session_id(folder: str) -> str:
    """The session id a folder ``sessions/<month>/<id>`` is named for."""
    return folder.rstrip("/").rsplit("/", 1)[-1]


def folder_month(folder: str) -> str:
    """The ``yyyy-mm`` of a folder ``sessions/<month>/<id>`` (or of any path inside it); '' for other paths."""
    parts = folder.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == SESSIONS_DIR else ""


def summary_path(folder: str) -> str:
    """The summary of the session in ``folder``."""
    return f"{folder.rstrip('/')}/{SUMMARY_FILE}"


def obs_path(folder: str, seq: int) -> str:
    """The ``seq``-th observation file of the session in ``folder``."""
    return f"{folder.rstrip('/')}/{obs_file_name(seq)}"


def summary_folder(path: str) -> str | None:
    """The session folder of a path that is a session's ``summary.md``, else None."""
    where = session_file(path)
    return where[0] if where is not None and where[1] == SUMMARY_FILE else None


def file_name(path: str) -> str:
    """The last part of a path in the ref (a record's file name)."""
    return path.rsplit("/", 1)[-1]


def tombstone_path(stamp: str, digest: str) -> str:
    """Where a tombstone written at ``stamp`` (``yyyymmddThhmmssZ``) with content digest ``digest`` lives."""
    return f"{FORGOTTEN_DIR}/{stamp}-{digest}.yaml"


def is_record_path(path: str) -> bool:
    """A session record or a tombstone: what merges file by file."""
    return path.startswith((SESSIONS_DIR + "/", FORGOTTEN_DIR + "/"))


def is_tombstone(path: str) -> bool:
    return path.startswith(FORGOTTEN_DIR + "/")


def is_conflict_copy(path: str) -> bool:
    return path.startswith(CONFLICTS_DIR + "/")


def conflict_copy(path: str, oid: str) -> str:
    """Where the other side of a record both sides changed is kept."""
    return f"{CONFLICTS_DIR}/{path}~{oid[:16]}"


def note_commit(path: str) -> str | None:
    """The commit a git note path annotates (``ab/cdef...`` or flat), or None for other paths."""
    if path.startswith(SESSIONS_DIR + "/"):
        return None
    parts = path.split("/")
    flat = "".join(parts)
    if len(flat) not in (40, 64) or not set(flat) <= _HEX or any(len(p) != 2 for p in parts[:-1]):
        return None
    return flat


def note_paths(commit: str) -> list[str]:
    """Where a git note on ``commit`` can live: flat, or under one or two levels of fan-out."""
    return [commit, f"{commit[:2]}/{commit[2:]}", f"{commit[:2]}/{commit[2:4]}/{commit[4:]}"]


def summary_session_id(path: str) -> str | None:
    """The id of the session whose summary is at ``path`` (``sessions/<month>/<id>/summary.md``), else None."""
    where = session_file(path)
    return where[0].rsplit("/", 1)[-1] if where is not None and where[1] == SUMMARY_FILE else None


_TOMBSTONE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.yaml$")


def tombstone_name(path: str) -> str | None:
    """The file name of a well-named tombstone directly in ``forgotten/``, else None."""
    folder, _, name = path.rpartition("/")
    return name if folder == FORGOTTEN_DIR and _TOMBSTONE_NAME.match(name) else None


def tombstone_named(name: str) -> str:
    """The path of the tombstone file ``name`` (as ``tombstone_name`` gives it)."""
    return f"{FORGOTTEN_DIR}/{name}"
