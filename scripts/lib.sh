# shellcheck shell=bash
# Sourced by the scripts/*.sh that fetch or build a tool once and keep it in the shared cache (Kafka's
# jars, the Collector, promtool, Node.js binaries, schemathesis): the cache folder, messages, and the
# steps that make an install all-or-nothing (a killed run never leaves a half install that looks done).

# $ERRORSCOPE_CACHE, default $XDG_CACHE_HOME/errorscope or ~/.cache/errorscope.
CACHE="${ERRORSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/errorscope}"

# Messages go to stderr, prefixed with the script's name; stdout carries only the paths printed.
say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# need COMMAND MESSAGE: dies with MESSAGE when COMMAND is not on PATH.
need() { command -v "$1" >/dev/null 2>&1 || die "$2"; }

# install_bin FILE BIN: puts FILE at BIN in one rename, then prints BIN.
install_bin() {
  mkdir -p "$(dirname "$2")"
  cp "$1" "$2.tmp"
  mv "$2.tmp" "$2"
  echo "$2"
}

# A folder filled in several steps (a venv, a download) counts as installed once its marker exists,
# and the marker is written last.
is_complete() { [[ -f "$1/.complete" ]]; }
mark_complete() { touch "$1/.complete"; }

# go_tool_main ARG...: the command line of a tool built from the Go module proxy, given the script's
# own `find_bin` (print the binary's path, fail when there is none) and `build` (build it, print its path).
go_tool_main() {
  case "${1:-}" in
  build) find_bin || build ;;
  path) find_bin ;;
  *) die "usage: scripts/${0##*/} build|path" ;;
  esac
}
