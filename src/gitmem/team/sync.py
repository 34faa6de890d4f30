"""Share the memory ref with a remote: fetch, merge, push.

Invariants:
- A remote's ``refs/notes/gitmem`` is fetched into a tracking ref,
  ``refs/gitmem/remotes/<remote>/memory``, never onto the local memory ref;
  ``merge`` brings it in by compare-and-swap.
- Pushes never force and run no hooks. A rejected push fetches, merges and
  retries at most ``MAX_PUSH_ATTEMPTS`` times, then reports; the local ref
  keeps everything. A local history rewritten by ``gitmem forget`` goes out
  with ``--force-with-lease`` on the tip just fetched and merged.
- Every git process a sync starts has ``SYNC_ENV`` set, so the pre-push hook
  it may trigger does nothing.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import asdict, dataclass

from gitmem import git as gitcmd
from gitmem import switches
from gitmem.config import MEMORY_REF
from gitmem.git import Repo
from gitmem.git.refs import set_ref
from gitmem.progress import Progress
from gitmem.store.memory_ref import memory_tip
from gitmem.team import sharing
from gitmem.team.merge import sessions_changed, expire_memory_reflogs, merge_memory, read_tips
from gitmem.team.resolve import Conflict
from gitmem.team.setup import default_remote
from gitmem.team.sharing import ensure_refspec, refspec_for, tracking_ref

logger = logging.getLogger(__name__)

# Set in the environment of every git process a sync starts; the hook then does nothing.
SYNC_ENV = switches.SYNC
MAX_PUSH_ATTEMPTS = 10   # a race lost means another pusher landed: 10 attempts cover 10 clones pushing at once

# Rejections that mean "someone else pushed meanwhile": always worth a fetch, merge and retry.
_TRANSIENT = ("fetch first", "non-fast-forward", "stale info", "cannot lock ref", "failed to update ref",
              "failed to lock", "incorrect old value", "but expected", "unable to create", "reference already exists")


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one ``gitmem sync`` (or background sync after a push) did."""

    remote: str
    fetched: int = 0                 # sessions that came in from the remote (new or changed folders)
    pushed: int = 0                  # sessions that went out
    merged: bool = False             # a merge commit was written
    fast_forward: bool = False       # the local ref moved to the remote's without a merge
    conflicts: tuple[Conflict, ...] = ()
    retries: int = 0                 # push attempts after the first
    local_tip: str | None = None
    remote_tip: str | None = None
    error: str = ""                  # why the memory did not reach the remote; "" when it did
    not_pushed: str = ""             # why no push was tried (held, remote not enabled, remote refuses)
    skipped: tuple[str, ...] = ()    # fetched entries left out as invalid: "path: problem"
    dropped: int = 0                 # files dropped because a `gitmem forget` arrived
    forced: bool = False             # pushed a rewrite with --force-with-lease on the fetched tip

    @property
    def ok(self) -> bool:
        return not self.error

    def to_dict(self) -> dict:
        data = asdict(self)
        data["conflicts"] = [asdict(c) for c in self.conflicts]
        data["skipped"] = list(self.skipped)
        return data


# -- fetch and push ------------------------------------------------------------------------------


def fetch_memory(repo: Repo, remote: str, *, progress: bool = False,
                 timeout: float = gitcmd.GIT_TIMEOUT_SECONDS) -> tuple[str | None, str | None]:
    """Fetch the remote's memory ref into its tracking ref: its (commit, tree), or Nones when it has none."""
    track = tracking_ref(remote)
    gitcmd.fetch(repo, remote, [refspec_for(remote)], progress=progress, env={SYNC_ENV: "1"},
                 timeout=timeout)
    return read_tips(repo, track).get(track, (None, None))


@dataclass(frozen=True, slots=True)
class PushOutcome:
    accepted: bool
    summary: str        # git's status text, e.g. "[remote rejected] (hook declined)"
    detail: str         # git's stderr (the remote's own messages)

    @property
    def transient(self) -> bool:
        text = (self.summary + " " + self.detail).lower()
        return any(t in text for t in _TRANSIENT)


def push_memory(repo: Repo, remote: str, *, progress: bool = False,
                timeout: float = gitcmd.GIT_TIMEOUT_SECONDS, lease: str | None = None) -> PushOutcome:
    """One push of the local memory ref to the remote's, without hooks; without force, or, with
    ``lease`` (the remote tip it replaces, "" for none), a rewrite that fails if the remote moved."""
    statuses, stderr = gitcmd.push(repo, remote, [f"{MEMORY_REF}:{MEMORY_REF}"], progress=progress,
                                   env={SYNC_ENV: "1"}, timeout=timeout,
                                   lease=() if lease is None else (f"{MEMORY_REF}:{lease}",))
    status = next((s for s in statuses if s.dst == MEMORY_REF), None)
    if status is None:
        return PushOutcome(False, "no status for the memory ref", stderr.strip())
    return PushOutcome(status.accepted, status.summary, stderr.strip())


def sync(repo: Repo, remote: str | None = None, *, progress: bool = False,
         max_attempts: int = MAX_PUSH_ATTEMPTS, timeout: float = gitcmd.GIT_TIMEOUT_SECONDS,
         background: bool = False, steps: Progress | None = None) -> SyncResult:
    """Fetch the remote's memory, merge it into the local ref and push the result.

    ``remote`` must be a configured remote (a URL gets a GitmemError with a
    hint). The push happens only when the remote is enabled for memory and
    pushes are not held (``sharing``); otherwise ``not_pushed`` says why.
    ``background`` (the job after ``git push``) also skips a remote that
    refused memory before. A rejected push is retried after a fresh fetch and
    merge, at most ``max_attempts`` pushes in all. A rejection that is not a
    race (a server hook, a permission) ends at once when the remote's ref did
    not move, and is remembered. A local history rewritten by ``gitmem
    forget`` goes out with ``--force-with-lease`` on the tip just fetched and
    merged. Push failures come back in ``SyncResult.error``; fetch failures
    raise GitError. ``steps`` is told each step done (fetch, merge, push; three more per retry), and all
    done when the sync ends.
    """
    remote = remote or default_remote(repo)
    sharing.require_remote(repo, remote)
    ensure_refspec(repo, remote)
    not_pushed = ""
    if sharing.is_held(repo):
        not_pushed = "memory pushes are held in this clone (`gitmem sync --release` lets them go)"
    elif not sharing.push_enabled(repo, remote):
        not_pushed = (f"memory is not pushed to {remote}: it is not enabled for memory "
                      f"(`gitmem remote add {remote}` enables it)")
    elif background and (refused := sharing.refusal(repo.common_dir, remote)):
        not_pushed = (f"{remote} refused the memory ref ({refused['reason']}); not retried after each push "
                      f"(`gitmem sync {remote}` tries again, `gitmem remote disable {remote}` stops trying)")
    fetched = pushes = dropped = 0
    conflicts: list[Conflict] = []
    skipped: list[str] = []
    merged = ff = forced = False
    last: PushOutcome | None = None
    remote_tip: str | None = None
    what, done, total = f"syncing memory with {remote} (fetch, merge, push)", 0, 3

    def step(finished: bool = False) -> None:
        nonlocal done
        done = total if finished else done + 1
        if steps is not None:
            steps(what, done, total)

    def result(local: str | None, tip: str | None, out: int = 0, error: str = "", why: str = "") -> SyncResult:
        step(finished=True)
        return SyncResult(remote, fetched, out, merged, ff, tuple(conflicts), max(pushes - 1, 0), local, tip,
                          error, why, tuple(dict.fromkeys(skipped)), dropped, forced)

    if steps is not None:
        steps(what, 0, total)
    for _round in range(max_attempts):
        previous = remote_tip
        remote_tip, remote_tree = fetch_memory(repo, remote, progress=progress, timeout=timeout)
        step()
        if last is not None and not last.transient and remote_tip == previous:
            break  # the remote refused, and nobody else pushed meanwhile: it would refuse again
        merge = merge_memory(repo, remote_tip, theirs_tree=remote_tree, label=remote)
        fetched += merge.sessions_in
        conflicts += merge.conflicts
        skipped += [f"{b.path}: {b.problem}" for b in merge.skipped]
        dropped += merge.dropped
        merged |= merge.kind == "merge"
        ff |= merge.kind in ("fast-forward", "created")
        step()
        local = memory_tip(repo)
        if local is None or local == remote_tip or not_pushed:
            return result(local, remote_tip, why=not_pushed if local not in (None, remote_tip) else "")
        outgoing = sessions_changed(repo, remote_tip, local)
        rewrite = remote_tip is not None and not repo.is_ancestor(remote_tip, local)
        last = push_memory(repo, remote, progress=progress, timeout=timeout,
                           lease=(remote_tip or "") if rewrite else None)
        pushes += 1
        step()
        if last.accepted:
            forced |= rewrite
            set_ref(repo, tracking_ref(remote), local, "gitmem: pushed")
            if rewrite:
                expire_memory_reflogs(repo)
            sharing.clear_refusal(repo.common_dir, remote)
            logger.info("pushed memory to %s (%d session(s), push %d%s)", remote, outgoing, pushes,
                        ", a rewrite with lease" if rewrite else "")
            return result(local, local, outgoing)
        logger.info("memory push to %s rejected (push %d): %s", remote, pushes, last.summary)
        total += 3
        if pushes < max_attempts:
            time.sleep(random.uniform(0.05, 0.25) * min(pushes, 4))
    assert last is not None
    said = _remote_said(last.detail)
    reason = last.summary + (f"; {said}" if said else "")
    if not last.transient:
        sharing.record_refusal(repo.common_dir, remote, reason, remote_tip)
    error = (f"the memory push to {remote} was rejected {pushes} time(s) ({reason}); nothing is lost: your "
             f"memory stays in {MEMORY_REF} and goes out with the next push or `gitmem sync {remote}`")
    if not last.transient:
        error += (f". The background push after `git push` no longer tries {remote}; "
                  f"`gitmem remote disable {remote}` stops `gitmem sync` trying too")
    logger.info(error)  # the caller reports it (once); the log keeps it
    return result(memory_tip(repo), remote_tip, error=error)



def _remote_said(stderr: str) -> str:
    """The server's own words (``remote:`` lines) from git's stderr, else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    remote = [line[len("remote:"):].strip() for line in lines if line.startswith("remote:")]
    return " / ".join(r for r in remote if r)[:300] if remote else (lines[-1][:300] if lines else "")

