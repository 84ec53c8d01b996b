#!/usr/bin/env bash
# Runs every test: installs what is missing (Debian packages, and the npm
# packages of the browser tests), then tests/run.sh.
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-deps.sh --test
exec tests/run.sh "$@"
