#!/bin/sh
# Build {{name}}.wasm, the component aiir loads, from src/*.c and the vendored SDK in
# aiir/sdk/c. No network: it uses the pinned toolchain that aiir/sdk/c/toolchain.sh
# installs (zig and wasm-tools, versions in aiir/sdk/c/versions.env), found in
#   $AIIR_C_TOOLCHAIN, else ${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/c/bin, else on PATH.
set -eu

cd "$(dirname "$0")"
sdk=aiir/sdk/c
world={{kind}}
# aiir.h declares the detector API, or the responder one under -DAIIR_RESPONDER.
kind_flag=-DAIIR_$(echo "$world" | tr a-z A-Z)
. "$sdk/versions.env"

tools=${AIIR_C_TOOLCHAIN:-${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/c/bin}
tool() {
    if [ -x "$tools/$1" ]; then
        echo "$tools/$1"
    elif command -v "$1" > /dev/null 2>&1; then
        command -v "$1"
    else
        echo "build.sh: $1 not found; install the toolchain with: aiir/sdk/c/toolchain.sh" >&2
        exit 1
    fi
}
zig=$(tool zig)
wasm_tools=$(tool wasm-tools)
if [ "$("$zig" version)" != "$AIIR_C_ZIG_VERSION" ]; then
    echo "build.sh: $zig is zig $("$zig" version), not the pinned $AIIR_C_ZIG_VERSION; run aiir/sdk/c/toolchain.sh" >&2
    exit 1
fi
case "$("$wasm_tools" --version)" in
"wasm-tools $AIIR_C_WASM_TOOLS_VERSION"*) ;;
*)
    echo "build.sh: $wasm_tools is not wasm-tools $AIIR_C_WASM_TOOLS_VERSION; run aiir/sdk/c/toolchain.sh" >&2
    exit 1
    ;;
esac

mkdir -p build
# A core module that imports nothing from WASI (the SDK logs through the contract's
# host.log, and zig's wasi-libc needs no import for malloc, strings or snprintf), so
# no adapter is needed and the component loads with no grants. 1 MiB of stack.
"$zig" cc --target=wasm32-wasi -mexec-model=reactor -Os -s -std=c11 -Wall -Wextra "$kind_flag" \
    -Wl,-z,stack-size=1048576 \
    -I "$sdk" -I "$sdk/bindings/$world" \
    src/*.c "$sdk/aiir.c" "$sdk/aiir_wasm.c" \
    "$sdk/bindings/$world/$world.c" "$sdk/bindings/$world/${world}_component_type.o" \
    -o build/{{name}}.core.wasm
if ! "$wasm_tools" component new build/{{name}}.core.wasm -o {{name}}.wasm; then
    echo "build.sh: no component made. If the module imports wasi_snapshot_preview1, some code calls" >&2
    echo "  the C library's I/O, clock or environment (printf, fopen, time, getenv, ...): remove it;" >&2
    echo "  log with aiir_log_info() and friends instead (see aiir/sdk/c/aiir.h)." >&2
    exit 1
fi
echo "build.sh: wrote {{name}}.wasm ($(wc -c < {{name}}.wasm | tr -d ' ') bytes)"
