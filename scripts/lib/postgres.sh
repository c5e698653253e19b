# shellcheck shell=bash
# A private PostgreSQL for copyjob's tests. Source it, then:
#   pg_ensure   find or install the server, init and start a cluster, create role and database,
#               export COPYJOB_TEST_PG_URL / _USER / _PASSWORD (idempotent)
#   pg_port     the port of that cluster (the one it runs on, else the one it would start on)
#   pg_stop     stop that cluster, returning once it is gone
#
# The cluster lives in $ROOT/.local-stack/postgres (git-ignored), listens on 127.0.0.1 only, port
# ${COPYJOB_PG_PORT:-55432}. Its Unix socket sits in a short private directory under /tmp (socket
# paths are limited to ~107 bytes) that only the cluster's OS user can enter; local connections
# there are trusted, TCP connections need a password.
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` OS user
# (created when missing). When that user cannot reach $ROOT (a checkout under /root, or a
# directory without o+x on the way), the cluster goes to /tmp/copyjob-pg-<hash of ROOT> instead.

_COPYJOB_PG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

_pg_log() { echo "postgres.sh: $*" >&2; }

# The directory of the server binaries (pg_ctl, initdb, postgres, psql), installing when missing.
_pg_bindir() {
  local ctl dir
  ctl="$(command -v pg_ctl 2>/dev/null || true)"
  if [[ -n "$ctl" ]]; then
    dirname "$(readlink -f "$ctl")"
    return 0
  fi
  # Debian's postgresql package keeps its binaries off PATH.
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
    echo "$dir"
    return 0
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    _pg_log "no PostgreSQL server found; install it (apt-get install postgresql) or run as root"
    return 1
  fi
  _pg_log "installing PostgreSQL"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -z "$dir" || ! -x "$dir/pg_ctl" ]]; then
    _pg_log "PostgreSQL installed but pg_ctl not found under /usr/lib/postgresql/*/bin"
    return 1
  fi
  echo "$dir"
}

_pg_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then echo postgres; else id -un; fi
}

# Runs a command as the cluster's OS user, from / (the caller's directory may be closed to it).
_pg_as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

_pg_hash() { printf '%s' "$_COPYJOB_PG_ROOT" | sha256sum | cut -c1-12; }

# Where the cluster lives: under the checkout if its owner can use that, else under /tmp.
_pg_base() {
  local base="$_COPYJOB_PG_ROOT/.local-stack/postgres"
  mkdir -p "$base"
  if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres: "$base"
    chmod 700 "$base"
    if ! _pg_as_owner test -w "$base" -a -x "$base" 2>/dev/null; then
      base="/tmp/copyjob-pg-$(_pg_hash)"
      mkdir -p "$base"
      chown postgres: "$base"
      chmod 700 "$base"
    fi
  fi
  echo "$base"
}

_pg_sockdir() {
  local dir="/tmp/.copyjob-pg-$(_pg_hash)"
  mkdir -p "$dir"
  if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$dir"; fi
  chmod 700 "$dir"
  echo "$dir"
}

_pg_ensure_os_user() {
  if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    _pg_log "creating OS user postgres"
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
  fi
}

# psql as the superuser through the private socket.
_pg_psql() {
  _pg_as_owner "$_COPYJOB_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$_COPYJOB_PG_SOCK" \
    -p "$_COPYJOB_PG_PORT" -U postgres -d postgres "$@"
}

pg_ensure() {
  local bin base data sock port
  port="${COPYJOB_PG_PORT:-55432}"
  bin="$(_pg_bindir)" || return 1
  _pg_ensure_os_user
  base="$(_pg_base)"
  data="$base/data"
  sock="$(_pg_sockdir)"
  _COPYJOB_PG_BIN="$bin" _COPYJOB_PG_SOCK="$sock"

  if [[ ! -f "$data/PG_VERSION" ]]; then
    _pg_log "initialising a cluster in $data"
    _pg_as_owner "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C \
      --auth-local=trust --auth-host=scram-sha-256 >"$base/initdb.log" 2>&1 || {
      cat "$base/initdb.log" >&2
      return 1
    }
  fi

  if _pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    # Already running (an earlier call): on the port it was started with.
    port="$(cat "$base/port" 2>/dev/null || echo "$port")"
  else
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; then
      if [[ -n "${COPYJOB_PG_PORT:-}" ]]; then
        _pg_log "port $port is taken by another server; set COPYJOB_PG_PORT to a free port"
        return 1
      fi
      # Another checkout's server holds the default port: take the next free one.
      local tries=0
      while "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; do
        port=$((port + 1)) tries=$((tries + 1))
        if ((tries > 50)); then
          _pg_log "no free port from ${COPYJOB_PG_PORT:-55432} on; set COPYJOB_PG_PORT"
          return 1
        fi
      done
    fi
    echo "$port" >"$base/port"
    _pg_log "starting PostgreSQL on 127.0.0.1:$port"
    local attempt
    for attempt in 1 2 3; do
      if _pg_as_owner "$bin/pg_ctl" -D "$data" -l "$base/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $sock" start >/dev/null; then
        break
      fi
      # The default port lies in the kernel's range for outgoing connections: a client socket
      # can hold it for a moment. Wait, and try again, before giving up.
      if ((attempt < 3)) && tail -n 5 "$base/postgres.log" | grep -q 'Address already in use'; then
        _pg_log "port $port is busy for a moment; trying again"
        sleep 3
        continue
      fi
      _pg_log "start failed; the log says:"
      tail -n 20 "$base/postgres.log" >&2
      return 1
    done
  fi

  _COPYJOB_PG_PORT="$port"
  if [[ "$(_pg_psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'copyjob'")" != 1 ]]; then
    _pg_psql -c "CREATE ROLE copyjob LOGIN PASSWORD 'copyjob'" || return 1
  fi
  if [[ "$(_pg_psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'copyjob_test'")" != 1 ]]; then
    _pg_psql -c "CREATE DATABASE copyjob_test OWNER copyjob" || return 1
  fi

  export COPYJOB_TEST_PG_URL="jdbc:postgresql://127.0.0.1:$port/copyjob_test"
  export COPYJOB_TEST_PG_USER=copyjob
  export COPYJOB_TEST_PG_PASSWORD=copyjob
  _pg_log "ready: $COPYJOB_TEST_PG_URL"
}

# The port of this checkout's cluster: the one it was started on (COPYJOB_PG_PORT, or the next
# free one when the default was taken) while something listens there, else the one it would be
# started on. Changes nothing.
pg_port() {
  local file port
  for file in "$_COPYJOB_PG_ROOT/.local-stack/postgres/port" "/tmp/copyjob-pg-$(_pg_hash)/port"; do
    if [[ -s "$file" ]]; then
      port="$(cat "$file")"
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "$port"
        return 0
      fi
    fi
  done
  echo "${COPYJOB_PG_PORT:-55432}"
}

pg_stop() {
  local bin data
  bin="$(_pg_bindir)" || return 1
  data="$(_pg_base)/data"
  if [[ -f "$data/PG_VERSION" ]] && _pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    _pg_as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    _pg_log "stopped"
  fi
}
