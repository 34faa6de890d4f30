"""Settings and paths.

``.gitmem/config.yaml`` (shared with the team on branches) is read once into
a frozen ``Config``; unknown keys and wrong types are ``ConfigError`` naming
the file, the line and the key. Precedence lives in ``load_config`` alone:
flag > ``GITMEM_*`` environment variable > file > default.

Local state (spool, index, logs, locks) lives in
``<git-common-dir>/gitmem/``, shared by every worktree of a repository and
never committed. User-level state lives under ``GITMEM_HOME``.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from gitmem.errors import ConfigError, RecordError

MEMORY_REF = "refs/notes/gitmem"
GITMEM_DIR = ".gitmem"
CONFIG_FILE = ".gitmem/config.yaml"
DECISIONS_DIR = ".gitmem/decisions"
STATE_DIR_NAME = "gitmem"
SUMMARIZERS = ("auto", "anthropic", "claude", "offline")


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


def read_config_file(path: Path) -> dict[str, Any]:
    """The raw settings in ``path`` (empty when the file does not exist)."""
    from gitmem.records import load_yaml

    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="make the file readable UTF-8 text.") from None
    try:
        data = load_yaml(text, str(path))
    except RecordError as exc:
        raise ConfigError(exc.message, hint=exc.hint) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected `key: value` settings, found {type(data).__name__}",
                          hint="see `gitmem init` for the documented defaults.")
    for key in data:
        if key not in _FIELDS:
            line = next((i + 1 for i, l in enumerate(text.splitlines()) if l.startswith(f"{key}:")), None)
            where = f"{path}:{line}" if line else str(path)
            raise ConfigError(f"{where}: unknown setting `{key}`",
                              hint=f"remove it or fix its spelling; known settings: {', '.join(_FIELDS)}.")
    return data


def load_config(root: Path | None, flags: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> Config:
    """Merge default < file < ``GITMEM_<NAME>`` environment < flags into a Config."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = (root / CONFIG_FILE) if root is not None else None
    if path is not None:
        for key, value in read_config_file(path).items():
            values[key] = _convert(key, value, str(path))
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
    if env.get("GITMEM_HOME"):
        return Path(env["GITMEM_HOME"])
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
