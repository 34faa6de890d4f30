#!/usr/bin/env bash
# Install the pinned Gemini CLI into .cache/gemini-cli/ for the end-to-end tests (tests/test_e2e_gemini.py) and
# for recording its hook payloads (tests/data/gemini-cli/record.py). Run by `make test`; the skip rules, the
# stamp file and the version check are scripts/install-npm-cli.sh's (GEMINI_CLI_PREFIX still names another folder).
#
# The npm package is one bundled node script (bundle/gemini.js); it needs node >= 20.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export NPM_CLI_PREFIX="${GEMINI_CLI_PREFIX:-$ROOT/.cache/gemini-cli}"
exec bash "$ROOT/scripts/install-npm-cli.sh" gemini-cli @google/gemini-cli "${GEMINI_CLI_VERSION:-0.61.0}" gemini
