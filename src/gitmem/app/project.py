"""A repository's gitmem set-up: ``init``, ``status`` and ``uninstall``.

``init_repository`` is idempotent: it creates only what is missing and
never rewrites a file a person may have edited. It records the git config
entries it added (a before/after diff of the repository's own config, so
whatever ``sync`` sets up is covered) in ``<git-common-dir>/gitmem/init.json``.

``uninstall_repository`` undoes it: every agent's hooks (agents/registry.py: Claude Code's, the Codex CLI's
and their trust entries, the Copilot CLI's, Cursor's and the brief's rules file, the Gemini CLI's), the
``.mcp.json`` entry, what ``setup.remove_sync_setup`` removes (pre-push hook, refspecs), the
recorded config entries, the files init created that nobody changed or
committed, and the local state folder. A repository that had nothing of
gitmem's before ``init`` is byte for byte as it was. The memory ref stays
unless ``purge_memory``; so do spooled sessions not yet flushed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gitmem import worktree_files
from gitmem.agents import registry
from gitmem.app import agent_status
from gitmem.capture import spool
from gitmem.config import CONFIG_FILE, DECISIONS_DIR, GITMEM_DIR, MEMORY_REF, load_config, read_template, state_dir
from gitmem.errors import NotInitializedError
from gitmem.git import Repo
from gitmem.git.config import author_ident, local_config_entries, remote_names, remove_local_config
from gitmem.git.objects import paths_in_tree
from gitmem.git.refs import delete_ref_at, symref_targets, upstream_ref
from gitmem.git.worktree import is_tracked
from gitmem.integrations import mcp_config
from gitmem.integrations.install import SHARED_SETTINGS, ClaudeHooksStatus, InstallResult
from gitmem.store import memory_ref
from gitmem.team import after_push, setup, sharing

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InitResult:
    root: Path
    created: tuple[str, ...]
    state_dir: Path
    identity_warning: str | None = None
    # Team files a fetched upstream branch has and this checkout lacks: path -> branch. init creates none
    # of them, since an untracked copy makes `git pull` stop (issue 14 item 13).
    awaiting_pull: dict[str, str] = field(default_factory=dict)
    unfetched: tuple[str, ...] = ()     # remotes that could not be checked for those files

    def notes(self) -> tuple[str, ...]:
        notes = []
        if self.awaiting_pull:
            where = sorted(set(self.awaiting_pull.values()))
            notes.append(f"{', '.join(self.awaiting_pull)} {'is' if len(self.awaiting_pull) == 1 else 'are'} on "
                         f"{', '.join(where)} but not in this checkout, so gitmem created no copy (an untracked "
                         f"copy would stop `git pull`); run `git pull` to get the team's")
        if self.unfetched:
            notes.append(f"could not fetch {', '.join(self.unfetched)} to see whether your team already "
                         f"committed gitmem's files; if it did, `git pull` will stop on the copies created here: "
                         f"delete them (`rm -r .gitmem`) and pull")
        return tuple(notes)


@dataclass(frozen=True, slots=True)
class Status:
    root: Path
    initialized: bool
    config_path: Path
    state_dir: Path
    state_bytes: int
    stats: memory_ref.StoreStats
    hooks: ClaudeHooksStatus
    backlog: spool.Backlog
    last_flush: dict | None
    worker_running: bool
    last_sync: dict | None
    identity_warning: str | None = None
    remotes: tuple[sharing.RemoteState, ...] = ()   # which remotes receive memory (issue 15 item 8)
    push_held: bool = False
    # the other agents' hooks (Codex, Copilot, Cursor, Gemini), by their word in `gitmem install` (issue 18)
    agent_hooks: dict[str, registry.HooksStatus] = field(default_factory=dict)
    agents: tuple[agent_status.AgentRow, ...] = ()  # each agent's install and events seen (issue 18)


def root_of(repo: Repo) -> Path:
    assert repo.root is not None
    return repo.root


def is_initialized(repo: Repo) -> bool:
    return (root_of(repo) / CONFIG_FILE).exists() or state_dir(repo.common_dir).is_dir()


def require_initialized(repo: Repo) -> None:
    if not is_initialized(repo):
        raise NotInitializedError(f"gitmem is not set up in {root_of(repo)}")


FETCH_TIMEOUT_SECONDS = 20.0


def _upstreams(repo: Repo) -> list[tuple[str, str, str]]:
    """(remote, branch ref on the remote, remote-tracking ref) for what this checkout pulls from: the
    branch's upstream and each remote's default branch (``refs/remotes/<remote>/HEAD``)."""
    found = []
    names = remote_names(repo)
    branch = repo.current_branch()
    remote = repo.config_get(f"branch.{branch}.remote") if branch != "HEAD" else None
    merge = repo.config_get(f"branch.{branch}.merge") if remote in names else None
    upstream = upstream_ref(repo)
    if remote and merge and upstream.startswith("refs/remotes/"):
        found.append((remote, merge, upstream))
    for name, target in symref_targets(repo, "refs/remotes/").items():
        remote = name.removeprefix("refs/remotes/").rpartition("/")[0]
        prefix = f"refs/remotes/{remote}/"
        if name.endswith("/HEAD") and remote in names and target.startswith(prefix):
            found.append((remote, "refs/heads/" + target.removeprefix(prefix), target))
    return list(dict.fromkeys(found))


def upstream_refs(repo: Repo) -> list[str]:
    """The remote-tracking branches this checkout pulls from (see ``_upstreams``)."""
    return list(dict.fromkeys(tracking for _, _, tracking in _upstreams(repo)))


def fetch_upstreams(repo: Repo) -> list[str]:
    """Bring those branches up to date, bounded and without prompts, so init sees the team's files pushed
    since the last fetch; what could not be fetched, one line per remote (init goes on without it)."""
    from gitmem import git as gitcmd
    from gitmem.errors import GitError

    by_remote: dict[str, list[str]] = {}
    for remote, merge, tracking in _upstreams(repo):
        by_remote.setdefault(remote, []).append(f"+{merge}:{tracking}")
    failed = []
    for remote, refspecs in by_remote.items():
        try:
            gitcmd.fetch(repo, remote, refspecs, timeout=FETCH_TIMEOUT_SECONDS)
        except GitError as exc:
            reason = (exc.stderr.splitlines() or ["failed"])[-1]
            logger.info("could not fetch %s: %s", remote, reason)
            failed.append(f"{remote} ({reason})")
    return failed


def awaiting_pull(repo: Repo, paths: list[str]) -> dict[str, str]:
    """Which of ``paths`` (from the top of the work tree) are missing here, absent from HEAD, and on a
    fetched upstream branch: what `git pull` will bring, and an untracked copy would block."""
    root = root_of(repo)
    missing = [p for p in paths if not (root / p).exists()]
    if not missing:
        return {}
    in_head = set(paths_in_tree(repo, "HEAD", missing))
    found: dict[str, str] = {}
    for ref in upstream_refs(repo):
        for name in paths_in_tree(repo, ref, missing):
            if name not in in_head:
                found.setdefault(name, ref.removeprefix("refs/remotes/"))
    return {p: found[p] for p in paths if p in found}


TEAM_FILES = (CONFIG_FILE, DECISIONS_DIR, mcp_config.MCP_FILE, SHARED_SETTINGS)


def init_repository(repo: Repo, *, shared: bool = False, fetch: bool = True) -> InitResult:
    """Set gitmem up; ``fetch`` first updates the upstream branches when a team file is missing here."""
    root = root_of(repo)
    created: list[str] = []
    unfetched: list[str] = []
    if fetch and not all((root / p).exists() for p in TEAM_FILES[:2]):
        unfetched = fetch_upstreams(repo)
    pending = awaiting_pull(repo, list(TEAM_FILES))
    if CONFIG_FILE not in pending:
        try:  # never through a link: a committed `.gitmem` or config.yaml link must not make init write elsewhere
            worktree_files.create_new(root, GITMEM_DIR, [CONFIG_FILE.rsplit("/", 1)[1]],
                                      read_template("config.yaml").encode("utf-8"))
            created.append(CONFIG_FILE)
        except FileExistsError:
            load_config(root)  # an existing file must still be valid (and a regular file)
    if not os.path.lexists(root / DECISIONS_DIR) and DECISIONS_DIR not in pending:
        worktree_files.create_new(root, DECISIONS_DIR, [".gitkeep"], b"")
        created.append(DECISIONS_DIR + "/")
    local = state_dir(repo.common_dir)
    if not local.is_dir():
        local.mkdir(parents=True)
        created.append(str(local))
    before = local_config_entries(repo)
    created += setup.setup_sync(repo).created  # memory refspecs, notes.rewrite*, pre-push hook (issue 7)
    _record_config(repo, before, local_config_entries(repo))
    # .mcp.json: the MCP server for Claude Code (issue 5), started the way the hooks are (issue 14 item 12)
    if mcp_config.MCP_FILE not in pending:
        created += mcp_config.register_mcp_server(root, portable=shared).report()
    logger.info("initialized gitmem in %s (created: %s)", root, ", ".join(created) or "nothing")
    return InitResult(root=root, created=tuple(created), state_dir=local, identity_warning=identity_warning(repo),
                      awaiting_pull={p: r for p, r in pending.items() if p != SHARED_SETTINGS or shared},
                      unfetched=tuple(unfetched) if CONFIG_FILE in created else ())


IDENTITY_FIX = 'git config --global user.name "Your Name" && git config --global user.email you@example.com'


def identity_warning(repo: Repo) -> str | None:
    """Why sessions and decisions here would not carry a real author, with the commands that fix it.

    Resolved as git does: ``GIT_AUTHOR_*``/``GIT_COMMITTER_*``, then ``author.*``/``committer.*``, then
    ``user.*`` (and ``EMAIL`` for the address). An identity git guesses from the host is not one: git
    refuses it for commits, so gitmem records ``unknown`` (issue 14 item 5).
    """
    missing = []
    for role in ("author", "committer"):
        for part in ("name", "email"):
            value = (os.environ.get(f"GIT_{role.upper()}_{part.upper()}") or repo.config_get(f"{role}.{part}")
                     or repo.config_get(f"user.{part}") or (os.environ.get("EMAIL") if part == "email" else None))
            if not value and f"user.{part}" not in missing:
                missing.append(f"user.{part}")
    if not missing:
        return None
    recorded = author_ident(repo)
    who = f"git's guess `{recorded}`" if recorded else "`unknown <unknown@gitmem.invalid>`"
    return (f"git has no {' and no '.join(missing)} here, so sessions and decisions are recorded with {who} as "
            f"their author; set your identity: {IDENTITY_FIX}")


def _tree_bytes(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _stats(repo: Repo) -> memory_ref.StoreStats:
    stats = memory_ref.store_stats(repo)
    if stats.tip is None:
        return stats
    from dataclasses import replace

    from gitmem.index import search

    return replace(stats, observations=search.record_counts(repo)["observation"])


def repository_status(repo: Repo) -> Status:
    root = root_of(repo)
    local = state_dir(repo.common_dir)
    hooks = {agent.name: agent.status(root) for agent in registry.AGENTS}
    claude = hooks.pop(registry.CLAUDE.name)
    return Status(
        root=root,
        initialized=is_initialized(repo),
        config_path=root / CONFIG_FILE,
        state_dir=local,
        state_bytes=_tree_bytes(local),
        stats=_stats(repo),
        hooks=claude,
        backlog=spool.backlog(spool.spool_dir(repo.common_dir)),
        last_flush=spool.read_flush_status(repo.common_dir),
        worker_running=local.is_dir() and spool.worker_running(repo.common_dir),
        last_sync=after_push.last_sync(repo.common_dir),
        identity_warning=identity_warning(repo),
        remotes=tuple(sharing.remote_states(repo)),
        push_held=sharing.is_held(repo),
        agent_hooks=hooks,
        agents=agent_status.agent_rows(repo, {registry.CLAUDE.name: claude, **hooks}),
    )


# -- uninstall -------------------------------------------------------------------------------------------

INIT_RECORD = "init.json"


@dataclass(frozen=True, slots=True)
class UninstallResult:
    claude: tuple[InstallResult, ...]
    mcp: mcp_config.McpConfigResult
    removed: tuple[str, ...]            # what else was removed, one line each
    kept: tuple[str, ...]               # what was left on purpose, and why
    agents: tuple[InstallResult, ...] = ()   # the other agents' hooks removed, of those set up here


def _record_config(repo: Repo, before: list[tuple[str, str]], after: list[tuple[str, str]]) -> None:
    """Add the config entries init added now to those it added before (a second init adds none)."""
    added = list(after)
    for entry in before:
        if entry in added:
            added.remove(entry)
    path = state_dir(repo.common_dir) / INIT_RECORD
    recorded = _read_init_record(path)
    merged = recorded + [list(e) for e in added if list(e) not in recorded]
    if merged != recorded:
        from gitmem.integrations.jsondoc import write_atomic

        write_atomic(path, (json.dumps({"version": 1, "config_added": merged}, indent=2) + "\n").encode())


def _read_init_record(path: Path) -> list[list[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data.get("config_added", []) if isinstance(data, dict) else []
        return [list(e) for e in entries if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)]
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        logger.warning("ignoring unreadable %s: %s", path, exc)
        return []


def _remove_recorded_config(repo: Repo, local: Path) -> list[str]:
    removed = []
    present = local_config_entries(repo)
    for key, value in _read_init_record(local / INIT_RECORD):
        if (key, value) in present:
            remove_local_config(repo, key, value)
            removed.append(f"config {key} = {value}")
    return removed


def _remove_created_files(repo: Repo, root: Path) -> tuple[list[str], list[str]]:
    """The config and decision folder init created, when nobody edited or committed them."""
    removed: list[str] = []
    kept: list[str] = []
    config = root / CONFIG_FILE
    if config.is_file():
        if is_tracked(repo, CONFIG_FILE) or config.read_text(encoding="utf-8") != read_template("config.yaml"):
            kept.append(f"{CONFIG_FILE} (edited or committed: the team's settings)")
        else:
            config.unlink()
            removed.append(CONFIG_FILE)
    decisions = root / DECISIONS_DIR
    keep_file = decisions / ".gitkeep"
    if decisions.is_dir():
        if [p.name for p in decisions.iterdir()] == [".gitkeep"] and keep_file.stat().st_size == 0 \
                and not is_tracked(repo, f"{DECISIONS_DIR}/.gitkeep"):
            keep_file.unlink()
            decisions.rmdir()
            removed.append(DECISIONS_DIR + "/")
        else:
            kept.append(f"{DECISIONS_DIR}/ (decision notes are the team's; remove them with `git rm` if you mean to)")
    folder = config.parent
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return removed, kept


def uninstall_repository(repo: Repo, *, purge_memory: bool = False) -> UninstallResult:
    """Remove everything ``init`` set up; see the module docstring."""
    from gitmem.integrations.install import uninstall_claude

    root = root_of(repo)
    local = state_dir(repo.common_dir)
    claude = uninstall_claude(root)
    agents = [registry.folded(agent.uninstall(root), root) for agent in registry.OTHERS]
    mcp = mcp_config.unregister_mcp_server(root)
    kept: list[str] = []
    removed = list(setup.remove_sync_setup(repo))
    hooks_path = repo.config_get("core.hooksPath")
    if hooks_path:
        kept.append(f"any `gitmem.workers after-push` (or older `gitmem.sync --after-push`) line you added to a pre-push hook under core.hooksPath "
                    f"({hooks_path}): gitmem never writes there, so remove it by hand")
    removed += _remove_recorded_config(repo, local)
    files, kept_files = _remove_created_files(repo, root)
    removed += files
    kept += kept_files
    if purge_memory:
        tip = repo.resolve(MEMORY_REF)
        refs = {MEMORY_REF: tip} if tip else {}
        refs.update(repo.for_each_ref(sharing.TRACKING_PREFIX))
        for ref, oid in refs.items():
            delete_ref_at(repo, ref, oid)
            removed.append(f"ref {ref}")
    elif repo.resolve(MEMORY_REF):
        kept.append(f"{MEMORY_REF} (the memory; `gitmem uninstall --purge-memory` deletes it)")
    with contextlib.suppress(FileNotFoundError):
        (local / INIT_RECORD).unlink()  # consumed, like the hooks' and .mcp.json's records
    if local.is_dir():
        waiting = spool.backlog(spool.spool_dir(repo.common_dir))
        if spool.worker_running(repo.common_dir):
            kept.append(f"{local} (a flush worker is running; run `gitmem uninstall` again when it is done)")
        elif waiting.files and not purge_memory:
            kept.append(f"{local} ({waiting.sessions} session(s) not yet in memory; run `gitmem flush` first, or "
                        "`--purge-memory` to drop them)")
        else:
            shutil.rmtree(local)
            removed.append(str(local))
    logger.info("uninstalled gitmem from %s: %s", root, removed)
    return UninstallResult(claude=claude, mcp=mcp, removed=tuple(removed), kept=tuple(kept),
                           agents=tuple(r for r in agents if r is not None))
