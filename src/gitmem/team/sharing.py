"""Which remotes receive this clone's memory, whether pushes are held, and which remotes refuse it.

Invariants:
- Memory is pushed only to a configured remote whose ``remote.<name>.gitmemPush``
  is true: set by the first ``gitmem init`` for the remotes that existed then,
  and by ``gitmem remote add <name>`` afterwards. A URL, or a remote added
  after init, never receives memory until someone enables it.
- Repositories set up before the setting existed (no ``gitmem.remotesChosen``)
  keep pushing to the remotes that carry gitmem's fetch refspec, which only
  init or an explicit sync added.
- ``gitmem.pushHold`` (``gitmem sync --hold``) stops every memory push from
  this clone, background or not, until ``gitmem sync --release``.
- A remote that refused the memory ref (not a lost race) is remembered in
  ``<state>/remotes.json``; the background job after ``git push`` no longer
  retries it, and ``gitmem status`` says so once. ``gitmem sync <remote>``
  tries again and clears the record when the push lands.
All settings are local git config: nothing here is shared with teammates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from gitmem.atomic import write_atomic
from gitmem.config import MEMORY_REF, state_dir
from gitmem.errors import GitmemError
from gitmem.git import Repo
from gitmem.git.config import add_config, config_values, remote_names, set_config, unset_config
from gitmem.team.fetched_tips import TRACKING_PREFIX

logger = logging.getLogger(__name__)

PUSH_KEY = "gitmemPush"                 # remote.<name>.gitmemPush
CHOSEN_KEY = "gitmem.remotesChosen"     # set once init enabled the remotes that existed then
HOLD_KEY = "gitmem.pushHold"
REMOTES_STATE_FILE = "remotes.json"
_TRACKING_SUFFIX = "/memory"
_REMOTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True, slots=True)
class RemoteState:
    """One configured remote as memory sees it (``gitmem status`` lists these)."""

    name: str
    url: str
    push: bool              # memory is pushed there
    setting: str            # "enabled" | "disabled" | "not enabled" | "enabled (set up before per-remote settings)"
    fetch_refspec: bool     # a plain `git fetch` brings its memory in
    refused: str = ""       # why the remote refused the memory ref, when it did

    def to_dict(self) -> dict:
        return {"name": self.name, "url": self.url, "push": self.push, "setting": self.setting,
                "fetch_refspec": self.fetch_refspec, "refused": self.refused}


def refspec_for(remote: str) -> str:
    """The fetch refspec for ``remote``; a pattern, so a remote without memory is not an error."""
    return f"+{MEMORY_REF}*:{tracking_ref(remote)}*"


def tracking_ref(remote: str) -> str:
    """Where the memory of ``remote`` (a remote name, or a URL pushed to directly) is tracked."""
    if _REMOTE_NAME.match(remote) and ".." not in remote and not remote.endswith((".lock", ".")):
        return f"{TRACKING_PREFIX}{remote}{_TRACKING_SUFFIX}"
    return f"{TRACKING_PREFIX}url-{hashlib.sha1(remote.encode()).hexdigest()[:16]}{_TRACKING_SUFFIX}"


def tracked_remote(ref: str) -> str | None:
    """The remote (or ``url-<digest>``) whose memory ``ref`` tracks; None when it is no memory tracking ref."""
    if ref.startswith(TRACKING_PREFIX) and ref.endswith(_TRACKING_SUFFIX):
        return ref[len(TRACKING_PREFIX):-len(_TRACKING_SUFFIX)] or None
    return None


def ensure_refspec(repo: Repo, remote: str) -> bool:
    """Add the memory refspec to a configured remote; True when it was added now."""
    key = f"remote.{remote}.fetch"
    spec = refspec_for(remote)
    if spec in config_values(repo, key):
        return False
    add_config(repo, key, spec)
    return True


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


def _has_refspec(repo: Repo, name: str) -> bool:
    return refspec_for(name) in config_values(repo, f"remote.{name}.fetch")


def push_setting(repo: Repo, name: str) -> bool | None:
    """``remote.<name>.gitmemPush`` as True/False, None when unset."""
    return _bool(repo.config_get(f"remote.{name}.{PUSH_KEY}"))


def push_enabled(repo: Repo, remote: str) -> bool:
    """Whether memory may be pushed to ``remote``: a configured remote enabled for it, never a URL."""
    if remote not in remote_names(repo):
        return False
    setting = push_setting(repo, remote)
    if setting is not None:
        return setting
    return repo.config_get(CHOSEN_KEY) is None and _has_refspec(repo, remote)


def choose_initial_remotes(repo: Repo) -> list[str]:
    """First set-up that sees a remote: enable the remotes that exist now; later runs enable nothing.

    A repository set up by an older gitmem enables only the remotes that already carry
    gitmem's fetch refspec (a remote added since then never received memory, and must not
    start to now). Returns the remotes enabled by this call.
    """
    if repo.config_get(CHOSEN_KEY) is not None:
        return []
    names = remote_names(repo)
    if not names:
        return []   # nothing to choose yet: the first init that sees a remote enables it
    legacy = [n for n in names if _has_refspec(repo, n)]
    enabled = []
    for name in legacy or names:
        if push_setting(repo, name) is None:
            set_config(repo, f"remote.{name}.{PUSH_KEY}", "true")
            enabled.append(name)
    set_config(repo, CHOSEN_KEY, "true")
    return enabled


def require_remote(repo: Repo, name: str) -> None:
    """Raise a GitmemError with a hint when ``name`` is not a configured remote."""
    names = remote_names(repo)
    if name in names:
        return
    looks_like_url = "/" in name or ":" in name or name.startswith(".")
    have = f"remotes here: {', '.join(names)}" if names else "this repository has no remote yet"
    if looks_like_url:
        raise GitmemError(f"{name} is a URL, not a configured remote: memory goes only to remotes enabled for it",
                          hint=f"add it as a remote and enable it: `git remote add <name> {name}` then "
                               f"`gitmem remote add <name>` ({have}).")
    raise GitmemError(f"there is no remote named `{name}`",
                      hint=f"{have}; add one with `git remote add {name} <url>`, then `gitmem remote add {name}`.")


def enable_remote(repo: Repo, name: str) -> list[str]:
    """``gitmem remote add``: fetch refspec plus ``gitmemPush = true``; clears a remembered refusal."""
    require_remote(repo, name)
    done = []
    if ensure_refspec(repo, name):
        done.append(f"fetch refspec {refspec_for(name)} on remote {name}")
    if push_setting(repo, name) is not True:
        set_config(repo, f"remote.{name}.{PUSH_KEY}", "true")
        done.append(f"config remote.{name}.{PUSH_KEY} = true (memory is pushed to {name})")
    if repo.config_get(CHOSEN_KEY) is None:
        set_config(repo, CHOSEN_KEY, "true")
    clear_refusal(repo.common_dir, name)
    return done


def disable_remote(repo: Repo, name: str) -> list[str]:
    """``gitmem remote disable``: never push memory there (fetching its memory still works)."""
    require_remote(repo, name)
    if push_setting(repo, name) is False:
        return []
    set_config(repo, f"remote.{name}.{PUSH_KEY}", "false")
    if repo.config_get(CHOSEN_KEY) is None:
        set_config(repo, CHOSEN_KEY, "true")
    clear_refusal(repo.common_dir, name)
    return [f"config remote.{name}.{PUSH_KEY} = false (memory is no longer pushed to {name})"]


# -- hold ------------------------------------------------------------------------------------------


def is_held(repo: Repo) -> bool:
    return bool(_bool(repo.config_get(HOLD_KEY)))


def set_held(repo: Repo, held: bool) -> bool:
    """Hold or release memory pushes from this clone; True when the setting changed."""
    if is_held(repo) == held:
        return False
    if held:
        set_config(repo, HOLD_KEY, "true")
    else:
        unset_config(repo, HOLD_KEY)
    return True


# -- refusals ----------------------------------------------------------------------------------------


def _state_path(common_dir: Path) -> Path:
    return state_dir(common_dir) / REMOTES_STATE_FILE


def _read_state(common_dir: Path) -> dict:
    try:
        data = json.loads(_state_path(common_dir).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(common_dir: Path, data: dict) -> None:
    path = _state_path(common_dir)
    write_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def refusal(common_dir: Path, remote: str) -> dict | None:
    """``{"reason", "at", "remote_tip"}`` when ``remote`` refused the memory ref, else None."""
    entry = _read_state(common_dir).get(remote)
    return entry if isinstance(entry, dict) and entry.get("reason") else None


def record_refusal(common_dir: Path, remote: str, reason: str, remote_tip: str | None) -> bool:
    """Remember that ``remote`` refused memory; True when this is news (not already recorded)."""
    data = _read_state(common_dir)
    news = not (isinstance(data.get(remote), dict) and data[remote].get("reason"))
    data[remote] = {"reason": reason, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "remote_tip": remote_tip or ""}
    _write_state(common_dir, data)
    return news


def clear_refusal(common_dir: Path, remote: str) -> None:
    data = _read_state(common_dir)
    if remote in data:
        del data[remote]
        _write_state(common_dir, data)


def remote_states(repo: Repo) -> list[RemoteState]:
    """Every configured remote: is memory pushed there, does its fetch refspec exist, did it refuse."""
    legacy = repo.config_get(CHOSEN_KEY) is None
    states = []
    for name in remote_names(repo):
        refspec = _has_refspec(repo, name)
        setting = push_setting(repo, name)
        if setting is None:
            push = legacy and refspec
            label = "enabled (set up before per-remote settings)" if push else "not enabled"
        else:
            push, label = setting, "enabled" if setting else "disabled"
        found = refusal(repo.common_dir, name)
        states.append(RemoteState(name, repo.config_get(f"remote.{name}.url") or "", push, label, refspec,
                                  str(found["reason"]) if found else ""))
    return states


def status_lines(states: list[RemoteState], held: bool) -> list[str]:
    """What ``gitmem status`` says about sharing memory: one line per remote, the hold, refusals."""
    lines = ["memory push:  held in this clone (`gitmem sync --release` lets it go)"] if held else []
    if not states:
        lines.append("remotes:      none (memory stays in this clone)")
    for r in states:
        where = "memory pushed" if r.push else f"memory not pushed ({r.setting}; `gitmem remote add {r.name}`)"
        fetch = "" if r.fetch_refspec else "; no memory fetch refspec, so `git fetch` skips its memory"
        lines.append(f"remote:       {r.name}: {where}{fetch}")
        if r.refused:
            lines.append(f"  refused:    {r.name} refused the memory ref ({r.refused}); not retried after `git push` "
                         f"(`gitmem sync {r.name}` retries, `gitmem remote disable {r.name}` stops)")
    return lines
