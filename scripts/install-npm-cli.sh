#!/usr/bin/env bash
# Install one pinned npm CLI into .cache/<name>/ for gitmem's end-to-end tests and payload recorders.
#
#   bash scripts/install-npm-cli.sh <name> <npm package> <version> <bin>
#
# <name> labels the messages and names the folder (.cache/<name>/, or $NPM_CLI_PREFIX); <bin> is the command
# the package puts in node_modules/.bin. Safe to run again: when the stamp file says this version is installed
# and the binary is there, it does nothing.
#
#   no node or npm on PATH   prints why and exits 0: the e2e tests skip themselves with the same reason
#   GITMEM_E2E=skip          the same, on purpose
#   an install that fails    exits non-zero: where node and npm exist the e2e tests must run
#   `<bin> --version`        must print the version asked for, or the install fails
#
# Two settings for a package that needs them (scripts/install-claude-code.sh):
#   NPM_CLI_VERSION_GLOB     the bash pattern `<bin> --version`'s first line must match (default: holds the version)
#   NPM_CLI_POSTINSTALL      a command run in node_modules/<package>/ when the version does not match after
#                            `npm install` (npm configured to skip install scripts), before checking again
set -euo pipefail

if [ "$#" -ne 4 ]; then
    echo "usage: $0 <name> <npm package> <version> <bin>" >&2
    exit 2
fi
NAME="$1" PACKAGE="$2" VERSION="$3" BIN_NAME="$4"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="${NPM_CLI_PREFIX:-$ROOT/.cache/$NAME}"
BIN="$PREFIX/node_modules/.bin/$BIN_NAME"
STAMP="$PREFIX/.installed-$VERSION"

if [ "${GITMEM_E2E:-}" = "skip" ]; then
    echo "$NAME: GITMEM_E2E=skip: not installing; the end-to-end tests will be skipped" >&2
    exit 0
fi
for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$NAME: $tool not found on PATH: not installing; the end-to-end tests will be skipped" >&2
        exit 0
    fi
done
if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
    exit 0
fi

echo "$NAME: installing $PACKAGE@$VERSION into $PREFIX" >&2
rm -f "$PREFIX"/.installed-*
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" --no-audit --no-fund --no-update-notifier --loglevel=error \
    "$PACKAGE@$VERSION" >&2

GLOB="${NPM_CLI_VERSION_GLOB:-*$VERSION*}"
reported() { "$BIN" --version 2>/dev/null | head -n 1 || true; }
# shellcheck disable=SC2053  # $GLOB is a pattern on purpose
if [[ "$(reported)" != $GLOB && -n "${NPM_CLI_POSTINSTALL:-}" ]]; then
    (cd "$PREFIX/node_modules/$PACKAGE" && eval "$NPM_CLI_POSTINSTALL") >&2
fi
got="$(reported)"
# shellcheck disable=SC2053
if [[ "$got" != $GLOB ]]; then
    echo "$NAME: error: $BIN --version printed '$got', expected $VERSION" >&2
    exit 1
fi
echo "$VERSION" > "$STAMP"
echo "$NAME: $got at $BIN" >&2
