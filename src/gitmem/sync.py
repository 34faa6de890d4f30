"""``python -m gitmem.sync --after-push``: the pre-push line an older gitmem wrote, kept working.

``gitmem init`` now writes ``python -I -m gitmem.workers after-push``; a line an
older version wrote (or a user copied into a hook under ``core.hooksPath``)
must not make ``git push`` fail with "No module named gitmem.sync", so this
name stays and hands the job to the workers' entry point. Nothing imports it.
"""

import sys

if __name__ == "__main__":
    from gitmem import workers

    raise SystemExit(workers.main(["after-push", *sys.argv[2:]] if sys.argv[1:2] == ["--after-push"] else sys.argv[1:]))
