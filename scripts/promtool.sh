#!/usr/bin/env bash
# Prometheus's promtool, for `promtool test rules` on prometheus/errorscope-rules.yml.
#
# Built with `go install github.com/prometheus/prometheus/cmd/promtool@<module version>` from the Go
# module proxy and cached in $ERRORSCOPE_CACHE/bin/promtool-<version>, so only the first run builds it.
# An installed promtool on PATH is used as is. Needs Go for the build.
#
#   scripts/promtool.sh build   build once (no-op when cached); prints the binary's path
#   scripts/promtool.sh path    print the binary's path; exit 1 when there is none
#
# Environment: PROMTOOL_VERSION (Go module version, default v0.316.0 = Prometheus 3.16.0),
# ERRORSCOPE_CACHE (default ~/.cache/errorscope).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION="${PROMTOOL_VERSION:-v0.316.0}"
BIN="$CACHE/bin/promtool-$VERSION"

find_bin() {
  if [[ -x "$BIN" ]]; then
    echo "$BIN"
  elif command -v promtool >/dev/null 2>&1; then
    command -v promtool
  else
    return 1
  fi
}

build() {
  need go "go not found: install Go, or put promtool on PATH"
  local work="$CACHE/promtool-build-$VERSION"
  mkdir -p "$work"
  say "building promtool $VERSION (a few minutes the first time)"
  GOBIN="$work" go install "github.com/prometheus/prometheus/cmd/promtool@$VERSION"
  install_bin "$work/promtool" "$BIN"
}

go_tool_main "$@"
