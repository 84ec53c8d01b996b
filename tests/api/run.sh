#!/bin/sh
# API tests against a running server: tests/api/run.sh [BINARY]
# (default build/knotfinder; try build/san/knotfinder after `make SAN=1`).
# Starts its own servers on free ports; last line "N passed, N failed".
dir=$(dirname "$0")
exec python3 "$dir/api_test.py" "$@"
