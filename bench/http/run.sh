#!/bin/sh
# HTTP benchmark: requests per second and p99 latency, with wrk on loopback,
#   1. POST /api/v1/consult on the article cases (our own sample texts when
#      /work/shared/cases/articles.jsonl is absent),
#   2. the same server returning a static file of the same size,
#   3. nginx (Debian's package, run here as our own process with its own
#      temporary prefix and config) serving that same file,
# all in one run, then the ratios.  Target: consult >= 0.5 x nginx static.
#
# usage: bench/http/run.sh [BINARY]        (default build/knotfinder)
# environment: DURATION (s, default 10), CONNS (default 32), THREADS (wrk
# threads, default 2), WORKERS (server threads and nginx workers, default:
# the number of cores), CASES (a .jsonl file with "text" fields).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/knotfinder}
duration=${DURATION:-10}
conns=${CONNS:-32}
threads=${THREADS:-2}
workers=${WORKERS:-$(nproc)}
cases=${CASES:-/work/shared/cases/articles.jsonl}
lua=$root/bench/http/consult.lua

for tool in wrk nginx python3 curl; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
        { echo "bench/http: $tool is not installed" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$bin" ] || { echo "bench/http: no binary at $bin (run make)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/kf-bench-http.XXXXXX)
chmod 755 "$tmp"               # nginx workers may run as another user
server_pid= nginx_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The request bodies: one {"text": ...} per line.
python3 - "$cases" "$tmp/bodies.jsonl" <<'EOF'
import json, sys
texts = []
try:
    with open(sys.argv[1]) as f:
        texts = [json.loads(l)["text"] for l in f if l.strip()]
except (OSError, ValueError, KeyError):
    pass
if not texts:   # our own sample texts
    texts = [
        "I have a knot between my spine and my left shoulder blade and I use a mouse all day.",
        "Tight painful spot on top of my right shoulder, worse after carrying my toddler.",
        "Aching under my left arm near the shoulder blade since I started swimming again.",
        "My upper back hurts between the shoulder blades when I sit at the laptop for hours.",
        "A knot at the base of my neck on the right, I sleep on my right side.",
    ]
with open(sys.argv[2], "w") as f:
    for t in texts:
        f.write(json.dumps({"text": t}) + "\n")
print("bench/http: %d request bodies from %s" % (len(texts), sys.argv[1] if texts else "samples"),
      file=sys.stderr)
EOF

mkdir -p "$tmp/www" "$tmp/nginx/logs" "$tmp/nginx/tmp"

# Our server, on a free port, serving the temporary folder.
"$bin" --kb "$root/kb" --web "$tmp/www" serve --port 0 --threads "$workers" \
    >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's|^knotfinder: serving http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/server.out")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$port" ] || { echo "bench/http: the server did not start:" >&2; cat "$tmp/server.err" >&2; exit 1; }

# Every consult must succeed; the static file gets the mean response size.
size=$(python3 - "$port" "$tmp/bodies.jsonl" "$tmp/www/static.json" <<'EOF'
import http.client, sys
port, bodies, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sizes, sample = [], b""
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for line in open(bodies, "rb"):
    c.request("POST", "/api/v1/consult", body=line.strip(),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("consult answered %d: %s" % (r.status, data[:200]))
    sizes.append(len(data))
    sample = sample or data
mean = sum(sizes) // len(sizes)
body = (sample * (mean // len(sample) + 1))[:mean]
open(out, "wb").write(body)
print(mean)
EOF
)
chmod 644 "$tmp/www/static.json"

# nginx with its own prefix, config, logs and temp folders.
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_line=
[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"
cat >"$tmp/nginx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes $workers;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    types { application/json json; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    client_body_temp_path $tmp/nginx/tmp/body;
    proxy_temp_path $tmp/nginx/tmp/proxy;
    fastcgi_temp_path $tmp/nginx/tmp/fastcgi;
    uwsgi_temp_path $tmp/nginx/tmp/uwsgi;
    scgi_temp_path $tmp/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$nport;
        root $tmp/www;
    }
}
EOF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
    2>"$tmp/nginx/start.err" &
nginx_pid=$!
for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$nport/static.json" && break
    sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$nport/static.json" ||
    { echo "bench/http: nginx did not start:" >&2; cat "$tmp/nginx/start.err" "$tmp/nginx/logs/error.log" >&2; exit 1; }

# One wrk run: prints "rps p99_ms non2xx errors".
run() {   # name url [bodies]
    KF_BODIES=${3:-} wrk -t"$threads" -c"$conns" -d2s -s "$lua" "$2" >/dev/null 2>&1 || true
    KF_BODIES=${3:-} wrk -t"$threads" -c"$conns" -d"${duration}s" -s "$lua" "$2" \
        >"$tmp/$1.wrk" 2>&1 || { cat "$tmp/$1.wrk" >&2; exit 1; }
    sed -n 's/^RESULT //p' "$tmp/$1.wrk"
}

echo "bench/http: wrk -t$threads -c$conns -d${duration}s on loopback; server threads" \
     "and nginx workers: $workers; $(nproc) cores; response size $size bytes"
consult=$(run consult "http://127.0.0.1:$port/api/v1/consult" "$tmp/bodies.jsonl")
static=$(run static "http://127.0.0.1:$port/static.json")
ngx=$(run nginx "http://127.0.0.1:$nport/static.json")

python3 - "$consult" "$static" "$ngx" <<'EOF'
import sys
def parse(s):
    return {k: float(v) for k, v in (kv.split("=") for kv in s.split())}
rows = [("knotfinder POST /api/v1/consult", parse(sys.argv[1])),
        ("knotfinder GET static file", parse(sys.argv[2])),
        ("nginx GET static file", parse(sys.argv[3]))]
print("%-34s %12s %9s %9s %7s %7s" % ("", "requests/s", "p50 ms", "p99 ms", "non2xx", "errors"))
for name, r in rows:
    print("%-34s %12.0f %9.3f %9.3f %7d %7d" % (name, r["rps"], r["p50_ms"], r["p99_ms"],
                                                 r["non2xx"], r["errors"]))
c, s, n = (r["rps"] for _, r in rows)
print("ratio consult / nginx static:      %.2f  (target >= 0.50: %s)" %
      (c / n, "met" if c / n >= 0.5 else "NOT met"))
print("ratio our static / nginx static:   %.2f" % (s / n))
print("ratio consult / our static:        %.2f" % (c / s))
bad = [name for name, r in rows if r["non2xx"] or r["requests"] == 0]
if bad:
    sys.exit("bench/http: failed requests in: " + ", ".join(bad))
EOF
