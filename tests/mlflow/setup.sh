#!/usr/bin/env bash
# Install the pinned MLflow (requirements.txt: the tracking server with its Model
# Registry, and the Python client) into a venv, once; print the venv's python, whose
# folder also holds the `mlflow` command. Fast when the venv already matches.
#   AIIR_MLFLOW_VENV   where the venv lives [default: ~/.cache/aiir/mlflow-venv]
# Needs python3 with the venv module (Debian: apt-get install python3-venv) and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../venv.sh" mlflow "$here/requirements.txt" "${AIIR_MLFLOW_VENV:-$HOME/.cache/aiir/mlflow-venv}"
