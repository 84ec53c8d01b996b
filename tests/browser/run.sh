#!/usr/bin/env bash
# Browser tests of the web app: starts the real server on a free port,
# runs tests/browser/run.mjs in headless Chromium against it, stops it.
#
#   tests/browser/run.sh          against build/knotfinder (build it first)
#   tests/browser/run.sh --mock   against tests/browser/mock-server.mjs
#
# KNOTFINDER, KNOTFINDER_KB and KNOTFINDER_WEB override the binary, the
# knowledge base and the web folder (default: this checkout's).
# Needs: node and npm (playwright-core comes from package-lock.json through
# `npm ci`), and Debian's chromium at /usr/bin/chromium (or $CHROMIUM).
# The last line printed is "N passed, N failed"; the exit status is 0 only
# when every test passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${KNOTFINDER:-$root/build/knotfinder}
kb=${KNOTFINDER_KB:-$root/kb}
webdir=${KNOTFINDER_WEB:-$root/web}
mock=0
[ "${1:-}" = "--mock" ] && mock=1

fail() {
    echo "browser tests: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

command -v node >/dev/null || fail "node is not installed (apt-get install -y nodejs npm)"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "no chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install -y chromium)"

cd "$here" || fail "cannot enter $here"
if [ ! -d node_modules/playwright-core ]; then
    npm ci --no-audit --no-fund --loglevel=error >npm-ci.log 2>&1 ||
        { cat npm-ci.log >&2; fail "npm ci failed"; }
    rm -f npm-ci.log
fi

log=$(mktemp "${TMPDIR:-/tmp}/kf-serve.XXXXXX")
if [ $mock = 1 ]; then
    node mock-server.mjs >"$log" 2>&1 &
else
    [ -x "$bin" ] || fail "$bin is missing: run make first"
    "$bin" --kb "$kb" --web "$webdir" serve --port 0 --bind 127.0.0.1 >"$log" 2>&1 &
fi
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -f "$log"
}
trap cleanup EXIT

# Wait up to 15 s for "knotfinder: serving http://127.0.0.1:PORT/".
url=
for _ in $(seq 1 150); do
    url=$(sed -n 's|^knotfinder: serving \(http://[^ ]*\).*|\1|p' "$log" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    cat "$log" >&2
    fail "the server did not start"
fi

# A hard ceiling, so a hung browser cannot hold CI for long.
timeout 600 node run.mjs "$url"
rc=$?
[ $rc = 124 ] && { echo "browser tests: timed out" >&2; echo "0 passed, 1 failed"; }
exit $rc
