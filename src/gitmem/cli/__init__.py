"""The ``gitmem`` command: parse, call one core function, render.

``app`` holds the typer app, the global options, the one error renderer and ``main``, and adds the
command modules (``*_commands``, grouped as README.md lists the commands) in one place; ``render`` turns
records into terminal text and JSON; ``output`` and ``repository`` are what every command shares.
"""
