#!/usr/bin/env python3
"""Every red-flag rule of the knowledge base (kb/50-redflags.kb and the rules
that later lexicon files add, each with the file it is in) with its level, its
cause, the guidance it cites, and how often it led an over-triaged answer on
the triage suite.

  tests/triage/rules_table.py SUITE_OUTPUT > docs/TRIAGE-RULES.md
      SUITE_OUTPUT is the text tests/triage/run.sh printed (the default suite,
      tests/triage/cases.jsonl).
  tests/triage/rules_table.py --check [docs/TRIAGE-RULES.md]
      checks that the table is complete: one row for every rule the binary
      loads (`knotfinder kb list redflags`), at its level, and no row for a
      rule it does not load.  Last line "N passed, N failed"; exit 1 on a
      failure.

The rules are read from every kb/*.kb file in the order the knowledge base
loads them (sorted by name); the list is checked against the binary's, so a
rule written where this script does not look fails instead of going missing.
KNOTFINDER (default build/knotfinder) and KNOTFINDER_KB (default kb) as for
the other tests."""
import glob, os, re, subprocess, sys

KB = os.environ.get("KNOTFINDER_KB", "kb")
BIN = os.environ.get("KNOTFINDER", "build/knotfinder")


def kb_rules():
    """[{id, file, level, mimic, source}] in load order."""
    rules, cur = [], None
    for path in sorted(glob.glob(os.path.join(KB, "*.kb"))):
        name = os.path.basename(path)
        key = None
        for raw in open(path, encoding="utf-8"):
            line = raw.rstrip("\n")
            m = re.match(r"\[(\w+)(?: ([^\]]+))?\]", line)
            if m:
                key = None
                cur = None
                if m.group(1) == "redflag":
                    cur = {"id": m.group(2).strip(), "file": name}
                    rules.append(cur)
                continue
            if cur is None:
                continue
            s = line.strip()
            if key and raw[:1].isspace() and s and not s.startswith("#"):
                cur[key] += " " + s.rstrip("\\").strip()       # a continued value
                key = key if s.endswith("\\") else None
                continue
            m = re.match(r"(level|mimic|source) = (.*)", s)
            if m:
                key = m.group(1)
                cur[key] = m.group(2).rstrip("\\").strip()
                key = key if m.group(2).endswith("\\") else None
            else:
                key = None
    return rules


def binary_rules():
    r = subprocess.run([BIN, "--kb", KB, "kb", "list", "redflags"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("rules_table.py: %s kb list redflags failed: %s" % (BIN, r.stderr.strip()))
    out = []
    for line in r.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            out.append((parts[0], parts[1]))
    return out


def complete(rules):
    """The problems of the rules read here against the binary's list."""
    mine = {r["id"]: r for r in rules}
    theirs = dict(binary_rules())
    problems = []
    for rid, level in theirs.items():
        if rid not in mine:
            problems.append("rule %s (%s) is loaded by the binary but was not found in %s/*.kb" % (rid, level, KB))
        elif mine[rid].get("level") != level:
            problems.append("rule %s: level %s in %s, %s in the binary" %
                            (rid, mine[rid].get("level"), mine[rid]["file"], level))
    for rid in mine:
        if rid not in theirs:
            problems.append("rule %s of %s is not loaded by the binary" % (rid, mine[rid]["file"]))
    if len(mine) != len(rules):
        problems.append("%d rules read, %d ids: a rule id is defined twice" % (len(rules), len(mine)))
    return problems


def check(doc):
    passed = failed = 0
    rows = {}
    for line in open(doc, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) >= 3 and cells[0] not in ("rule", "---"):
            rows[cells[0]] = cells
    theirs = binary_rules()
    for rid, level in theirs:
        if rid not in rows:
            print("FAIL %s (%s): no row in %s" % (rid, level, doc))
            failed += 1
        elif rows[rid][2] != level:
            print("FAIL %s: row says %s, the binary %s" % (rid, rows[rid][2], level))
            failed += 1
        else:
            passed += 1
    loaded = {rid for rid, _ in theirs}
    for rid in rows:
        if rid not in loaded:
            print("FAIL %s: a row for a rule the binary does not load" % rid)
            failed += 1
    for p in complete(kb_rules()):
        print("FAIL " + p)
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def table(suite_output):
    rules = kb_rules()
    problems = complete(rules)
    if problems:
        sys.exit("rules_table.py: the table would not be complete:\n  " + "\n  ".join(problems))
    tables = {"led": {}, "fired": {}}
    section = None
    for line in open(suite_output, encoding="utf-8"):
        if line.startswith("over-triage by the knowledge-base rule"):
            section = "led"
            continue
        if line.startswith("over-triage by every knowledge-base rule"):
            section = "fired"
            continue
        if section:
            m = re.match(r"\s+(\d+)%\s+(\d+)/(\d+)\s+(\S+)", line)
            if m:
                tables[section][m.group(4)] = (int(m.group(2)), int(m.group(3)))
            else:
                section = None
    led, fired = tables["led"], tables["fired"]
    files = sorted({r["file"] for r in rules})
    print("# Red-flag rules, their guidance and their over-triage on the suite\n")
    print("Generated by `tests/triage/rules_table.py` from every red-flag rule of the knowledge")
    print("base (%d rules: `kb/50-redflags.kb` and the lexicon files that add rules of their own," % len(rules))
    print("%s) and a run of `tests/triage/run.sh`;" % ", ".join("`kb/%s`" % f for f in files if f != "50-redflags.kb"))
    print("`tests/triage/rules_table.py --check` fails when a rule the binary loads has no row.")
    print("*fired*: suite cases where the rule fired at the level of the")
    print("answer; *led*: cases where its message was the one shown; *over*: of those, the")
    print("cases answered above the level guidance asks for (over-triage).\n")
    print("| rule | file | level | cause | over / fired | over / led | guidance |")
    print("|---|---|---|---|---|---|---|")

    def rate(t, rid):
        o, k = t.get(rid, (0, 0))
        return "%d / %d (%.0f%%)" % (o, k, 100.0 * o / k) if k else "0 / 0"
    for r in rules:
        print("| %s | %s | %s | %s | %s | %s | %s |" % (r["id"], r["file"], r.get("level", ""), r.get("mimic", "-"),
              rate(fired, r["id"]), rate(led, r["id"]), r.get("source", "").replace("|", "/")))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2] if len(sys.argv) > 2 else "docs/TRIAGE-RULES.md"))
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    table(sys.argv[1])
