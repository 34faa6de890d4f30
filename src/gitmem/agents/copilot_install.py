"""Add and remove gitmem's hooks in a repository's ``.github/hooks/gitmem.json`` for the GitHub Copilot CLI, and
say whether Copilot will run them (it runs a repository's hooks only in a folder the person trusted)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.agents.copilot import AGENT, COPILOT_EVENTS, HOOKS_FILE, copilot_home, folder_trusted, hooks_config, \
    trusted_folders
from gitmem.agents.hooks_file import HooksFile, hooked_events, install_hooks, uninstall_hooks
from gitmem.integrations.install import InstallResult

HOOKS = HooksFile(agent=AGENT, rel=HOOKS_FILE, label="Copilot hooks file", events=COPILOT_EVENTS,
                  config=hooks_config, command_agent=AGENT)
TRUST_HINT = ("Copilot runs .github/hooks/ only in a trusted folder, and skips them silently in `copilot -p`: "
              "trust this one once by starting `copilot` here and accepting the folder")


@dataclass(frozen=True, slots=True)
class CopilotHooksStatus:
    """Which gitmem events .github/hooks/gitmem.json hooks, whether Copilot trusts the folder, what is wrong."""

    hooked: tuple[str, ...]
    folder_trusted: bool
    problems: tuple[str, ...] = ()

    @property
    def installed(self) -> bool:
        return all(e in self.hooked for e in COPILOT_EVENTS) and self.folder_trusted

    def to_json(self) -> dict[str, Any]:
        return {"installed": self.installed, "hooked": list(self.hooked), "folder_trusted": self.folder_trusted,
                "problems": list(self.problems)}


def _trust(root: Path) -> tuple[bool, str]:
    config = copilot_home() / "config.json"
    try:
        return folder_trusted(root, trusted_folders(config)), ""
    except ValueError as exc:
        return False, f"cannot tell whether Copilot trusts this folder: {exc}"


def install_copilot(root: Path, shared: bool = False, python: str | None = None, *,
                    hook_path: Path | None = None) -> InstallResult:
    """Hook gitmem into ``.github/hooks/gitmem.json``: absolute paths, git-ignored; ``shared``: ``gitmem hook``
    commands for the team to commit."""
    result = install_hooks(HOOKS, root, shared=shared, python=python, hook_path=hook_path)
    trusted, problem = _trust(Path(root).absolute())
    if trusted:
        return result
    return InstallResult(path=result.path, added=result.added, replaced=result.replaced, removed=result.removed,
                         unchanged=result.unchanged, notes=result.notes + ((problem,) if problem else ())
                         + (TRUST_HINT,))


def uninstall_copilot(root: Path) -> InstallResult:
    """Remove gitmem's hooks from ``.github/hooks/gitmem.json`` (the file too when gitmem created it)."""
    return uninstall_hooks(HOOKS, root)


def copilot_hooks_status(root: Path) -> CopilotHooksStatus:
    """What Copilot will run of gitmem's hooks here, and why not; never raises on bad files."""
    root = Path(root).absolute()
    scan = hooked_events(HOOKS, root)
    trusted, problem = _trust(root)
    problems = [*scan.problems, scan.missing(HOOKS)]
    if scan.hooked and not trusted:
        problems.append(problem or TRUST_HINT)
    return CopilotHooksStatus(hooked=scan.hooked, folder_trusted=trusted, problems=tuple(p for p in problems if p))
