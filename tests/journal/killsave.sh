#!/usr/bin/env bash
# An acknowledged consultation survives kill -9: `knotfinder serve` saving
# every consultation (--save-limit 0) answers each POST /api/v1/consult only
# after its row's commit returned (group commit: one transaction for all the
# requests waiting meanwhile, synchronous=FULL).  Several clients post
# consultations with distinct words at once, each noting the ones answered
# 200; the server is killed with SIGKILL in the middle of it, ROUNDS times
# on the same journal.  After each kill, every consultation that was
# answered is in the journal (the words found once), the journal opens,
# and integrity_check says ok.  (A power cut is not simulated here: the
# commit's fsync of the WAL is what makes that case the same as this one.)
# A last round stops the server with SIGTERM in the middle of the flood
# instead: it exits 0 (no sanitizer report with a SAN build), and every
# consultation it answered is kept too.
# ROUNDS=N (default 4).  Each round's line gives the WAL's pages at the
# kill; the WAL is left as it is by each kill -9, so the later rounds run
# past the 1,000 pages at which checkpoints begin (on the checkpointer's
# own thread and connection, store_sqlite.c).
source "$(dirname "$0")/common.bash"
command -v python3 >/dev/null || { bad "python3 is needed"; finish; exit 1; }
ROUNDS=${ROUNDS:-4}
DB=$T/kill.db
: > "$T/acked"
lost_total=0
for round in $(seq 1 $((ROUNDS + 1))); do
  sig=-9; [ "$round" -gt "$ROUNDS" ] && sig=-TERM
  "$K" --db "$DB" serve --port 0 --threads 2 --save-limit 0 > "$T/serve.log" 2>&1 &
  SERVER=$!
  CLEANUP=("kill -9 $SERVER")
  port=
  for _ in $(seq 1 100); do
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$T/serve.log" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { bad "round $round: the server started"; cat "$T/serve.log"; break; }
  # 16 clients, each on its own keep-alive connection, posting until the
  # server goes away; an answer is noted (one line, flushed) only once it
  # was received whole with status 200.
  python3 - "$port" "$round" "$T/acked.$round" <<'PY' &
import http.client, sys, threading
port, rnd, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
f = open(out, "w")
def client(c):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i = 0
    while True:
        tag = "r%s-c%d-n%d" % (rnd, c, i)
        body = ('{"text": "A knot under my left shoulder blade from the mouse, '
                'worse after work (note %s)"}' % tag)
        try:
            conn.request("POST", "/api/v1/consult", body=body,
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
        except Exception:
            return
        if r.status == 200:
            with lock:
                f.write(tag + "\n")
                f.flush()
        i += 1
ts = [threading.Thread(target=client, args=(c,)) for c in range(16)]
for t in ts: t.start()
for t in ts: t.join()
PY
  CLIENTS=$!
  # The kill comes 1.0-1.8 s after the first answer (on a loaded machine the
  # clients may take a while to get going; at most 60 s are waited for it).
  for _ in $(seq 1 600); do
    [ -s "$T/acked.$round" ] && break
    kill -0 "$CLIENTS" 2>/dev/null || break
    sleep 0.1
  done
  sleep "1.$((RANDOM % 9))"
  # The WAL file's size at the kill (it only grows): past 1,000 pages the store's
  # checkpointer thread copies it into the file while the commits go on,
  # and a kill may land in the middle of that.
  wal=$(stat -c %s "$DB-wal" 2>/dev/null || echo 0)
  kill $sig "$SERVER"; wait "$SERVER"; status=$?
  wait "$CLIENTS" 2>/dev/null
  if [ "$sig" = -TERM ]; then
    check "round $round: SIGTERM under the flood: exit status 0 ($status)" [ "$status" -eq 0 ]
    check "round $round: no sanitizer or runtime error report" \
          eval "! grep -q 'Sanitizer\|runtime error' '$T/serve.log'"
  fi
  n=$(wc -l < "$T/acked.$round")
  cat "$T/acked.$round" >> "$T/acked"
  # Every acknowledged tag is in the journal.
  sql "$DB" "SELECT text FROM consultations WHERE text LIKE '%(note r$round-%'" |
    sed -n 's/.*(note \(r[0-9]*-c[0-9]*-n[0-9]*\)).*/\1/p' | sort > "$T/stored.$round"
  sort "$T/acked.$round" > "$T/acked.sorted"
  lost=$(comm -23 "$T/acked.sorted" "$T/stored.$round" | wc -l)
  stored=$(wc -l < "$T/stored.$round")
  echo "  round $round (kill $sig): $n answered before, $stored in the journal, $lost of the answered missing (WAL file: $((wal / 4096)) pages)"
  lost_total=$((lost_total + lost))
  [ "$n" -gt 0 ] || bad "round $round: some consultations were answered before the kill"
done
check "every answered consultation is in the journal after $ROUNDS kill -9 and a SIGTERM ($lost_total missing)" \
      [ "$lost_total" -eq 0 ]
check "no consultation is in it twice" \
      [ "$(sql "$DB" "SELECT count(*) - count(DISTINCT text) FROM consultations")" = 0 ]
check "the journal opens after the kills" "$K" --db "$DB" history
check "integrity_check is ok" [ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ]
finish
