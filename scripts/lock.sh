#!/usr/bin/env bash
# Refresh the locks (`make lock`): requirements/test.lock holds every runtime, test and build dependency
# with hashes; requirements/demo.lock the runtime and build part of it, at the same versions;
# requirements/pip.lock pip itself (a venv's bundled pip is upgraded to it first).
# Run it after changing a dependency range in pyproject.toml or requirements/build.in, or to take
# upstream releases on purpose; then run `make test` and commit the locks with what they fixed.
#
# uv resolves one universal lock (every platform, Python >= 3.10). uv itself is pinned here and
# installed into .cache/uv-tool; it is needed only to refresh the lock, never to install from it.
set -euo pipefail
UV_VERSION="0.13.9"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOL="$ROOT/.cache/uv-tool"
PYTHON="${PYTHON:-python3}"
cd "$ROOT"
if [ ! -x "$TOOL/bin/uv" ] || [ "$("$TOOL/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    "$PYTHON" -m venv "$TOOL"
    "$TOOL/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
compile() {
    "$TOOL/bin/uv" pip compile --quiet --generate-hashes --universal --python-version 3.10 \
        --custom-compile-command "make lock" "$@"
}
compile pyproject.toml requirements/build.in --extra test -o requirements/test.lock
compile pyproject.toml requirements/build.in -c requirements/test.lock -o requirements/demo.lock
compile requirements/pip.in -o requirements/pip.lock
echo "lock: requirements/test.lock ($(grep -c '^[a-z]' requirements/test.lock) pins)," \
     "requirements/demo.lock ($(grep -c '^[a-z]' requirements/demo.lock) pins)" >&2
