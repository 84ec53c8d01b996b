#!/usr/bin/env bash
# The conventions of a command-line tool on Debian: --version and --help,
# the man page (renders without warnings, documents every command, option
# and environment variable the program has), `make check`/`make test`, a
# LICENSE, and `make install`/`make uninstall` with PREFIX and DESTDIR whose
# installed binary finds its knowledge base and web files where they were
# installed (relative to itself, else the data folder compiled in), while
# --kb/--web and the environment still override.
#   tests/install/run.sh      (from anywhere; needs a built tree, make, man)
# Last line: "N passed, N failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
bin=$root/build/knotfinder
man=$root/docs/knotfinder.1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kf-install.XXXXXX") || exit 1
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
# The installed binary must find its files by itself: none of the tree's.
unset KNOTFINDER_KB KNOTFINDER_WEB KNOTFINDER_NO_SAVE
export XDG_DATA_HOME="$tmp/data"

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
bad()  { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '     %s\n' "$2"; return 0; }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
    local name=$1; shift
    if "$@" >"$tmp/check.out" 2>&1; then ok "$name"; else bad "$name" "$(head -c 600 "$tmp/check.out")"; fi
}
has() { grep -qF -- "$2" <<<"$1"; }   # has TEXT NEEDLE

[ -x "$bin" ] || { echo "FAIL $bin is missing: run make first"; echo "0 passed, 1 failed"; exit 1; }
version=$(sed -n 's/^VERSION *:= *//p' Makefile)

# ---- --version and --help ------------------------------------------------
out=$("$bin" --version); rc=$?
if [ $rc = 0 ] && [ "$(head -n 1 <<<"$out")" = "knotfinder $version" ]; then
    ok "--version prints 'knotfinder $version' first and exits 0"
else bad "--version prints 'knotfinder $version' first and exits 0" "rc=$rc: $out"; fi
has "$out" "data: /" && ok "--version names the data folder" || bad "--version names the data folder" "$out"

help=$("$bin" --help); rc=$?
[ $rc = 0 ] && ok "--help exits 0" || bad "--help exits 0" "rc=$rc"
for w in --version --kb --web --db --json "exit status" "XDG_DATA_HOME/knotfinder/knotfinder.db" \
         "~/.local/share/knotfinder/knotfinder.db" "KNOTFINDER_NO_SAVE" "consultation" "check-ins"; do
    has "$help" "$w" && ok "--help mentions $w" || bad "--help mentions $w"
done
"$bin" --no-such-option >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "an unknown global option exits 2" || bad "an unknown global option exits 2" "rc=$rc"
# Every command the help lists runs (with --help or a harmless argument)
# and is not an "unknown command".
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p' <<<"$help")
[ "$(wc -w <<<"$cmds")" -ge 10 ] && ok "--help lists the commands ($(wc -w <<<"$cmds"))" ||
    bad "--help lists the commands" "$cmds"
for c in $cmds; do
    "$bin" --db "$tmp/help.db" "$c" --help </dev/null >"$tmp/c.out" 2>&1
    if grep -q "unknown command" "$tmp/c.out"; then bad "'$c' from --help is a command"
    else ok "'$c' from --help is a command"; fi
done

# ---- the man page -----------------------------------------------------------
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
    bad "man and groff are installed (apt-get install man-db groff-base)"
else
    warn=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >"$tmp/man.txt")
    [ -z "$warn" ] && ok "man --warnings -l renders the man page without a warning" ||
        bad "man --warnings -l renders the man page without a warning" "$warn"
    warn=$(groff -ww -man -Tutf8 -z "$man" 2>&1)
    [ -z "$warn" ] && ok "groff -ww -man finds nothing to warn about" || bad "groff -ww -man finds nothing to warn about" "$warn"
    text=$(cat "$tmp/man.txt")
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" ENVIRONMENT FILES; do
        grep -q "^$s\$" "$tmp/man.txt" && ok "man page has the section $s" || bad "man page has the section $s"
    done
    # Each command of --help has its own subsection (an indented heading).
    for c in $cmds; do
        grep -qE "^   $c( |\$)" "$tmp/man.txt" && ok "man page documents the command '$c'" ||
            bad "man page documents the command '$c'"
    done
    # Every option string the program compares its arguments with.
    opts=$(grep -ohE '"--[a-z][a-z-]*"' src/main.c src/cmd_*.c src/http.c | tr -d '"' | sort -u)
    for o in $opts; do
        has "$text" "$o" && ok "man page documents $o" || bad "man page documents $o"
    done
    # Every environment variable the program reads.
    envs=$(grep -ohE 'getenv\("[A-Z_]+"\)' src/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
    for e in $envs; do
        sed -n '/^ENVIRONMENT$/,/^[A-Z]/p' "$tmp/man.txt" | grep -qE "^       $e( |\$)" &&
            ok "man page ENVIRONMENT lists $e" || bad "man page ENVIRONMENT lists $e"
    done
    # Every exit status the program uses (cli.h) is explained.
    for n in $(grep -oE 'KF_EXIT_[A-Z]+ = [0-9]+' src/cli.h | grep -v FLAG | sed 's/.*= //'); do
        sed -n '/^EXIT STATUS$/,/^[A-Z]/p' "$tmp/man.txt" | grep -qE "^       $n( |\$)" &&
            ok "man page EXIT STATUS explains $n" || bad "man page EXIT STATUS explains $n"
    done
    has "$(sed -n '/^FILES$/,/^[A-Z]/p' "$tmp/man.txt")" ".local/share/knotfinder/knotfinder.db" &&
        ok "man page FILES names the ~/.local/share fallback" || bad "man page FILES names the ~/.local/share fallback"
fi

# ---- make check / make test, LICENSE -----------------------------------------
for t in check test; do
    n=$(make -n "$t" 2>&1)
    if has "$n" "tests/run.sh" && ! grep -qE '^(cp|cat) .*test' <<<"$n"; then ok "make -n $t runs tests/run.sh"
    else bad "make -n $t runs tests/run.sh" "$n"; fi
done
has "$(make -n check QUICK=1 2>&1)" "tests/run.sh --quick" && ok "make check QUICK=1 runs the quick suite" ||
    bad "make check QUICK=1 runs the quick suite"
[ ! -e test ] && ok "no ./test was made by make" || bad "no ./test was made by make"
[ -s LICENSE ] && grep -q "Permission is hereby granted" LICENSE && ok "LICENSE states the MIT licence" ||
    bad "LICENSE states the MIT licence"

# ---- make install DESTDIR=... (PREFIX /usr/local) -----------------------------
dest=$tmp/root
if make -s DESTDIR="$dest" install >"$tmp/install.log" 2>&1; then ok "make install DESTDIR=… succeeds"
else bad "make install DESTDIR=… succeeds" "$(tail -n 5 "$tmp/install.log")"; fi
ib=$dest/usr/local/bin/knotfinder
idata=$dest/usr/local/share/knotfinder
check "the binary is installed executable" test -x "$ib"
nkb=$(ls kb/*.kb | wc -l); nweb=$(ls web | wc -l)
[ "$(ls "$idata/kb"/*.kb 2>/dev/null | wc -l)" = "$nkb" ] && ok "all $nkb KB files are installed" ||
    bad "all $nkb KB files are installed"
[ "$(ls "$idata/web" 2>/dev/null | wc -l)" = "$nweb" ] && ok "all $nweb web files are installed" ||
    bad "all $nweb web files are installed"
check "the man page is installed" test -s "$dest/usr/local/share/man/man1/knotfinder.1"
check "LICENSE is installed" test -s "$dest/usr/local/share/doc/knotfinder/LICENSE"
if command -v man >/dev/null; then
    w=$(man --warnings -l "$dest/usr/local/share/man/man1/knotfinder.1" 2>&1 >/dev/null)
    [ -z "$w" ] && ok "the installed man page renders without a warning" || bad "the installed man page renders without a warning" "$w"
fi
perm=$(stat -c %a "$ib" "$idata/kb/$(ls kb | head -n 1)" 2>/dev/null | tr '\n' ' ')
[ "$perm" = "755 644 " ] && ok "modes: binary 755, data 644" || bad "modes: binary 755, data 644" "$perm"

# Run from a folder with no kb/ or web/ in sight.
mkdir -p "$tmp/cwd" && cd "$tmp/cwd" || exit 1
out=$("$ib" kb check 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "$idata/kb" && ok "the installed binary loads its own installed KB" ||
    bad "the installed binary loads its own installed KB" "rc=$rc: $out"
out=$("$ib" ask "knot between my right shoulder blade and spine, I use the mouse all day" 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "rhomboid" && ok "the installed binary answers a consultation" ||
    bad "the installed binary answers a consultation" "rc=$rc: $(head -c 300 <<<"$out")"
[ -f "$tmp/data/knotfinder/knotfinder.db" ] && ok "it saved it under \$XDG_DATA_HOME/knotfinder/" ||
    bad "it saved it under \$XDG_DATA_HOME/knotfinder/"
# Without XDG_DATA_HOME the journal goes to ~/.local/share, as --help says.
out=$(env -u XDG_DATA_HOME HOME="$tmp/home" "$ib" log --pain 3 2>&1); rc=$?
[ $rc = 0 ] && [ -f "$tmp/home/.local/share/knotfinder/knotfinder.db" ] &&
    ok "without XDG_DATA_HOME the journal is ~/.local/share/knotfinder/knotfinder.db" ||
    bad "without XDG_DATA_HOME the journal is ~/.local/share/knotfinder/knotfinder.db" "rc=$rc: $out"
# Overrides still win: a broken KB named by --kb or $KNOTFINDER_KB is used.
mkdir -p "$tmp/badkb" && echo "this is not a kb" >"$tmp/badkb/00-bad.kb"
"$ib" --kb "$tmp/badkb" kb check >/dev/null 2>&1; rc=$?
[ $rc = 4 ] && ok "--kb overrides the installed KB" || bad "--kb overrides the installed KB" "rc=$rc"
KNOTFINDER_KB="$tmp/badkb" "$ib" kb check >/dev/null 2>&1; rc=$?
[ $rc = 4 ] && ok "\$KNOTFINDER_KB overrides the installed KB" || bad "\$KNOTFINDER_KB overrides the installed KB" "rc=$rc"

# serve finds the installed web files: the page comes back over HTTP.
if command -v curl >/dev/null; then
    "$ib" serve --port 0 --bind 127.0.0.1 >"$tmp/serve.log" 2>&1 &
    pids+=($!)
    url=
    for _ in $(seq 1 100); do
        url=$(sed -n 's|^knotfinder: serving \(http://[^ ]*\).*|\1|p' "$tmp/serve.log" | head -n 1)
        [ -n "$url" ] && break
        sleep 0.1
    done
    page=$(curl -s --max-time 10 "$url" 2>&1)
    if [ -n "$url" ] && has "$page" "<html" && ! grep -q "no web folder" "$tmp/serve.log"; then
        ok "the installed server serves the installed web app"
    else bad "the installed server serves the installed web app" "$(cat "$tmp/serve.log")"; fi
    kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pids=()
else
    bad "curl is installed (apt-get install curl)"
fi
cd "$root" || exit 1

if make -s DESTDIR="$dest" uninstall >"$tmp/uninstall.log" 2>&1 &&
   [ -z "$(find "$dest" -type f)" ]; then ok "make uninstall removes every installed file"
else bad "make uninstall removes every installed file" "$(find "$dest" -type f | head -n 5)"; fi

# ---- PREFIX: the data folder compiled in ------------------------------------
# A build for PREFIX=$tmp/prefix (only main.o is rebuilt: the other objects
# are copied with their times), installed without DESTDIR, then the binary
# moved away from its prefix: it still finds the KB through the compiled-in
# data folder.
prefix=$tmp/prefix
mkdir -p "$tmp/b/obj" && cp -p build/obj/*.o "$tmp/b/obj/" 2>/dev/null
if make -s BUILD="$tmp/b" PREFIX="$prefix" install >"$tmp/prefix.log" 2>&1; then
    ok "make install PREFIX=… succeeds"
else bad "make install PREFIX=… succeeds" "$(tail -n 5 "$tmp/prefix.log")"; fi
has "$("$prefix/bin/knotfinder" --version 2>&1)" "data: $prefix/share/knotfinder" &&
    ok "--version of a PREFIX build names \$PREFIX/share/knotfinder" ||
    bad "--version of a PREFIX build names \$PREFIX/share/knotfinder" "$("$prefix/bin/knotfinder" --version 2>&1)"
mkdir -p "$tmp/elsewhere"
cp "$prefix/bin/knotfinder" "$tmp/elsewhere/" 2>/dev/null
cd "$tmp/cwd" || exit 1
out=$("$tmp/elsewhere/knotfinder" kb check 2>&1); rc=$?
[ $rc = 0 ] && has "$out" "$prefix/share/knotfinder/kb" &&
    ok "a binary moved away from its prefix finds the KB of the compiled-in data folder" ||
    bad "a binary moved away from its prefix finds the KB of the compiled-in data folder" "rc=$rc: $out"
has "$(cat "$prefix/share/man/man1/knotfinder.1")" "$prefix/share/knotfinder/kb" &&
    ok "the installed man page names the installed data folder" ||
    bad "the installed man page names the installed data folder"
cd "$root" || exit 1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
