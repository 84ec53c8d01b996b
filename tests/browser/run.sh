#!/usr/bin/env bash
# Browser tests of the web app: starts the real server on a free port,
# runs tests/browser/run.mjs in headless Chromium against it, then
# tests/browser/journal.mjs against a second server on an empty journal,
# phone.mjs (the journal at 390 x 844) against a third,
# and stops them.  Both servers keep their journal in a temporary folder
# (--db and XDG_DATA_HOME), never the user's own.
#
#   tests/browser/run.sh          against build/knotfinder (build it first)
#   tests/browser/run.sh --mock   against tests/browser/mock-server.mjs
#
# KNOTFINDER, KNOTFINDER_KB and KNOTFINDER_WEB override the binary, the
# knowledge base and the web folder (default: this checkout's).
# Needs: node and npm (playwright-core comes from package-lock.json through
# `npm ci`), and Debian's chromium at /usr/bin/chromium (or $CHROMIUM).
# The last line printed is "N passed, N failed", the sum over both files;
# the exit status is 0 only when every test passed.  The journal tests
# need the real server, so --mock skips them.
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
# The node that runs the tests must satisfy playwright-core's "engines"
# (checked here, as npm only warns about it).
want=$(sed -n '/"node_modules\/playwright-core"/,/}$/s/.*"version": "\([^"]*\)".*/\1/p' package-lock.json | head -n 1)
need=$(sed -n '/"node_modules\/playwright-core"/,$s/.*"node": ">=\([0-9]*\).*/\1/p' package-lock.json | head -n 1)
have=$(node -p 'process.versions.node' 2>/dev/null) || fail "node does not run"
[ -n "$need" ] && [ "${have%%.*}" -lt "$need" ] &&
    fail "playwright-core $want needs node >= $need, this node is $have"
# (Re)install the packages when node_modules was not made from this very
# package-lock.json (a stamp of its checksum is kept in node_modules).
sum=$(cksum <package-lock.json)
if [ "$(cat node_modules/.kf-lock 2>/dev/null)" != "$sum" ]; then
    echo "browser tests: npm ci (playwright-core $want for node $have)"
    npm ci --engine-strict --no-audit --no-fund >npm-ci.log 2>&1 ||
        { cat npm-ci.log >&2; fail "npm ci failed"; }
    grep -i 'warn' npm-ci.log >&2 || true
    rm -f npm-ci.log
    echo "$sum" >node_modules/.kf-lock
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kf-browser.XXXXXX") || fail "mktemp failed"
export XDG_DATA_HOME="$tmp/data"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# start_server NAME [ARGS]: starts a server with its own journal
# $tmp/NAME.db (and ARGS for serve) and sets $url; fails the run when it
# does not come up within 15 s.
start_server() {
    local log="$tmp/$1.log" pid name=$1
    shift
    : >"$log"        # there before the server writes to it (the wait reads it)
    if [ $mock = 1 ]; then
        node mock-server.mjs >"$log" 2>&1 &
    else
        [ -x "$bin" ] || fail "$bin is missing: run make first"
        # --timeout: Playwright's request contexts share one keep-alive
        # pool for the whole run (a module-wide http.Agent that keeps idle
        # sockets with no time limit), so a socket left idle by one test is
        # reused by a later one; after the server's idle timeout (15 s by
        # default) the server closes it, and a request written at that
        # moment gets "socket hang up".  A server whose idle timeout
        # outlasts the suite's own ceiling (600 s, run_suite) never closes
        # a socket the pool still holds: the client is the side that closes.
        "$bin" --kb "$kb" --web "$webdir" --db "$tmp/$name.db" serve --port 0 --bind 127.0.0.1 \
            --timeout 900 "$@" >"$log" 2>&1 &
    fi
    pid=$!
    pids+=("$pid")
    # Wait for "knotfinder: serving http://127.0.0.1:PORT/".
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
}

# run_suite FILE: runs one test file, passing its lines through but its
# closing count, which is added to the totals.  A hard ceiling per file, so
# a hung browser cannot hold CI for long.
passed=0 failed=0 skipped=0 rc=0
run_suite() {
    local out="$tmp/out" r last p f
    timeout 600 node "$1" "$url" 2>&1 | tee "$out" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
    r=${PIPESTATUS[0]}
    [ $r = 124 ] && echo "browser tests: $1 timed out" >&2
    last=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    p=0 f=0
    if [ -n "$last" ]; then p=${last%% passed*}; f=${last#*, }; f=${f%% failed*}; fi
    [ $r != 0 ] && [ "$f" = 0 ] && f=1
    passed=$((passed + p)) failed=$((failed + f))
    [ $r != 0 ] && rc=1
}

start_server app
run_suite run.mjs
if [ $mock = 1 ]; then
    echo "skipped journal.mjs, phone.mjs, token.mjs and course.mjs: they need the real server"
    skipped=4
else
    start_server journal
    run_suite journal.mjs
    # The journal on a phone, its file at a long path (a long word on the page).
    start_server phone_journal_kept_at_a_long_path_with_no_place_to_break_a_line
    run_suite phone.mjs
    start_server token --token
    run_suite token.mjs
    # The hosted course's page, on its own SQLite database.
    start_server course --hosted --insecure-fast-hash
    export KF_ADMIN="$bin --kb $kb --db $tmp/course.db admin therapist"
    run_suite course.mjs
fi
if [ $skipped -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"
else echo "$passed passed, $failed failed"; fi
exit $rc
