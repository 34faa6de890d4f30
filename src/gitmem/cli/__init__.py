"""The ``gitmem`` command: parse, call one core function, render."""
