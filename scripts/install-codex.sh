#!/usr/bin/env bash
# Install the pinned Codex CLI into .cache/codex/ for the end-to-end tests (tests/test_e2e_codex.py).
# Run by `make test`; safe to run again: when the stamp file says this version is installed and the
# binary is there, it does nothing.
#
#   no node or npm on PATH   prints why and exits 0: the e2e tests skip themselves with the same reason
#   GITMEM_E2E=skip          the same, on purpose
#   an install that fails    exits non-zero: where node and npm exist the e2e tests must run
#
# The npm package is a node launcher (bin/codex.js); the native binary comes as an optional
# dependency per platform (@openai/codex-linux-x64 is an alias of @openai/codex@<version>-linux-x64).
set -euo pipefail

VERSION="${CODEX_VERSION:-0.171.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${CODEX_PREFIX:-$ROOT/.cache/codex}"
BIN="$PREFIX/node_modules/.bin/codex"
STAMP="$PREFIX/.installed-$VERSION"

if [ "${GITMEM_E2E:-}" = "skip" ]; then
    echo "codex: GITMEM_E2E=skip: not installing; the end-to-end tests will be skipped" >&2
    exit 0
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "codex: $tool not found on PATH: not installing; the end-to-end tests will be skipped" >&2
        exit 0
    fi
done
if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
    exit 0
fi

echo "codex: installing @openai/codex@$VERSION into $PREFIX" >&2
rm -f "$PREFIX"/.installed-*
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "@openai/codex@$VERSION" >&2

reported() { "$BIN" --version 2>/dev/null | head -n 1 || true; }
got="$(reported)"
if [[ "$got" != *" $VERSION" ]]; then
    echo "codex: error: $BIN --version printed '$got', expected $VERSION" >&2
    exit 1
fi
echo "$VERSION" > "$STAMP"
echo "codex: $got at $BIN" >&2
