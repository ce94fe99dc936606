#!/usr/bin/env bash
# Install pinned Python packages into a venv, once; print the venv's python. Fast when
# the venv already matches the requirements file. Shared by the tests' set-ups:
#   bash tests/venv.sh NAME REQUIREMENTS VENV
# Needs python3 with the venv module (Debian: apt-get install python3-venv) and PyPI.
set -euo pipefail
name="$1" requirements="$2" venv="$3"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
stamp="$venv/.aiir-requirements"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "$name: installing $requirements into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
      -r "$requirements" >&2
    echo "$want" >"$stamp"
  fi
fi
echo "$venv/bin/python"
