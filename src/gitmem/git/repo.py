"""Running git: one argv list (never a shell), a deadline, a ``GitError`` on failure; the repository handle.

Every other module of this package, and through it all of gitmem, runs git through ``run_git_bytes``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from gitmem.errors import GitError, NotARepositoryError, RefUpdateConflict, WriteInterrupted

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 120.0
ZERO_OID = "0" * 40
PLACEHOLDER_NAME, PLACEHOLDER_EMAIL = "unknown", "unknown@gitmem.invalid"  # recorded when git has no identity
PLACEHOLDER_IDENT = f"{PLACEHOLDER_NAME} <{PLACEHOLDER_EMAIL}>"  # as Repo.ident and commit_tree write it

# Variables a hook runner (pre-push, rebase exec) may leave behind that would
# point our plumbing at another index or work tree.
_STRIPPED_ENV = ("GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX")


def _git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    env["LC_ALL"] = "C"
    env["LANGUAGE"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
    # gitmem only reads the user's index: `git status` must not take index.lock to refresh it, or a
    # user's `git commit` running at that moment fails ("index.lock exists").
    env["GIT_OPTIONAL_LOCKS"] = "0"
    if extra:
        env.update(extra)
    return env


def run_git_bytes(
    *args: str,
    cwd: str | os.PathLike[str] | None = None,
    input: bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = GIT_TIMEOUT_SECONDS,
    check: bool = True,
) -> subprocess.CompletedProcess[bytes]:
    argv = ["git", *args]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            input=input,
            capture_output=True,
            env=_git_env(env),
            timeout=timeout,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise GitError(argv, 127, "git is not installed or not on PATH",
                       hint="install git (2.38 or newer) and retry.") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(argv, -1, f"timed out after {timeout:.0f} s") from exc
    if check and proc.returncode != 0:
        raise GitError(argv, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc


def run_git(*args: str, cwd: str | os.PathLike[str] | None = None, input: str | None = None,
            timeout: float = GIT_TIMEOUT_SECONDS) -> str:
    """Run git and return its stdout as text; raise GitError on failure."""
    proc = run_git_bytes(*args, cwd=cwd, input=None if input is None else input.encode(),
                         timeout=timeout)
    return proc.stdout.decode("utf-8", "surrogateescape")


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str
    type: str
    oid: str
    path: str


@dataclass(frozen=True, slots=True)
class Repo:
    """Where a repository lives: its work tree (None when bare), git dir and common dir."""

    root: Path | None
    git_dir: Path
    common_dir: Path
    env: tuple[tuple[str, str], ...] = ()  # extra environment for every git it runs (see ``quarantine``)

    @property
    def cwd(self) -> Path:
        return self.root if self.root is not None else self.git_dir

    def git(self, *args: str, input: str | None = None, timeout: float = GIT_TIMEOUT_SECONDS) -> str:
        proc = run_git_bytes(*args, cwd=self.cwd, input=None if input is None else input.encode(), timeout=timeout,
                             env=dict(self.env) or None)
        return proc.stdout.decode("utf-8", "surrogateescape")

    def git_bytes(self, *args: str, input: bytes | None = None, check: bool = True,
                  timeout: float = GIT_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[bytes]:
        return run_git_bytes(*args, cwd=self.cwd, input=input, check=check, timeout=timeout,
                             env=dict(self.env) or None)

    # -- refs -----------------------------------------------------------------

    def resolve(self, rev: str) -> str | None:
        """The object id ``rev`` names, or None when it does not exist."""
        proc = self.git_bytes("rev-parse", "--verify", "--quiet", "--end-of-options", rev, check=False)
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().strip() or None

    def update_ref(self, ref: str, new: str, old: str | None, message: str = "gitmem") -> None:
        """Compare-and-swap ``ref`` from ``old`` (None: must not exist) to ``new``."""
        proc = self.git_bytes("update-ref", "-m", message, ref, new, old or ZERO_OID, check=False)
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            raise RefUpdateConflict(["git", "update-ref", ref, new, old or ZERO_OID], proc.returncode, stderr)

    def delete_ref(self, ref: str) -> None:
        self.git_bytes("update-ref", "-d", ref, check=False)

    def for_each_ref(self, prefix: str) -> dict[str, str]:
        out = self.git("for-each-ref", "--format=%(objectname) %(refname)", prefix)
        refs: dict[str, str] = {}
        for line in out.splitlines():
            oid, _, name = line.partition(" ")
            refs[name] = oid
        return refs

    # -- identity -------------------------------------------------------------

    def ident(self, kind: str = "COMMITTER") -> str:
        """``Name <email> <epoch> <tz>`` as git would record it now.

        Falls back to a placeholder identity when the user never configured
        one, so that capture never fails; the commit message says so.
        """
        proc = self.git_bytes("var", f"GIT_{kind}_IDENT", check=False)
        if proc.returncode == 0:
            return proc.stdout.decode("utf-8", "replace").strip()
        import time

        logger.warning("git has no user identity configured; using a placeholder")
        offset = -time.timezone if not time.localtime().tm_isdst else -time.altzone
        sign = "+" if offset >= 0 else "-"
        tz = f"{sign}{abs(offset) // 3600:02d}{abs(offset) % 3600 // 60:02d}"
        return f"{PLACEHOLDER_IDENT} {int(time.time())} {tz}"

    def config_get(self, key: str) -> str | None:
        proc = self.git_bytes("config", "--get", key, check=False)
        return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None

    def current_branch(self) -> str:
        """The short branch name, or ``HEAD`` when detached or before the first commit on an unborn branch name."""
        proc = self.git_bytes("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        if proc.returncode == 0:
            return proc.stdout.decode("utf-8", "replace").strip()
        return "HEAD"

    # -- trees and blobs --------------------------------------------------------

    def ls_tree(self, treeish: str, path: str | None = None, recursive: bool = False) -> list[TreeEntry]:
        args = ["ls-tree", "-z", "--full-tree"]
        if recursive:
            args.append("-r")
        args.append(treeish)
        if path:
            args += ["--", path]
        proc = self.git_bytes(*args, check=False)
        if proc.returncode != 0:
            return []
        entries: list[TreeEntry] = []
        for item in proc.stdout.split(b"\0"):
            if not item:
                continue
            meta, _, name = item.partition(b"\t")
            mode, otype, oid = meta.decode().split(" ")
            entries.append(TreeEntry(mode, otype, oid, name.decode("utf-8", "surrogateescape")))
        return entries

    def read_blobs(self, oids: Sequence[str]) -> dict[str, bytes]:
        """Read many objects through one ``git cat-file --batch`` process."""
        if not oids:
            return {}
        unique = list(dict.fromkeys(oids))
        proc = self.git_bytes("cat-file", "--batch", input=("\n".join(unique) + "\n").encode())
        data = proc.stdout
        out: dict[str, bytes] = {}
        pos = 0
        for oid in unique:
            nl = data.index(b"\n", pos)
            header = data[pos:nl].decode()
            pos = nl + 1
            if header.endswith(" missing"):
                continue
            size = int(header.rsplit(" ", 1)[1])
            out[oid] = data[pos:pos + size]
            pos += size + 1
        return out

    @contextlib.contextmanager
    def object_reader(self) -> Iterator["ObjectReader"]:
        """One ``git cat-file --batch-command`` for many dependent reads (one process, not one per read)."""
        proc = subprocess.Popen(["git", "cat-file", "--batch-command"], cwd=self.cwd, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env(),
                                start_new_session=True)
        try:
            yield ObjectReader(proc)
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                proc.wait(timeout=GIT_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def fast_import(self, stream: bytes, ref: str, *, bulk: bool = False) -> bytes:
        """Feed a fast-import stream and return its stdout (``get-mark``/``cat-blob`` answers);
        raise RefUpdateConflict when ``ref`` moved meanwhile.

        With ``from <old tip>`` fast-import refuses to move a ref that no longer
        contains that tip, and updates it in a ref transaction whose old value
        is the one it checked, which makes the write a compare-and-swap.
        """
        # bulk: thousands of files at once (a rebuild or an import). No delta search and light
        # compression halve the time for a pack a few percent larger; `git gc` deltifies later.
        tuning = ("-c", "pack.compression=1", "fast-import", "--depth=0") if bulk else ("fast-import",)
        # Always a pack, never loose objects: fast-import keeps its pack (a .keep file) until the ref points at
        # it, whereas loose objects written below transfer.unpackLimit (100) are unreachable, and so pruned by
        # a concurrent `git gc --prune=now`, until the ref update lands (a commit or tree lost under the ref).
        proc = self.git_bytes("-c", "fastimport.unpackLimit=0", *tuning, "--quiet", "--done", "--date-format=raw",
                              input=stream, check=False)
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            argv = ["git", "fast-import", f"({ref})"]
            # git says "warning: Not updating <ref> (new tip ... does not contain ...)": match case-insensitively.
            lowered = stderr.lower()
            if "not updating" in lowered or "cannot lock ref" in lowered or "but expected" in lowered:
                raise RefUpdateConflict(argv, proc.returncode, stderr)
            if "no space left" not in lowered and any(
                    t in lowered for t in ("cannot store pack file", "unable to write file", "cannot create keep file")):
                raise WriteInterrupted(argv, proc.returncode, stderr)  # a concurrent gc pruned or repacked its pack
            raise GitError(argv, proc.returncode, stderr)
        return proc.stdout

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.git_bytes("merge-base", "--is-ancestor", a, b, check=False).returncode == 0

    def ref_lock_path(self, ref: str) -> Path:
        """The lock file git creates beside a loose ref while it updates it."""
        return self.common_dir / (ref + ".lock")


def read_reflog(repo: Repo, ref: str) -> list[str]:
    """The values ``ref`` had, newest first, read from its reflog file (no object needs to exist)."""
    try:
        data = (repo.common_dir / "logs" / ref).read_bytes()
    except OSError:
        return []
    out: list[str] = []
    for line in reversed(data.splitlines()):
        parts = line.split(b" ", 2)
        if len(parts) >= 2 and len(parts[1]) in (40, 64) and parts[1] != ZERO_OID.encode():
            oid = parts[1].decode("ascii", "replace")
            if oid not in out:
                out.append(oid)
    return out


class ObjectReader:
    """Requests to a running ``cat-file --batch-command``: ``contents`` (objects) and ``info`` (type, size)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc

    def _ask(self, command: str, oids: Sequence[str]) -> list[tuple[str, str, bytes | int]]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        unique = list(dict.fromkeys(oids))
        if not unique:
            return []
        data = "".join(f"{command} {o}\n" for o in unique).encode()
        writer = None
        if len(data) < 16384:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        else:   # git answers while we still write: feed it from a thread, or both ends wait on a full pipe
            import threading

            def feed() -> None:
                assert self._proc.stdin is not None
                self._proc.stdin.write(data)
                self._proc.stdin.flush()

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
        out: list[tuple[str, str, bytes | int]] = []
        for oid in unique:
            header = self._proc.stdout.readline().decode().split()
            if len(header) != 3:
                out.append((oid, "missing", 0))
                continue
            size = int(header[2])
            if command == "contents":
                content = self._proc.stdout.read(size + 1)[:size]
                out.append((oid, header[1], content))
            else:
                out.append((oid, header[1], size))
        if writer is not None:
            writer.join()
        return out

    def read(self, oids: Sequence[str]) -> dict[str, bytes]:
        return {oid: data for oid, kind, data in self._ask("contents", oids)
                if kind != "missing" and isinstance(data, bytes)}

    def info(self, oids: Sequence[str]) -> dict[str, tuple[str, int]]:
        return {oid: (kind, int(size)) for oid, kind, size in self._ask("info", oids)}


def discover(path: str | os.PathLike[str] | None = None) -> Repo:
    """Find the repository containing ``path`` (default: the current directory)."""
    where = Path(path) if path is not None else Path.cwd()
    if not where.exists():
        raise NotARepositoryError(f"{where} does not exist")
    proc = run_git_bytes("rev-parse", "--path-format=absolute", "--git-dir", "--git-common-dir",
                         "--is-bare-repository", cwd=where, check=False)
    if proc.returncode != 0:
        raise NotARepositoryError(f"{where} is not inside a git repository")
    git_dir, common_dir, bare = proc.stdout.decode("utf-8", "surrogateescape").splitlines()[:3]
    root: Path | None = None
    if bare.strip() != "true":
        top = run_git_bytes("rev-parse", "--show-toplevel", cwd=where, check=False)
        if top.returncode == 0 and top.stdout.strip():
            root = Path(top.stdout.decode("utf-8", "surrogateescape").strip())
    return Repo(root=root, git_dir=Path(git_dir), common_dir=Path(common_dir))


def git_version() -> str:
    try:
        return run_git("--version").strip()
    except GitError as exc:
        return f"git unavailable ({exc.stderr})"
