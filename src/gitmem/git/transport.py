"""Talking to a remote: ``git fetch`` and ``git push`` of exactly the refspecs asked for."""

from __future__ import annotations

import logging
import random
import subprocess
import time
from dataclasses import dataclass
from typing import Sequence

from gitmem.errors import GitError
from gitmem.git.repo import GIT_TIMEOUT_SECONDS, Repo, _git_env

logger = logging.getLogger(__name__)

FETCH_LOCK_ATTEMPTS = 6
_FETCH_TRANSIENT = ("cannot lock ref", "unable to write file", "tmp_pack", "index-pack failed",
                    "cannot store pack file")



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
