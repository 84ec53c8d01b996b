#!/usr/bin/env bash
# The hosted course's throughput: two `knotfinder serve --hosted` processes
# on one PostgreSQL server (tests/pg/pg.sh: a private server on a unix
# socket), loaded at the same time by two wrk runs on 127.0.0.1, one per
# server; the requests per second of both are added.  Measured:
#   login     POST /api/v1/session with the production argon2id setting
#             (19 MiB, t=2: the cost is the point; it bounds logins a core);
#   consult   POST /api/v1/consult signed in (the session looked up, the
#             CSRF token checked, the per-user save counter hit, and the
#             consultation saved while the user's limit allows);
#   journal   GET /api/v1/journal signed in.
# Printed with p50/p99 latency and errors.  The machine may be shared (its
# load is printed): the figures are for comparing runs on one machine.
#   bench/hosted/run.sh [BINARY]   DURATION (s, default 5, at most 10),
#   CONNS (per server, default 16; login uses 2), THREADS (wrk threads per
#   run, default 1)
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/knotfinder}
duration=${DURATION:-5}; [ "$duration" -gt 10 ] && duration=10
conns=${CONNS:-16}; threads=${THREADS:-1}
for tool in wrk python3 curl; do
  command -v $tool >/dev/null 2>&1 || { echo "bench/hosted: $tool is not installed"; exit 1; }
done
tmp=$(mktemp -d /tmp/kf-bench-hosted-XXXXXX)
pgdir=$(mktemp -d /tmp/kf-bench-pg-XXXXXX)   # pg.sh may run the server as postgres
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$root/tests/pg/pg.sh" stop "$pgdir" >/dev/null 2>&1
  rm -rf "$tmp" "$pgdir"
}
trap cleanup EXIT
"$root/tests/pg/pg.sh" start "$pgdir" >"$tmp/pg.log" 2>&1 || { cat "$tmp/pg.log"; exit 1; }
url=$("$root/tests/pg/pg.sh" url "$pgdir")

start() {  # start N: a server, its port into $tmp/portN
  "$bin" --kb "$root/kb" serve --hosted --db "$url" --port 0 --login-limit 1000 \
    --address-limit 100000 --login-window 1 >"$tmp/out$1" 2>"$tmp/err$1" &
  pids="$pids $!"
  for _ in $(seq 100); do
    grep -q serving "$tmp/out$1" 2>/dev/null && break; sleep 0.1
  done
  sed -n 's/.*127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$tmp/out$1" >"$tmp/port$1"
}
start 1; start 2
p1=$(cat "$tmp/port1"); p2=$(cat "$tmp/port2")
[ -n "$p1" ] && [ -n "$p2" ] || { echo "the servers did not start"; cat "$tmp"/err*; exit 1; }

email=bench@example.org; pw="a long passphrase for the bench"
curl -s -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$pw\",\"consent\":true}" "http://127.0.0.1:$p1/api/v1/account"
login=$(curl -s -D "$tmp/h" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$pw\"}" "http://127.0.0.1:$p1/api/v1/session")
cookie=$(sed -n 's/^Set-Cookie: \(kf_session=[^;]*\);.*/\1/p' "$tmp/h" | tr -d '\r')
csrf=$(printf '%s' "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["csrf"])')

lua() {  # lua NAME METHOD BODY: a wrk script
  python3 - "$tmp/$1.lua" "$2" "$3" "$cookie" "$csrf" <<'EOF'
import json, sys
path, method, body, cookie, csrf = sys.argv[1:]
with open(path, "w") as f:
    f.write('wrk.method = %s\n' % json.dumps(method))
    if body:
        f.write('wrk.body = %s\n' % json.dumps(body))
        f.write('wrk.headers["Content-Type"] = "application/json"\n')
    if cookie:
        f.write('wrk.headers["Cookie"] = %s\n' % json.dumps(cookie))
        f.write('wrk.headers["X-CSRF-Token"] = %s\n' % json.dumps(csrf))
    f.write('''done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.2f %.2f %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
''')
EOF
}
run() {  # run NAME PATH [CONNS]: both servers at once; prints the sum
  local c=${3:-$conns}
  wrk -t"$threads" -c"$c" -d"${duration}s" --timeout 10s -s "$tmp/$1.lua" "http://127.0.0.1:$p1$2" >"$tmp/w1" 2>&1 &
  w1=$!
  wrk -t"$threads" -c"$c" -d"${duration}s" --timeout 10s -s "$tmp/$1.lua" "http://127.0.0.1:$p2$2" >"$tmp/w2" 2>&1
  wait $w1
  python3 - "$1" "$tmp/w1" "$tmp/w2" <<'EOF'
import sys
name = sys.argv[1]
rs = []
for p in sys.argv[2:]:
    for line in open(p):
        if line.startswith("RESULT"):
            n, us, p50, p99, err = line.split()[1:]
            rs.append((int(n), int(us), float(p50), float(p99), int(err)))
if len(rs) != 2:
    print("%-8s wrk failed" % name)
    sys.exit(0)
rps = sum(n / (us / 1e6) for n, us, *_ in rs)
print("%-8s %8.0f req/s (2 servers)   p50 %6.2f ms  p99 %7.2f ms   errors %d"
      % (name, rps, max(r[2] for r in rs), max(r[3] for r in rs), sum(r[4] for r in rs)))
EOF
}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $duration s a run, $conns connections a server"
lua login POST "{\"email\":\"$email\",\"password\":\"$pw\"}"
cookie_save=$cookie; cookie=""; lua login POST "{\"email\":\"$email\",\"password\":\"$pw\"}"; cookie=$cookie_save
# argon2id takes a core for tens of ms: a few connections keep both busy
run login /api/v1/session 2
lua consult POST '{"text":"a knot between my right shoulder blade and my spine, I use the mouse all day"}'
run consult /api/v1/consult
lua journal GET ""
run journal /api/v1/journal
