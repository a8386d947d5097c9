# shellcheck shell=bash
# One throwaway PostgreSQL on a free loopback port, for scripts/test.sh, scripts/bench.sh and scripts/bench-hangfire.sh
# (sourced, not run). PostgreSQL refuses to run as root, so it runs as the postgres user the Debian package creates.
#
#   throwaway_postgres_install             installs Debian's postgresql when initdb is missing (one apt-get update,
#                                          shared with the caller through $apt_updated)
#   throwaway_postgres_start [SETTING...]  initdb and start; each SETTING is a -c name=value (e.g. max_connections=400);
#                                          sets pg_bin, pg_dir, pg_port and pg_connection (an Npgsql connection string)
#   throwaway_postgres_stop                stops it and deletes its folder; safe to call when none was started (EXIT traps)

pg_dir=""

throwaway_postgres_install() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  if [ "${apt_updated:-0}" = 0 ]; then apt-get update -q >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
}

throwaway_postgres_start() {
  local settings="-c listen_addresses=127.0.0.1" setting
  for setting in "$@"; do settings="$settings -c $setting"; done
  pg_bin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"
  pg_dir="$(mktemp -d -t baton-pg-XXXXXX)"
  chown postgres "$pg_dir"
  pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U baton >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start -o "-p $pg_port -k $pg_dir $settings" >/dev/null
  pg_connection="Host=127.0.0.1;Port=$pg_port;Username=baton;Database=postgres"
}

throwaway_postgres_stop() {
  [ -n "$pg_dir" ] || return 0
  if [ -f "$pg_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  fi
  rm -rf "$pg_dir"
  pg_dir=""
}
