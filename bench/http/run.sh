#!/bin/sh
# HTTP benchmark: requests per second and p99 latency, with wrk on loopback,
#   1. POST /api/v1/consult on the article cases (our own sample texts when
#      /work/shared/cases/articles.jsonl is absent) with the answer cache on
#      (--cache 4096; the cache works only with KNOTFINDER_NO_SAVE=1, which
#      both servers here run with): repeated bodies come from the cache,
#   2. the same as the server runs by default, no cache: every request runs
#      the text reader, the engine and the JSON renderer,
#   3. the server returning a static file of the same size as the answers,
#   4. nginx (Debian's package, run here as our own process with its own
#      temporary prefix and config) serving that same file,
# all in one run, then the ratios.  Target: consult >= 0.5 x nginx static.
# The machine may be shared: the four are measured in turn, ROUNDS times,
# and the median of the rounds is printed.
#
# usage: bench/http/run.sh [BINARY]        (default build/knotfinder)
# environment: DURATION (s per run, default 5), ROUNDS (default 3), CONNS
# (default 32), THREADS (wrk
# threads, default 2), WORKERS (server threads and nginx workers, default:
# the number of cores), CASES (a .jsonl file with "text" fields).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/knotfinder}
duration=${DURATION:-5}
rounds=${ROUNDS:-3}
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
server_pid= server2_pid= nginx_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$server2_pid" ] && kill "$server2_pid" 2>/dev/null && wait "$server2_pid" 2>/dev/null
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

# Our server, on a free port, serving the temporary folder; a second one
# with the answer cache off.
start_server() {   # name [options]
    name=$1
    shift
    KNOTFINDER_NO_SAVE=1 "$bin" --kb "$root/kb" --web "$tmp/www" serve --port 0 --threads "$workers" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.err" &
}
wait_port() {   # name pid
    for _ in $(seq 100); do
        p=$(sed -n 's|^knotfinder: serving http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/$1.out")
        [ -n "$p" ] && { echo "$p"; return 0; }
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench/http: the server did not start:" >&2
    cat "$tmp/$1.err" >&2
    return 1
}
start_server server --cache 4096
server_pid=$!
start_server server2
server2_pid=$!
port=$(wait_port server "$server_pid")
port2=$(wait_port server2 "$server2_pid")

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

# One wrk run: prints "requests=... rps=... p50_ms=... p99_ms=... ...".
run() {   # url [bodies]
    KF_BODIES=${2:-} wrk -t"$threads" -c"$conns" -d1s -s "$lua" "$1" >/dev/null 2>&1 || true
    KF_BODIES=${2:-} wrk -t"$threads" -c"$conns" -d"${duration}s" -s "$lua" "$1" \
        >"$tmp/wrk.out" 2>&1 || { cat "$tmp/wrk.out" >&2; return 1; }
    sed -n 's/^RESULT //p' "$tmp/wrk.out"
}

echo "bench/http: wrk -t$threads -c$conns -d${duration}s on loopback, $rounds rounds;" \
     "server threads and nginx workers: $workers; $(nproc) cores; load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg); answer size $size bytes"
: >"$tmp/results"
for _ in $(seq "$rounds"); do
    echo "consult $(run "http://127.0.0.1:$port/api/v1/consult" "$tmp/bodies.jsonl")" >>"$tmp/results"
    echo "uncached $(run "http://127.0.0.1:$port2/api/v1/consult" "$tmp/bodies.jsonl")" >>"$tmp/results"
    echo "static $(run "http://127.0.0.1:$port/static.json")" >>"$tmp/results"
    echo "nginx $(run "http://127.0.0.1:$nport/static.json")" >>"$tmp/results"
done

python3 - "$tmp/results" <<'EOF'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, *kv = line.split()
    if not kv:
        sys.exit("bench/http: a wrk run of %s gave no result" % name)
    runs.setdefault(name, []).append({k: float(v) for k, v in (x.split("=") for x in kv)})
def med(name, key):
    return statistics.median(r[key] for r in runs[name])
rows = [("consult", "knotfinder POST /api/v1/consult"),
        ("uncached", "  the same, answer cache off"),
        ("static", "knotfinder GET static file"),
        ("nginx", "nginx GET static file")]
print("%-34s %12s %9s %9s %7s %7s" % ("(median of %d rounds)" % len(runs["nginx"]),
                                        "requests/s", "p50 ms", "p99 ms", "non2xx", "errors"))
for key, label in rows:
    print("%-34s %12.0f %9.3f %9.3f %7d %7d" % (label, med(key, "rps"), med(key, "p50_ms"),
          med(key, "p99_ms"), sum(r["non2xx"] for r in runs[key]),
          sum(r["errors"] for r in runs[key])))
n = med("nginx", "rps")
c = med("consult", "rps")
print("ratio consult / nginx static:            %.2f  (target >= 0.50: %s)" %
      (c / n, "met" if c / n >= 0.5 else "NOT met"))
print("ratio consult, cache off / nginx static: %.2f" % (med("uncached", "rps") / n))
print("ratio our static / nginx static:         %.2f" % (med("static", "rps") / n))
bad = [k for k, _ in rows if any(r["non2xx"] or r["requests"] == 0 for r in runs[k])]
if bad:
    sys.exit("bench/http: failed requests in: " + ", ".join(bad))
EOF
