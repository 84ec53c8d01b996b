#!/usr/bin/env python3
"""The lessons are in our own words: no title, module line or paragraph of a
KB file shares N words in a row (default 6) with the articles in the
sources folder.  Marks ({dose T}) are left out, since they are filled in
from the KB.  Prints FILE:LINE for each copy; exit 1 when there is one.
    tests/kb/own_words.py KBFILE SOURCES_DIR [N]
"""
import glob
import re
import sys


def words(text):
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def main():
    kbfile, srcdir = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    grams = set()
    files = glob.glob(srcdir + "/*.txt")
    if not files:
        print(f"{srcdir}: no source files")
        return 2
    for f in files:
        w = words(open(f, encoding="utf-8", errors="replace").read())
        grams.update(" ".join(w[i:i + n]) for i in range(len(w) - n + 1))
    bad = 0
    for ln, line in enumerate(open(kbfile, encoding="utf-8"), 1):
        key, _, val = line.partition("=")
        if key.strip() not in ("para", "title", "about"):
            continue
        w = words(re.sub(r"\{[^}]*\}", " ", val))
        for i in range(len(w) - n + 1):
            g = " ".join(w[i:i + n])
            if g in grams:
                print(f"{kbfile}:{ln}: {n} words in a row as in the sources: '{g}'")
                bad += 1
                break
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
