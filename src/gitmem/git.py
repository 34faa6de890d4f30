"""The only module that runs git.

Everything goes through ``run_git``: an argv list (never a shell), a deadline,
and a ``GitError`` carrying argv, return code and stderr on failure. Above it
sit small typed functions named after the plumbing they run. Output that holds
paths is requested with ``-z`` and split on NUL, so no path is ever unquoted
by hand. Nothing here touches the index, the work tree or HEAD unless a
function's name says so.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from gitmem.errors import GitError, NotARepositoryError, RefUpdateConflict, WriteInterrupted

logger = logging.getLogger(__name__)

GIT_TIMEOUT_SECONDS = 120.0
FETCH_LOCK_ATTEMPTS = 6
_FETCH_TRANSIENT = ("cannot lock ref", "unable to write file", "tmp_pack", "index-pack failed",
                    "cannot store pack file")
ZERO_OID = "0" * 40

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


class Quarantine:
    """Objects written through ``repo`` land in a private folder under ``objects/`` that gc never looks in.

    Loose objects are unreachable until a ref points at them, so a ``git gc --prune=now`` running meanwhile
    deletes them (a merge commit or tree missing under the ref). ``keep`` moves them into a pack with a
    ``.keep`` file, which gc neither repacks nor prunes; the ``.keep`` goes when the ``with`` block ends,
    after the caller moved its ref. This is git's own quarantine of a push (receive-pack), done by hand.
    """

    def __init__(self, real: Repo, folder: Path) -> None:
        self.folder = folder
        self._real = real
        self._keeps: list[Path] = []
        objects = real.common_dir / "objects"
        self.repo = Repo(real.root, real.git_dir, real.common_dir, real.env + (
            ("GIT_OBJECT_DIRECTORY", str(folder)),
            ("GIT_ALTERNATE_OBJECT_DIRECTORIES", os.pathsep.join(
                [str(objects), *(v for k, v in real.env if k == "GIT_ALTERNATE_OBJECT_DIRECTORIES")]))))

    def _written(self) -> list[str]:
        oids = []
        for sub in sorted(self.folder.iterdir()):
            if len(sub.name) == 2 and sub.is_dir():
                oids += [sub.name + f.name for f in sub.iterdir() if len(f.name) in (38, 62)]
        return oids

    def keep(self) -> None:
        """Move what was written so far into a kept pack of the repository (WriteInterrupted: retry)."""
        oids = self._written()
        if not oids:
            return
        pack = self.repo.git_bytes("pack-objects", "--stdout", "-q", input=("\n".join(oids) + "\n").encode()).stdout
        # index-pack creates the .keep before the pack becomes visible: no moment where gc could drop it.
        proc = self._real.git_bytes("index-pack", "--stdin", "--keep=gitmem: until its ref update", input=pack,
                                    check=False)
        if proc.returncode != 0:
            raise WriteInterrupted(["git", "index-pack", "--stdin", "--keep"], proc.returncode,
                                   proc.stderr.decode("utf-8", "replace"))
        name = proc.stdout.decode("ascii", "replace").split()[-1]
        self._keeps.append(self._real.common_dir / "objects" / "pack" / f"pack-{name}.keep")
        for sub in self.folder.iterdir():
            if len(sub.name) == 2 and sub.is_dir():
                shutil.rmtree(sub, ignore_errors=True)

    def release(self) -> None:
        for keep in self._keeps:
            keep.unlink(missing_ok=True)
        self._keeps.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def quarantine(repo: Repo) -> Iterator[Quarantine]:
    """A ``Quarantine`` for objects written before a ref update; its packs are unkept on the way out."""
    objects = repo.common_dir / "objects"
    q = Quarantine(repo, Path(tempfile.mkdtemp(prefix="incoming-gitmem-", dir=objects)))
    try:
        yield q
    finally:
        q.release()


def missing_objects(repo: Repo, rev: str, timeout: float = GIT_TIMEOUT_SECONDS) -> str | None:
    """Why ``rev`` and the history and trees under it cannot be read in full (None when they can).

    ``rev-list --objects`` walks every commit, tree and blob reachable from ``rev`` (what `git fsck`
    would check for one ref) and fails on the first one missing or corrupt.
    """
    proc = repo.git_bytes("rev-list", "--objects", "--no-object-names", rev, "--", check=False, timeout=timeout)
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else f"git rev-list exited {proc.returncode}"


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


# -- sync plumbing (used by gitmem.sync) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """One line of ``git diff-tree -r -z --raw``: a blob that was added, modified or deleted."""

    old_mode: str
    new_mode: str
    old_oid: str | None    # None when the path was added
    new_oid: str | None    # None when the path was deleted
    status: str
    path: str


@dataclass(frozen=True, slots=True)
class PushStatus:
    """One ref line of ``git push --porcelain``."""

    flag: str              # ' ' fast-forward, '*' new, '=' up to date, '!' rejected, '+' forced, '-' deleted
    src: str
    dst: str
    summary: str           # e.g. "[rejected] (fetch first)", "[remote rejected] (hook declined)"

    @property
    def accepted(self) -> bool:
        return self.flag in (" ", "*", "=", "+", "-")


def empty_tree(repo: Repo) -> str:
    """The id of the empty tree in this repository's hash (git knows it without storing it)."""
    return repo.git_bytes("hash-object", "-t", "tree", "--stdin", input=b"").stdout.decode().strip()


def merge_base(repo: Repo, a: str, b: str) -> str | None:
    """The best common ancestor of two commits, or None when their histories are unrelated."""
    proc = repo.git_bytes("merge-base", a, b, check=False)
    if proc.returncode == 1:
        return None
    if proc.returncode != 0:
        raise GitError(["git", "merge-base", a, b], proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout.decode().strip() or None


def _parse_raw_diff(out: bytes) -> list[DiffEntry]:
    entries: list[DiffEntry] = []
    items = out.split(b"\0")
    i = 0
    while i + 1 < len(items):
        meta = items[i].decode()
        if not meta.startswith(":"):
            i += 1
            continue
        old_mode, new_mode, old_oid, new_oid, status = meta[1:].split(" ")
        path = items[i + 1].decode("utf-8", "surrogateescape")
        entries.append(DiffEntry(old_mode, new_mode, old_oid if old_oid.strip("0") else None,
                                 new_oid if new_oid.strip("0") else None, status[:1], path))
        i += 2
    return entries


def diff_tree(repo: Repo, a: str, b: str) -> list[DiffEntry]:
    """Every blob that differs between two tree-ish (``-r``, no rename detection).

    git skips subtrees whose ids are equal, so the cost follows the size of the
    change, not of the trees.
    """
    out = repo.git_bytes("diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-abbrev", a, b).stdout
    return _parse_raw_diff(out)


def run_git_parallel(repo: Repo, argvs: Sequence[Sequence[str]],
                     timeout: float = GIT_TIMEOUT_SECONDS) -> list[subprocess.CompletedProcess[bytes]]:
    """Several git commands side by side (their results in order); no check of return codes."""
    procs = [subprocess.Popen(["git", *argv], cwd=repo.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=_git_env(dict(repo.env)), start_new_session=True)
             for argv in argvs]
    results: list[subprocess.CompletedProcess[bytes]] = []
    try:
        for proc, argv in zip(procs, argvs):
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise GitError(["git", *argv], -1, f"timed out after {timeout:.0f} s") from exc
            results.append(subprocess.CompletedProcess(["git", *argv], proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def _diff_argv(a: str, b: str) -> list[str]:
    return ["diff-tree", "-r", "-z", "--raw", "--no-renames", "--no-abbrev", a, b]


def diff_trees(repo: Repo, pairs: Sequence[tuple[str, str]],
               timeout: float = GIT_TIMEOUT_SECONDS) -> list[list[DiffEntry]]:
    """``diff_tree`` for several pairs at once: one git process per pair, run side by side."""
    results = []
    for proc in run_git_parallel(repo, [_diff_argv(a, b) for a, b in pairs], timeout):
        if proc.returncode != 0:
            raise GitError(proc.args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
        results.append(_parse_raw_diff(proc.stdout))
    return results


@dataclass(frozen=True, slots=True)
class ConflictStage:
    """One stage of a conflicted path in ``merge-tree`` output: 1 base, 2 ours, 3 theirs."""

    mode: str
    oid: str
    stage: int
    path: str


@dataclass(frozen=True, slots=True)
class MergeTree:
    tree: str
    conflicts: tuple[ConflictStage, ...] = ()


def _merge_tree_argv(ours: str, theirs: str) -> list[str]:
    return ["merge-tree", "--write-tree", "-z", "--no-messages", "--allow-unrelated-histories", ours, theirs]


def _parse_merge_tree(proc: subprocess.CompletedProcess[bytes]) -> MergeTree:
    if proc.returncode not in (0, 1):
        # 129 is git's usage error (no --write-tree before 2.38); anything else is git failing on these trees.
        hint = ("gitmem needs git 2.38 or newer for `git merge-tree --write-tree`." if proc.returncode == 129 else
                "git could not merge these memory trees; run `gitmem sync -v` and report the output.")
        raise GitError(proc.args, proc.returncode, proc.stderr.decode("utf-8", "replace"), hint=hint)
    parts = proc.stdout.split(b"\0")
    stages = []
    if proc.returncode == 1:
        for item in parts[1:]:
            if not item:
                break
            meta, _, path = item.partition(b"\t")
            mode, oid, stage = meta.decode().split(" ")
            stages.append(ConflictStage(mode, oid, int(stage), path.decode("utf-8", "surrogateescape")))
    return MergeTree(parts[0].decode().strip(), tuple(stages))


def merge_tree(repo: Repo, ours: str, theirs: str) -> MergeTree:
    """``git merge-tree --write-tree`` (git >= 2.38): the merged tree, and the stages of conflicted paths."""
    return _parse_merge_tree(repo.git_bytes(*_merge_tree_argv(ours, theirs), check=False))


def _run_transport(repo: Repo, argv: list[str], *, progress: bool, env: dict[str, str] | None,
                   timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run a fetch or push; with ``progress`` git's stderr (its progress meter) goes to ours."""
    try:
        return subprocess.run(argv, cwd=repo.cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=None if progress else subprocess.PIPE, env=_git_env(env),
                              timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired as exc:
        raise GitError(argv, -1, f"timed out after {timeout:.0f} s",
                       hint="check the network and the remote, then run `gitmem sync`.") from exc


def fetch(repo: Repo, remote: str, refspecs: Sequence[str], *, progress: bool = False,
          env: dict[str, str] | None = None, timeout: float = GIT_TIMEOUT_SECONDS, options: Sequence[str] = ()) -> None:
    """``git fetch`` of exactly ``refspecs``: no tags, no FETCH_HEAD, no submodules, no auto gc.
    ``options``: more fetch options, such as ``--depth=200``."""
    # fetch.unpackLimit=1: what arrives is kept as a pack with a .keep file until the tracking ref points at
    # it, never as loose objects a concurrent `git gc --prune=now` could delete before the ref update.
    argv = ["git", "-c", "fetch.unpackLimit=1", "fetch", "--no-tags", "--no-write-fetch-head",
            "--recurse-submodules=no", "--no-auto-maintenance", "--progress" if progress else "--quiet", *options,
            "--", remote, *refspecs]
    for attempt in range(1, FETCH_LOCK_ATTEMPTS + 1):
        proc = _run_transport(repo, argv, progress=progress, env=env, timeout=timeout)
        err = proc.stderr.decode("utf-8", "replace") if proc.stderr is not None else ""
        if proc.returncode == 0 or not any(t in err for t in _FETCH_TRANSIENT) or attempt == FETCH_LOCK_ATTEMPTS:
            break
        # Another fetch (a second sync, the user's own `git fetch`) is updating the same tracking ref, or a
        # concurrent `git gc` pruned the pack being received.
        logger.debug("fetch failed for a passing reason (attempt %d); retrying: %s", attempt, err.strip()[:200])
        time.sleep(random.uniform(0.05, 0.2) * attempt)
    if proc.returncode != 0:
        stderr = proc.stderr.decode("utf-8", "replace") if proc.stderr is not None else "(see above)"
        raise GitError(argv, proc.returncode, stderr)


def push(repo: Repo, remote: str, refspecs: Sequence[str], *, progress: bool = False,
         env: dict[str, str] | None = None, timeout: float = GIT_TIMEOUT_SECONDS,
         lease: Sequence[str] = ()) -> tuple[list[PushStatus], str]:
    """``git push --porcelain --no-verify``; the status of each ref and git's stderr.

    Never forces, except with ``lease`` (``<ref>:<expected remote value>``): a rewrite that git
    refuses when the remote's ref moved since it was read (``--force-with-lease``).

    No hooks run (``--no-verify``), no tags follow and nothing is signed: this
    pushes exactly ``refspecs``. A rejection is a status, not an exception;
    a failure with no status line (no such remote, network) raises GitError.
    """
    argv = ["git", "push", "--porcelain", "--no-verify", "--no-follow-tags", "--no-signed",
            "--recurse-submodules=no", "--progress" if progress else "--no-progress",
            *(f"--force-with-lease={x}" for x in lease), "--", remote, *refspecs]
    proc = _run_transport(repo, argv, progress=progress, env=env, timeout=timeout)
    stderr = proc.stderr.decode("utf-8", "replace") if proc.stderr is not None else ""
    statuses: list[PushStatus] = []
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and len(parts[0]) == 1:
            src, _, dst = parts[1].partition(":")
            statuses.append(PushStatus(parts[0], src, dst, parts[2].strip()))
    if proc.returncode != 0 and not statuses:
        raise GitError(argv, proc.returncode, stderr or "(see above)")
    return statuses, stderr
