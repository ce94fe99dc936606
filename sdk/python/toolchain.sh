#!/usr/bin/env bash
# Install the pinned Python plugin toolchain (componentize-py, and pytest for the SDK's
# native tests) into a venv under ${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/python.
# Idempotent: a no-op when that exact set is present. The last line of stdout is the
# directory to prepend to PATH; everything else goes to stderr.
#
#   export PATH="$(sdk/python/toolchain.sh | tail -n1):$PATH"
#
# Needs python3 >= 3.10 with the venv module (set AIIR_PYTHON to choose another) and
# PyPI. Cold: ~20 s and ~60 MB of downloads; warm: a few milliseconds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
python=${AIIR_PYTHON:-python3}
root=${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/python
requirements=$here/requirements-tools.txt
# The stamp names the exact pins, so changing requirements-tools.txt reinstalls.
stamp=$root/.aiir-toolchain-$(cksum < "$requirements" | cut -d' ' -f1)

if [ ! -f "$stamp" ]; then
    echo "toolchain.sh: installing the Python plugin toolchain into $root" >&2
    mkdir -p "$(dirname "$root")"
    rm -rf "$root"
    "$python" -m venv "$root" >&2
    "$root/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        --only-binary :all: -r "$requirements" >&2
    "$root/bin/componentize-py" --version >&2
    touch "$stamp"
fi
echo "$root/bin"
