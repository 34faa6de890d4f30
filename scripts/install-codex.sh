#!/usr/bin/env bash
# Install the pinned Codex CLI into .cache/codex/ for the end-to-end tests (tests/test_e2e_codex.py).
# Run by `make test`; the skip rules, the stamp file and the version check are scripts/install-npm-cli.sh's
# (CODEX_PREFIX still names another folder).
#
# The npm package is a node launcher (bin/codex.js); the native binary comes as an optional
# dependency per platform (@openai/codex-linux-x64 is an alias of @openai/codex@<version>-linux-x64).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export NPM_CLI_PREFIX="${CODEX_PREFIX:-$ROOT/.cache/codex}"
exec bash "$ROOT/scripts/install-npm-cli.sh" codex @openai/codex "${CODEX_VERSION:-0.171.0}" codex
