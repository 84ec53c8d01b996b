#!/usr/bin/env bash
# A private PostgreSQL server for the tests, from Debian's `postgresql`
# package: initdb + pg_ctl in a folder of the caller's, listening on a unix
# socket in that folder only (no TCP), trust authentication for the local
# socket, stopped by the caller (trap 'tests/pg/pg.sh stop DIR' EXIT).
#   tests/pg/pg.sh start DIR   make and start a server in DIR (empty or new)
#   tests/pg/pg.sh url DIR [DB]  the URI of database DB (default postgres)
#   tests/pg/pg.sh bouncer DIR PgBouncer (transaction pooling) in front of it,
#                              socket DIR/bsock, port 6432; 77 without it
#   tests/pg/pg.sh restart DIR stop (fast: every connection closed) and start again
#   tests/pg/pg.sh standby DIR a hot standby (pg_basebackup -R), socket DIR/ssock
#   tests/pg/pg.sh stop DIR    stop them all (immediate mode) and remove DIR
#   tests/pg/pg.sh bin         the folder of initdb, or exit 77
# The server is a scratch one: initdb and pg_basebackup do not sync their
# files and the server runs with fsync=off.  Every commit is still written
# to the WAL (write(2)) before it is acknowledged, so a crash of a server
# process (kill -9, the tests' case) loses nothing acknowledged; only a
# crash of the machine itself could, and no test makes one.
# Exit status 77 with "SKIP: no postgresql" on stderr when initdb is not
# installed (scripts/install-deps.sh --test installs it; CI never skips).
# As root, the server runs as the `postgres` user (initdb refuses root).
set -u
PGUSER_NAME=kf

bindir() {
  local d
  if [ -n "${KF_PG_BIN:-}" ] && [ -x "$KF_PG_BIN/initdb" ]; then echo "$KF_PG_BIN"; return 0; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  d=$(command -v initdb 2>/dev/null) && { dirname "$d"; return 0; }
  return 1
}

as_owner() {  # runs a command as the server's owner
  if [ "$(id -u)" -eq 0 ]; then
    local u=postgres
    id -u "$u" >/dev/null 2>&1 || u=nobody
    setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}; dir=${2:-}
case $cmd in
  bin)
    bindir || { echo "SKIP: no postgresql (initdb not found)" >&2; exit 77; } ;;
  start)
    [ -n "$dir" ] || { echo "usage: $0 start DIR" >&2; exit 2; }
    B=$(bindir) || { echo "SKIP: no postgresql (initdb not found)" >&2; exit 77; }
    mkdir -p "$dir/sock"
    if [ "$(id -u)" -eq 0 ]; then
      u=postgres; id -u "$u" >/dev/null 2>&1 || u=nobody
      chown -R "$u" "$dir"; chmod 755 "$dir"
    fi
    as_owner "$B/initdb" -D "$dir/data" -U "$PGUSER_NAME" -A trust -E UTF8 \
      --locale=C.UTF-8 --no-instructions --no-sync >"$dir/initdb.log" 2>&1 ||
      { echo "pg.sh: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
    # No TCP (listen_addresses empty): the socket in DIR/sock is the only way in.
    as_owner "$B/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-k $dir/sock -c listen_addresses= -c max_connections=60 -c shared_buffers=16MB -c fsync=off" \
      start >/dev/null ||
      { echo "pg.sh: the server did not start:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
    ;;
  url)
    echo "postgresql://$PGUSER_NAME@/${3:-postgres}?host=$dir/sock" ;;
  restart)
    # Stops the server (fast mode: every connection is closed) and starts
    # it again with the same options; returns when it takes connections.
    B=$(bindir) || exit 77
    as_owner "$B/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null ||
      { echo "pg.sh: the server did not restart:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; } ;;
  standby)
    # A hot standby of the server: pg_basebackup -R (streaming from it) into
    # DIR/standby, listening on its own socket folder DIR/ssock.
    B=$(bindir) || exit 77
    mkdir -p "$dir/ssock"
    [ "$(id -u)" -eq 0 ] && chown "$(stat -c %U "$dir/data")" "$dir/ssock"
    as_owner "$B/pg_basebackup" -h "$dir/sock" -U "$PGUSER_NAME" -D "$dir/standby" -R -X stream \
      -c fast --no-sync >"$dir/basebackup.log" 2>&1 ||
      { echo "pg.sh: pg_basebackup failed:" >&2; tail -n 5 "$dir/basebackup.log" >&2; exit 1; }
    as_owner "$B/pg_ctl" -D "$dir/standby" -l "$dir/standby.log" -w -t 60 \
      -o "-k $dir/ssock -c listen_addresses= -c hot_standby=on -c fsync=off" start >/dev/null ||
      { echo "pg.sh: the standby did not start:" >&2; tail -n 20 "$dir/standby.log" >&2; exit 1; } ;;
  bouncer)
    # PgBouncer in transaction pooling mode in front of the server, on a unix
    # socket in DIR/bsock (port 6432), at most 2 server connections per
    # database: clients share them between transactions, so anything that
    # kept state on a connection would break.  Exit 77 without pgbouncer.
    PB=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    [ -x "$PB" ] || { echo "SKIP: no pgbouncer" >&2; exit 77; }
    mkdir -p "$dir/bsock"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$dir/sock user=$PGUSER_NAME
[pgbouncer]
listen_addr =
listen_port = 6432
unix_socket_dir = $dir/bsock
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
server_reset_query =
; after a server restart or crash, try logging in again within a second (default 15 s)
server_login_retry = 1
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    echo "\"$PGUSER_NAME\" \"\"" >"$dir/userlist.txt"
    [ "$(id -u)" -eq 0 ] && chown -R "$(stat -c %U "$dir/data")" "$dir/bsock" "$dir/pgbouncer.ini" "$dir/userlist.txt"
    as_owner "$PB" -d "$dir/pgbouncer.ini" >/dev/null 2>&1 ||
      { echo "pg.sh: pgbouncer did not start:" >&2; tail -n 5 "$dir/pgbouncer.log" >&2; exit 1; }
    for _ in $(seq 1 50); do [ -S "$dir/bsock/.s.PGSQL.6432" ] && break; sleep 0.1; done
    [ -S "$dir/bsock/.s.PGSQL.6432" ] ;;
  stop)
    [ -n "$dir" ] && [ -d "$dir/data" ] || exit 0
    B=$(bindir) || exit 0
    [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null
    [ -d "$dir/standby" ] && as_owner "$B/pg_ctl" -D "$dir/standby" -m immediate -w stop >/dev/null 2>&1
    as_owner "$B/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir" ;;
  *)
    echo "usage: $0 start|url|bouncer|restart|standby|stop DIR | bin" >&2; exit 2 ;;
esac
