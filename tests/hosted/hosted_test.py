#!/usr/bin/env python3
"""API tests of the hosted course (`knotfinder serve --hosted`), against real
servers on free ports and a real database: an SQLite file, or a PostgreSQL
server that tests/hosted/run.sh starts for the run.

usage: hosted_test.py BINARY DB
  DB   an SQLite path to make, or a postgresql:// URL of an empty database
Covered: sign-up (consent, password policy, 409), login (cookie flags, the
same answer for an unknown account and a wrong password), CSRF (403),
anonymous 401 and another user's 404 on every journal, question and lesson
endpoint, session expiry (idle, sliding, the absolute maximum), 429 with
Retry-After (failed logins per account, every login per address, questions
per day), kill -9 of a server mid-write losing no acknowledged row, export, account deletion leaving no row of the user,
logout, the answer saying whether its consultation was kept (saved, not_saved:
signed out, "save": false, over --save-limit), the password change (the
current password, the sign-up's policy, every other session ended, a new
one for this browser, failures counted with the login's), the current
password required to delete the account, the same session on two servers sharing the database and a check-in
made through one seen through the other, questions (links, honeypot, the
therapist's queue with drafts, answer, the public Q&A), lessons, admin
therapist, the Origin check, Secure cookies behind a TLS proxy, and the
local mode without any of it.
The last line printed is "N passed, N failed".
"""
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1])
DB = sys.argv[2]
PG = DB.startswith("postgres")
KB = os.path.join(ROOT, "kb")
TMP = tempfile.mkdtemp(prefix="kf-hosted-")

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


class Server:
    def __init__(self, *args, db=None):
        env = dict(os.environ)
        env.pop("KNOTFINDER_NO_SAVE", None)
        self.proc = subprocess.Popen(
            [BIN, "--kb", KB, "--web", os.path.join(ROOT, "web"), "serve", "--hosted",
             "--db", db or DB, "--port", "0", "--insecure-fast-hash", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"serving http://127\.0\.0\.1:(\d+)/", line)
        if not m:
            err = self.proc.stderr.read().decode() if self.proc.poll() is not None else ""
            raise RuntimeError("the server did not start: %r %s" % (line, err))
        self.port = int(m.group(1))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.proc.returncode


class Client:
    """One browser: a cookie jar of one cookie and the CSRF token."""

    def __init__(self, server, addr=None):
        self.server = server
        self.cookie = None
        self.csrf = None
        self.last_set_cookie = None
        self.headers = {}

    def req(self, method, path, body=None, csrf=True, headers=None, raw=None):
        c = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        h = dict(self.headers)
        if body is not None or raw is not None:
            h["Content-Type"] = "application/json"
        if self.cookie:
            h["Cookie"] = "kf_session=" + self.cookie
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        if headers:
            h.update(headers)
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode()
        sc = r.getheader("Set-Cookie")
        self.last_set_cookie = sc
        self.last_headers = dict(r.getheaders())
        if sc:
            m = re.match(r"kf_session=([^;]*)", sc)
            if m:
                self.cookie = m.group(1) or None
        c.close()
        try:
            j = json.loads(text) if text else None
        except ValueError:
            j = text
        return r.status, j

    def signup(self, email, pw="a long passphrase here", consent=True):
        return self.req("POST", "/api/v1/account",
                        {"email": email, "password": pw, "consent": consent})

    def login(self, email, pw="a long passphrase here"):
        st, j = self.req("POST", "/api/v1/session", {"email": email, "password": pw})
        if st == 200:
            self.csrf = j["csrf"]
        return st, j


def code(j):
    return j.get("error", {}).get("code") if isinstance(j, dict) else None


def db_dump():
    """Every row of every table, as text."""
    if PG:
        r = subprocess.run(["pg_dump", "--data-only", "--inserts", DB],
                           capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else "pg_dump failed: " + r.stderr
    con = sqlite3.connect(DB)
    out = "\n".join(con.iterdump())
    con.close()
    return out


def main():
    s1 = Server("--login-limit", "4", "--address-limit", "1000", "--question-limit", "2")
    s2 = Server("--address-limit", "1000")
    try:
        run(s1, s2)
    finally:
        check("server 1 stops with 0", s1.stop() == 0)
        check("server 2 stops with 0", s2.stop() == 0)
    extra()
    saving()
    password()
    kill9()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run(s1, s2):
    a, b, anon = Client(s1), Client(s1), Client(s1)
    st, j = anon.req("GET", "/api/v1/health")
    check("health: says the mode is hosted", st == 200 and j.get("mode") == "hosted", (st, j))
    # ---- sign-up ----
    st, j = a.signup("Ann@Example.org")
    check("sign-up: 201", st == 201, (st, j))
    check("sign-up: the email is kept in lower case", st == 201 and j["user"]["email"] == "ann@example.org", j)
    check("sign-up: no password or hash in the answer",
          "passphrase" not in json.dumps(j) and "argon2" not in json.dumps(j), j)
    st, j = a.signup("ann@example.org", pw="another long passphrase")
    check("sign-up: the same address again is 409", st == 409 and code(j) == "email_taken", (st, j))
    st, j = a.signup("new@example.org", consent=False)
    check("sign-up: without consent is 422", st == 422 and code(j) == "consent_required", (st, j))
    st, j = a.req("POST", "/api/v1/account", {"email": "new@example.org", "password": "a long passphrase here"})
    check("sign-up: consent missing is 422", st == 422 and code(j) == "consent_required", (st, j))
    st, j = a.signup("new@example.org", pw="short one")
    check("sign-up: 9 characters is 422", st == 422 and code(j) == "weak_password", (st, j))
    st, j = a.signup("new@example.org", pw="Password1234")
    check("sign-up: a common password is 422", st == 422 and code(j) == "weak_password", (st, j))
    st, j = a.signup("new@example.org", pw="ééééééééééàà")
    check("sign-up: 12 two-byte letters pass (code points)", st == 201, (st, j))
    st, j = a.signup("not an address", pw="a long passphrase here")
    check("sign-up: a bad address is 422", st == 422, (st, j))
    st, j = a.req("POST", "/api/v1/account", raw="{\"email\":")
    check("sign-up: bad JSON is 400", st == 400, (st, j))
    st, j = a.req("POST", "/api/v1/account", raw=b'{"email":"u@example.org","password":"\\u00e\xcd\xa3\x8a"}')
    check("sign-up: bad JSON quoting bytes that are not UTF-8 is 400 with a JSON error (was 500)",
          st == 400 and code(j) == "bad_json", (st, j))
    check("sign-up: b", b.signup("bob@example.org")[0] == 201)

    # ---- login ----
    st, j = a.login("ann@example.org")
    check("login: 200 with a csrf token", st == 200 and isinstance(j.get("csrf"), str) and len(j["csrf"]) >= 32, (st, j))
    sc = a.last_set_cookie or ""
    check("login: the cookie is HttpOnly, SameSite=Lax, with Max-Age, Path=/",
          "HttpOnly" in sc and "SameSite=Lax" in sc and re.search(r"Max-Age=\d+", sc) and "Path=/" in sc, sc)
    check("login: no Secure flag on plain http without a TLS proxy", "Secure" not in sc, sc)
    check("login: the token is 256 bits (43 base64url characters)",
          a.cookie and re.fullmatch(r"[A-Za-z0-9_-]{43}", a.cookie), a.cookie)
    check("login: the token is not stored in the database", a.cookie not in db_dump())
    check("login: b", b.login("bob@example.org")[0] == 200)
    x = Client(s1)
    st1, j1 = x.login("ann@example.org", "wrong password here")
    st2, j2 = x.login("nobody@example.org", "wrong password here")
    check("bad login: wrong password is 401", st1 == 401, (st1, j1))
    check("bad login: unknown account gets the same status and words", (st1, j1) == (st2, j2), (j1, j2))
    check("bad login: no cookie set", x.cookie is None)
    st, j = a.req("GET", "/api/v1/session")
    check("GET session: the user and the csrf again", st == 200 and j["csrf"] == a.csrf and j["user"]["email"] == "ann@example.org", (st, j))

    # ---- CSRF ----
    st, j = a.req("POST", "/api/v1/journal/checkins", {"pain": 5}, csrf=False)
    check("CSRF: a check-in without X-CSRF-Token is 403", st == 403 and code(j) == "csrf", (st, j))
    st, j = a.req("POST", "/api/v1/journal/checkins", {"pain": 5}, headers={"X-CSRF-Token": b.csrf})
    check("CSRF: another session's token is 403", st == 403, (st, j))
    for m, p in (("DELETE", "/api/v1/journal"), ("DELETE", "/api/v1/session"),
                 ("DELETE", "/api/v1/account"), ("POST", "/api/v1/questions"),
                 ("POST", "/api/v1/lessons/x/done")):
        st, j = a.req(m, p, {} if m == "POST" else None, csrf=False)
        check("CSRF: %s %s without the token is 403" % (m, p), st == 403, (st, j))

    # ---- A's rows ----
    st, j = a.req("POST", "/api/v1/journal/checkins", {"pain": 6, "note": "ann-secret-note", "did": ["heat"], "relief_hours": 2})
    check("check-in: 201", st == 201, (st, j))
    ci = j["checkin"]["id"] if st == 201 else 0
    st, j = a.req("POST", "/api/v1/consult", {"text": "ann-words: a knot under my right shoulder blade from the mouse"})
    check("consult: 200 for a signed-in user", st == 200, (st, j))
    check("consult: the answer says it was saved", st == 200 and j.get("saved") is True and "not_saved" not in j, j)
    st, j = a.req("GET", "/api/v1/journal")
    cons = j.get("consultations", []) if st == 200 else []
    check("journal: A sees her check-in and consultation",
          st == 200 and any(c["id"] == ci for c in j["checkins"]) and len(cons) == 1, (st, j))
    co = cons[0]["id"] if cons else 0
    st, j = a.req("POST", "/api/v1/questions", {"text": "ann-question: my knot comes back after two hours, why?", "attach": True, "public": True, "first_name": "Ann Smith"})
    check("question: 201 with an id", st == 201 and j.get("id", 0) > 0, (st, j))
    qa_id = j.get("id", 0) if st == 201 else 0
    lessons = a.req("GET", "/api/v1/lessons")[1]
    first_lesson = lessons["modules"][0]["lessons"][0]["id"] if lessons and lessons.get("modules") else "none"
    st, j = a.req("POST", "/api/v1/lessons/%s/done" % first_lesson, {})
    check("lesson done: 200", st == 200 and j.get("first") is True and j.get("done") == 1, (st, j))

    # ---- anonymous: 401 on every per-user endpoint ----
    per_user = [("GET", "/api/v1/journal"), ("POST", "/api/v1/journal/checkins"),
                ("GET", "/api/v1/journal/plan"), ("GET", "/api/v1/journal/history"),
                ("DELETE", "/api/v1/journal"), ("DELETE", "/api/v1/journal/checkins/%d" % ci),
                ("DELETE", "/api/v1/journal/consultations/%d" % co),
                ("GET", "/api/v1/account/export"), ("DELETE", "/api/v1/account"),
                ("GET", "/api/v1/session"), ("DELETE", "/api/v1/session"),
                ("POST", "/api/v1/questions"), ("GET", "/api/v1/questions"),
                ("POST", "/api/v1/questions/%d/answer" % qa_id),
                ("POST", "/api/v1/lessons/%s/done" % first_lesson)]
    for m, p in per_user:
        st, j = anon.req(m, p, {"pain": 1, "text": "x"} if m == "POST" else None)
        check("anonymous: %s %s is 401" % (m, p), st == 401 and code(j) == "not_signed_in", (st, j))
    st, j = anon.req("GET", "/api/v1/journal/about")
    check("hosted: /journal/about (a file path) is 404", st == 404, (st, j))
    forged = Client(s1)
    forged.cookie = "A" * 43
    st, j = forged.req("GET", "/api/v1/journal")
    check("a made-up session token is 401", st == 401, (st, j))

    # ---- B: another user gets 404 for A's rows, and sees none of them ----
    st, j = b.req("GET", "/api/v1/journal")
    check("isolation: B's journal has none of A's rows",
          st == 200 and j["checkins"] == [] and j["consultations"] == [] and "ann-" not in json.dumps(j), (st, j))
    st, j = b.req("DELETE", "/api/v1/journal/checkins/%d" % ci)
    check("isolation: B deleting A's check-in is 404", st == 404, (st, j))
    st, j = b.req("DELETE", "/api/v1/journal/consultations/%d" % co)
    check("isolation: B deleting A's consultation is 404", st == 404, (st, j))
    st, j = b.req("GET", "/api/v1/journal/plan")
    check("isolation: B's plan is 404 (nothing of B's saved)", st == 404, (st, j))
    st, j = b.req("GET", "/api/v1/journal/history")
    check("isolation: B's history is empty", st == 200 and all(d["n"] == 0 for d in j["days"]), (st, j))
    st, j = b.req("DELETE", "/api/v1/journal")
    check("isolation: B forgetting all deletes 0 rows", st == 200 and j["deleted"] == {"consultations": 0, "checkins": 0}, (st, j))
    st, j = b.req("GET", "/api/v1/account/export")
    check("isolation: B's export has none of A's rows",
          st == 200 and "ann" not in json.dumps(j) and j.get("checkins") == [], (st, j))
    st, j = b.req("GET", "/api/v1/questions")
    check("isolation: B's questions hold none of A's", st == 200 and j["questions"] == [], (st, j))
    st, j = b.req("POST", "/api/v1/questions/%d/answer" % qa_id, {"text": "spoofed answer"})
    check("isolation: B answering A's question is 404", st == 404, (st, j))
    st, j = b.req("GET", "/api/v1/lessons")
    check("isolation: B's lessons show nothing done", st == 200 and j.get("done") == 0, (st, j))
    st, j = a.req("GET", "/api/v1/journal")
    check("isolation: A's rows are still there after B's attempts",
          st == 200 and len(j["checkins"]) == 1 and len(j["consultations"]) == 1, (st, j))
    st, j = b.req("POST", "/api/v1/consult", {"text": "bob-words: my upper back aches between the shoulder blades"})
    st2, j2 = b.req("GET", "/api/v1/journal")
    st3, j3 = a.req("GET", "/api/v1/journal")
    check("consult: kept in B's own journal only",
          st == 200 and st2 == 200 and len(j2["consultations"]) == 1 and "bob-words" in j2["consultations"][0]["text"]
          and "bob-words" not in json.dumps(j3), (st, st2, j2, j3))
    st, j = anon.req("POST", "/api/v1/consult", {"text": "anon-words: a knot under my left shoulder blade"})
    check("consult: anonymous is answered (200), kept nowhere", st == 200 and "anon-words" not in db_dump(), (st,))
    check("consult: anonymous, the answer says it was not saved, and why",
          st == 200 and j.get("saved") is False and j.get("not_saved", {}).get("code") == "not_signed_in"
          and "sign in" in j.get("not_saved", {}).get("message", ""), j)
    st, j = b.req("POST", "/api/v1/consult", {"text": "bob-unsaved: a knot under my left shoulder blade", "save": False})
    check("consult: \"save\": false is answered saved false (not_asked) and not kept",
          st == 200 and j.get("saved") is False and j.get("not_saved", {}).get("code") == "not_asked"
          and "bob-unsaved" not in db_dump(), j)
    st, j = a.req("GET", "/api/v1/journal/plan")
    check("plan: A's revised plan", st == 200 and j.get("consultation", {}).get("id") == co, (st, j))

    # ---- two servers, one database ----
    a2 = Client(s2)
    a2.cookie, a2.csrf = a.cookie, a.csrf
    st, j = a2.req("GET", "/api/v1/journal")
    check("two servers: A's session works on server 2", st == 200 and len(j["checkins"]) == 1, (st, j))
    st, j = a2.req("POST", "/api/v1/journal/checkins", {"pain": 3, "note": "ann-via-server-2"})
    check("two servers: a check-in through server 2", st == 201, (st, j))
    st, j = a.req("GET", "/api/v1/journal")
    check("two servers: server 1 sees it", st == 200 and any(c.get("note") == "ann-via-server-2" for c in j["checkins"]), (st, j))

    # ---- questions: spam controls, the therapist ----
    st, j = b.req("POST", "/api/v1/questions", {"text": "see http://a.example and https://b.example and www.c.example"})
    check("question: 3 links is 422", st == 422 and code(j) == "too_many_links", (st, j))
    st, j = b.req("POST", "/api/v1/questions", {"text": "cheap pills", "website": "http://spam.example"})
    check("question: the honeypot answers 201", st == 201, (st, j))
    st, j = b.req("GET", "/api/v1/questions")
    check("question: the honeypot's question is not kept", st == 200 and j["questions"] == [], (st, j))
    st, j = b.req("POST", "/api/v1/questions", {"text": "my upper back hurts between the shoulder blades when I sit", "public": False})
    check("question: B's own, private", st == 201, (st, j))
    qb = j.get("id", 0)
    st, j = b.req("POST", "/api/v1/questions", {"text": "and it burns at night"})
    check("question: B's second", st == 201, (st, j))
    st, j = b.req("POST", "/api/v1/questions", {"text": "and one more"})
    check("question: over the daily limit is 429 with Retry-After",
          st == 429 and int(b.last_headers.get("Retry-After", "0")) > 0, (st, j, b.last_headers))
    st, j = a.req("GET", "/api/v1/questions")
    mine = j.get("questions", []) if st == 200 else []
    check("questions: A sees her own, without the draft",
          st == 200 and len(mine) == 1 and mine[0]["id"] == qa_id and "draft" not in mine[0], (st, j))
    r = subprocess.run([BIN, "--kb", KB, "admin", "therapist", "therapist@example.org", "--db", DB],
                       capture_output=True, text=True)
    check("admin therapist: an address without an account is exit 3", r.returncode == 3, r)
    t = Client(s2)
    t.signup("therapist@example.org", pw="the therapist passphrase")
    r = subprocess.run([BIN, "--kb", KB, "admin", "therapist", "Therapist@example.org", "--db", DB],
                       capture_output=True, text=True)
    check("admin therapist: exit 0", r.returncode == 0, r)
    t.login("therapist@example.org", "the therapist passphrase")
    st, j = t.req("GET", "/api/v1/questions")
    queue = j.get("questions", []) if st == 200 else []
    check("therapist: the queue holds every unanswered question", st == 200 and len(queue) == 3, (st, j))
    check("therapist: each with a draft of 100+ words",
          queue and all(len(q.get("draft", "").split()) >= 100 for q in queue), queue)
    ann_q = [q for q in queue if q["id"] == qa_id]
    check("therapist: the attached summary and the first name only",
          ann_q and ann_q[0].get("attached") and ann_q[0].get("first_name") == "Ann", ann_q)
    st, j = t.req("POST", "/api/v1/questions/%d/answer" % qa_id, {"text": "My best long-distance guess: the mouse arm."}, csrf=False)
    check("therapist: answering without CSRF is 403", st == 403, (st, j))
    st, j = t.req("POST", "/api/v1/questions/%d/answer" % qa_id, {"text": "My best long-distance guess: the mouse arm."})
    check("therapist: answer, published (consented)", st == 200 and j.get("published") is True, (st, j))
    st, j = t.req("POST", "/api/v1/questions/%d/answer" % qb, {"text": "Private answer for Bob."})
    check("therapist: a private question is answered, not published", st == 200 and j.get("published") is False, (st, j))
    st, j = t.req("POST", "/api/v1/questions/%d/answer" % qb, {"text": "x", "publish": True})
    check("therapist: publishing without consent is 422", st == 422, (st, j))
    st, j = a.req("GET", "/api/v1/questions")
    check("asker: sees the answer", st == 200 and j["questions"][0].get("answer", "").startswith("My best"), (st, j))
    st, j = anon.req("GET", "/api/v1/qa")
    check("Q&A: public, the consented one only, first name only",
          st == 200 and len(j["qa"]) == 1 and j["qa"][0]["first_name"] == "Ann" and "Smith" not in json.dumps(j)
          and "Bob" not in json.dumps(j), (st, j))
    st, j = t.req("GET", "/api/v1/questions")
    check("therapist: answered questions leave the queue", st == 200 and all(q["id"] not in (qa_id, qb) for q in j["questions"]), (st, j))

    # ---- lessons ----
    st, j = anon.req("GET", "/api/v1/lessons")
    check("lessons: anonymous sees the course, no next", st == 200 and j.get("total", 0) > 0 and j.get("next") is None, (st, j))
    st, j = a.req("GET", "/api/v1/lessons")
    check("lessons: signed in, a next lesson and progress", st == 200 and j.get("next") and j.get("done") == 1, (st, j))
    st, j = a.req("POST", "/api/v1/lessons/no_such_lesson/done", {})
    check("lessons: an unknown lesson is 404", st == 404, (st, j))
    st, j = a.req("POST", "/api/v1/lessons/%s/done" % first_lesson, {})
    check("lessons: done again is not the first time", st == 200 and j.get("first") is False and j.get("done") == 1, (st, j))

    # ---- rate limits on login ----
    v = Client(s1)
    v.signup("victim@example.org")
    codes = [v.login("victim@example.org", "wrong password %d" % i)[0] for i in range(4)]
    st, j = v.login("victim@example.org")
    check("login limit: after 4 attempts the 5th is 429", codes == [401] * 4 and st == 429, (codes, st, j))
    check("login limit: with Retry-After", int(v.last_headers.get("Retry-After", "0")) > 0, v.last_headers)
    codes = [v.login("ghost@example.org", "wrong password %d" % i)[0] for i in range(5)]
    check("login limit: an unknown account is limited the same way", codes == [401] * 4 + [429], codes)

    # ---- export ----
    st, j = a.req("GET", "/api/v1/account/export")
    blob = json.dumps(j)
    check("export: A's account, check-ins, consultations, questions, lessons",
          st == 200 and j.get("account", {}).get("email") == "ann@example.org" and len(j.get("checkins", [])) == 2
          and len(j.get("consultations", [])) == 1 and len(j.get("questions", [])) == 1
          and len(j.get("lessons", [])) == 1, (st, blob[:600]))
    check("export: no password hash", "argon2" not in blob and "password" not in blob)

    # ---- logout ----
    b2 = Client(s1)
    b2.login("bob@example.org")
    old = b2.cookie
    st, j = b2.req("DELETE", "/api/v1/session")
    check("logout: 204 and the cookie cleared", st == 204 and "Max-Age=0" in (b2.last_set_cookie or ""), (st, b2.last_set_cookie))
    b2.cookie = old
    st, j = b2.req("GET", "/api/v1/journal")
    check("logout: the old token is 401 afterwards", st == 401, (st, j))
    st, j = b.req("GET", "/api/v1/journal")
    check("logout: Bob's other session still works", st == 200, (st, j))

    # ---- account deletion ----
    before = db_dump()
    check("deletion: A's rows are in the database before", "ann-secret-note" in before and "ann@example.org" in before)
    token = a.cookie
    st, j = a.req("DELETE", "/api/v1/account")
    check("deletion: without the password is 422 (nothing deleted)",
          st == 422 and "password" in json.dumps(j) and "ann-secret-note" in db_dump(), (st, j))
    st, j = a.req("DELETE", "/api/v1/account", {"password": "not her password at all"})
    check("deletion: a wrong password is 403 wrong_password, nothing deleted, still signed in",
          st == 403 and code(j) == "wrong_password" and "ann-secret-note" in db_dump()
          and a.req("GET", "/api/v1/journal")[0] == 200, (st, j))
    st, j = a.req("DELETE", "/api/v1/account", {"password": "a long passphrase here"}, csrf=False)
    check("deletion: the right password without the CSRF token is 403 csrf", st == 403 and code(j) == "csrf", (st, j))
    st, j = a.req("DELETE", "/api/v1/account", {"password": "a long passphrase here", "extra": 1})
    check("deletion: an unknown field is 422", st == 422, (st, j))
    st, j = a.req("DELETE", "/api/v1/account", {"password": "a long passphrase here"})
    check("deletion: 204", st == 204, (st, j))
    after = db_dump()
    check("deletion: nothing of A's remains in any table",
          not any(w in after for w in ("ann@example.org", "ann-secret-note", "ann-words", "ann-question", "ann-via-server-2")),
          [l for l in after.splitlines() if "ann" in l][:5])
    a.cookie = token
    st, j = a.req("GET", "/api/v1/journal")
    check("deletion: her session is gone (401)", st == 401, (st, j))
    st, j = Client(s2).login("ann@example.org")
    check("deletion: she cannot log in (401)", st == 401, (st, j))
    st, j = b.req("GET", "/api/v1/questions")
    check("deletion: Bob's rows are untouched", st == 200 and len(j["questions"]) == 2, (st, j))
    st, j = anon.req("GET", "/api/v1/qa")
    check("deletion: her published question left the Q&A", st == 200 and j["qa"] == [], (st, j))

    # ---- the Origin check ----
    st, j = b.req("GET", "/api/v1/journal", headers={"Origin": "https://evil.example"})
    check("Origin: another site is 403", st == 403 and code(j) == "cross_site", (st, j))
    st, j = b.req("GET", "/api/v1/journal", headers={"Origin": "https://127.0.0.1:%d" % s1.port})
    check("Origin: the course's own (https behind a proxy) is let in", st == 200, (st, j))


def extra():
    """Servers with other settings: session expiry, proxies, the address
    limit, the local mode."""
    s = Server("--session-ttl", "2", "--tls-proxy", "--address-limit", "1000")
    try:
        c = Client(s)
        c.signup("expiry@example.org")
        c.login("expiry@example.org")
        check("--tls-proxy: the cookie is Secure", "Secure" in (c.last_set_cookie or ""), c.last_set_cookie)
        check("--session-ttl: Max-Age=2", "Max-Age=2;" in (c.last_set_cookie or ""), c.last_set_cookie)
        st, j = c.req("GET", "/api/v1/journal")
        check("session: works before it expires", st == 200, (st, j))
        time.sleep(3.2)
        st, j = c.req("GET", "/api/v1/journal")
        check("session: expired after its lifetime (401)", st == 401, (st, j))
    finally:
        s.stop()
    # Sliding expiry: 3 s idle, 8 s at most after the login (times are kept
    # in whole seconds: the end falls between 7 and 8 s after the login).
    s = Server("--session-ttl", "3", "--session-max", "8", "--address-limit", "1000")
    try:
        c = Client(s)
        c.signup("slide@example.org")
        t0 = time.time()
        st, j = c.login("slide@example.org")
        first_exp = j.get("expires_at") if st == 200 else None
        sts, ages = [], []
        while time.time() - t0 < 5.5:      # used every second, past the 3 s TTL
            time.sleep(1)
            st, j = c.req("GET", "/api/v1/journal")
            sts.append(st)
            m = re.search(r"Max-Age=(\d+)", c.last_set_cookie or "")
            if m:
                ages.append(int(m.group(1)))
        check("sliding session: used every second it outlives its 3 s TTL", sts and all(x == 200 for x in sts), sts)
        check("sliding session: the cookie is sent again with a fresh Max-Age",
              ages and all(1 <= a <= 3 for a in ages), ages)
        st, j = c.req("GET", "/api/v1/session")
        check("sliding session: expires_at moved later than the login's",
              st == 200 and first_exp and j.get("expires_at", "") > first_exp, (first_exp, j))
        late = []
        while time.time() - t0 < 9.0:      # past the 8 s maximum
            time.sleep(0.5)
            late.append((round(time.time() - t0, 1), c.req("GET", "/api/v1/journal")[0]))
        check("sliding session: it ends at --session-max however much it is used",
              late and late[-1][1] == 401 and all(st == 401 for t, st in late if t >= 8.2)
              and all(st == 200 for t, st in late if t < 6.8), late)
        d = Client(s)
        d.login("slide@example.org")
        time.sleep(3.3)
        st, j = d.req("GET", "/api/v1/journal")
        check("sliding session: unused for longer than the TTL it ends (401)", st == 401, (st, j))
    finally:
        s.stop()
    r = subprocess.run([BIN, "serve", "--hosted", "--db", DB, "--session-max", "0"], capture_output=True, text=True)
    check("--session-max 0 is a usage error", r.returncode == 2 and "--session-max" in r.stderr, r)
    # The account limit counts failures only; the address limit every attempt.
    s = Server("--trusted-proxy", "127.0.0.1", "--login-limit", "3", "--address-limit", "1000")
    try:
        c = Client(s)
        c.signup("typo@example.org")
        ok = [c.login("typo@example.org")[0] for _ in range(6)]
        check("login limit: successful logins do not count (6 over a limit of 3)", ok == [200] * 6, ok)
        seq = [c.login("typo@example.org", "wrong password %d" % i)[0] for i in range(2)]
        seq.append(c.login("typo@example.org")[0])
        seq += [c.login("typo@example.org", "wrong again %d" % i)[0] for i in range(3)]
        seq.append(c.login("typo@example.org")[0])
        check("login limit: a success forgets the failures before it; 3 failures then 429 even for the right password",
              seq == [401, 401, 200, 401, 401, 401, 429], seq)
    finally:
        s.stop()
    s = Server("--trusted-proxy", "127.0.0.1", "--address-limit", "3", "--login-limit", "100")
    try:
        c = Client(s)
        c.req("POST", "/api/v1/account", {"email": "addr@example.org", "password": "a long passphrase here",
                                          "consent": True}, headers={"X-Forwarded-For": "203.0.113.50"})
        sts = [c.req("POST", "/api/v1/session", {"email": "addr@example.org", "password": "a long passphrase here"},
                     headers={"X-Forwarded-For": "203.0.113.51"})[0] for i in range(4)]
        check("address limit: successful logins count too (the 4th from one address is 429)",
              sts == [200, 200, 200, 429], sts)
    finally:
        s.stop()
    s = Server("--trusted-proxy", "127.0.0.1", "--address-limit", "3")
    try:
        c = Client(s)
        # The counters live in the shared database: sign up from an address
        # of its own (told by the trusted proxy).
        st, j = c.req("POST", "/api/v1/account", {"email": "proxy@example.org", "password": "a long passphrase here",
                                                  "consent": True}, headers={"X-Forwarded-For": "203.0.113.10"})
        check("--trusted-proxy: sign-up", st == 201, (st, j))
        st, j = c.req("POST", "/api/v1/session", {"email": "proxy@example.org", "password": "a long passphrase here"},
                      headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        check("--trusted-proxy: X-Forwarded-Proto https makes the cookie Secure",
              st == 200 and "Secure" in (c.last_set_cookie or ""), (st, j, c.last_set_cookie))
        sts = [c.req("POST", "/api/v1/session", {"email": "x%d@example.org" % i, "password": "wrong wrong wrong"},
                     headers={"X-Forwarded-For": "198.51.100.7"})[0] for i in range(4)]
        check("address limit: the 4th attempt from one address is 429", sts == [401, 401, 401, 429], sts)
        st, j = c.req("POST", "/api/v1/session", {"email": "x@example.org", "password": "wrong wrong wrong"},
                      headers={"X-Forwarded-For": "198.51.100.8"})
        check("address limit: another address (through the proxy) is not limited", st == 401, (st, j))
    finally:
        s.stop()
    s = Server("--address-limit", "1000")
    try:
        c = Client(s)
        c.signup("plain@example.org")
        c.req("POST", "/api/v1/session", {"email": "plain@example.org", "password": "a long passphrase here"},
              headers={"X-Forwarded-Proto": "https"})
        check("no trusted proxy: X-Forwarded-Proto is ignored", "Secure" not in (c.last_set_cookie or ""), c.last_set_cookie)
    finally:
        s.stop()
    # The local mode: no accounts, the hosted routes do not exist.
    local_db = os.path.join(TMP, "local.db")
    p = subprocess.Popen([BIN, "--kb", KB, "--db", local_db, "serve", "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    m = re.search(r":(\d+)/", line)

    class L:
        port = int(m.group(1)) if m else 0
    c = Client(L)
    for meth, path in (("POST", "/api/v1/account"), ("POST", "/api/v1/session"), ("GET", "/api/v1/qa"),
                       ("GET", "/api/v1/questions"), ("GET", "/api/v1/lessons")):
        st, j = c.req(meth, path, {} if meth == "POST" else None)
        check("local mode: %s %s is 404" % (meth, path), st == 404, (st, j))
    st, j = c.req("POST", "/api/v1/journal/checkins", {"pain": 4})
    check("local mode: the journal needs no account", st == 201, (st, j))
    st, j = c.req("GET", "/api/v1/health")
    check("local mode: health says local", st == 200 and j.get("mode") == "local", (st, j))
    p.terminate()
    p.wait(10)
    r = subprocess.run([BIN, "serve", "--hosted"], capture_output=True, text=True)
    check("serve --hosted without --db is a usage error", r.returncode == 2 and "--db" in r.stderr, r)
    r = subprocess.run([BIN, "serve", "--tls-proxy"], capture_output=True, text=True)
    check("--tls-proxy without --hosted is a usage error", r.returncode == 2, r)
    env = dict(os.environ, KNOTFINDER_NO_SAVE="1")
    nosave = os.path.join(TMP, "nosave.db")
    subprocess.run([BIN, "--kb", KB, "--db", nosave, "ask", "a knot under my right shoulder blade"],
                   capture_output=True, env=env)
    check("KNOTFINDER_NO_SAVE (read in main): ask saves nothing", not os.path.exists(nosave))


def saving():
    """The answer of a consultation says whether it was kept: over
    --save-limit it is answered, said to be not saved, and not kept."""
    s = Server("--address-limit", "1000", "--save-limit", "2")
    try:
        c = Client(s)
        c.signup("saver@example.org")
        c.login("saver@example.org")
        res = [c.req("POST", "/api/v1/consult", {"text": "saver-%d: a knot under my right shoulder blade from the mouse" % i})
               for i in range(3)]
        check("save limit: every consultation is answered (200)", all(st == 200 for st, _ in res), [st for st, _ in res])
        check("save limit: the first two say saved", all(j.get("saved") is True for _, j in res[:2]), [j.get("saved") for _, j in res])
        ns = res[2][1].get("not_saved", {})
        check("save limit: the third says saved false, code save_limit, with the figure",
              res[2][1].get("saved") is False and ns.get("code") == "save_limit" and "2 consultations a minute" in ns.get("message", ""),
              res[2][1].get("not_saved"))
        st, j = c.req("GET", "/api/v1/journal")
        texts = [x["text"] for x in j.get("consultations", [])] if st == 200 else []
        check("save limit: the journal holds the two said saved, not the third",
              len(texts) == 2 and not any("saver-2" in t for t in texts), texts)
        st, j = c.req("POST", "/api/v1/interview", {"text": "saver-3: a knot under my left shoulder blade", "asked": 8})
        check("save limit: an interview that ends in a result says it too",
              st == 200 and j.get("result") and j.get("saved") is False
              and j.get("not_saved", {}).get("code") == "save_limit", (st, j.get("saved"), j.get("not_saved")))
        st, j = c.req("POST", "/api/v1/questions", {"text": "sudden crushing chest pain spreading to my left arm and I'm sweating, is it my knot?"})
        check("question: a warning sign in it is said at once (201 with triage emergency)",
              st == 201 and j.get("triage") == "emergency", (st, j))
        st, j = c.req("POST", "/api/v1/questions", {"text": "a knot under my right shoulder blade from the mouse, why does it come back?"})
        check("question: an ordinary one says self_care", st == 201 and j.get("triage") == "self_care", (st, j))
        st, j = c.req("GET", "/api/v1/questions")
        check("questions: the asker sees each one's triage (not the draft)",
              st == 200 and [q.get("triage") for q in j["questions"]] == ["self_care", "emergency"]
              and not any("draft" in q for q in j["questions"]), (st, j))
        st, j = c.req("POST", "/api/v1/interview", {"text": "a knot under my left shoulder blade"})
        check("an interview's next question says nothing of saving",
              st == 200 and j.get("question") and "saved" not in j, (st, j.get("question"), j.get("saved")))
    finally:
        s.stop()


def password():
    """POST /api/v1/account/password, and the limits on the current
    password asked again."""
    s = Server("--address-limit", "1000", "--login-limit", "3")
    s2 = Server("--address-limit", "1000", "--login-limit", "3")
    old, new = "a long passphrase here", "a brand new passphrase"
    try:
        c, other, third = Client(s), Client(s), Client(s2)
        c.signup("change@example.org")
        c.login("change@example.org")
        other.login("change@example.org")
        third.login("change@example.org")
        c.req("POST", "/api/v1/journal/checkins", {"pain": 4, "note": "change-note"})
        st, j = c.req("POST", "/api/v1/account/password", {"current_password": old, "new_password": new}, csrf=False)
        check("password: without the CSRF token is 403", st == 403 and code(j) == "csrf", (st, j))
        st, j = Client(s).req("POST", "/api/v1/account/password", {"current_password": old, "new_password": new})
        check("password: signed out is 401", st == 401, (st, j))
        st, j = c.req("POST", "/api/v1/account/password", {"current_password": "wrong wrong wrong", "new_password": new})
        check("password: a wrong current password is 403 wrong_password; still signed in",
              st == 403 and code(j) == "wrong_password" and c.req("GET", "/api/v1/journal")[0] == 200, (st, j))
        for bad, what in (("short one", "9 characters"), ("Password1234", "a common password"),
                          ("change@example.org", "the email")):
            st, j = c.req("POST", "/api/v1/account/password", {"current_password": old, "new_password": bad})
            check("password: the sign-up's policy (%s is 422 weak_password)" % what,
                  st == 422 and code(j) == "weak_password", (st, j))
        st, j = c.req("POST", "/api/v1/account/password", {"current_password": old, "new_password": old})
        check("password: the same password again is 422", st == 422, (st, j))
        st, j = c.req("POST", "/api/v1/account/password", {"current_password": old})
        check("password: no new password is 422", st == 422, (st, j))
        old_cookie, old_csrf = c.cookie, c.csrf
        st, j = c.req("POST", "/api/v1/account/password", {"current_password": old, "new_password": new})
        check("password: changed (200, a new CSRF token, the other two sessions ended)",
              st == 200 and isinstance(j.get("csrf"), str) and j["csrf"] != old_csrf
              and j.get("signed_out_elsewhere") == 2, (st, j))
        check("password: a new session cookie", c.cookie and c.cookie != old_cookie, c.last_set_cookie)
        c.csrf = j.get("csrf") if st == 200 else c.csrf
        check("password: the new session works, with the journal intact",
              c.req("GET", "/api/v1/journal")[1].get("checkins", [{}])[0].get("note") == "change-note")
        st, j = c.req("POST", "/api/v1/journal/checkins", {"pain": 3})
        check("password: the new CSRF token works", st == 201, (st, j))
        st, j = c.req("POST", "/api/v1/journal/checkins", {"pain": 3}, headers={"X-CSRF-Token": old_csrf})
        check("password: the old CSRF token does not", st == 403, (st, j))
        gone = Client(s)
        gone.cookie = old_cookie
        check("password: the old session of this browser ended (401)", gone.req("GET", "/api/v1/journal")[0] == 401)
        check("password: another session on the same server ended (401)", other.req("GET", "/api/v1/journal")[0] == 401)
        check("password: a session on the other server ended (401)", third.req("GET", "/api/v1/journal")[0] == 401)
        check("password: the old one no longer logs in", Client(s2).login("change@example.org", old)[0] == 401)
        check("password: the new one does", Client(s2).login("change@example.org", new)[0] == 200)
        check("password: not in the database", new not in db_dump() and old not in db_dump())
        # Failures through these endpoints count on the login's counter
        # (--login-limit 3): after 3, even the right password is 429.
        seq = [c.req("POST", "/api/v1/account/password", {"current_password": "wrong %d" % i, "new_password": "x" * 20})[0]
               for i in range(2)]
        seq.append(Client(s).login("change@example.org", "wrong too")[0])
        st, j = c.req("POST", "/api/v1/account/password", {"current_password": new, "new_password": "yet another passphrase"})
        seq.append(st)
        check("password: failures add up with the login's; over the limit the right one is 429 with Retry-After",
              seq == [403, 403, 401, 429] and int(c.last_headers.get("Retry-After", "0")) > 0, seq)
        st, j = c.req("DELETE", "/api/v1/account", {"password": new})
        check("deletion: over the failure limit even the right password is 429, nothing deleted",
              st == 429 and "change-note" in db_dump(), (st, j))
        check("password: the session was not ended by the failures", c.req("GET", "/api/v1/journal")[0] == 200)
    finally:
        s.stop()
        s2.stop()


def kill9():
    """kill -9 of a server in the middle of writes loses no acknowledged
    row: 8 threads post check-ins and consultations, each noting what was
    acknowledged (201 / 200 after the commit); the server is killed with
    SIGKILL mid-stream; a new server on the same database must show every
    acknowledged row, once."""
    s = Server("--address-limit", "1000", "--save-limit", "0", "--threads", "4")
    c = Client(s)
    check("kill -9: sign-up", c.signup("crash@example.org")[0] == 201)
    check("kill -9: login", c.login("crash@example.org")[0] == 200)
    acked_ci, acked_co = [], []     # (id, note) / text
    lock = threading.Lock()
    stop = threading.Event()
    other = []                      # anything but an ack or a dropped connection

    def worker(t):
        w = Client(s)
        w.cookie, w.csrf = c.cookie, c.csrf
        n = 0
        while not stop.is_set():
            n += 1
            tag = "crash-t%d-n%d" % (t, n)
            try:
                if n % 2:
                    st, j = w.req("POST", "/api/v1/journal/checkins",
                                  {"pain": n % 11, "note": tag})
                    if st == 201:
                        with lock:
                            acked_ci.append((j["checkin"]["id"], tag))
                    else:
                        other.append((st, j))
                else:
                    st, j = w.req("POST", "/api/v1/consult",
                                  {"text": tag + ": a knot under my right shoulder blade from the mouse"})
                    if st == 200:
                        with lock:
                            acked_co.append(tag)
                    else:
                        other.append((st, j))
            except (OSError, http.client.HTTPException):
                return                  # the server is gone: nothing was acknowledged

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    s.proc.kill()
    s.proc.wait(10)
    stop.set()
    for t in threads:
        t.join(60)
    check("kill -9: the server died of SIGKILL", s.proc.returncode == -9, s.proc.returncode)
    check("kill -9: every request before the kill was acknowledged", not other, other[:3])
    check("kill -9: check-ins and consultations were acknowledged before the kill",
          len(acked_ci) > 0 and len(acked_co) > 0, (len(acked_ci), len(acked_co)))
    s2 = Server("--address-limit", "1000")
    try:
        c2 = Client(s2)
        st, j = c2.login("crash@example.org")
        check("kill -9: login again on a new server", st == 200, (st, j))
        # GET /api/v1/journal shows the newest rows (200 check-ins, 20
        # consultations); the export holds every one.
        st, j = c2.req("GET", "/api/v1/journal")
        check("kill -9: the journal reads", st == 200, (st, j))
        jci = [x["id"] for x in j.get("checkins", [])] if st == 200 else []
        jco = [x["id"] for x in j.get("consultations", [])] if st == 200 else []
        st, j = c2.req("GET", "/api/v1/account/export")
        check("kill -9: the export reads", st == 200, (st, str(j)[:200]))
        cis = j.get("checkins", []) if st == 200 else []
        cos = j.get("consultations", []) if st == 200 else []
        ids = [x["id"] for x in cis]
        notes = [x.get("note") for x in cis]
        have = set(zip(ids, notes))
        lost = [a for a in acked_ci if a not in have]
        check("kill -9: every acknowledged check-in is there (%d)" % len(acked_ci), not lost, lost[:5])
        check("kill -9: no check-in appears twice", len(set(ids)) == len(ids) and len(set(notes)) == len(notes),
              len(ids) - len(set(ids)))
        tags = [x.get("text", "").split(":")[0] for x in cos]
        lost = [t for t in acked_co if t not in set(tags)]
        check("kill -9: every acknowledged consultation is there (%d)" % len(acked_co), not lost, lost[:5])
        coids = [x["id"] for x in cos]
        check("kill -9: no consultation appears twice",
              len(set(tags)) == len(tags) and len(set(coids)) == len(coids), len(tags) - len(set(tags)))
        # A request in flight at the kill may have committed without its
        # answer getting out: at most one per thread, never more.
        extra_ci = [n for n in notes if n not in {t for _, t in acked_ci}]
        extra_co = [t for t in tags if t not in set(acked_co)]
        check("kill -9: rows nobody was told about are at most the 8 in flight",
              len(extra_ci) + len(extra_co) <= 8, (extra_ci, extra_co))
        check("kill -9: the journal shows the newest 200 check-ins and 20 consultations of them",
              jci == ids[-200:] and jco == coids[-20:], (jci[-3:], ids[-3:], jco[-3:], coids[-3:]))
        st, j = c2.req("POST", "/api/v1/journal/checkins", {"pain": 2, "note": "after the crash"})
        check("kill -9: the database takes writes again", st == 201, (st, j))
    finally:
        check("kill -9: the new server stops with 0", s2.stop() == 0)


if __name__ == "__main__":
    sys.exit(main())
