#!/usr/bin/env python3
"""API tests for `knotfinder serve`, run against a real server.

Starts the binary on a free port (--port 0) with a throw-away web folder,
checks every endpoint of docs/API.md and every error status, the static file
rules (no way out of the web folder), the limits (body size, idle timeout,
connection cap) and a clean stop on SIGTERM and SIGINT.  A second small
server is started for the timeout and connection-cap checks.

usage: api_test.py [BINARY]      (default: build/knotfinder)
The last line printed is "N passed, N failed"; the exit status is 1 when
anything failed.
"""
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "knotfinder"))
KB = os.environ.get("KF_TEST_KB") or os.path.join(ROOT, "kb")
CASES = os.path.join(ROOT, "..", "shared", "cases", "articles.jsonl")
BODY_MAX = 64 * 1024
JSON = {"Content-Type": "application/json"}

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + str(detail)[:400] if detail != "" else ""))
    return cond


# ---- the server -----------------------------------------------------------

class Server:
    count = 0

    def __init__(self, web, *args, env=None):
        # Each server keeps its own journal in the scratch folder, never the
        # user's own.
        Server.count += 1
        self.db = os.path.join(os.path.dirname(web), "journal-%d.db" % Server.count)
        self.proc = subprocess.Popen(
            [BIN, "--kb", KB, "--web", web, "--db", self.db, "serve", "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.line = self._first_line(20)
        m = re.fullmatch(r"knotfinder: serving http://127\.0\.0\.1:(\d+)/", self.line)
        self.port = int(m.group(1)) if m else None
        self.stderr = b""

    def _first_line(self, timeout):
        end = time.time() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf and time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                buf += chunk
        return buf.split(b"\n")[0].decode(errors="replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            err += b"\n(did not stop within 20 s; killed)"
        self.stderr = err
        return self.proc.returncode


def request(port, method, path, body=None, headers=None, conn=None):
    """Returns (status, headers with lower-case names, body bytes, json or None)."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    if own:
        conn.close()
    try:
        doc = json.loads(data) if data else None
    except ValueError:
        doc = None
    return r.status, hdrs, data, doc


def own_host(data, port):
    """A raw request's "Host: t" stands for this server's own address (any
    other Host is refused: see test_gate)."""
    return data.replace(b"Host: t\r\n", b"Host: 127.0.0.1:%d\r\n" % port)


def raw(port, data, timeout=5.0):
    """Sends raw bytes, reads until the server closes; returns the reply."""
    data = own_host(data, port)
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def raw_status(reply):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    return int(m.group(1)) if m else None


def post(port, path, body, ctype="application/json", extra=None):
    h = {"Content-Type": ctype} if ctype is not None else {}
    h.update(extra or {})
    return request(port, "POST", path, body, h)


def is_error(doc, code):
    return (isinstance(doc, dict) and list(doc) == ["error"] and
            isinstance(doc["error"], dict) and doc["error"].get("code") == code and
            isinstance(doc["error"].get("message"), str) and doc["error"]["message"] != "")


def expect_error(name, got, status, code):
    st, hdrs, data, doc = got
    check(name, st == status and is_error(doc, code) and
          hdrs.get("content-type", "").startswith("application/json"),
          "%s %s" % (st, data[:300]))


# ---- fixtures -------------------------------------------------------------

def make_web(tmp):
    web = os.path.join(tmp, "web")
    os.makedirs(os.path.join(web, "js"))
    os.makedirs(os.path.join(web, "empty"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>knotfinder test</title>\n")
    with open(os.path.join(web, "js", "app.js"), "w") as f:
        f.write("console.log('hi');\n")
    with open(os.path.join(web, "style.css"), "w") as f:
        f.write("body { margin: 0 }\n")
    with open(os.path.join(web, "map.svg"), "w") as f:
        f.write("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    with open(os.path.join(web, "data.bin"), "wb") as f:
        f.write(b"\x00\x01")
    with open(os.path.join(web, ".hidden"), "w") as f:
        f.write("hidden\n")
    with open(os.path.join(tmp, "secret.txt"), "w") as f:
        f.write("SECRET\n")
    os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(web, "link.txt"))
    os.symlink(tmp, os.path.join(web, "up"))
    os.mkfifo(os.path.join(web, "fifo"))
    # gzip twins: a fresh one, a stale one (older than its file), and one
    # that is a link out of the folder; none but the fresh one may be sent.
    import gzip as _gz
    with open(os.path.join(web, "js", "app.js.gz"), "wb") as f:
        f.write(_gz.compress(b"console.log('hi');\n"))
    with open(os.path.join(web, "style.css.gz"), "wb") as f:
        f.write(_gz.compress(b"body { margin: 1 }\n"))
    old = os.path.getmtime(os.path.join(web, "style.css")) - 100
    os.utime(os.path.join(web, "style.css.gz"), (old, old))
    with open(os.path.join(tmp, "outside.gz"), "wb") as f:
        f.write(_gz.compress(b"SECRET\n"))
    os.symlink(os.path.join(tmp, "outside.gz"), os.path.join(web, "map.svg.gz"))
    return web


def article_texts():
    texts = []
    try:
        with open(CASES) as f:
            for line in f:
                if line.strip():
                    texts.append(json.loads(line)["text"])
    except (OSError, ValueError, KeyError):
        pass
    if not texts:
        texts = ["I have a knot between my spine and my left shoulder blade and I use a "
                 "mouse all day with my left hand.",
                 "Tight spot at the top of my right shoulder, worse after carrying my "
                 "toddler on that hip."]
    return texts


def a_technique_id():
    for name in sorted(os.listdir(KB)):
        if name.endswith(".kb"):
            with open(os.path.join(KB, name)) as f:
                m = re.search(r"^\[technique ([a-z0-9_]+)\]", f.read(), re.M)
            if m:
                return m.group(1)
    return "lat_pinch"


# ---- the checks -----------------------------------------------------------

def test_basics(p):
    st, h, data, doc = request(p, "GET", "/api/v1/health")
    check("health 200", st == 200 and doc and doc.get("status") == "ok", data)
    check("health kb_version", isinstance(doc, dict) and
          re.fullmatch(r"[0-9a-f]{16}", str(doc.get("kb_version"))), doc)
    check("json content type", h.get("content-type") == "application/json; charset=utf-8", h)
    check("nosniff header", h.get("x-content-type-options") == "nosniff", h)
    check("CSP allows only self", "default-src 'self'" in h.get("content-security-policy", ""), h)
    check("API not cached", h.get("cache-control") == "no-store", h)
    st, h, data, _ = request(p, "HEAD", "/api/v1/health")
    check("HEAD health: headers, no body", st == 200 and data == b"", (st, data))

    st, h, data, doc = request(p, "GET", "/api/v1/regions")
    regs = doc.get("regions") if isinstance(doc, dict) else None
    check("regions 200 and a list", st == 200 and isinstance(regs, list) and len(regs) > 5, data[:200])
    ok = isinstance(regs, list) and all(
        set(r) >= {"id", "label", "view", "sided", "finding"} and r["view"] in ("back", "front")
        and isinstance(r["sided"], bool) and r["finding"] == "pain_" + r["id"] for r in regs)
    check("regions have id, label, view, sided, finding", ok, regs[:2] if regs else regs)
    check("regions: both views", isinstance(regs, list) and
          {r.get("view") for r in regs} == {"back", "front"}, "")

    tid = a_technique_id()
    st, h, data, doc = request(p, "GET", "/api/v1/techniques/" + tid)
    ok = (st == 200 and isinstance(doc, dict) and doc.get("id") == tid and
          set(doc) >= {"id", "name", "kind", "steps", "dose", "caution", "timer", "source"} and
          isinstance(doc["steps"], list) and len(doc["steps"]) > 0 and
          (doc["timer"] is None or set(doc["timer"]) == {"work_s", "rest_s", "reps"}))
    check("technique %s" % tid, ok, data[:300])
    expect_error("technique unknown -> 404", request(p, "GET", "/api/v1/techniques/no_such_thing"),
                 404, "not_found")
    expect_error("techniques/ without id -> 404", request(p, "GET", "/api/v1/techniques/"),
                 404, "not_found")
    expect_error("technique id with a slash -> 404", request(p, "GET", "/api/v1/techniques/a/b"),
                 404, "not_found")

    conn = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
    try:
        request(p, "GET", "/api/v1/health", conn=conn)
        sock = conn.sock
        st, h, _, _ = request(p, "GET", "/api/v1/regions", conn=conn)
        check("keep-alive: one connection, several requests",
              st == 200 and conn.sock is sock and h.get("connection", "").lower() != "close", h)
    finally:
        conn.close()


def test_consult(p):
    texts = article_texts()
    st, h, data, doc = post(p, "/api/v1/consult", {"text": texts[0]})
    ok = (st == 200 and isinstance(doc, dict) and
          set(doc) >= {"kb_version", "triage", "understood", "causes", "plan", "next_question",
                       "disclaimer"} and
          doc["triage"].get("level") in ("self_care", "mention_to_doctor", "doctor_soon", "emergency"))
    check("consult: the result object", ok, data[:300])
    check("consult: causes with reasons", isinstance(doc, dict) and
          all("reasons" in c for c in doc.get("causes", [])), "")

    # The API answers exactly what `knotfinder ask --json` prints.
    same = 0
    diffs = []
    for t in texts:
        cli = subprocess.run([BIN, "--kb", KB, "--json", "ask", t], capture_output=True, timeout=60)
        try:
            want = json.loads(cli.stdout)
        except ValueError:
            diffs.append("ask --json printed no JSON (exit %d): %s" % (cli.returncode, cli.stderr[:200]))
            continue
        st, _, data, got = post(p, "/api/v1/consult", {"text": t})
        # The server adds whether it kept the consultation (the CLI says
        # it on stderr): the rest is the same.
        if isinstance(got, dict):
            got.pop("not_saved", None)
            check_saved = got.pop("saved", None) in (True, False)
        else:
            check_saved = False
        if st == 200 and got == want and check_saved:
            same += 1
        else:
            diffs.append((st, t[:60]))
    check("consult == ask --json on %d texts" % len(texts), same == len(texts), diffs[:3])

    # Repeated bodies may be answered from the cache: byte for byte the same.
    first = [unsaved(post(p, "/api/v1/consult", {"text": t})[2]) for t in texts]
    again = [unsaved(post(p, "/api/v1/consult", {"text": t})[2]) for t in texts]
    check("consult: a repeated body gets the same bytes", first == again and
          all(b.startswith(b'{"kb_version"') for b in first), "")
    body = {"findings": [{"id": "pain_medial_border", "state": "present"}], "asked": 1}
    a = post(p, "/api/v1/interview", body)[2]
    b = post(p, "/api/v1/interview", body)[2]
    check("interview: a repeated body gets the same bytes", a == b and a.startswith(b"{"), a[:100])

    st, _, data, doc = post(p, "/api/v1/consult",
                            {"findings": [{"id": "pain_medial_border", "state": "present",
                                           "side": "left"}]})
    check("consult: findings only", st == 200 and isinstance(doc, dict) and
          len(doc.get("causes", [])) > 0, data[:300])
    st, _, data, doc = post(p, "/api/v1/consult", {"text": "a knot", "findings": [
        {"id": "pain_top_shoulder", "state": "present", "side": "right"}],
        "dominant_hand": "right"})
    check("consult: text and findings", st == 200 and isinstance(doc, dict), data[:300])
    st, _, data, doc = post(p, "/api/v1/consult", {})
    check("consult: nothing given -> unrecognised", st == 200 and isinstance(doc, dict) and
          doc.get("unrecognised") is True, data[:300])
    tri = doc.get("triage", {}) if isinstance(doc, dict) else {}
    check("consult: nothing understood -> triage 'unknown' with the screen, never self_care",
          tri.get("level") == "unknown" and len(tri.get("screen", [])) >= 5 and
          all(q.get("finding") and q.get("text") for q in tri.get("screen", [])), data[:300])
    st, _, data, doc = post(p, "/api/v1/consult", {"text": "sudden sharp pain and short of breath"})
    tri = doc.get("triage", {}) if isinstance(doc, dict) else {}
    check("consult: one leading message, every fired rule listed apart",
          tri.get("level") == "emergency" and len(tri.get("flags", [])) == 1 and
          tri["flags"][0]["level"] == "emergency" and len(tri.get("fired", [])) >= 2, data[:300])
    st, _, data, doc = post(p, "/api/v1/consult", {"text": "a knot"}, "application/json; charset=utf-8")
    check("consult: charset=utf-8 accepted", st == 200, data[:200])
    st, _, data, doc = post(p, "/api/v1/consult", {"text": "a knot"}, "Application/JSON;charset=\"UTF-8\"")
    check("consult: type is case-insensitive", st == 200, data[:200])
    st, _, data, doc = post(p, "/api/v1/consult",
                            {"findings": [{"id": "chest_pressure", "state": "present"},
                                          {"id": "pain_jaw", "state": "present"}]})
    check("consult: red flag -> emergency", st == 200 and isinstance(doc, dict) and
          doc["triage"]["level"] == "emergency", data[:300])


def unsaved(data):
    """An answer's bytes without what the server says of keeping it (the
    bucket of --save-limit decides that, not the body)."""
    return re.sub(rb',"saved":(true|false,"not_saved":\{"code":"[a-z_]+","message":"[^"]*"\})\}\n$',
                  b"}\n", data)


def answer(q, findings):
    """Answers question q the way the web app does; returns the new findings."""
    f = list(findings)
    k = q.get("kind")
    if k == "where":
        f.append({"id": "pain_medial_border", "state": "present", "side": "left"})
    elif k == "screen":
        f += [{"id": it["finding"], "state": "absent"} for it in q.get("items", [])]
    elif k == "clarify":
        f += [{"id": q["finding"], "state": "present"}, {"id": q["alt"], "state": "absent"}]
    elif k == "finding":
        f.append({"id": q["finding"], "state": "absent"})
    return f


def test_interview(p):
    body = {"findings": [], "asked": 0}
    kinds = []
    result = None
    for _ in range(15):
        st, _, data, doc = post(p, "/api/v1/interview", body)
        # "saved" (and "not_saved") come with a result, never with a question.
        if not check("interview step %d" % len(kinds), st == 200 and isinstance(doc, dict) and
                     set(doc) - {"saved", "not_saved"} == {"question", "result", "findings", "asked"} and
                     ("saved" in doc) == (doc.get("result") is not None), data[:300]):
            return
        if doc["result"] is not None:
            check("interview: result and no question together", doc["question"] is None, doc)
            result = doc["result"]
            break
        q = doc["question"]
        kinds.append(q.get("kind"))
        check("interview: asked counts up", doc["asked"] == body["asked"] + 1, doc["asked"])
        check("interview: question has text", isinstance(q.get("text"), str) and q["text"], q)
        body = {"findings": answer(q, doc["findings"]), "asked": doc["asked"]}
    check("interview ends with a result", isinstance(result, dict) and "causes" in result,
          kinds)
    check("interview asks at most 8 questions", len(kinds) <= 8, kinds)

    st, _, data, doc = post(p, "/api/v1/interview",
                            {"text": "there is a knot next to my right shoulder blade", "asked": 0})
    check("interview: text in, findings out", st == 200 and isinstance(doc, dict) and
          any(f.get("state") == "present" for f in doc.get("findings", [])), data[:300])

    st, _, data, doc = post(p, "/api/v1/interview",
                            {"findings": [{"id": "chest_pressure", "state": "present"},
                                          {"id": "pain_jaw", "state": "present"}], "asked": 0})
    check("interview: red flag stops the interview at once",
          st == 200 and isinstance(doc, dict) and doc["question"] is None and
          doc["result"]["triage"]["level"] == "emergency", data[:300])
    # doctor_soon may be an emergency: the emergency items a "yes" would fire
    # come as checklists of at most 8 lines (the most urgent first) before the
    # result; a "yes" to one is emergency.  A line may hold one sign said two
    # ways ("also": answered with it).
    soon = {"text": "my lower back aches, I have a fever, night sweats and I have lost "
                    "weight without trying", "asked": 0}
    st, _, data, doc = post(p, "/api/v1/interview", soon)
    q = doc.get("question") if isinstance(doc, dict) else None
    check("interview: doctor_soon still asks the emergency checklist",
          st == 200 and q is not None and q.get("kind") == "screen" and
          doc["result"] is None, data[:400])
    lines = [len((q or {}).get("items", []))]
    pages = []          # each checklist's findings, all answered "no" but the one asked
    fs0 = doc.get("findings") if isinstance(doc, dict) else None
    fs, asked = list(fs0 or []), doc.get("asked", 1) if isinstance(doc, dict) else 1
    while q is not None and q.get("kind") == "screen" and len(pages) < 6:
        ids = [x["finding"] for x in q.get("items", [])] + \
              [a for x in q.get("items", []) for a in x.get("also", [])]
        pages.append(ids)
        if "leg_weakness" in ids:
            break
        fs = fs + [{"id": i, "state": "absent"} for i in ids]
        st, _, data, doc = post(p, "/api/v1/interview", {"findings": fs, "asked": asked})
        q, asked = doc.get("question"), doc.get("asked", asked)
        lines.append(len((q or {}).get("items", [])))
    check("interview: the emergency checklists ask leg weakness, at most 8 lines each",
          pages and "leg_weakness" in pages[-1] and max(lines) <= 8, (lines, pages))
    if pages and "leg_weakness" in pages[-1]:
        yes = fs + [{"id": i, "state": "present" if i == "leg_weakness" else "absent"}
                    for i in pages[-1]]
        st, _, data, doc = post(p, "/api/v1/interview", {"findings": yes, "asked": asked})
        check("interview: a yes to leg weakness after doctor_soon is emergency",
              st == 200 and isinstance(doc, dict) and doc["question"] is None and
              doc["result"]["triage"]["level"] == "emergency", data[:300])
        no, q, n = list(fs0 or []), None, 0
        for _ in range(6):
            st, _, data, doc = post(p, "/api/v1/interview", {"findings": no, "asked": 1 + n})
            q = doc.get("question") if isinstance(doc, dict) else None
            if q is None or q.get("kind") != "screen":
                break
            n += 1
            no = no + [{"id": i, "state": "absent"} for x in q.get("items", [])
                       for i in [x["finding"]] + x.get("also", [])]
        check("interview: no to every emergency checklist -> doctor_soon result, no more questions",
              st == 200 and isinstance(doc, dict) and q is None and 1 <= n <= 3 and
              doc["result"]["triage"]["level"] == "doctor_soon", (n, data[:300]))
    st, _, data, doc = post(p, "/api/v1/interview", {"findings": [], "asked": 50})
    check("interview: past the question limit -> result", st == 200 and isinstance(doc, dict) and
          doc["question"] is None and doc["result"] is not None, data[:300])


def test_errors(p):
    c = "/api/v1/consult"
    # 400
    st, _, data, doc = post(p, c, '{"text": ')
    expect_error("400 truncated JSON", (st, {"content-type": "application/json"}, data, doc), 400, "bad_json")
    check("400 message has line and column", is_error(doc, "bad_json") and
          re.match(r"line \d+, column \d+: ", doc["error"]["message"]), doc)
    expect_error("400 empty body", post(p, c, b""), 400, "bad_json")
    expect_error("400 trailing garbage", post(p, c, '{"text": "a"} x'), 400, "bad_json")
    expect_error("400 duplicate key", post(p, c, '{"text": "a", "text": "b"}'), 400, "bad_json")
    expect_error("400 invalid UTF-8", post(p, c, b'{"text": "\xff\xfe"}'), 400, "bad_json")
    expect_error("400 interview bad JSON", post(p, "/api/v1/interview", "{,}"), 400, "bad_json")
    # 404
    expect_error("404 unknown API path", request(p, "GET", "/api/v1/nope"), 404, "not_found")
    expect_error("404 /api/v2", request(p, "GET", "/api/v2/health"), 404, "not_found")
    expect_error("404 trailing slash", request(p, "GET", "/api/v1/health/"), 404, "not_found")
    expect_error("404 POST to unknown API path", post(p, "/api/v1/nope", {}), 404, "not_found")
    expect_error("404 missing static file", request(p, "GET", "/nope.html"), 404, "not_found")
    # 405
    got = request(p, "GET", c)
    expect_error("405 GET consult", got, 405, "method_not_allowed")
    check("405 has Allow: POST", got[1].get("allow") == "POST", got[1])
    got = post(p, "/api/v1/health", {})
    expect_error("405 POST health", got, 405, "method_not_allowed")
    check("405 Allow lists GET", "GET" in got[1].get("allow", ""), got[1])
    expect_error("405 DELETE regions", request(p, "DELETE", "/api/v1/regions"), 405, "method_not_allowed")
    expect_error("405 PUT static", request(p, "PUT", "/index.html", b"x"), 405, "method_not_allowed")
    # 413
    pad = BODY_MAX - len('{"text": ""}')
    exact = '{"text": "' + "a" * pad + '"}'
    st, _, data, _ = post(p, c, exact)
    check("a body of exactly 64 KB is accepted", len(exact) == BODY_MAX and st == 200, (st, data[:200]))
    expect_error("413 one byte over (Content-Length)", post(p, c, exact[:-2] + 'a"}'), 413, "too_large")
    expect_error("413 1 MB body", post(p, c, b"{" + b" " * (1 << 20) + b"}"), 413, "too_large")
    reply = raw(p, b"POST /api/v1/consult HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 999999999\r\n\r\n{")
    check("413 at once for a huge announced body (not read)", raw_status(reply) == 413, reply[:200])

    def chunks(n, size=4096):
        sent = 0
        while sent < n:
            k = min(size, n - sent)
            sent += k
            yield b" " * k

    conn = http.client.HTTPConnection("127.0.0.1", p, timeout=15)
    try:
        conn.request("POST", c, body=chunks(BODY_MAX + 1000), headers=JSON, encode_chunked=True)
        r = conn.getresponse()
        doc = json.loads(r.read())
        check("413 chunked body over the limit", r.status == 413 and is_error(doc, "too_large"),
              (r.status, doc))
    finally:
        conn.close()
    # A chunked body far over the limit (past the 1 MB read and skipped
    # before answering) is told 413 too, not dropped with an empty reply:
    # the answer is written on the socket and the rest of the body read and
    # dropped for a while (http.c, tell_too_large).
    conn = http.client.HTTPConnection("127.0.0.1", p, timeout=15)
    try:
        conn.request("POST", c, body=chunks(2 << 20), headers=JSON, encode_chunked=True)
        r = conn.getresponse()
        doc = json.loads(r.read())
        check("413 chunked body of 2 MB (answered, not dropped)",
              r.status == 413 and is_error(doc, "too_large")
              and r.getheader("Connection", "").lower() == "close", (r.status, doc))
    except (OSError, http.client.HTTPException, ValueError) as ex:
        check("413 chunked body of 2 MB (answered, not dropped)", False, repr(ex))
    finally:
        conn.close()
    # A chunked body that never ends is cut off, not read forever.
    s = socket.create_connection(("127.0.0.1", p), timeout=20)
    try:
        s.sendall(own_host(b"POST /api/v1/consult HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                           b"Transfer-Encoding: chunked\r\n\r\n", p))
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        closed = False
        for _ in range(200):                       # up to 13 MB
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        check("endless chunked body: connection dropped", closed)
    finally:
        s.close()
    # 415
    expect_error("415 text/plain", post(p, c, {"text": "a"}, "text/plain"), 415, "unsupported_media_type")
    expect_error("415 no content type", post(p, c, {"text": "a"}, None), 415, "unsupported_media_type")
    expect_error("415 form", post(p, c, "text=a", "application/x-www-form-urlencoded"), 415,
                 "unsupported_media_type")
    expect_error("415 latin1 charset", post(p, c, {"text": "a"}, "application/json; charset=latin1"),
                 415, "unsupported_media_type")
    expect_error("415 application/jsonx", post(p, c, {"text": "a"}, "application/jsonx"), 415,
                 "unsupported_media_type")
    expect_error("415 on interview", post(p, "/api/v1/interview", {}, "text/json"), 415,
                 "unsupported_media_type")
    # 422
    expect_error("422 array body", post(p, c, []), 422, "invalid")
    expect_error("422 string body", post(p, c, '"hello"'), 422, "invalid")
    expect_error("422 text not a string", post(p, c, {"text": 5}), 422, "invalid")
    # random bytes, as a JSON string, are not words: refused, not read for findings
    import random
    rnd = random.Random(7)
    noise = "".join(chr(rnd.choice(list(range(1, 9)) + list(range(14, 32)) + [0x7f]))
                    if rnd.random() < 0.5 else chr(rnd.randrange(33, 127)) for _ in range(4000))
    expect_error("422 binary noise as text", post(p, c, {"text": noise}), 422, "invalid")
    expect_error("422 unknown finding id", post(p, c, {"findings": [{"id": "no_such_finding",
                                                                     "state": "present"}]}),
                 422, "invalid")
    got = post(p, c, {"findings": [{"id": "no_such_finding", "state": "present"}]})
    check("422 message names the field", is_error(got[3], "invalid") and
          ("no_such_finding" in got[3]["error"]["message"] or
           "findings" in got[3]["error"]["message"]), got[3])
    expect_error("422 bad state", post(p, c, {"findings": [{"id": "pain_medial_border",
                                                            "state": "maybe"}]}), 422, "invalid")
    expect_error("422 findings not a list", post(p, c, {"findings": "pain_medial_border"}), 422,
                 "invalid")
    expect_error("422 bad side", post(p, c, {"findings": [{"id": "pain_medial_border",
                                                           "state": "present", "side": "up"}]}),
                 422, "invalid")
    expect_error("422 bad dominant_hand", post(p, c, {"text": "a", "dominant_hand": 3}), 422, "invalid")
    i = "/api/v1/interview"
    expect_error("422 interview asked -1", post(p, i, {"findings": [], "asked": -1}), 422, "invalid")
    expect_error("422 interview asked text", post(p, i, {"findings": [], "asked": "two"}), 422,
                 "invalid")
    expect_error("422 interview unknown finding", post(p, i, {"findings": [{"id": "zzz"}]}), 422,
                 "invalid")


def test_static(p, web):
    st, h, data, _ = request(p, "GET", "/")
    check("/ serves index.html", st == 200 and b"knotfinder test" in data and
          h.get("content-type") == "text/html; charset=utf-8", (st, h, data[:100]))
    check("static: CSP and nosniff", "default-src 'self'" in h.get("content-security-policy", "")
          and h.get("x-content-type-options") == "nosniff", h)
    check("static: revalidated cache", h.get("cache-control") == "no-cache" and
          "last-modified" in h, h)
    lm = h.get("last-modified", "")
    st, h2, data, _ = request(p, "GET", "/", headers={"If-Modified-Since": lm})
    check("static: 304 when not modified", st == 304 and data == b"", st)
    for path, ctype in (("/js/app.js", "text/javascript; charset=utf-8"),
                        ("/style.css", "text/css; charset=utf-8"),
                        ("/map.svg", "image/svg+xml"),
                        ("/data.bin", "application/octet-stream"),
                        ("/index.html", "text/html; charset=utf-8")):
        st, h, data, _ = request(p, "GET", path)
        check("static %s is %s" % (path, ctype), st == 200 and h.get("content-type") == ctype,
              (st, h.get("content-type")))
    st, h, data, _ = request(p, "GET", "/js/app.js?v=3")
    check("static: query string ignored", st == 200 and b"console.log" in data, st)
    st, h, data, _ = request(p, "HEAD", "/js/app.js")
    check("static: HEAD", st == 200 and data == b"" and h.get("content-length") == "19", (st, h))
    # Ways out of the folder, and things that are not plain files.
    for path in ("/../secret.txt", "/js/../../secret.txt", "/%2e%2e/secret.txt",
                 "/%2E%2E/%2E%2E/secret.txt", "/js/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt",
                 "/link.txt", "/up/secret.txt", "/.hidden", "/js/./app.js", "/fifo", "/empty",
                 "/empty/", "//etc/passwd", "/%00index.html", "/index.html%00.js",
                 "/..\\secret.txt", "/etc/passwd"):
        reply = raw(p, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        st = raw_status(reply)
        check("no escape: %s" % path, st in (400, 404) and b"SECRET" not in reply and
              b"root:" not in reply, reply[:160])
    reply = raw(p, b"GET http://t/index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    check("absolute-form target: no crash", raw_status(reply) in (200, 400, 404), reply[:100])


def test_static_gzip(p):
    import gzip as _gz
    st, h, data, _ = request(p, "GET", "/js/app.js", headers={"Accept-Encoding": "gzip, deflate, br"})
    check("gzip: sent compressed when accepted", st == 200 and h.get("content-encoding") == "gzip" and
          _gz.decompress(data) == b"console.log('hi');\n" and
          h.get("content-type") == "text/javascript; charset=utf-8", (st, h))
    check("gzip: Vary: Accept-Encoding", h.get("vary") == "Accept-Encoding", h)
    check("gzip: length of the compressed bytes", h.get("content-length") == str(len(data)), h)
    for ae in (None, "identity", "gzip;q=0", "br", "*;q=0", "gzip;q=0.000, *"):
        st, h, data, _ = request(p, "GET", "/js/app.js", headers={"Accept-Encoding": ae} if ae else {})
        check("gzip: not sent for Accept-Encoding %r" % ae, st == 200 and "content-encoding" not in h and
              data == b"console.log('hi');\n" and h.get("vary") == "Accept-Encoding", (st, h))
    for ae in ("GZIP", "deflate;q=0.5, gzip;q=0.8", "*", "x-gzip"):
        st, h, data, _ = request(p, "GET", "/js/app.js", headers={"Accept-Encoding": ae})
        check("gzip: sent for Accept-Encoding %r" % ae, h.get("content-encoding") == "gzip", (ae, h))
    st, h, data, _ = request(p, "HEAD", "/js/app.js", headers={"Accept-Encoding": "gzip"})
    check("gzip: HEAD", st == 200 and data == b"" and h.get("content-encoding") == "gzip", (st, h))
    st, h, data, _ = request(p, "GET", "/style.css", headers={"Accept-Encoding": "gzip"})
    check("gzip: a stale twin is not sent", st == 200 and "content-encoding" not in h and
          data == b"body { margin: 0 }\n", (st, h, data))
    st, h, data, _ = request(p, "GET", "/map.svg", headers={"Accept-Encoding": "gzip"})
    check("gzip: a twin linked out of the folder is not sent", st == 200 and
          "content-encoding" not in h and b"SECRET" not in data, (st, h))
    st, h, data, _ = request(p, "GET", "/index.html", headers={"Accept-Encoding": "gzip"})
    check("gzip: no twin, no Vary, plain file", st == 200 and "content-encoding" not in h and
          "vary" not in h and b"knotfinder test" in data, (st, h))
    lm = h.get("last-modified", "")
    st, h, data, _ = request(p, "GET", "/js/app.js", headers={"Accept-Encoding": "gzip"})
    st, h2, data, _ = request(p, "GET", "/js/app.js", headers={"Accept-Encoding": "gzip",
                                                                "If-Modified-Since": h.get("last-modified", "")})
    check("gzip: 304 when not modified", st == 304 and data == b"", (st, h2))


def test_static_cache(p, web):
    """What the server keeps of the web folder: ETags and 304s, the twin
    checked against its file's bytes, and edits, new files and new folders
    served as they are now (the folder is watched)."""
    import gzip as _gz
    d = os.path.join(web, "kept")
    os.makedirs(d)
    body = b"function kept() { return 'first'; }\n" * 40
    def put(path, data, twin=True):
        with open(path, "wb") as f:
            f.write(data)
        if twin:
            with open(path + ".gz", "wb") as f:
                f.write(_gz.compress(data))
    put(os.path.join(d, "a.js"), body)
    url = "/kept/a.js"

    def until(fn, what):
        """The change is seen within a moment (the kernel says so to the
        server's watcher): asks again for up to 10 s, then fails."""
        got = None
        for _ in range(200):
            got = fn()
            if got[0]:
                return got[1]
            time.sleep(0.05)
        check(what, False, got[1])
        return got[1]

    st, h, data, _ = request(p, "GET", url, headers={"Accept-Encoding": "gzip"})
    check("kept: gzip when accepted, the same bytes", st == 200 and
          h.get("content-encoding") == "gzip" and _gz.decompress(data) == body and
          h.get("vary") == "Accept-Encoding", (st, h))
    gz_tag = h.get("etag", "")
    st, h, data, _ = request(p, "GET", url)
    check("kept: no Accept-Encoding, the file as it is", st == 200 and data == body and
          "content-encoding" not in h and h.get("vary") == "Accept-Encoding" and
          h.get("content-length") == str(len(body)), (st, h))
    tag = h.get("etag", "")
    check("kept: a strong ETag, the twin's its own", re.fullmatch(r'"[^"]+"', tag) and
          re.fullmatch(r'"[^"]+"', gz_tag) and tag != gz_tag, (tag, gz_tag))
    check("kept: security headers", "default-src 'self'" in h.get("content-security-policy", "")
          and h.get("x-content-type-options") == "nosniff" and
          h.get("referrer-policy") == "no-referrer" and h.get("cache-control") == "no-cache" and
          h.get("content-type") == "text/javascript; charset=utf-8", h)
    # Conditional requests.
    for inm in (tag, "W/" + tag, '"nope", ' + tag, "*"):
        st, h2, data, _ = request(p, "GET", url, headers={"If-None-Match": inm})
        check("kept: If-None-Match %s -> 304" % inm, st == 304 and data == b"" and
              h2.get("etag") == tag and h2.get("vary") == "Accept-Encoding" and
              "default-src 'self'" in h2.get("content-security-policy", ""), (st, h2))
    st, h2, data, _ = request(p, "GET", url, headers={"If-None-Match": gz_tag})
    check("kept: the twin's tag is not the plain file's", st == 200 and data == body, st)
    st, h2, data, _ = request(p, "GET", url, headers={"If-None-Match": gz_tag,
                                                       "Accept-Encoding": "gzip"})
    check("kept: the twin's tag -> 304 for gzip", st == 304 and data == b"" and
          h2.get("etag") == gz_tag, (st, h2))
    st, h2, data, _ = request(p, "GET", url, headers={"If-None-Match": '"other"',
                                                       "If-Modified-Since": h["last-modified"]})
    check("kept: If-None-Match decides over If-Modified-Since", st == 200 and data == body, st)
    st, h2, data, _ = request(p, "GET", url, headers={"If-Modified-Since": h["last-modified"]})
    check("kept: If-Modified-Since the same date -> 304", st == 304 and data == b"", st)
    st, h2, data, _ = request(p, "GET", url, headers={"If-Modified-Since":
                                                       "Thu, 01 Jan 1970 00:00:00 GMT"})
    check("kept: If-Modified-Since another date -> 200", st == 200 and data == body, st)
    st, h2, data, _ = request(p, "HEAD", url, headers={"Accept-Encoding": "gzip"})
    check("kept: HEAD with gzip: headers, no body", st == 200 and data == b"" and
          h2.get("content-encoding") == "gzip" and h2.get("etag") == gz_tag, (st, h2))
    st, h2, data, _ = request(p, "HEAD", url, headers={"If-None-Match": tag})
    check("kept: HEAD 304", st == 304 and data == b"", st)
    st, h2, data, _ = request(p, "GET", "/kept//a.js")
    check("kept: doubled slashes, the same file", st == 200 and data == body, st)

    # An edit of the same length in the same second: new bytes and a new tag;
    # the twin, now stale (its trailer names the old bytes), is not sent.
    body2 = body.replace(b"first", b"again")
    with open(os.path.join(d, "a.js"), "r+b") as f:
        f.write(body2)
    def edited():
        st, h, data, _ = request(p, "GET", url, headers={"Accept-Encoding": "gzip"})
        return st == 200 and data == body2 and "content-encoding" not in h, (st, h, data[:40])
    until(edited, "kept: an edit is served, not the stale twin")
    st, h2, data, _ = request(p, "GET", url)
    check("kept: the edit has a new tag", h2.get("etag") not in (None, tag), (tag, h2))
    st, h2, data, _ = request(p, "GET", url, headers={"If-None-Match": tag})
    check("kept: the old tag gets the new bytes", st == 200 and data == body2, st)
    # A twin remade for it (older than the file or not: its trailer decides).
    with open(os.path.join(d, "a.js.gz"), "wb") as f:
        f.write(_gz.compress(body2))
    old = os.path.getmtime(os.path.join(d, "a.js")) - 100
    os.utime(os.path.join(d, "a.js.gz"), (old, old))
    def retwinned():
        st, h, data, _ = request(p, "GET", url, headers={"Accept-Encoding": "gzip"})
        return (st == 200 and h.get("content-encoding") == "gzip" and
                _gz.decompress(data) == body2), (st, h)
    until(retwinned, "kept: a remade twin is sent again")
    # A twin whose trailer is right but is no gzip at its head is not sent.
    with open(os.path.join(d, "b.js"), "wb") as f:
        f.write(b"b();\n")
    good = _gz.compress(b"b();\n")
    with open(os.path.join(d, "b.js.gz"), "wb") as f:
        f.write(b"\x00" * 10 + good[-8:])
    st, h2, data, _ = request(p, "GET", "/kept/b.js", headers={"Accept-Encoding": "gzip"})
    check("kept: a twin that is not gzip is not sent", st == 200 and data == b"b();\n" and
          "content-encoding" not in h2, (st, h2))

    # A file removed: 404; put back: served.
    os.remove(os.path.join(d, "a.js"))
    until(lambda: (request(p, "GET", url)[0] == 404, None), "kept: a removed file is 404")
    put(os.path.join(d, "a.js"), body, twin=False)
    until(lambda: (request(p, "GET", url)[2] == body, None), "kept: a file put back is served")
    # A new folder, and a file in it edited afterwards (the new folder is
    # watched too).
    nd = os.path.join(d, "new")
    os.makedirs(nd)
    put(os.path.join(nd, "c.css"), b"p { color: red }\n")
    until(lambda: (request(p, "GET", "/kept/new/c.css")[2] == b"p { color: red }\n", None),
          "kept: a file in a new folder is served")
    time.sleep(0.2)
    put(os.path.join(nd, "c.css"), b"p { color: blue }\n")
    until(lambda: (request(p, "GET", "/kept/new/c.css")[2] == b"p { color: blue }\n", None),
          "kept: an edit in a new folder is served")
    # A folder renamed into place (what a deploy does).
    staged = os.path.join(web, "staged")
    os.makedirs(staged)
    put(os.path.join(staged, "d.js"), b"d1();\n")
    os.rename(staged, os.path.join(d, "moved"))
    until(lambda: (request(p, "GET", "/kept/moved/d.js")[2] == b"d1();\n", None),
          "kept: a folder moved in is served")
    time.sleep(0.2)
    put(os.path.join(d, "moved", "d.js"), b"d2();\n")
    until(lambda: (request(p, "GET", "/kept/moved/d.js")[2] == b"d2();\n", None),
          "kept: an edit in a folder moved in is served")

    # A file too large to keep: read at each request, with its tag and 304.
    big = bytes(range(256)) * (5 * 1024)          # 1.25 MB
    with open(os.path.join(d, "big.bin"), "wb") as f:
        f.write(big)
    def big_ok():
        st, h, data, _ = request(p, "GET", "/kept/big.bin")
        return st == 200 and data == big, (st, len(data))
    until(big_ok, "kept: a file over the limit is served whole")
    st, h, data, _ = request(p, "GET", "/kept/big.bin")
    st2, h2, data2, _ = request(p, "GET", "/kept/big.bin", headers={"If-None-Match": h.get("etag", "")})
    check("kept: a file over the limit: ETag and 304", re.fullmatch(r'"[^"]+"', h.get("etag", ""))
          and st2 == 304 and data2 == b"" and h.get("content-type") == "application/octet-stream",
          (h, st2))
    # Many readers at once while the file changes under them: every answer
    # is one whole version, never a mix.
    import threading
    versions = [bytes([65 + i]) * 20000 for i in range(4)]
    with open(os.path.join(d, "race.txt"), "wb") as f:
        f.write(versions[0])
    bad = []
    stop = threading.Event()
    def reader():
        c = http.client.HTTPConnection("127.0.0.1", p, timeout=15)
        while not stop.is_set():
            st, h, data, _ = request(p, "GET", "/kept/race.txt", conn=c)
            if st != 200 or data not in versions:
                bad.append((st, len(data), data[:1], data[-1:]))
        c.close()
    ts = [threading.Thread(target=reader) for _ in range(4)]
    for t in ts:
        t.start()
    for v in versions[1:] * 3:
        tmpf = os.path.join(d, ".race.tmp")
        with open(tmpf, "wb") as f:
            f.write(v)
        os.rename(tmpf, os.path.join(d, "race.txt"))   # replaced whole
        time.sleep(0.05)
    stop.set()
    for t in ts:
        t.join()
    check("kept: a file replaced under 4 readers: every answer one whole version", not bad,
          bad[:3])
    until(lambda: (request(p, "GET", "/kept/race.txt")[2] == versions[3], None),
          "kept: after the replacements, the last version")


def test_static_unwatched(tmp):
    """A web folder with more folders than the server watches: it says so,
    keeps nothing, and every request reads its file as it is now."""
    web = os.path.join(tmp, "wide")
    for i in range(300):
        os.makedirs(os.path.join(web, "d%03d" % i))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>one</title>\n")
    s = Server(web)
    if not check("unwatched: the server starts", s.port is not None, s.line):
        s.stop(signal.SIGKILL)
        return
    p = s.port
    try:
        st, h, data, _ = request(p, "GET", "/")
        check("unwatched: served", st == 200 and b"one" in data and "etag" in h, (st, h))
        st2, _, data2, _ = request(p, "GET", "/", headers={"If-None-Match": h.get("etag", "")})
        check("unwatched: 304 for its tag", st2 == 304 and data2 == b"", st2)
        with open(os.path.join(web, "index.html"), "w") as f:
            f.write("<!doctype html><title>two</title>\n")
        st, h, data, _ = request(p, "GET", "/")
        check("unwatched: an edit is served at the next request", st == 200 and b"two" in data,
              data)
    finally:
        s.stop()
    check("unwatched: it says the folder is not watched",
          b"cannot be watched" in s.stderr and b"too many folders" in s.stderr, s.stderr[-300:])


def test_limits(web, main_port=None):
    s = Server(web, "--timeout", "3", "--threads", "1", "--max-conns", "3", "--cache", "0")
    p = s.port
    if not check("second server starts", p is not None, s.line):
        s.stop(signal.SIGKILL)
        return
    t = article_texts()[-1]
    a, b = (post(p, "/api/v1/consult", {"text": t}) for _ in range(2))
    cached = post(main_port, "/api/v1/consult", {"text": t}) if main_port else None
    check("no cache: same answers, and the same as the caching server",
          a[0] == 200 and a[2] == b[2] and (cached is None or cached[2] == a[2]), a[2][:100])
    # A client that sends half a request and goes quiet is closed.
    c = socket.create_connection(("127.0.0.1", p), timeout=10)
    c.sendall(own_host(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n", p))
    t0 = time.time()
    try:
        got = c.recv(100)
    except (ConnectionResetError, socket.timeout):
        got = b""
    took = time.time() - t0
    c.close()
    check("idle client closed after the timeout", got == b"" and 2.0 < took < 9.0, (got, took))
    # A kept-alive connection reused after an idle time just short of the
    # timeout (3 s here) is answered, every time: the server's own watchdog
    # never closes an idle connection (it used to, at whole-second
    # precision, as early as 2 s, cutting off the request that came then).
    c = http.client.HTTPConnection("127.0.0.1", p, timeout=10)
    answered = []
    for i in range(4):
        try:
            c.request("GET", "/api/v1/health")
            r = c.getresponse()
            r.read()
            answered.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            answered.append(repr(e))
            break
        if i < 3:
            time.sleep(2.7)
    c.close()
    check("a kept-alive connection idle 2.7 s of a 3 s timeout is reused, 4 times",
          answered == [200] * 4, answered)
    # A client that trickles its body gets cut off too.
    c = socket.create_connection(("127.0.0.1", p), timeout=20)
    c.sendall(own_host(b"POST /api/v1/consult HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n", p))
    t0 = time.time()
    dropped = False
    while time.time() - t0 < 12:
        try:
            c.sendall(b" ")
            r, _, _ = select.select([c], [], [], 1.0)
            if r and c.recv(100) == b"":
                dropped = True
                break
        except (BrokenPipeError, ConnectionResetError):
            dropped = True
            break
    c.close()
    check("trickling body cut off by the deadline", dropped, time.time() - t0)
    # Headers trickled a byte at a time are cut off too: with every one of
    # the 3 connections held that way, a real request still gets in.
    slow = [socket.create_connection(("127.0.0.1", p), timeout=5) for _ in range(3)]
    for c in slow:
        c.sendall(own_host(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n", p))
    time.sleep(0.3)
    real = socket.create_connection(("127.0.0.1", p), timeout=5)
    real.sendall(own_host(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", p))
    t0 = time.time()
    cut, reply = set(), b""
    while time.time() - t0 < 20 and (len(cut) < 3 or not reply):
        for i, c in enumerate(slow):
            if i in cut:
                continue
            try:
                c.sendall(b"X")                 # one byte of a header that never ends
                r, _, _ = select.select([c], [], [], 0)
                if r and c.recv(100) == b"":
                    cut.add(i)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                cut.add(i)
        r, _, _ = select.select([real], [], [], 0.25)
        if r and not reply:
            try:
                reply = real.recv(65536)
            except (ConnectionResetError, socket.timeout):
                reply = b"?"
    for c in slow:
        c.close()
    real.close()
    check("headers trickled a byte at a time: all 3 connections cut off (%d)" % len(cut),
          len(cut) == 3, time.time() - t0)
    check("with 3 tricklers on a cap of 3, a real request is still answered",
          raw_status(reply) == 200, reply[:100])
    # The connection cap: with 3 held open, a 4th waits unanswered (in the
    # kernel's queue), and is answered once one of the 3 goes away.
    held = [socket.create_connection(("127.0.0.1", p), timeout=5) for _ in range(3)]
    time.sleep(0.3)
    c = socket.create_connection(("127.0.0.1", p), timeout=5)
    c.sendall(own_host(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", p))
    r, _, _ = select.select([c], [], [], 1.0)
    check("connection cap: a 4th connection waits", not r, "answered while 3 were open")
    for h in held:
        h.close()
    reply = b""
    try:
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            reply += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    c.close()
    check("connection cap: served once a slot frees", raw_status(reply) == 200, reply[:100])
    rc = s.stop(signal.SIGINT)
    check("SIGINT stops cleanly with 0", rc == 0, (rc, s.stderr[-600:]))
    check("no sanitizer report (second server)", b"Sanitizer" not in s.stderr and
          b"runtime error" not in s.stderr, s.stderr[-600:])

def journal_notes(p):
    st, _, _, doc = request(p, "GET", "/api/v1/journal")
    return [c.get("note") for c in doc.get("checkins", [])] if st == 200 and doc else None


def test_gate(p):
    """DNS rebinding and cross-site requests: a web page that points a name of
    its own at 127.0.0.1 sends that name as Host; a page on another site sends
    its Origin and Sec-Fetch-Site.  Neither may read or write the journal."""
    def raw_req(method, path, headers, body=b""):
        h = b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers)
        if body:
            h += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        return raw(p, b"%s %s HTTP/1.1\r\n%sConnection: close\r\n\r\n%s" %
                   (method.encode(), path.encode(), h, body))

    def body_of(reply):
        try:
            return json.loads(reply.split(b"\r\n\r\n", 1)[1])
        except (IndexError, ValueError):
            return None

    own = "127.0.0.1:%d" % p
    for host in (own, "localhost:%d" % p, "LocalHost:%d" % p, "[::1]:%d" % p):
        reply = raw_req("GET", "/api/v1/health", [("Host", host)])
        check("Host %s is this server: 200" % host, raw_status(reply) == 200, reply[:120])
    check("a check-in from this server's own page (Origin) is saved",
          post(p, "/api/v1/journal/checkins", {"pain": 2, "note": "own page"},
               extra={"Origin": "http://" + own, "Sec-Fetch-Site": "same-origin"})[0] == 201)
    before = journal_notes(p)
    for host in ("evil.test:%d" % p, "evil.test", "127.0.0.1", "127.0.0.1:1",
                 "127.0.0.1:%d.evil.test" % p, "localhost.evil.test:%d" % p,
                 "127.0.0.1:%dx" % p, "::1:%d" % p, "[::1]x:%d" % p, ""):
        for method, path in (("GET", "/api/v1/journal"), ("GET", "/"),
                             ("GET", "/api/v1/journal/history")):
            reply = raw_req(method, path, [("Host", host)])
            doc = body_of(reply)
            check("Host %r, %s %s: 421, nothing of the journal" % (host, method, path),
                  raw_status(reply) in (400, 421) and b"checkins" not in reply and
                  b"<svg" not in reply and (raw_status(reply) == 400 or is_error(doc, "wrong_host")),
                  reply[:200])
        reply = raw_req("POST", "/api/v1/journal/checkins", [("Host", host)],
                        json.dumps({"pain": 9, "note": "rebound"}).encode())
        check("Host %r: a check-in is refused" % host, raw_status(reply) in (400, 421), reply[:200])
    reply = raw_req("POST", "/api/v1/consult", [("Host", "evil.test:%d" % p)], b'{"text": "a knot"}')
    check("Host evil.test: a consultation is refused too", raw_status(reply) == 421, reply[:200])
    for origin in ("http://evil.test", "http://evil.test:%d" % p, "null", "https://" + own,
                   "http://" + own + "/x", "http://127.0.0.1:%d" % (p + 1)):
        got = post(p, "/api/v1/journal/checkins", {"pain": 9, "note": "cross-site"},
                   extra={"Origin": origin})
        expect_error("Origin %s: check-in -> 403" % origin, got, 403, "cross_site")
    for site in ("cross-site", "same-site"):
        got = post(p, "/api/v1/journal/checkins", {"pain": 9, "note": "cross-site"},
                   extra={"Sec-Fetch-Site": site})
        expect_error("Sec-Fetch-Site %s: check-in -> 403" % site, got, 403, "cross_site")
        got = request(p, "GET", "/api/v1/journal", headers={"Sec-Fetch-Site": site})
        expect_error("Sec-Fetch-Site %s: reading the journal -> 403" % site, got, 403, "cross_site")
        st, _, data, _ = request(p, "GET", "/", headers={"Sec-Fetch-Site": site})
        check("Sec-Fetch-Site %s: the page itself still opens (a link from elsewhere)" % site,
              st == 200, st)
    st, _, _, _ = request(p, "GET", "/api/v1/journal", headers={"Sec-Fetch-Site": "none"})
    check("Sec-Fetch-Site none (typed in the address bar): 200", st == 200, st)
    check("nothing refused reached the journal", journal_notes(p) == before,
          (before, journal_notes(p)))


def test_token(web):
    """--token (and any address but a loopback one): the journal needs the
    token printed at start; the rest of the API does not."""
    s = Server(web, "--token")
    m = re.fullmatch(r"knotfinder: serving http://127\.0\.0\.1:(\d+)/#token=([0-9a-f]{32})", s.line)
    if not check("--token: the address printed carries the token", m is not None, s.line):
        s.stop(signal.SIGKILL)
        return
    p, tok = int(m.group(1)), m.group(2)
    good = {"X-Knotfinder-Token": tok}
    for path in ("/api/v1/journal", "/api/v1/journal/plan", "/api/v1/journal/history"):
        expect_error("token: %s without it -> 401" % path, request(p, "GET", path), 401,
                     "token_required")
        expect_error("token: %s with a wrong one -> 401" % path,
                     request(p, "GET", path, headers={"X-Knotfinder-Token": "0" * 32}), 401,
                     "token_required")
    expect_error("token: a check-in without it -> 401",
                 post(p, "/api/v1/journal/checkins", {"pain": 3}), 401, "token_required")
    check("token: a check-in with it -> 201",
          post(p, "/api/v1/journal/checkins", {"pain": 3, "note": "with token"}, extra=good)[0] == 201)
    st, _, _, doc = request(p, "GET", "/api/v1/journal", headers=good)
    check("token: the journal with it -> 200", st == 200 and isinstance(doc, dict) and
          [c["note"] for c in doc["checkins"]] == ["with token"], doc)
    st, _, _, _ = request(p, "GET", "/api/v1/health")
    check("token: health needs none", st == 200, st)
    text = "a knot under my left shoulder blade from the mouse, kept without a token?"
    st, _, _, ans = post(p, "/api/v1/consult", {"text": text})
    st2, _, _, doc = request(p, "GET", "/api/v1/journal", headers=good)
    check("token: a consultation is answered without it, but not kept",
          st == 200 and st2 == 200 and all(c["text"] != text for c in doc["consultations"]), doc)
    check("token: ... and its answer says so (saved false, token_required)",
          isinstance(ans, dict) and ans.get("saved") is False and
          ans.get("not_saved", {}).get("code") == "token_required", ans and ans.get("not_saved"))
    _, _, _, ans = post(p, "/api/v1/consult", {"text": text}, extra=good)
    st2, _, _, doc = request(p, "GET", "/api/v1/journal", headers=good)
    check("token: a consultation with it is kept, and says saved (the same answer from the cache)",
          any(c["text"] == text for c in doc.get("consultations", [])) and
          isinstance(ans, dict) and ans.get("saved") is True, (doc, ans and ans.get("saved")))
    rc = s.stop()
    check("token server stops cleanly", rc == 0, s.stderr[-300:])


def saved_of(doc):
    if not isinstance(doc, dict):
        return (None, None)
    return (doc.get("saved"), (doc.get("not_saved") or {}).get("code"))


def test_saving(web, tmp):
    """Every consultation's answer says whether it was kept, and why not
    (docs/API.md "Saved or not")."""
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = os.path.join(tmp, "xdg-saving")
    env.pop("KNOTFINDER_NO_SAVE", None)
    s = Server(web, "--save-limit", "2", env=env)
    p = s.port
    words = ["saving-%d: a knot under my right shoulder blade from the mouse" % i for i in range(3)]
    got = [post(p, "/api/v1/consult", {"text": w})[3] for w in words]
    check("saving: the first two consultations say saved true",
          [saved_of(d) for d in got[:2]] == [(True, None)] * 2, [saved_of(d) for d in got])
    ns = got[2].get("not_saved", {}) if isinstance(got[2], dict) else {}
    check("saving: over --save-limit 2 the answer says saved false, save_limit, with the figure",
          saved_of(got[2]) == (False, "save_limit") and "at most 2 consultations a minute" in ns.get("message", ""), ns)
    check("saving: the rest of the answer is whole (triage, causes, first steps)",
          isinstance(got[2], dict) and got[2].get("triage", {}).get("level") and got[2].get("causes")
          and got[2].get("first_steps"), saved_of(got[2]))
    st, _, _, doc = request(p, "GET", "/api/v1/journal")
    texts = [c["text"] for c in doc.get("consultations", [])] if st == 200 else []
    check("saving: the journal holds exactly the two said saved", sorted(texts) == sorted(words[:2]), texts)
    d = post(p, "/api/v1/consult", {"text": words[0]})[3]
    check("saving: the same words again from the cache, still over the limit: saved false",
          saved_of(d) == (False, "save_limit"), saved_of(d))
    d = post(p, "/api/v1/consult", {"text": words[1]})[3]
    check("saving: the same as the one kept last: saved true (it is in the journal), not kept twice",
          saved_of(d) == (True, None) and
          [c["text"] for c in request(p, "GET", "/api/v1/journal")[3]["consultations"]].count(words[1]) == 1,
          saved_of(d))
    d = post(p, "/api/v1/consult", {"text": words[0], "save": False})[3]
    check("saving: \"save\": false says saved false, not_asked", saved_of(d) == (False, "not_asked"), saved_of(d))
    d = post(p, "/api/v1/consult", {"text": "qwxz blorp fnargle"})[3]
    check("saving: nothing recognised says saved false, nothing_recognised",
          saved_of(d) == (False, "nothing_recognised"), saved_of(d))
    d = post(p, "/api/v1/interview", {"text": "a knot under my left shoulder blade", "asked": 0})[3]
    check("saving: an interview's question says nothing of saving",
          isinstance(d, dict) and d.get("question") and "saved" not in d, d and list(d))
    d = post(p, "/api/v1/interview", {"text": "a knot under my left shoulder blade", "asked": 8})[3]
    check("saving: an interview that ends in a result says it beside the result",
          isinstance(d, dict) and d.get("result") and d.get("saved") in (True, False), d and list(d))
    st, _, _, _ = request(p, "DELETE", "/api/v1/journal")
    time.sleep(2.1)             # one save comes back every 60/2 s: wait for none; the bucket is what it is
    s.stop()
    s = Server(web, "--save-limit", "0", env=env)
    p = s.port
    d1 = post(p, "/api/v1/consult", {"text": words[1]})[3]
    request(p, "DELETE", "/api/v1/journal")
    d2 = post(p, "/api/v1/consult", {"text": words[1]})[3]
    st, _, _, doc = request(p, "GET", "/api/v1/journal")
    check("saving: after the journal is emptied, the same words are kept again and said saved",
          saved_of(d1) == (True, None) and saved_of(d2) == (True, None) and
          [c["text"] for c in doc.get("consultations", [])] == [words[1]], (saved_of(d1), saved_of(d2), doc))
    s.stop()
    s = Server(web, "--no-save", env=env)
    d = post(s.port, "/api/v1/consult", {"text": words[2]})[3]
    check("saving: --no-save says saved false, saving_off", saved_of(d) == (False, "saving_off"), saved_of(d))
    s.stop()


def test_damaged_journal(web, tmp):
    """A journal file that is not a journal (random bytes) or is damaged: the
    consultation is still answered, and says it was not kept and that no
    retry will help (journal_unavailable, not journal_failed's "try again in
    a moment"); the journal's endpoints answer 503 db_unavailable with the
    reason; a check-in is refused the same way; the file is left byte for
    byte as it was."""
    for name, make in (("random bytes", lambda: os.urandom(20000)),
                       ("a damaged SQLite file", lambda: b"SQLite format 3\x00" + os.urandom(8192))):
        env = dict(os.environ)
        env.pop("KNOTFINDER_NO_SAVE", None)
        # The journal file is opened at the first request that needs it.
        s = Server(web, env=env)
        path = s.db
        data = make()
        with open(path, "wb") as f:
            f.write(data)
        try:
            st, _, _, d = post(s.port, "/api/v1/consult", {"text": MOUSE})
            ns = (d or {}).get("not_saved") or {}
            check("damaged journal (%s): the consultation is answered whole" % name,
                  st == 200 and d.get("causes") and d.get("first_steps"), st)
            check("damaged journal (%s): saved false, journal_unavailable, no 'try again'" % name,
                  saved_of(d) == (False, "journal_unavailable") and "try again" not in ns.get("message", ""),
                  ns)
            st, _, _, d = post(s.port, "/api/v1/interview", {"text": MOUSE, "asked": 8})
            check("damaged journal (%s): an interview's result says the same" % name,
                  st == 200 and d.get("result") and saved_of(d) == (False, "journal_unavailable"),
                  (st, d and saved_of(d)))
            for path_ in ("/api/v1/journal", "/api/v1/journal/plan", "/api/v1/journal/history"):
                got = request(s.port, "GET", path_)
                expect_error("damaged journal (%s): GET %s" % (name, path_), got, 503, "db_unavailable")
            got = post(s.port, "/api/v1/journal/checkins", {"pain": 5})
            expect_error("damaged journal (%s): a check-in" % name, got, 503, "db_unavailable")
            msg = ((got[3] or {}).get("error") or {}).get("message", "")
            check("damaged journal (%s): the message names the file and says it was left as it is" % name,
                  path in msg and "left as it is" in msg, msg)
        finally:
            s.stop()
        with open(path, "rb") as f:
            check("damaged journal (%s): the file is byte for byte as it was" % name, f.read() == data)


def test_command_line(web, busy_port):
    r = subprocess.run([BIN, "--kb", KB, "serve", "--port", "70000"], capture_output=True, timeout=30)
    check("--port 70000 is a usage error (2)", r.returncode == 2 and b"--port" in r.stderr,
          (r.returncode, r.stderr))
    r = subprocess.run([BIN, "--kb", KB, "serve", "--frobnicate"], capture_output=True, timeout=30)
    check("unknown option is a usage error (2)", r.returncode == 2, (r.returncode, r.stderr))
    r = subprocess.run([BIN, "--kb", KB, "serve", "--bind", "not an address!"], capture_output=True,
                       timeout=30)
    check("bad --bind: clear error", r.returncode not in (0, None) and b"address" in r.stderr,
          (r.returncode, r.stderr))
    r = subprocess.run([BIN, "--kb", KB, "--web", web, "serve", "--port", str(busy_port)],
                       capture_output=True, timeout=30)
    check("port in use: clear error", r.returncode != 0 and b"cannot listen" in r.stderr,
          (r.returncode, r.stderr))
    r = subprocess.run([BIN, "--kb", "/nonexistent-kb", "serve", "--port", "0"], capture_output=True,
                       timeout=30)
    check("missing KB: exit 4", r.returncode == 4, (r.returncode, r.stderr[:200]))


MOUSE = ("knot between my right shoulder blade and spine, I use the mouse all day "
         "with my right hand")


def journal_server(web, tmp, name):
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = os.path.join(tmp, "xdg-" + name)
    env.pop("KNOTFINDER_NO_SAVE", None)
    os.makedirs(env["XDG_DATA_HOME"], exist_ok=True)
    return Server(web, env=env)


def score(causes, cid):
    return next((c["score"] for c in causes if c["id"] == cid), 0.0)


def test_journal_method(web, tmp):
    """The journal rules through the HTTP API, each on its own journal."""
    def run(name, checkins):
        srv = journal_server(web, tmp, name)
        p = srv.port
        try:
            st, _, _, doc = post(p, "/api/v1/consult", {"text": MOUSE})
            check("journal %s: consult saved" % name, st == 200, st)
            st, _, _, before = request(p, "GET", "/api/v1/journal/plan")
            for c in checkins:
                st, _, body, _ = post(p, "/api/v1/journal/checkins", c)
                check("journal %s: check-in accepted" % name, st in (200, 201), (st, body[:200]))
            st, _, _, after = request(p, "GET", "/api/v1/journal/plan")
            check("journal %s: plan answers" % name, st == 200 and after is not None, st)
            return before, after
        finally:
            srv.stop()

    short = [{"pain": 5, "did": ["lat_pinch"], "relief_hours": h} for h in (2, 2, 3)]
    before, after = run("short", short)
    if before and after:
        b0, a0 = before["result"]["plan"][0]["technique"], after["result"]["plan"][0]["technique"]
        check("api short relief x3: lat pinch was first", b0 == "lat_pinch", b0)
        check("api short relief x3: the first step changes", a0 != "lat_pinch", a0)
        lat0 = score(before["result"]["causes"], "latissimus_dorsi")
        lat1 = score(after["result"]["causes"], "latissimus_dorsi")
        check("api short relief x3: the lat falls", lat1 < lat0 - 0.1, (lat0, lat1))
        check("api short relief x3: plain words", any(
            "helped for only" in c["text"] for c in after["changes"]), after["changes"])
        check("api labels follow the net change", all(
            (c["after"] < c["before"]) == (c["kind"] == "cause_down")
            for c in after["changes"] if c["kind"] in ("cause_down", "cause_up")
            and c["before"] is not None), after["changes"])
    lasting = [{"pain": 3, "did": "lat_pinch", "relief_hours": h} for h in (30, 48)]
    before, after = run("lasting", lasting)
    if before and after:
        check("api lasting relief x2: the lat pinch stays first",
              after["result"]["plan"][0]["technique"] == "lat_pinch", after["result"]["plan"][0])
        check("api lasting relief x2: the lat rises",
              score(after["result"]["causes"], "latissimus_dorsi") >
              score(before["result"]["causes"], "latissimus_dorsi"))
    before, after = run("heat", [{"pain": 6, "did": "heat", "worse_after": "heat"}])
    if after:
        techs = [s["technique"] for s in after["result"]["plan"]]
        check("api worse after heat: cold, not heat", "cold_therapy" in techs and
              "heat_front" not in techs, techs)
    before, after = run("massage", [{"pain": 5, "did": "massage", "relief_hours": 3}])
    if after:
        ids = {f["id"]: f["state"] for f in after["followups"]}
        check("api generic massage counts as massage", ids.get("massage_no_help") == "present"
              and not any(k.startswith("relief_after_therapeutic") for k in ids), ids)


def main():
    if not os.access(BIN, os.X_OK):
        print("no binary at %s (build it with make)" % BIN)
        print("0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory(prefix="kf-api-") as tmp:
        web = make_web(tmp)
        srv = Server(web)
        p = srv.port
        check("startup prints the URL", p is not None, srv.line)
        if p is None:
            srv.stop(signal.SIGKILL)
            print(srv.stderr.decode(errors="replace")[-2000:])
        else:
            try:
                for t in (test_basics, test_consult, test_interview, test_errors, test_gate):
                    try:
                        t(p)
                    except Exception as e:         # a crash or hang of the server lands here
                        check("%s ran to the end" % t.__name__, False, repr(e))
                try:
                    test_static(p, web)
                    test_static_gzip(p)
                    test_static_cache(p, web)
                except Exception as e:
                    check("test_static ran to the end", False, repr(e))
                st, _, _, _ = request(p, "GET", "/api/v1/health")
                check("server still healthy after all that", st == 200, st)
                test_command_line(web, p)
                try:
                    test_static_unwatched(tmp)
                except Exception as e:
                    check("test_static_unwatched ran to the end", False, repr(e))
                try:
                    test_token(web)
                except Exception as e:
                    check("test_token ran to the end", False, repr(e))
                try:
                    test_saving(web, tmp)
                except Exception as e:
                    check("test_saving ran to the end", False, repr(e))
                try:
                    test_damaged_journal(web, tmp)
                except Exception as e:
                    check("test_damaged_journal ran to the end", False, repr(e))
                try:
                    test_journal_method(web, tmp)
                except Exception as e:
                    check("test_journal_method ran to the end", False, repr(e))
                try:
                    test_limits(web, p)
                except Exception as e:
                    check("test_limits ran to the end", False, repr(e))
            finally:
                rc = srv.stop(signal.SIGTERM)
            check("SIGTERM stops cleanly with 0", rc == 0, (rc, srv.stderr[-800:]))
            check("no sanitizer report", b"Sanitizer" not in srv.stderr and
                  b"runtime error" not in srv.stderr, srv.stderr[-800:])
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
