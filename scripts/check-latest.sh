#!/usr/bin/env bash
# The newest releases that pyproject.toml allows, in a throw-away venv, against the whole suite
# (`make test-latest`). The lock keeps `make test` and CI on tested versions; this shows what the next
# `make lock` (or a user's own `pip install gitmem`) would bring. Every failure it shows is fixed, or
# the range in pyproject.toml is narrowed with a comment saying why.
#
#   scripts/check-latest.sh [pytest args...]     exit status: pytest's
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/gitmem-latest.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
"$PYTHON" -m venv "$WORK/venv"
PIP=("$WORK/venv/bin/python" -m pip --disable-pip-version-check --quiet)
"${PIP[@]}" install --upgrade pip
"${PIP[@]}" install --upgrade --upgrade-strategy eager -e "$ROOT[test]" -r "$ROOT/requirements/build.in"
echo "check-latest: newest allowed versions that differ from requirements/test.lock:" >&2
"$WORK/venv/bin/python" -m pip --disable-pip-version-check list --format=freeze 2>/dev/null \
    | while IFS='=' read -r name _ version; do
        locked=$(grep -i -E "^${name//[-_.]/[-_.]}==" requirements/test.lock | sed -E 's/^[^=]+==([^ ;]+).*/\1/' | sort -u | tr "\n" " " || true)
        if [ -n "$locked" ] && [[ " $locked" != *" $version "* ]]; then
            echo "  $name $version (locked: ${locked% })" >&2
        fi
    done
"$WORK/venv/bin/python" -m pytest -p no:cacheprovider "$@"
