#!/usr/bin/env bash
# Install the pinned OpenTelemetry Python packages (requirements.txt) into a venv, once;
# print the venv's python. Fast when the venv already matches requirements.txt.
#   AIIR_OTEL_VENV   where the venv lives [default: ~/.cache/aiir/otel-venv]
# Needs python3 with the venv module (Debian: apt-get install python3-venv) and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../venv.sh" otel "$here/requirements.txt" "${AIIR_OTEL_VENV:-$HOME/.cache/aiir/otel-venv}"
