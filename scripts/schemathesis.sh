#!/usr/bin/env bash
# Installs schemathesis (PyPI) into a cached venv under ~/.cache/errorscope once, then runs it with the
# given arguments. `scripts/schemathesis.sh --install-only` only installs and prints the binary's path.
# Needs Python 3.9+ with venv: the newest of python3.13, python3.12 (also pyenv's), python3 that runs
# (CPython 3.11's ast.parse trips on hypothesis' lambda descriptions: "AST constructor recursion depth
# mismatch"), or SCHEMATHESIS_PYTHON. SCHEMATHESIS_VERSION changes the pinned version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
version="${SCHEMATHESIS_VERSION:-4.32.5}"
python="${SCHEMATHESIS_PYTHON:-}"
if [[ -z "$python" ]]; then
  for candidate in python3.13 python3.12 "$HOME"/.pyenv/versions/3.13*/bin/python3 \
    "$HOME"/.pyenv/versions/3.12*/bin/python3 python3; do
    if "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 9))' >/dev/null 2>&1; then
      python="$candidate"
      break
    fi
  done
fi
[[ -n "$python" ]] || die "no python3 (3.9+, with venv) found; the API fuzz step needs one"
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
venv="$CACHE/schemathesis-$version-py$pyver"
bin="$venv/bin/st"
# A half-finished install (killed pip) is redone, never used.
if ! is_complete "$venv"; then
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version" >&2
  mark_complete "$venv"
fi
if [[ "${1:-}" == "--install-only" ]]; then echo "$bin"; exit 0; fi
exec "$bin" "$@"
