#!/usr/bin/env bash
# Install the pinned OpenTelemetry Python packages (requirements.txt) into a venv, once;
# print the venv's python. Fast when the venv already matches requirements.txt.
#   AIIR_OTEL_VENV   where the venv lives [default: ~/.cache/aiir/otel-venv]
# Needs python3 with the venv module (Debian: apt-get install python3-venv) and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${AIIR_OTEL_VENV:-$HOME/.cache/aiir/otel-venv}"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
stamp="$venv/.aiir-requirements"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "otel: installing tests/otel/requirements.txt into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
      -r "$here/requirements.txt" >&2
    echo "$want" >"$stamp"
  fi
fi
echo "$venv/bin/python"
