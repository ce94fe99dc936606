#!/usr/bin/env bash
# Regenerate the checked-in C bindings (bindings/detector, bindings/responder) from
# the WIT contract with the pinned wit-bindgen (versions.env), the version of the Rust
# crate wit-bindgen the Rust SDK uses. Plugin authors never need this: the bindings
# are vendored with the SDK.
#
#   sdk/c/regen.sh            rewrite bindings/ from ../../wit
#   sdk/c/regen.sh --check    only say whether bindings/ is up to date (exit 1 if not)
#
# Installs wit-bindgen-cli (only its C generator) under
# ${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/c/wit-bindgen-<version> on first use:
# ~5 min of CPU on 2 cores (cargo, crates.io).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
wit=${AIIR_WIT:-$here/../../wit}
root=${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/c/wit-bindgen-$AIIR_C_WIT_BINDGEN_VERSION
generator=$root/bin/wit-bindgen

if [ ! -x "$generator" ]; then
    echo "regen.sh: installing wit-bindgen-cli $AIIR_C_WIT_BINDGEN_VERSION into $root" >&2
    rm -rf "$root.part"
    "${AIIR_CARGO:-cargo}" install --locked --quiet --root "$root.part" --no-default-features --features c \
        "wit-bindgen-cli@$AIIR_C_WIT_BINDGEN_VERSION" >&2
    mv "$root.part" "$root"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/aiir-c-regen.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/bindings
for world in detector responder; do
    if ! "$generator" c --world "$world" --out-dir "$out/$world" "$wit" > "$work/log" 2>&1; then
        cat "$work/log" >&2
        exit 1
    fi
done

if [ "${1:-}" = --check ]; then
    if diff -r "$out" "$here/bindings" > /dev/null; then
        echo "regen.sh: bindings/ is up to date with $wit (wit-bindgen $AIIR_C_WIT_BINDGEN_VERSION)"
    else
        diff -r "$out" "$here/bindings" | head -20 >&2 || true
        echo "regen.sh: bindings/ is out of date with $wit; run sdk/c/regen.sh" >&2
        exit 1
    fi
else
    rm -rf "$here/bindings"
    mkdir -p "$here/bindings"
    cp -r "$out/detector" "$out/responder" "$here/bindings/"
    echo "regen.sh: wrote $here/bindings (wit-bindgen $AIIR_C_WIT_BINDGEN_VERSION)"
fi
