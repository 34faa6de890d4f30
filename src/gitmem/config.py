"""Settings and paths.

``.gitmem/config.yaml`` (shared with the team on branches) is read once into
a frozen ``Config``; a wrong type of a known key is a ``ConfigError`` naming
the file, the line and the key, while an unknown key (a teammate's newer
gitmem may have written it) is ignored with a warning, so it never turns
memory off for the team. The file is read only as a regular file inside the
work tree, at most ``worktree_files.CONFIG_LIMIT`` bytes. Precedence lives in
``load_config`` alone: flag > ``GITMEM_*`` environment variable > file > default.

Local state (spool, index, logs, locks) lives in
``<git-common-dir>/gitmem/``, shared by every worktree of a repository and
never committed. User-level state lives under ``GITMEM_HOME``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from gitmem import switches
from gitmem.errors import ConfigError, RecordError
from gitmem.worktree_files import (CONFIG_LIMIT, CONFLICT_HINT, RefusedFileError, conflict_markers, conflict_message,
                                   read_file)

MEMORY_REF = "refs/notes/gitmem"
LOG_FILE = "gitmem.log"     # in the state folder: what the detached workers did
GITMEM_DIR = ".gitmem"
CONFIG_FILE = ".gitmem/config.yaml"
DECISIONS_DIR = ".gitmem/decisions"
STATE_DIR_NAME = "gitmem"
SUMMARIZERS = ("auto", "anthropic", "claude", "offline")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Config:
    """Team settings; every field is documented in ``templates/config.yaml``."""

    summarizer: str = "auto"
    model: str = "claude-haiku-4-5"
    propose_decisions: bool = True
    summarizer_timeout_seconds: int = 120
    summarizer_max_input_chars: int = 60_000
    brief_budget_tokens: int = 1500
    prompt_recall: bool = True
    prompt_recall_budget_tokens: int = 200

    def __post_init__(self) -> None:
        if self.summarizer not in SUMMARIZERS:
            raise ValueError(f"summarizer must be one of {', '.join(SUMMARIZERS)}, not `{self.summarizer}`")
        for name in ("summarizer_timeout_seconds", "summarizer_max_input_chars", "brief_budget_tokens",
                     "prompt_recall_budget_tokens"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number")


_FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def _convert(name: str, value: Any, source: str) -> Any:
    tp = typing.get_type_hints(Config)[name]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    raise ConfigError(f"{source}: `{name}` must be {tp.__name__}, not {value!r}",
                      hint=f"set `{name}` to a {tp.__name__} value.")


def read_config_text(root: Path) -> str | None:
    """The text of ``.gitmem/config.yaml`` under the work tree ``root`` (None when there is none).

    Read through ``worktree_files``: a symbolic link, a device or FIFO, or a file over
    ``CONFIG_LIMIT`` is refused with a ``ConfigError`` naming the file, never followed or read.
    """
    try:
        return read_file(root, CONFIG_FILE, CONFIG_LIMIT).decode("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except RefusedFileError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{CONFIG_FILE}: is not UTF-8 text ({exc.reason} at byte {exc.start})",
                          hint="save the file as UTF-8.") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {CONFIG_FILE}: {exc.strerror or exc}",
                          hint="make the file readable UTF-8 text.") from None


_warned: set[tuple[str, str]] = set()


def unknown_setting_message(key: str) -> str:
    return f"unknown setting `{key}` ignored (maybe from a newer gitmem)"


def parse_config(text: str, path: str) -> tuple[dict[str, Any], list[tuple[str, int | None]]]:
    """The settings in ``text`` this gitmem knows, and ``(key, line)`` of those it does not.

    Bad YAML, merge conflict markers, or a file that is not ``key: value`` settings is a ``ConfigError``.
    """
    from gitmem.yaml_text import load_yaml

    markers = conflict_markers(text)
    if markers:
        raise ConfigError(f"{path}:{markers[0][0]}: {conflict_message(markers)}", hint=CONFLICT_HINT)
    try:
        data = load_yaml(text, path)
    except RecordError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected `key: value` settings, found {type(data).__name__}",
                          hint="see `gitmem init` for the documented defaults.")
    known = {key: value for key, value in data.items() if key in _FIELDS}
    unknown = [(str(key), next((i + 1 for i, line in enumerate(text.splitlines()) if line.startswith(f"{key}:")),
                               None)) for key in data if key not in _FIELDS]
    return known, unknown


def read_config_file(root: Path) -> dict[str, Any]:
    """The known settings in ``.gitmem/config.yaml`` (empty when the file does not exist).

    A key this gitmem does not know (a teammate's newer gitmem may have written it) is left out with a
    warning in the log, once per process; everything else wrong is a ``ConfigError``.
    """
    text = read_config_text(root)
    if text is None:
        return {}
    path = str(root / CONFIG_FILE)
    known, unknown = parse_config(text, path)
    for key, line in unknown:
        if (path, key) not in _warned:
            _warned.add((path, key))
            logger.warning("%s: %s; known settings: %s", f"{path}:{line}" if line else path,
                           unknown_setting_message(key), ", ".join(_FIELDS))
    return known


def load_config(root: Path | None, flags: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Merge default < file < ``GITMEM_<NAME>`` environment < flags into a Config."""
    path = str(root / CONFIG_FILE) if root is not None else None
    return config_from(read_config_file(root) if root is not None else {}, path, flags, environ)


def config_from(file_values: Mapping[str, Any], path: str | None, flags: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """The Config of settings read from ``path``, under the ``GITMEM_*`` environment and the flags."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {key: _convert(key, value, str(path)) for key, value in file_values.items()}
    for name in _FIELDS:
        env_name = f"GITMEM_{name.upper()}"
        if env_name in env:
            values[name] = _convert(name, env[env_name], f"environment variable {env_name}")
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = _convert(name, value, f"option --{name.replace('_', '-')}")
    try:
        return Config(**values)
    except ValueError as exc:
        raise ConfigError(f"{path or 'settings'}: {exc}", hint="correct the setting.") from None


def state_dir(common_dir: Path) -> Path:
    return common_dir / STATE_DIR_NAME


def gitmem_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if switches.home(env):
        return Path(env[switches.HOME])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gitmem"


def templates_dir() -> Path:
    """``templates/`` as shipped in the wheel, or at the top of a source checkout."""
    from importlib import resources

    packaged = Path(str(resources.files("gitmem"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def read_template(name: str) -> str:
    return (templates_dir() / name).read_text(encoding="utf-8")
