"""The only module that runs git.

Everything goes through ``run_git``: an argv list (never a shell), a deadline,
and a ``GitError`` carrying argv, return code and stderr on failure. Above it
sit small typed functions named after the plumbing they run. Output that holds
paths is requested with ``-z`` and split on NUL, so no path is ever unquoted
by hand. Nothing here touches the index, the work tree or HEAD unless a
function's name says so.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from gitmem.errors import GitError, NotARepositoryError, RefUpdateConflict

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 120.0
ZERO_OID = "0" * 40

# Variables a hook runner (pre-push, rebase exec) may leave behind that would
# point our plumbing at another index or work tree.
_STRIPPED_ENV = ("GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX")


def _git_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED_ENV}
    env["LC_ALL"] = "C"
    env["LANGUAGE"] = "C"
    env["GIT_TERMINAL_PROMPT"] = "0"
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

    @property
    def cwd(self) -> Path:
        return self.root if self.root is not None else self.git_dir

    def git(self, *args: str, input: str | None = None, timeout: float = GIT_TIMEOUT_SECONDS) -> str:
        return run_git(*args, cwd=self.cwd, input=input, timeout=timeout)

    def git_bytes(self, *args: str, input: bytes | None = None, check: bool = True,
                  timeout: float = GIT_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[bytes]:
        return run_git_bytes(*args, cwd=self.cwd, input=input, check=check, timeout=timeout)

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
        return f"unknown <unknown@gitmem.invalid> {int(time.time())} {tz}"

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

    def read_blob(self, spec: str) -> bytes | None:
        proc = self.git_bytes("cat-file", "blob", spec, check=False)
        return proc.stdout if proc.returncode == 0 else None

    def fast_import(self, stream: bytes, ref: str) -> bytes:
        """Feed a fast-import stream and return its stdout (``get-mark``/``cat-blob`` answers);
        raise RefUpdateConflict when ``ref`` moved meanwhile.

        With ``from <old tip>`` fast-import refuses to move a ref that no longer
        contains that tip, and updates it in a ref transaction whose old value
        is the one it checked, which makes the write a compare-and-swap.
        """
        proc = self.git_bytes("fast-import", "--quiet", "--done", "--date-format=raw",
                              input=stream, check=False)
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace")
            argv = ["git", "fast-import", f"({ref})"]
            # git says "warning: Not updating <ref> (new tip ... does not contain ...)": match case-insensitively.
            lowered = stderr.lower()
            if "not updating" in lowered or "cannot lock ref" in lowered or "but expected" in lowered:
                raise RefUpdateConflict(argv, proc.returncode, stderr)
            raise GitError(argv, proc.returncode, stderr)
        return proc.stdout

    def is_ancestor(self, a: str, b: str) -> bool:
        return self.git_bytes("merge-base", "--is-ancestor", a, b, check=False).returncode == 0

    def object_size_on_disk(self, oids: Iterable[str]) -> int:
        ids = list(oids)
        if not ids:
            return 0
        out = self.git_bytes("cat-file", "--batch-check=%(objectsize:disk)",
                             input=("\n".join(ids) + "\n").encode()).stdout.decode()
        return sum(int(x) for x in out.split() if x.isdigit())

    def rev_list_objects(self, ref: str) -> Iterator[str]:
        out = self.git("rev-list", "--objects", ref)
        for line in out.splitlines():
            yield line.split(" ", 1)[0]


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
