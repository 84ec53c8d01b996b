#!/usr/bin/env bash
# Stopping the server under load is clean: ROUNDS times (default 50), start
# `knotfinder serve`, have 6 clients post check-ins and consultations and
# read the journal as fast as they can, send SIGTERM in the middle of it,
# and check that the server exits with 0 and says nothing of a crash or a
# sanitizer report.  Run it with KNOTFINDER=build/san/knotfinder (tests/run.sh
# does in its sanitizer pass): the journal used to be closed while the
# daemon's threads were still writing to it (a heap-use-after-free).
source "$(dirname "$0")/common.bash"
ROUNDS=${ROUNDS:-50}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
python3 - "$K" "$T" "$ROUNDS" <<'PY'
import http.client, json, os, random, re, select, signal, subprocess, sys, threading, time
K, T, ROUNDS = sys.argv[1], sys.argv[2], int(sys.argv[3])
bad = []
served = 0
for rnd in range(ROUNDS):
    db = os.path.join(T, "sd%d.db" % (rnd % 3))
    err = open(os.path.join(T, "serve.err"), "wb")
    p = subprocess.Popen([K, "--db", db, "serve", "--port", "0", "--threads", "4"],
                         stdout=subprocess.PIPE, stderr=err)
    line, end = b"", time.time() + 60
    while b"\n" not in line and time.time() < end:
        if select.select([p.stdout], [], [], 0.2)[0]:
            c = os.read(p.stdout.fileno(), 4096)
            if not c:
                break
            line += c
    m = re.search(rb"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        p.kill(); p.wait(); err.close()
        bad.append("round %d: the server did not start: %s" % (rnd, open(err.name, "rb").read()[-300:]))
        continue
    port = int(m.group(1))
    stop = threading.Event()
    count = [0]
    def client(k):
        bodies = [("POST", "/api/v1/journal/checkins", {"pain": k % 11, "note": "sd-%d" % k}),
                  ("POST", "/api/v1/consult", {"text": "a knot under my left shoulder blade %d" % k}),
                  ("GET", "/api/v1/journal", None), ("GET", "/api/v1/journal/plan", None)]
        while not stop.is_set():
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                for _ in range(50):
                    if stop.is_set():
                        break
                    m_, path, b = random.choice(bodies)
                    c.request(m_, path, body=json.dumps(b) if b is not None else None,
                              headers={"Content-Type": "application/json"} if b is not None else {})
                    c.getresponse().read()
                    count[0] += 1
                c.close()
            except Exception:
                time.sleep(0.005)       # the server is going away: expected
    th = [threading.Thread(target=client, args=(k,)) for k in range(6)]
    for t in th:
        t.start()
    # Stop once the load is under way, at a random moment.
    end = time.time() + 10
    while count[0] < 5 and time.time() < end:
        time.sleep(0.005)
    time.sleep(random.uniform(0.0, 0.15))
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill(); rc = p.wait()
        bad.append("round %d: did not stop within 60 s" % rnd)
    stop.set()
    for t in th:
        t.join()
    err.close()
    e = open(err.name, "rb").read()
    served += count[0]
    if rc != 0 or b"Sanitizer" in e or b"runtime error" in e:
        bad.append("round %d: exit %d after %d requests: %s" % (rnd, rc, count[0],
                   e.decode(errors="replace")[-1500:]))
print("  %d rounds, %d requests answered in all" % (ROUNDS, served))
for b in bad[:3]:
    print("  " + b)
open(os.path.join(T, "bad"), "w").write(str(len(bad)))
PY
nbad=$(cat "$T/bad" 2>/dev/null || echo "$ROUNDS")
check "$ROUNDS shutdowns under load: every one exits 0 without a crash ($nbad did not)" [ "$nbad" -eq 0 ]
finish
