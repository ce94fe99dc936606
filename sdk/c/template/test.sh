#!/bin/sh
# Native tests of {{name}}: tests/*.c with src/*.c, compiled by the machine's C
# compiler ($CC, default cc) against the SDK and its host stand-in
# (aiir/sdk/c/aiir_native.c), then run. The last line says "N passed, M failed".
set -eu

cd "$(dirname "$0")"
sdk=aiir/sdk/c
world={{kind}}
# aiir.h declares the detector API, or the responder one under -DAIIR_RESPONDER.
kind_flag=-DAIIR_$(echo "$world" | tr a-z A-Z)
mkdir -p build
${CC:-cc} -std=c11 -g -Wall -Wextra "$kind_flag" -I "$sdk" -I "$sdk/bindings/$world" \
    src/*.c tests/*.c "$sdk/aiir.c" "$sdk/aiir_native.c" -lm -o build/native-tests
./build/native-tests
