#!/bin/sh
# Instructions per request, user space, under callgrind: figures the
# machine's load cannot blur (bench/http/run.sh's requests/s can).  One
# client on one keep-alive connection sends N requests of each kind to
#   nginx (one worker, no master, under callgrind) serving a static file of
#   the size of an answer, and knotfinder (--threads 1 --save-limit 0) serving
#   that file, answering a consultation from its cache with "save": false,
#   and answering one from its cache that it saves (a commit each: one client
#   means no group to share it with, the dearest case).
# The kernel's part (syscalls, fsync) is not counted; bench/http/run.sh's
# ratios include it.
#
# usage: bench/http/instr.sh [BINARY]   environment: N (default 500)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/knotfinder}
n=${N:-500}
cases=${CASES:-/work/shared/cases/articles.jsonl}
command -v valgrind >/dev/null || { echo "bench/http/instr: valgrind is not installed"; exit 0; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
tmp=$(mktemp -d /tmp/kf-bench-instr.XXXXXX)
chmod 755 "$tmp"
vk= vn=
cleanup() {
    [ -n "$vk" ] && kill "$vk" 2>/dev/null && wait "$vk" 2>/dev/null
    [ -n "$vn" ] && kill "$vn" 2>/dev/null && wait "$vn" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
mkdir -p "$tmp/www" "$tmp/nginx/logs" "$tmp/nginx/tmp"

valgrind --tool=callgrind --callgrind-out-file="$tmp/kf.cg" "$bin" --kb "$root/kb" \
    --web "$tmp/www" --db "$tmp/j.db" serve --port 0 --threads 1 --save-limit 0 \
    >"$tmp/kf.out" 2>"$tmp/kf.err" &
vk=$!
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
user_line=
[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"
cat >"$tmp/nginx/nginx.conf" <<EOF
$user_line
daemon off;
master_process off;
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 64; }
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
    server { listen 127.0.0.1:$nport; root $tmp/www; }
}
EOF
valgrind --tool=callgrind --callgrind-out-file="$tmp/ng.cg" "$nginx_bin" -p "$tmp/nginx" \
    -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" 2>"$tmp/ng.err" &
vn=$!
port=
for _ in $(seq 300); do
    port=$(sed -n 's|^knotfinder: serving http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/kf.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "bench/http/instr: the server did not start" >&2; cat "$tmp/kf.err" >&2; exit 1; }

python3 - "$port" "$nport" "$vk" "$vn" "$n" "$cases" "$tmp" <<'PY'
import http.client, json, os, subprocess, sys, time
port, nport, vk, vn, n, cases, tmp = sys.argv[1:8]
port, nport, n = int(port), int(nport), int(n)
try:
    texts = [json.loads(l)["text"] for l in open(cases) if l.strip()]
except (OSError, ValueError, KeyError):
    texts = ["I have a knot between my spine and my left shoulder blade and I use a mouse all day.",
             "Tight painful spot on top of my right shoulder, worse after carrying my toddler."]
saved = [json.dumps({"text": t}) for t in texts]
unsaved = [json.dumps({"text": t, "save": False}) for t in texts]
def conn(p):
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", p, timeout=120)
            c.request("GET", "/static.json"); c.getresponse().read()
            return c
        except OSError:
            time.sleep(0.1)
    sys.exit("bench/http/instr: no answer on port %d" % p)
kc = conn(port)
sizes = []
for b in unsaved:
    kc.request("POST", "/api/v1/consult", body=b, headers={"Content-Type": "application/json"})
    r = kc.getresponse(); d = r.read(); sizes.append(len(d))
mean = sum(sizes) // len(sizes)
open(os.path.join(tmp, "www", "static.json"), "wb").write((d * (mean // len(d) + 1))[:mean])
nc = conn(nport)
for b in saved:        # the cache holds both kinds now, the rows made
    kc.request("POST", "/api/v1/consult", body=b, headers={"Content-Type": "application/json"})
    kc.getresponse().read()
def total(pid, name):
    subprocess.run(["callgrind_control", "--dump=" + name, str(pid)], capture_output=True)
def zero(pid):
    subprocess.run(["callgrind_control", "-z", str(pid)], capture_output=True)
def run(c, pid, name, body_list):
    zero(pid)
    for i in range(n):
        if body_list:
            c.request("POST", "/api/v1/consult", body=body_list[i % len(body_list)],
                      headers={"Content-Type": "application/json"})
        else:
            c.request("GET", "/static.json")
        r = c.getresponse(); r.read()
        if r.status != 200:
            sys.exit("bench/http/instr: %s answered %d" % (name, r.status))
    total(pid, name)
run(nc, vn, "nginx_static", None)
run(kc, vk, "kf_static", None)
run(kc, vk, "kf_consult_cached", unsaved)
run(kc, vk, "kf_consult_saved", saved)
print("bench/http/instr: answer and static file size %d bytes" % mean)
PY
# Each dump's total instructions.
ir() {   # file-prefix trigger-name
    for f in "$1".*; do
        grep -q "^desc: Trigger: dump $2\$" "$f" 2>/dev/null || continue
        sed -n 's/^summary: \([0-9]*\).*/\1/p;s/^totals: \([0-9]*\).*/\1/p' "$f" | head -n 1
        return
    done
    echo 0
}
ng=$(ir "$tmp/ng.cg" nginx_static)
ks=$(ir "$tmp/kf.cg" kf_static)
kc=$(ir "$tmp/kf.cg" kf_consult_cached)
kv=$(ir "$tmp/kf.cg" kf_consult_saved)
python3 - "$n" "$ng" "$ks" "$kc" "$kv" <<'PY'
import sys
n, ng, ks, kc, kv = (int(x) for x in sys.argv[1:])
def per(x): return x / n
print("instructions a request (callgrind, user space, %d requests of each, one client; "
      "no target of its own: what the ratios above are made of):" % n)
print("  nginx GET static file (the yardstick)         %9.0f" % per(ng))
print("  knotfinder GET the same static file           %9.0f   %.2f x nginx's" %
      (per(ks), per(ks) / per(ng) if ng else 0))
print("  consult from the cache, not saved             %9.0f   %.2f x nginx's" %
      (per(kc), per(kc) / per(ng) if ng else 0))
print("  consult from the cache, saved (a commit each) %9.0f   %.2f x nginx's (the writer "
      "thread's insert and commit included)" % (per(kv), per(kv) / per(ng) if ng else 0))
PY
