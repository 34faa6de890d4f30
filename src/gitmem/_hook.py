"""The file the installed hook command runs: ``<python> -I -S <this file> <Event>``.

Kept to a few lines because a script is compiled on every run (2.7 ms for
hook.py here, a quarter of an interpreter start) while an imported module is
loaded from its cached bytecode. So this launcher imports ``hook`` from its
own folder and runs it; ``hook.py`` holds the code and its invariants.
"""
import sys

sys.path.append(__file__.rpartition("/")[0])
import hook  # type: ignore[import-not-found]  # noqa: E402  # this file's folder, appended above

sys.exit(hook.main())
