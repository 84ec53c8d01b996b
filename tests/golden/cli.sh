#!/usr/bin/env bash
# Golden CLI transcripts: runs the product binary on every block of
# tests/golden/cli.test and checks exit status, output and JSON.
#
# The format, one directive per line ("#" lines and blank lines are ignored):
#   ### NAME          starts a test
#   setup: SHELL      run first, in the test's own temp dir $T (repeatable);
#                     $KB is the knowledge base in use, $BIN the binary
#   args: WORDS       the arguments, split and expanded like shell words
#                     ($T, $KB usable), e.g.  args: ask --json "my words"
#   stdin: SHELL      its standard output is the binary's stdin (default: empty)
#   exit: 0|3         the allowed exit statuses (default 0)
#   out: TEXT         stdout contains TEXT            (repeatable, all of these)
#   out!: TEXT        stdout does not contain TEXT
#   out~: REGEX       a stdout line matches the extended regex
#   err: TEXT  err!: TEXT  err~: REGEX   the same for stderr
#   any: TEXT         stdout or stderr contains TEXT
#   first: TEXT       the first non-blank stdout line contains TEXT
#   width: N          no stdout line is longer than N characters
#   json: PATH ...    stdout is one JSON value and every dotted PATH exists
#                     (a.b.0.c: keys and array indexes)
#   json= PATH VALUE  the value at PATH equals the JSON text VALUE
#   json? EXPR        a Python expression over the parsed stdout `j` is true
# Each test gets 30 s (a hang fails).  The last line is "N passed, N failed".
#   KNOTFINDER     the binary (default build/knotfinder)
#   KNOTFINDER_KB  the knowledge base (default kb/)
#   tests/golden/cli.sh [FILE] [NAME-SUBSTRING]
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${KNOTFINDER:-build/knotfinder}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
KB=${KNOTFINDER_KB:-$ROOT/kb}
case $KB in /*) ;; *) KB=$ROOT/$KB ;; esac
export KNOTFINDER_KB=$KB BIN KB
FILE=${1:-tests/golden/cli.test}
ONLY=${2:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TIMEOUT=${CLI_TIMEOUT:-30}

pass=0; fail=0

# Checks that need JSON or character widths go to Python: one call per test.
pycheck() {  # pycheck OUTFILE CHECKFILE -> prints failures, returns 1 on any
  python3 - "$1" "$2" <<'PY'
import json, sys
out = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
bad = 0
j = None
def load():
    global j
    if j is None:
        j = json.loads(out)
    return j
def walk(path):
    v = load()
    for k in path.split("."):
        if isinstance(v, list):
            v = v[int(k)]
        elif isinstance(v, dict):
            v = v[k]
        else:
            raise KeyError(k)
    return v
for line in open(sys.argv[2], encoding="utf-8"):
    kind, _, arg = line.rstrip("\n").partition(" ")
    try:
        if kind == "width":
            n = int(arg)
            for no, l in enumerate(out.split("\n"), 1):
                if len(l) > n:
                    print("    line %d is %d columns (max %d): %s" % (no, len(l), n, l[:100]))
                    bad = 1
        elif kind == "json":
            for p in arg.split():
                try:
                    walk(p)
                except (KeyError, IndexError, ValueError, TypeError):
                    print("    JSON has no %s" % p)
                    bad = 1
        elif kind == "json=":
            p, _, want = arg.partition(" ")
            got = walk(p)
            if got != json.loads(want):
                g = json.dumps(got)
                print("    JSON %s is %s, want %s" % (p, g if len(g) < 200 else g[:200] + "...", want))
                bad = 1
        elif kind == "json?":
            if not eval(arg, {"j": load(), "any": any, "all": all, "len": len}):
                print("    JSON check false: %s" % arg)
                bad = 1
    except json.JSONDecodeError as e:
        print("    stdout is not JSON (%s): %s" % (e, out[:200].replace("\n", " ")))
        bad = 1
        break
    except Exception as e:
        print("    %s %s: %s: %s" % (kind, arg, type(e).__name__, e))
        bad = 1
sys.exit(bad)
PY
}

run_test() {
  local name=$1 T=$WORK/t$((pass + fail))
  [ -n "$ONLY" ] && [[ $name != *"$ONLY"* ]] && return
  mkdir -p "$T"
  local msgs=$T/.msgs; : >"$msgs"
  local s
  for s in "${setups[@]}"; do
    if ! (cd "$T" && T=$T bash -c "$s") >>"$msgs" 2>&1; then
      echo "    setup failed: $s" >>"$msgs"
    fi
  done
  if [ -n "$stdin_cmd" ]; then
    (cd "$T" && T=$T bash -c "$stdin_cmd") >"$T/.stdin" 2>>"$msgs"
  else
    : >"$T/.stdin"
  fi
  local rc
  (
    cd "$T" || exit 99
    eval "set -- $args" || exit 98
    exec timeout -k 5 "$TIMEOUT" "$BIN" "$@" <"$T/.stdin"
  ) >"$T/.out" 2>"$T/.err"
  rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "    timed out after ${TIMEOUT}s (a loop or a hang?)" >>"$msgs"
  fi
  if [ "$rc" -ge 128 ] && [ "$rc" -ne 137 ]; then
    echo "    killed by signal $((rc - 128)) (a crash)" >>"$msgs"
  fi
  local okx=0 e
  IFS='|' read -r -a allowed <<<"$want_exit"
  for e in "${allowed[@]}"; do [ "$rc" = "$(echo $e)" ] && okx=1; done
  [ "$okx" -eq 1 ] || echo "    exit status $rc, want $want_exit" >>"$msgs"
  local c kind arg
  : >"$T/.py"
  for c in "${checks[@]}"; do
    kind=${c%%$'\t'*}; arg=${c#*$'\t'}
    case $kind in
      out)   grep -qF -- "$arg" "$T/.out" || echo "    stdout lacks: $arg" >>"$msgs" ;;
      out!)  grep -qF -- "$arg" "$T/.out" && echo "    stdout has: $arg" >>"$msgs" ;;
      out~)  grep -qE -- "$arg" "$T/.out" || echo "    no stdout line matches: $arg" >>"$msgs" ;;
      err)   grep -qF -- "$arg" "$T/.err" || echo "    stderr lacks: $arg" >>"$msgs" ;;
      err!)  grep -qF -- "$arg" "$T/.err" && echo "    stderr has: $arg" >>"$msgs" ;;
      err~)  grep -qE -- "$arg" "$T/.err" || echo "    no stderr line matches: $arg" >>"$msgs" ;;
      any)   cat "$T/.out" "$T/.err" | grep -qF -- "$arg" || echo "    no output has: $arg" >>"$msgs" ;;
      first) local l1; l1=$(grep -m1 -v '^[[:space:]]*$' "$T/.out")
             [[ $l1 == *"$arg"* ]] || echo "    first line is '$l1', want it to contain '$arg'" >>"$msgs" ;;
      width|json|json=|json\?) printf '%s %s\n' "$kind" "$arg" >>"$T/.py" ;;
    esac
  done
  if [ -s "$T/.py" ]; then
    pycheck "$T/.out" "$T/.py" >>"$msgs"
  fi
  if [ -s "$msgs" ]; then
    fail=$((fail + 1))
    echo "FAIL $name   (args: $args)"
    cat "$msgs"
    echo "    --- stdout (first 15 lines):"; head -n 15 "$T/.out" | sed 's/^/    | /' | cut -c1-160
    echo "    --- stderr (first 5 lines):"; head -n 5 "$T/.err" | sed 's/^/    | /' | cut -c1-160
  else
    pass=$((pass + 1))
    echo "ok   $name"
  fi
  rm -rf "$T"
}

if [ ! -x "$BIN" ]; then
  echo "no binary $BIN (run make first)"
  echo "0 passed, 1 failed"
  exit 1
fi
# Run a private copy, so a rebuild in the tree during the run changes nothing.
cp "$BIN" "$WORK/knotfinder" && BIN=$WORK/knotfinder
name=""
reset() { setups=(); checks=(); args=""; stdin_cmd=""; want_exit=0; }
reset
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  case $line in
    '### '*)
      [ -n "$name" ] && run_test "$name"
      reset; name=${line#'### '} ;;
    '#'*|'') ;;
    setup:*) setups+=("${line#setup: }") ;;
    args:*)  args=${line#args:}; args=${args# } ;;
    stdin:*) stdin_cmd=${line#stdin: } ;;
    exit:*)  want_exit=${line#exit: } ;;
    out:*|out!:*|out~:*|err:*|err!:*|err~:*|any:*|first:*|width:*|json:*)
      k=${line%%:*}; v=${line#*: }; checks+=("$k"$'\t'"$v") ;;
    'json= '*|'json? '*)
      k=${line%% *}; v=${line#* }; checks+=("$k"$'\t'"$v") ;;
    *) echo "$FILE:$lineno: cannot read this line: $line"; fail=$((fail + 1)) ;;
  esac
done <"$FILE"
[ -n "$name" ] && run_test "$name"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
