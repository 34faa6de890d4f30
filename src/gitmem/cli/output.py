"""What commands print besides rendered records: JSON documents, and error and warning lines on stderr.

Every ``gitmem: error:`` line goes through ``error``, the format the one error renderer
(``cli.app.error_handler``) uses too, so a command that reports a partial failure and goes on
reads the same as one that stops.
"""

from __future__ import annotations

import json

import typer


def emit_json(data: object) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def error(message: str) -> None:
    typer.echo(f"gitmem: error: {message}", err=True)


def warn(message: str) -> None:
    typer.echo(f"gitmem: warning: {message}", err=True)
