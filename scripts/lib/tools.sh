# shellcheck shell=bash
# Command-line tools some tests drive as real servers or clients (Prometheus, Chromium). Source it,
# then:
#   tool_ensure COMMAND PACKAGE   install the Debian PACKAGE when COMMAND is not on PATH (as root)

_tools_log() { echo "tools.sh: $*" >&2; }

tool_ensure() {
  local command="$1" package="$2"
  if command -v "$command" > /dev/null 2>&1; then
    return 0
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    _tools_log "$command not found; install it (apt-get install $package) or run as root"
    return 1
  fi
  _tools_log "installing $package"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package" >&2
  command -v "$command" > /dev/null 2>&1 || {
    _tools_log "$package installed but $command is not on PATH"
    return 1
  }
}
