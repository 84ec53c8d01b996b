#!/usr/bin/env python3
"""The engine checked from outside, with exact rational arithmetic.

Reads the network only from `knotfinder kb export --json` (the format of
docs/KB-FORMAT.md), reads each article case with `knotfinder ask --json`,
and recomputes every shown cause's score by Quickscore over Fractions (no
rounding at all), in the model the export states: roots with priors, noisy-OR
findings with the leak, habit -> muscle chains acting through the muscle's
links, a muscle tight when its own root or a chain is on.  Each score the
engine marks exact must agree to 1e-6.

  tests/kb/export_check.py KNOTFINDER CASES.jsonl [MAX_PRESENT]

Cases with more than MAX_PRESENT present findings (default 5) are skipped:
the exact fractions grow with 2^present terms and take minutes beyond that.
"""
import json, subprocess, sys
from fractions import Fraction as F


def main():
    global leak, causes, prior, links, chains, keepers, lam, kind
    exe, cases = sys.argv[1], sys.argv[2]
    max_present = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    net = json.loads(subprocess.run([exe, "kb", "export", "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    leak = F(net["leak"])
    causes = [c["id"] for c in net["causes"]]
    prior = {c["id"]: F(c["prior"]) for c in net["causes"]}
    links = {}
    for l in net["links"]:
        links.setdefault(l["cause"], {})[l["finding"]] = F(l["p"])
    chains = {}
    keepers = {}
    for e in net["chains"]:
        chains.setdefault(e["habit"], []).append((e["muscle"], F(e["p"])))
        keepers.setdefault(e["muscle"], []).append((e["habit"], F(e["p"])))
    lam = F(net["scale"]["guess"])
    FKIND.update({x["id"]: x["kind"] for x in net["findings"]})
    kind = {c["id"]: c["kind"] for c in net["causes"]}
    passed = failed = 0
    for line in open(cases):
        case = json.loads(line)
        out = json.loads(subprocess.run([exe, "--json", "ask", case["text"]], check=True,
                                        capture_output=True, text=True).stdout)
        pos = sorted({x["finding"] for x in out["understood"] if x["state"] == "present"})
        # a symptom, warning sign or past illness denied in the person's own
        # words is a denial in passing: it acts on the links from the mimics
        # only (("passing", f) below)
        full = {x["finding"] for x in out["understood"] if x["state"] == "absent"
                and not in_passing(x)} - set(pos)
        passing = {x["finding"] for x in out["understood"] if x["state"] == "absent"
                   and in_passing(x)} - set(pos) - full
        neg = sorted(full) + [("passing", f) for f in sorted(passing)]
        if not pos or out.get("approximate") or len(pos) > max_present:
            continue
        # guesses weighed as soft evidence (the export's model): the mixture
        # over the subsets S of the guesses of P(E + S present), each with
        # weight (1-l)^|S| l^(k-|S|)
        soft = [x["finding"] for x in out["understood"]
                if x["state"] == "present" and x.get("note") == "guess" and x["origin"] == "text"
                and soft_guess(x["finding"])][:3]
        Z = F(0)
        num = {c: F(0) for c in causes}
        for smask in range(1 << len(soft)):
            inS = [soft[i] for i in range(len(soft)) if smask >> i & 1]
            w = (1 - lam) ** len(inS) * lam ** (len(soft) - len(inS))
            p = [f for f in pos if f not in soft or f in inS]
            z, nm = joint(p, neg)
            Z += w * z
            for c in causes:
                num[c] += w * nm[c]
        for shown in out["causes"]:
            c = shown["id"]
            exact = num[c] / Z
            if c in keepers:
                exact = 1 - exact
            if abs(float(exact) - shown["score"]) <= 1e-6:
                passed += 1
            else:
                failed += 1
                print(f"{case['id']}: {c} engine {shown['score']:.9f} exact {float(exact):.9f}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)



def joint(pos, neg):
    """P(pos present, neg absent) and, per cause, P(cause on, E) (or, for a muscle
    with keepers, P(muscle slack, E))"""
    def Q(c, T):
        q = F(1)
        for f in T:
            if isinstance(f, tuple):
                if kind[c] != "mimic":
                    continue
                f = f[1]
            if f in links.get(c, {}):
                q *= 1 - links[c][f]
        return q

    def g(c, T, slack=None):
        """root c's factor for the absent set T; slack=m: m's chain off"""
        pi = prior[c]
        chain = F(1)
        for m, s in chains.get(c, []):
            chain *= (1 - s) if m == slack else (1 - s) + s * Q(m, T)
        return (1 - pi) + pi * Q(c, T) * chain

    Z = F(0)
    num = {c: F(0) for c in causes}
    for mask in range(1 << len(pos)):
        T = [pos[i] for i in range(len(pos)) if mask >> i & 1] + neg
        sign = -1 if bin(mask).count("1") % 2 else 1
        fac = {c: g(c, T) for c in causes}
        prod = F(1)
        for c in causes:
            prod *= fac[c]
        term = sign * (1 - leak) ** len(T) * prod
        Z += term
        for c in causes:
            if c in keepers:          # P(slack): own root off, every chain to c off
                t = term / fac[c] * (1 - prior[c])
                for h, _ in keepers[c]:
                    t = t / fac[h] * g(h, T, slack=c)
                num[c] += t
            else:
                num[c] += term / fac[c] * prior[c] * Q(c, T) * \
                    (lambda c=c: __import__("functools").reduce(
                        lambda a, b: a * b,
                        [(1 - s) + s * Q(m, T) for m, s in chains.get(c, [])], F(1)))()
    return Z, num


def in_passing(x):
    """a denial in the person's own words of a symptom, warning sign or past illness"""
    return x["state"] == "absent" and x["origin"] == "text" and \
        FKIND.get(x["finding"]) in ("symptom", "redflag", "history")


def soft_guess(f):
    """the engine weighs a guess softly unless it is a red flag or a mimic links
    it at least as strongly as any other cause"""
    if FKIND.get(f) == "redflag":
        return False
    mimic = max([links[c][f] for c in links if f in links[c] and kind[c] == "mimic"], default=0)
    other = max([links[c][f] for c in links if f in links[c] and kind[c] != "mimic"], default=0)
    return mimic == 0 or mimic < other


FKIND = {}
main()
