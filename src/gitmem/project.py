"""A repository's gitmem set-up: ``init`` and ``status``.

``init_repository`` is idempotent: it creates only what is missing and
never rewrites a file a person may have edited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from gitmem import mcp_config, spool, store, sync
from gitmem.install import ClaudeHooksStatus, claude_hooks_status
from gitmem.config import CONFIG_FILE, DECISIONS_DIR, load_config, read_template, state_dir
from gitmem.errors import NotARepositoryError, NotInitializedError
from gitmem.git import Repo, discover

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InitResult:
    root: Path
    created: tuple[str, ...]
    state_dir: Path


@dataclass(frozen=True, slots=True)
class Status:
    root: Path
    initialized: bool
    config_path: Path
    state_dir: Path
    state_bytes: int
    stats: store.StoreStats
    hooks: ClaudeHooksStatus
    backlog: spool.Backlog
    last_flush: dict | None
    worker_running: bool
    last_sync: dict | None
    remotes: tuple[sync.sharing.RemoteState, ...] = ()   # which remotes receive memory (issue 15 item 8)
    push_held: bool = False


def open_repo(path: str | Path | None = None) -> Repo:
    repo = discover(path)
    if repo.root is None:
        raise NotARepositoryError(f"{repo.git_dir} is a bare repository",
                                  hint="run gitmem in a clone with a work tree.")
    return repo


def root_of(repo: Repo) -> Path:
    assert repo.root is not None
    return repo.root


def is_initialized(repo: Repo) -> bool:
    return (root_of(repo) / CONFIG_FILE).exists() or state_dir(repo.common_dir).is_dir()


def require_initialized(repo: Repo) -> None:
    if not is_initialized(repo):
        raise NotInitializedError(f"gitmem is not set up in {root_of(repo)}")


def init_repository(repo: Repo) -> InitResult:
    root = root_of(repo)
    created: list[str] = []
    config_path = root / CONFIG_FILE
    if not config_path.exists():
        config_path.parent.mkdir(parents=True, exist_ok=True)
        config_path.write_text(read_template("config.yaml"), encoding="utf-8")
        created.append(CONFIG_FILE)
    else:
        load_config(root)  # an existing file must still be valid
    decisions = root / DECISIONS_DIR
    if not decisions.is_dir():
        decisions.mkdir(parents=True)
        (decisions / ".gitkeep").touch()
        created.append(DECISIONS_DIR + "/")
    local = state_dir(repo.common_dir)
    if not local.is_dir():
        local.mkdir(parents=True)
        created.append(str(local))
    created += sync.setup_sync(repo).created  # memory refspecs, notes.rewrite*, pre-push hook (issue 7)
    created += mcp_config.register_mcp_server(root).report()  # .mcp.json: the MCP server for Claude Code (issue 5)
    logger.info("initialized gitmem in %s (created: %s)", root, ", ".join(created) or "nothing")
    return InitResult(root=root, created=tuple(created), state_dir=local)


def _tree_bytes(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _stats(repo: Repo) -> store.StoreStats:
    stats = store.store_stats(repo)
    if stats.tip is None:
        return stats
    from dataclasses import replace

    from gitmem import search

    return replace(stats, observations=search.record_counts(repo)["observation"])


def repository_status(repo: Repo) -> Status:
    root = root_of(repo)
    local = state_dir(repo.common_dir)
    return Status(
        root=root,
        initialized=is_initialized(repo),
        config_path=root / CONFIG_FILE,
        state_dir=local,
        state_bytes=_tree_bytes(local),
        stats=_stats(repo),
        hooks=claude_hooks_status(root),
        backlog=spool.backlog(spool.spool_dir(repo.common_dir)),
        last_flush=spool.read_flush_status(repo.common_dir),
        worker_running=local.is_dir() and spool.worker_running(repo.common_dir),
        last_sync=sync.last_sync(repo.common_dir),
        remotes=tuple(sync.sharing.remote_states(repo)),
        push_held=sync.sharing.is_held(repo),
    )
