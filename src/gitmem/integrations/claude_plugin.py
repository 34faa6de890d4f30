"""Is the gitmem Claude Code plugin enabled for a project?

The plugin (``.claude-plugin/plugin.json`` and ``hooks/hooks.json`` of this
repository) brings gitmem's hooks itself, so hooks installed into a settings
file as well would record every event twice. Claude Code 2.1 keeps which
plugins are on in ``enabledPlugins`` (``{"<plugin>@<marketplace>": true}``) of
its settings files, one per scope, and the most specific scope that names the
plugin decides (``claude plugin install --scope user|project|local`` writes
``~/.claude/settings.json``, ``.claude/settings.json`` or
``.claude/settings.local.json``; ``claude plugin disable`` writes ``false``).
The user folder is ``$CLAUDE_CONFIG_DIR`` when set, else ``~/.claude``.
Managed (enterprise) settings are not read.

This module only reads; a file that cannot be read or parsed counts as saying
nothing (``install.claude_hooks_status`` reports broken settings files).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PLUGIN_NAME = "gitmem"
LOCAL_SETTINGS = ".claude/settings.local.json"
SHARED_SETTINGS = ".claude/settings.json"
USER_SETTINGS_SHOWN = "~/.claude/settings.json"


@dataclass(frozen=True, slots=True)
class PluginState:
    """The gitmem plugin as the deciding settings file names it."""

    key: str          # e.g. gitmem@gitmem-marketplace
    enabled: bool
    where: str        # the settings file that decides, as shown to the user

    def describe(self) -> str:
        return f"{self.key}, {'enabled' if self.enabled else 'disabled'} in {self.where}"

    def to_json(self) -> dict[str, object]:
        return {"plugin": self.key, "enabled": self.enabled, "settings": self.where}


def user_settings_path() -> tuple[Path, str]:
    folder = os.environ.get("CLAUDE_CONFIG_DIR")
    if folder:
        path = Path(folder) / "settings.json"
        return path, str(path)
    return Path.home() / ".claude" / "settings.json", USER_SETTINGS_SHOWN


def _named(path: Path) -> tuple[str, object] | None:
    """The first ``gitmem@...`` entry of the file's ``enabledPlugins``, if any."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.debug("ignoring %s: %s", path, exc)
        return None
    plugins = data.get("enabledPlugins") if isinstance(data, dict) else None
    if not isinstance(plugins, dict):
        return None
    for key, value in plugins.items():
        if isinstance(key, str) and key.split("@", 1)[0] == PLUGIN_NAME:
            return key, value
    return None


def gitmem_plugin(root: Path) -> PluginState | None:
    """The gitmem plugin's state for the project at ``root``, or None when no settings file names it."""
    user, shown = user_settings_path()
    for path, where in ((Path(root) / LOCAL_SETTINGS, LOCAL_SETTINGS), (Path(root) / SHARED_SETTINGS, SHARED_SETTINGS),
                        (user, shown)):
        found = _named(path)
        if found is not None:
            key, value = found
            return PluginState(key, value is True, where)
    return None


def enabled_plugin(root: Path) -> PluginState | None:
    """The gitmem plugin when it is enabled here (its hooks run), else None."""
    state = gitmem_plugin(root)
    return state if state is not None and state.enabled else None
