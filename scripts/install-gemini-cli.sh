#!/usr/bin/env bash
# Install the pinned Gemini CLI into .cache/gemini-cli/ for the end-to-end tests (tests/test_e2e_gemini.py) and
# for recording its hook payloads (tests/data/gemini-cli/record.py). Run by `make test`; safe to run again: when
# the stamp file says this version is installed and the binary is there, it does nothing. The same skip rules as
# scripts/install-codex.sh:
#
#   no node or npm on PATH   prints why and exits 0: the e2e tests skip themselves with the same reason
#   GITMEM_E2E=skip          the same, on purpose
#   an install that fails    exits non-zero: where node and npm exist the e2e tests must run
#
# The npm package is one bundled node script (bundle/gemini.js); it needs node >= 20.
set -euo pipefail

VERSION="${GEMINI_CLI_VERSION:-0.61.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${GEMINI_CLI_PREFIX:-$ROOT/.cache/gemini-cli}"
BIN="$PREFIX/node_modules/.bin/gemini"
STAMP="$PREFIX/.installed-$VERSION"

if [ "${GITMEM_E2E:-}" = "skip" ]; then
    echo "gemini-cli: GITMEM_E2E=skip: not installing" >&2
    exit 0
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "gemini-cli: $tool not found on PATH: not installing" >&2
        exit 0
    fi
done
if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
    exit 0
fi

echo "gemini-cli: installing @google/gemini-cli@$VERSION into $PREFIX" >&2
rm -f "$PREFIX"/.installed-*
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "@google/gemini-cli@$VERSION" >&2

got="$("$BIN" --version 2>/dev/null | head -n 1 || true)"
if [[ "$got" != *"$VERSION"* ]]; then
    echo "gemini-cli: error: $BIN --version printed '$got', expected $VERSION" >&2
    exit 1
fi
echo "$VERSION" > "$STAMP"
echo "gemini-cli: $got at $BIN" >&2
