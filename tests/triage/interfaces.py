#!/usr/bin/env python3
"""A red flag in every interface: tests/triage/interfaces.py [FILE.jsonl ...]

Each description of a triage set (default: tests/triage/unseen-probe2.jsonl)
goes through every way a person can give it to knotfinder:

  ask      `knotfinder --json ask WORDS` (the reference)
  api      POST /api/v1/consult {"text": WORDS} on a server started here
           (127.0.0.1, a free port, its own scratch journal)
  seeded   `knotfinder --json interview WORDS`, then "quit" to every question
  answer   `knotfinder --json interview`, WORDS typed as the free-text answer
           to the first question, then "quit"
  draft    `knotfinder draft --json WORDS` (the drafted reply's triage)

and the levels must agree with `ask`:
  - api gives exactly the level of ask, for every case;
  - when ask sends to a doctor (doctor_soon or emergency), seeded, answer and
    draft give at least that level: a warning sign is never dropped because
    it came as an answer, an interview was stopped, or a reply was drafted;
  - a case whose expected level (the label) is doctor_soon or emergency is
    never answered below it by any interface (under-triage).
Levels above ask's in the interview are counted (its screen may add a
finding), not failed.  Last line: "N passed, N failed".
"""
import http.client
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("KNOTFINDER", os.path.join(ROOT, "build", "knotfinder"))
if not os.path.isabs(BIN):
    BIN = os.path.join(ROOT, BIN)
KB = os.environ.get("KNOTFINDER_KB", os.path.join(ROOT, "kb"))
ORDER = {"unknown": -1, "self_care": 0, "mention_to_doctor": 1, "doctor_soon": 2, "emergency": 3}
SOON = ORDER["doctor_soon"]

scratch = tempfile.mkdtemp(prefix="kf-interfaces-")
env = dict(os.environ, KNOTFINDER_KB=KB, KNOTFINDER_NO_SAVE="1", XDG_DATA_HOME=scratch)


def run(args, stdin=None):
    return subprocess.run([BIN, "--kb", KB, *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=120)


def first_json(text):
    """The JSON object printed after the interview's prompts, or None."""
    for m in re.finditer(r"^\{", text, re.M):
        try:
            return json.JSONDecoder().raw_decode(text[m.start():])[0]
        except ValueError:
            continue
    return None


def level_of(doc):
    if not isinstance(doc, dict):
        return None
    t = doc.get("triage")
    if isinstance(t, dict):
        return t.get("level")
    return t if isinstance(t, str) else None


def start_server():
    web = os.path.join(ROOT, "web")
    p = subprocess.Popen([BIN, "--kb", KB, "--web", web, "--db", os.path.join(scratch, "j.db"),
                          "--no-save", "serve", "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    buf, end = b"", time.time() + 20
    while b"\n" not in buf and time.time() < end:
        r, _, _ = select.select([p.stdout.fileno()], [], [], 0.2)
        if r:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
    m = re.search(rb"http://127\.0\.0\.1:(\d+)/", buf)
    return p, (int(m.group(1)) if m else None)


def consult(port, text):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/consult", body=json.dumps({"text": text}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, None


def main():
    files = sys.argv[1:] or [os.path.join(ROOT, "tests", "triage", "unseen-probe2.jsonl")]
    cases = []
    for path in files:
        for line in open(path, encoding="utf-8"):
            if line.strip():
                cases.append(json.loads(line))
    server, port = start_server()
    passed = failed = 0
    higher = 0
    try:
        if port is None:
            print("FAIL the server did not start")
            print("0 passed, 1 failed")
            return 1
        for c in cases:
            text, want = c["text"], c["level"]
            got = {}
            got["ask"] = level_of(json.loads(run(["--json", "ask", text]).stdout or "null"))
            st, doc = consult(port, text)
            got["api"] = level_of(doc) if st == 200 else "HTTP %d" % st
            got["seeded"] = level_of(first_json(run(["--json", "--no-save", "interview", text],
                                                    stdin="quit\n" * 40).stdout))
            got["answer"] = level_of(first_json(run(["--json", "--no-save", "interview"],
                                                    stdin=text + "\n" + "quit\n" * 40).stdout))
            got["draft"] = level_of(json.loads(run(["draft", "--json", text]).stdout or "null"))
            problems = []
            ref = got["ask"]
            if ref not in ORDER:
                problems.append("ask gave no level")
            else:
                if got["api"] != ref:
                    problems.append("api %s" % got["api"])
                for k in ("seeded", "answer", "draft"):
                    g = got[k]
                    if ORDER[ref] >= SOON and (g not in ORDER or ORDER[g] < ORDER[ref]):
                        problems.append("%s %s" % (k, g or "no result"))
                    elif g in ORDER and ORDER[g] > ORDER[ref] and k != "draft":
                        higher += 1
            if ORDER[want] >= SOON:
                for k, g in got.items():
                    if g in ORDER and ORDER[g] < ORDER[want] and (k in ("ask", "api") or ORDER[ref] >= SOON):
                        problems.append("%s under-triage %s < %s" % (k, g, want))
            if problems:
                failed += 1
                print("FAIL %-30s ask %s: %s\n     %s" % (c["id"], ref, "; ".join(problems), text))
            else:
                passed += 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    print("cases %d; interview above ask (its questions' findings): %d" % (len(cases), higher))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
