#!/bin/sh
# Build {{name}}.wasm, a WebAssembly component of the aiir:plugin/{{kind}}@0.3.1 world,
# from component.js, src/ and the vendored SDK in aiir/. No network: the toolchain is
# the one aiir/sdk/js/toolchain.sh installed (componentize-qjs, pinned).
#
# componentize-qjs is taken from $COMPONENTIZE_QJS if set, else from
# ${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/js/bin, else from PATH.
set -eu
cd "$(dirname "$0")"

tools="${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/js/bin"
if [ -n "${COMPONENTIZE_QJS:-}" ]; then
  cqjs=$COMPONENTIZE_QJS
elif [ -x "$tools/componentize-qjs" ]; then
  cqjs="$tools/componentize-qjs"
elif command -v componentize-qjs >/dev/null 2>&1; then
  cqjs=componentize-qjs
else
  echo "build.sh: componentize-qjs not found; install the pinned toolchain with: sh aiir/sdk/js/toolchain.sh" >&2
  exit 1
fi

# --sync: no component-model async ABI; --stub-wasi: no WASI imports at all, so the
# component loads with no grants (the SDK routes console.* to host.log).
"$cqjs" --wit aiir/wit --world {{kind}} --js component.js --module-root . \
  --sync --stub-wasi -o {{name}}.wasm >/dev/null
echo "{{name}}.wasm"
