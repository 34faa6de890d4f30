"""The one error hierarchy of gitmem and the exit codes the CLI returns.

Core code raises these; only ``cli.error_handler`` renders them. Every error
carries a message (what happened, where) and a hint (what to do next).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Sequence


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    UNEXPECTED = 3
    INTERRUPTED = 130


class GitmemError(Exception):
    """Base of every error gitmem reports to a person."""

    exit_code: ExitCode = ExitCode.ERROR
    default_hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = self.default_hint if hint is None else hint

    def __str__(self) -> str:
        return self.message


class NotARepositoryError(GitmemError):
    default_hint = "run gitmem inside a git repository, or create one with `git init`."


class NotInitializedError(GitmemError):
    default_hint = "run `gitmem init` in this repository first."


class ConfigError(GitmemError):
    """A settings file is unreadable or has a bad key; the message names file and key."""


class RecordError(GitmemError):
    """A record in the memory ref or a decision file cannot be parsed."""

    def __init__(self, message: str, path: str = "", line: int | None = None, hint: str | None = None) -> None:
        where = path + (f":{line}" if line else "")
        super().__init__(f"{where}: {message}" if where else message, hint)
        self.path = path
        self.line = line


class NotFoundError(GitmemError):
    default_hint = "list what exists with `gitmem log`."


class GitError(GitmemError):
    """A git command failed; keeps argv, return code and stderr for the report."""

    def __init__(self, argv: Sequence[str], returncode: int, stderr: str, hint: str | None = None) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr = stderr.strip()
        detail = f": {self.stderr}" if self.stderr else ""
        super().__init__(f"`{' '.join(self.argv)}` failed with exit code {returncode}{detail}", hint)


class RefUpdateConflict(GitError):
    """Another writer moved the memory ref between our read and our write."""


class WriteInterrupted(RefUpdateConflict):
    """git could not finish writing its objects (a concurrent ``git gc`` removed its temporary pack).

    Nothing was written and the ref did not move, so it is retried like a lost race.
    """


class StaleLockError(GitmemError):
    """A ``<ref>.lock`` file left by a git process that was killed blocks every update of a ref."""


class SummarizeError(GitmemError):
    spent: tuple[int, int] = (0, 0)   # (tokens in, tokens out) a failed summary already cost
