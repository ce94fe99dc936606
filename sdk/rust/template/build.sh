#!/bin/sh
# Build {{name}}.wasm, the component aiir loads: `./build.sh`.
set -eu
cd "$(dirname "$0")"
cargo build --release --target wasm32-wasip2
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{{name_snake}}.wasm" {{name}}.wasm
echo "built {{name}}.wasm"
