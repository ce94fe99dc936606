#!/bin/sh
# Build {{name}}.wasm, the component aiir loads: `./build.sh`.
#
# Uses the componentize-py pinned in aiir/sdk/python/requirements-tools.txt, found as
# $COMPONENTIZE_PY, else on PATH, else where aiir/sdk/python/toolchain.sh installs it
# (${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/python/bin). Nothing is downloaded: the
# bindings are generated from aiir/wit and the SDK is read from aiir/sdk/python.
set -eu
cd "$(dirname "$0")"

want=$(sed -n 's/^componentize-py==//p' aiir/sdk/python/requirements-tools.txt)
tools=${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/python/bin
cpy=${COMPONENTIZE_PY:-}
if [ -z "$cpy" ]; then
    if command -v componentize-py >/dev/null 2>&1; then
        cpy=componentize-py
    elif [ -x "$tools/componentize-py" ]; then
        cpy=$tools/componentize-py
    else
        echo "build.sh: componentize-py $want not found: run aiir/sdk/python/toolchain.sh, which installs it in $tools" >&2
        exit 1
    fi
fi
have=$("$cpy" --version | sed 's/^componentize-py //')
if [ "$have" != "$want" ]; then
    echo "build.sh: $cpy is componentize-py $have; this project is pinned to $want: run aiir/sdk/python/toolchain.sh" >&2
    exit 1
fi

# --stub-wasi: the component imports no WASI at all (no files, no sockets, no clocks),
# so it loads with no grants. The SDK routes print() and logging to the host's log and
# turns exceptions into the contract's errors, which a stubbed stderr would lose.
"$cpy" -q -d aiir/wit -w aiir:plugin/{{kind}}@0.3.1 \
    componentize app -p . -p aiir/sdk/python --stub-wasi -o {{name}}.wasm.tmp
mv {{name}}.wasm.tmp {{name}}.wasm
echo "built {{name}}.wasm"
