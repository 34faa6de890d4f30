#!/usr/bin/env bash
# Install the pinned Claude Code CLI into .cache/claude-code/ for the end-to-end tests
# (tests/test_e2e_claude.py). Run by `make test`; safe to run again: when the stamp file says this
# version is installed and the binary is there, it does nothing.
#
#   no node or npm on PATH   prints why and exits 0: the e2e tests skip themselves with the same reason
#   GITMEM_E2E=skip          the same, on purpose
#   an install that fails    exits non-zero: where node and npm exist the e2e tests must run
#
# The npm package ships the native binary as a platform package from the registry; its postinstall
# copies it over bin/claude.exe. Where npm did not run that script, it is run here.
set -euo pipefail

VERSION="${CLAUDE_CODE_VERSION:-2.1.328}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${CLAUDE_CODE_PREFIX:-$ROOT/.cache/claude-code}"
BIN="$PREFIX/node_modules/.bin/claude"
STAMP="$PREFIX/.installed-$VERSION"

if [ "${GITMEM_E2E:-}" = "skip" ]; then
    echo "claude-code: GITMEM_E2E=skip: not installing; the end-to-end tests will be skipped" >&2
    exit 0
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "claude-code: $tool not found on PATH: not installing; the end-to-end tests will be skipped" >&2
        exit 0
    fi
done
if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
    exit 0
fi

echo "claude-code: installing @anthropic-ai/claude-code@$VERSION into $PREFIX" >&2
rm -f "$PREFIX"/.installed-*
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "@anthropic-ai/claude-code@$VERSION" >&2

reported() { "$BIN" --version 2>/dev/null | head -n 1 || true; }
if [[ "$(reported)" != "$VERSION "* ]]; then
    # the postinstall did not run (npm configured to skip install scripts): place the native binary
    (cd "$PREFIX/node_modules/@anthropic-ai/claude-code" && node install.cjs) >&2
fi
got="$(reported)"
if [[ "$got" != "$VERSION "* ]]; then
    echo "claude-code: error: $BIN --version printed '$got', expected $VERSION" >&2
    exit 1
fi
echo "$VERSION" > "$STAMP"
echo "claude-code: $got at $BIN" >&2
