# shellcheck shell=bash
# Azurite, Microsoft's Azure Storage emulator, for copyjob's tests and local stack. Source it, then:
#   azurite_ensure   install Azurite (npm, into .local-stack/) when missing, start its Blob, Queue
#                    and Table services on 127.0.0.1 unless it runs, export
#                    COPYJOB_TEST_AZURITE_BLOB_ENDPOINT, ..._QUEUE_ENDPOINT and ..._TABLE_ENDPOINT
#   azurite_stop     stop it
#
# Data lives in $ROOT/.local-stack/azurite (git-ignored). The Blob port is
# ${COPYJOB_AZURITE_PORT:-10000} (Queue and Table the next two), or the next free three when another
# checkout's Azurite holds them. The queues are what Kusto's ingest SDK writes into (its tests). Azurite answers with the
# emulator's well-known account devstoreaccount1 and its published key.

_COPYJOB_AZ_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_COPYJOB_AZ_VERSION="3.37.0"

_az_log() { echo "azurite.sh: $*" >&2; }

_az_bin() {
  local base="$_COPYJOB_AZ_ROOT/.local-stack"
  if [[ ! -x "$base/node_modules/.bin/azurite" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
      if [[ "$(id -u)" -ne 0 ]]; then
        _az_log "npm is missing; install Node.js and npm"
        return 1
      fi
      _az_log "installing Node.js and npm"
      DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >&2
    fi
    _az_log "installing azurite $_COPYJOB_AZ_VERSION"
    mkdir -p "$base"
    npm install --prefix "$base" --no-audit --no-fund --loglevel=error \
      "azurite@$_COPYJOB_AZ_VERSION" >&2 || return 1
  fi
  # All three services: an install made when only the Blob service was started has this too.
  echo "$base/node_modules/.bin/azurite"
}

_az_answers() { # port: whether something listens there
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Whether process $1 runs: a killed process that nobody reaps yet passes `kill -0` (PID 1 may reap
# nothing), so its state is read instead.
_az_alive() {
  [[ -r "/proc/$1/status" ]] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status"
}

azurite_ensure() {
  local bin base port pidfile
  bin="$(_az_bin)" || return 1
  base="$_COPYJOB_AZ_ROOT/.local-stack/azurite"
  pidfile="$base/azurite.pid"
  mkdir -p "$base"
  if [[ -f "$pidfile" ]] && _az_alive "$(cat "$pidfile")" &&
    ! _az_answers $(($(cat "$base/port") + 1)); then
    # Started by an earlier version with the blob service alone: the queue is needed now.
    _az_log "restarting Azurite with its queue and table services"
    azurite_stop
  fi
  if [[ -f "$pidfile" ]] && _az_alive "$(cat "$pidfile")"; then
    port="$(cat "$base/port")"
  else
    port="${COPYJOB_AZURITE_PORT:-10000}"
    while _az_answers "$port" || _az_answers $((port + 1)) || _az_answers $((port + 2)); do
      if [[ -n "${COPYJOB_AZURITE_PORT:-}" ]]; then
        _az_log "port $port is taken; set COPYJOB_AZURITE_PORT to a free port"
        return 1
      fi
      port=$((port + 3))
    done
    echo "$port" >"$base/port"
    _az_log "starting Azurite on 127.0.0.1:$port"
    # --loose and --skipApiVersionCheck: the SDK may be newer than the emulator; --silent: no
    # access log (Azurite is single-threaded and the log costs it time).
    nohup "$bin" --blobHost 127.0.0.1 --blobPort "$port" --queueHost 127.0.0.1 \
      --queuePort $((port + 1)) --tableHost 127.0.0.1 --tablePort $((port + 2)) \
      --location "$base/data" --silent --loose --skipApiVersionCheck >"$base/azurite.log" 2>&1 &
    echo $! >"$pidfile"
    local tries=0
    until _az_answers "$port" && _az_answers $((port + 1)) && _az_answers $((port + 2)); do
      tries=$((tries + 1))
      if ((tries > 100)) || ! _az_alive "$(cat "$pidfile")"; then
        _az_log "Azurite did not start; its log says:"
        tail -n 20 "$base/azurite.log" >&2
        return 1
      fi
      sleep 0.2
    done
  fi
  export COPYJOB_TEST_AZURITE_BLOB_ENDPOINT="http://127.0.0.1:$port/devstoreaccount1"
  export COPYJOB_TEST_AZURITE_QUEUE_ENDPOINT="http://127.0.0.1:$((port + 1))/devstoreaccount1"
  export COPYJOB_TEST_AZURITE_TABLE_ENDPOINT="http://127.0.0.1:$((port + 2))/devstoreaccount1"
  _az_log "ready: $COPYJOB_TEST_AZURITE_BLOB_ENDPOINT"
}

# Returns once Azurite is gone and its port is free (a start right after finds it so), killing it
# outright when it takes more than 30 s; fails when its port is still taken then.
azurite_stop() {
  local base="$_COPYJOB_AZ_ROOT/.local-stack/azurite" pid port tries=0
  [[ -f "$base/azurite.pid" ]] || return 0
  pid="$(cat "$base/azurite.pid")"
  port="$(cat "$base/port" 2>/dev/null || true)"
  if _az_alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    while _az_alive "$pid" || { [[ -n "$port" ]] && _az_answers "$port"; }; do
      tries=$((tries + 1))
      if ((tries == 150)); then
        _az_log "Azurite did not stop within 30 s; killing it"
        kill -9 "$pid" 2>/dev/null || true
      elif ((tries > 175)); then
        _az_log "port $port is still taken after stopping Azurite"
        return 1
      fi
      sleep 0.2
    done
    _az_log "stopped"
  fi
  rm -f "$base/azurite.pid"
}
