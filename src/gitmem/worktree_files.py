"""Files in the work tree that people own and gitmem reads or adds to: ``.gitmem/config.yaml`` and the
decision files in ``.gitmem/decisions/``.

They arrive with a ``git pull``, so they are input from anyone who can push a branch: a committed symbolic
link (``.gitmem/config.yaml -> /dev/zero``, ``.gitmem/decisions -> /somewhere``) must not make gitmem read
or write outside the repository, or read forever.

Invariants:
- Only regular files inside the work tree: every folder from the work tree root down to the file is opened
  relative to the one before it with ``O_NOFOLLOW``, and so is the file, so no symbolic link is followed
  anywhere below the root (the root itself may be reached through links, as people's checkouts are).
- A read never blocks and is bounded: the file is opened ``O_NONBLOCK`` (a FIFO does not wait for a
  writer), ``fstat`` must say regular file, and at most ``limit + 1`` bytes are read.
- A refusal is a ``RefusedFileError`` that names the file, what it is, and the fix; callers turn it into
  their own error (a config error, a skipped decision file) and, in a hook, only log it.
- A new file is created with ``O_EXCL | O_NOFOLLOW`` inside a folder opened the same way, written whole
  under a temporary name and linked into place, so it never overwrites and never lands outside.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from gitmem.errors import GitmemError

CONFIG_LIMIT = 64 * 1024        # .gitmem/config.yaml: a dozen settings fit in a few hundred bytes
DECISION_LIMIT = 256 * 1024     # one decision note: a few pages of Markdown

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS = ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISLNK, "a symbolic link"))


class RefusedFileError(GitmemError):
    """gitmem will not read or write this path: it is not a regular file (or folder) inside the work tree."""

    def __init__(self, path: str, reason: str, hint: str | None = None) -> None:
        super().__init__(f"{path}: refused: {reason}", hint)
        self.path = path
        self.reason = reason


def _link_hint(path: str) -> str:
    return (f"replace the link with the real {'folder' if not path.endswith(('.md', '.yaml')) else 'file'} "
            f"(`git rm {path}`, then add and commit it); gitmem reads only regular files inside the work tree.")


def _kind(mode: int) -> str:
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _refuse_link(path: str, target: str | None = None) -> RefusedFileError:
    to = f" to {target}" if target else ""
    return RefusedFileError(path, f"it is a symbolic link{to}", _link_hint(path))


def _link_target(name: str, dir_fd: int) -> str | None:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None


def _open_part(name: str, dir_fd: int, shown: str) -> int:
    """Open folder ``name`` under ``dir_fd`` without following a link; refuse anything but a real folder."""
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise
        try:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            raise exc from None
        if stat.S_ISLNK(st.st_mode):
            raise _refuse_link(shown, _link_target(name, dir_fd)) from None
        raise RefusedFileError(shown, f"it is {_kind(st.st_mode)}, not a folder",
                               f"move it away so that {shown} can be a folder.") from None


def _parts(rel: str) -> list[str]:
    parts = [p for p in rel.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise RefusedFileError(rel, "the path leaves the work tree", "name a path inside the repository.")
    return parts


@contextlib.contextmanager
def open_folder(root: Path, rel: str, *, create: bool = False) -> Iterator[int]:
    """A descriptor of the folder ``rel`` under the work tree ``root``, no part of it a symbolic link.

    ``FileNotFoundError`` when it does not exist (with ``create``, missing folders are made).
    """
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        done: list[str] = []
        for part in _parts(rel):
            done.append(part)
            shown = "/".join(done)
            try:
                new = _open_part(part, fd, shown)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):  # another writer made it first: open theirs
                    os.mkdir(part, 0o777, dir_fd=fd)
                new = _open_part(part, fd, shown)
            os.close(fd)
            fd = new
        yield fd
    finally:
        os.close(fd)


def _split(rel: str) -> tuple[str, str]:
    parts = _parts(rel)
    if not parts:
        raise RefusedFileError(rel or ".", "not a file name", "name a file inside the repository.")
    return "/".join(parts[:-1]), parts[-1]


def read_file(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of the regular file ``rel`` under the work tree ``root``: at most ``limit`` of them.

    ``RefusedFileError`` for a symbolic link (here or in a folder above it), a device, a FIFO, a folder or a
    file over ``limit``; ``FileNotFoundError`` (an ``OSError``) when it does not exist. Never blocks.
    """
    folder, name = _split(rel)
    with open_folder(root, folder) as dir_fd:
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise _refuse_link(rel, _link_target(name, dir_fd)) from None
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise RefusedFileError(rel, f"it is {_kind(st.st_mode)}, not a regular file",
                                       f"replace {rel} with a regular file, or remove it.")
            if st.st_size > limit:
                raise _too_big(rel, limit)
            chunks: list[bytes] = []
            size = 0
            while size <= limit:
                chunk = os.read(fd, min(limit + 1 - size, 1 << 16))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:  # it grew while we read
                raise _too_big(rel, limit)
            return b"".join(chunks)
        finally:
            os.close(fd)


def _too_big(rel: str, limit: int) -> RefusedFileError:
    return RefusedFileError(rel, f"it is larger than {limit // 1024} KiB, the most gitmem reads of such a file",
                            "shorten it (or check that it is the file you meant to commit).")


@dataclass(frozen=True, slots=True)
class Listing:
    """The regular files directly in a folder, by name, and the entries refused (a link, a FIFO, ...)."""

    names: tuple[str, ...] = ()
    refused: tuple[RefusedFileError, ...] = ()


def list_folder(root: Path, rel: str, suffix: str = "") -> Listing:
    """The regular files in folder ``rel`` whose names end with ``suffix`` (hidden ones left out).

    An entry with such a name that is a link or not a regular file is refused (a sub-folder is skipped);
    a missing folder lists nothing; a folder that is (or lies under) a symbolic link is a
    ``RefusedFileError``.
    """
    names: list[str] = []
    refused: list[RefusedFileError] = []
    try:
        with open_folder(root, rel) as fd, os.scandir(fd) as it:
            for entry in it:
                if not entry.name.endswith(suffix) or entry.name.startswith("."):
                    continue
                shown = f"{rel}/{entry.name}" if rel else entry.name
                try:
                    if entry.is_symlink():
                        refused.append(_refuse_link(shown, _link_target(entry.name, fd)))
                    elif entry.is_file(follow_symlinks=False):
                        names.append(entry.name)
                    elif not entry.is_dir(follow_symlinks=False):
                        kind = _kind(entry.stat(follow_symlinks=False).st_mode)
                        refused.append(RefusedFileError(shown, f"it is {kind}, not a regular file",
                                                        f"remove {shown}."))
                except OSError:
                    continue  # removed while we listed
    except (FileNotFoundError, NotADirectoryError):
        return Listing()
    return Listing(tuple(sorted(names)), tuple(refused))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _temp_in(dir_fd: int, stem: str, data: bytes, mode: int | None = None) -> str:
    """A new file holding ``data`` under a fresh hidden name in the folder ``dir_fd``; its name. ``mode``
    sets its permissions exactly (default: 0o666 less the umask, as any new file)."""
    for _ in range(100):
        tmp = f".{stem[:40]}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            fd = os.open(tmp, _NEW_FLAGS, 0o666 if mode is None else 0o600, dir_fd=dir_fd)
        except FileExistsError:
            continue
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            _write_all(fd, data)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        os.close(fd)
        return tmp
    raise FileExistsError(f"no free temporary name for {stem}")


def create_new(root: Path, folder: str, names: Iterable[str], data: bytes) -> str:
    """Write ``data`` as a new file in ``folder`` (made when missing) under the first of ``names`` that is
    free; return ``folder/<name>``. Never overwrites, never half-written, never outside the work tree."""
    names = list(names)
    with open_folder(root, folder, create=True) as dir_fd:
        tmp = _temp_in(dir_fd, names[0] if names else "new", data)
        try:
            for name in names:
                if name in ("", ".", "..") or "/" in name or "\\" in name:
                    raise RefusedFileError(f"{folder}/{name}", "not a plain file name", "name a file of the folder.")
                try:
                    # a hard link fails if the name exists, whatever it is (a file, a link, a FIFO)
                    os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
                except FileExistsError:
                    continue
                return f"{folder}/{name}" if folder else name
            raise FileExistsError(f"no free name for {names[0] if names else '?'} in {folder}")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)


def replace_file(root: Path, rel: str, data: bytes) -> None:
    """Replace the regular file ``rel`` whole (a new file renamed over it) keeping its permissions; readers
    see the old text or the new, and a link in its place is refused rather than followed."""
    folder, name = _split(rel)
    with open_folder(root, folder) as dir_fd:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            raise _refuse_link(rel, _link_target(name, dir_fd))
        if not stat.S_ISREG(st.st_mode):
            raise RefusedFileError(rel, f"it is {_kind(st.st_mode)}, not a regular file", f"remove {rel}.")
        tmp = _temp_in(dir_fd, name, data, stat.S_IMODE(st.st_mode))
        try:
            os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise


def conflict_markers(text: str) -> list[tuple[int, str]]:
    """``(line, marker)`` of each merge conflict marker git leaves at a line start: ``<<<<<<<`` and
    ``>>>>>>>`` anywhere, ``|||||||`` and ``=======`` only between them (a lone ``=======`` underlines a
    Markdown heading)."""
    found: list[tuple[int, str]] = []
    inside = False
    for n, line in enumerate(text.splitlines(), 1):
        mark = line[:7]
        if len(set(mark)) != 1 or mark[:1] not in "<>|=" or len(mark) < 7 or line[7:8] not in ("", " ", "\t"):
            continue
        if mark[0] == "<":
            inside = True
        elif mark[0] == ">":
            inside = False
        elif not inside:
            continue
        found.append((n, mark))
    return found


def conflict_message(markers: list[tuple[int, str]]) -> str:
    lines = ", ".join(str(n) for n, _ in markers[:6]) + (" ..." if len(markers) > 6 else "")
    plural = "s" if len(markers) > 1 else ""
    return f"has unresolved merge conflict markers (`{markers[0][1]}` ...) on line{plural} {lines}"


CONFLICT_HINT = ("resolve the merge conflict: keep the text you want, delete the `<<<<<<<`, `=======` and `>>>>>>>` "
                 "lines, then `git add` the file.")
