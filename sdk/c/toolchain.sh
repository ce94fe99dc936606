#!/usr/bin/env bash
# Install the pinned C plugin toolchain under ${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/c:
#   zig (PyPI `ziglang`), the C compiler for wasm32-wasi with its wasi-libc, and
#   wasm-tools (crates.io, only its `component` feature), which turns the compiled
#   module into a component.
# Versions: versions.env. Idempotent: a no-op (milliseconds) when that exact set is
# present. The last line of stdout is the directory to prepend to PATH (it holds
# `zig` and `wasm-tools`); everything else goes to stderr.
#
#   export PATH="$(aiir/sdk/c/toolchain.sh | tail -n1):$PATH"
#
# Needs python3 with pip (AIIR_PYTHON chooses another) and cargo (AIIR_CARGO), and
# PyPI and crates.io. Cold: ~100 MB of download for zig (10 s), ~4 min of CPU for
# wasm-tools on 2 cores, then ~40 s to build zig's wasi-libc once into zig's cache
# (~/.cache/zig) for the flags build.sh uses. Warm: a few milliseconds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
root=${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/c
python=${AIIR_PYTHON:-python3}
cargo=${AIIR_CARGO:-cargo}
zig_dir=$root/ziglang-$AIIR_C_ZIG_VERSION
wasm_tools_dir=$root/wasm-tools-$AIIR_C_WASM_TOOLS_VERSION
stamp=$root/.aiir-toolchain-zig-$AIIR_C_ZIG_VERSION-wasm-tools-$AIIR_C_WASM_TOOLS_VERSION

ready() { [ -f "$stamp" ] && [ -x "$root/bin/zig" ] && [ -x "$root/bin/wasm-tools" ]; }

if ! ready; then
    mkdir -p "$root"
    exec 9> "$root/.lock"
    if command -v flock > /dev/null; then flock 9; fi
fi
if ! ready; then
    echo "toolchain.sh: installing the C plugin toolchain into $root" >&2
    if [ ! -x "$zig_dir/ziglang/zig" ]; then
        rm -rf "$zig_dir.part"
        "$python" -m pip install --disable-pip-version-check --root-user-action=ignore --no-input -q --no-deps \
            --only-binary :all: --target "$zig_dir.part" "ziglang==$AIIR_C_ZIG_VERSION" >&2
        mv "$zig_dir.part" "$zig_dir"
    fi
    if [ ! -x "$wasm_tools_dir/bin/wasm-tools" ]; then
        rm -rf "$wasm_tools_dir.part"
        "$cargo" install --locked --quiet --root "$wasm_tools_dir.part" --no-default-features --features component \
            "wasm-tools@$AIIR_C_WASM_TOOLS_VERSION" >&2
        mv "$wasm_tools_dir.part" "$wasm_tools_dir"
    fi
    mkdir -p "$root/bin"
    ln -sfn "$zig_dir/ziglang/zig" "$root/bin/zig"
    ln -sfn "$wasm_tools_dir/bin/wasm-tools" "$root/bin/wasm-tools"
    echo "toolchain.sh: zig $("$root/bin/zig" version), $("$root/bin/wasm-tools" --version)" >&2

    # zig builds wasi-libc on first use, per optimisation level: do it now, with the
    # flags of the templates' build.sh, so that the first plugin build takes a second.
    warm=$(mktemp -d "${TMPDIR:-/tmp}/aiir-c-warm.XXXXXX")
    printf '#include <stdlib.h>\n#include <stdio.h>\nint warm(int n){char b[32];void*p=malloc(n);free(p);return snprintf(b,sizeof b,"%%g",n*1.5);}\n' \
        > "$warm/warm.c"
    "$root/bin/zig" cc --target=wasm32-wasi -mexec-model=reactor -Os -s "$warm/warm.c" -o "$warm/warm.wasm" >&2
    rm -rf "$warm"
    touch "$stamp"
fi
echo "$root/bin"
