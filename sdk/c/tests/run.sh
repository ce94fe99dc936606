#!/usr/bin/env bash
# Native tests of the C SDK: compiles tests/*.c with the machine's C compiler ($CC,
# default cc) against the SDK's pure parts (aiir.c) and the host's stand-in
# (aiir_native.c), with AddressSanitizer and UBSan when the compiler has them, and runs
# them; then the C templates' own native tests, with their placeholders filled in.
# The last line is "N passed, M failed" over every suite.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sdk=$(dirname "$here")
cc=${CC:-cc}
out=$(mktemp -d "${TMPDIR:-/tmp}/aiir-c-tests.XXXXXX")
trap 'rm -rf "$out"' EXIT

flags=(-std=c11 -g -O1 -Wall -Wextra -Wshadow -Werror -I "$sdk")
if echo 'int main(void){return 0;}' | "$cc" -x c - -fsanitize=address,undefined -o "$out/probe" 2>/dev/null \
    && "$out/probe"; then
    flags+=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
else
    echo "run.sh: $cc has no AddressSanitizer here; running without it" >&2
fi

passed=0 failed=0
suite() { # NAME WORLD-DEFINE SOURCES...
    local name=$1 world=$2
    shift 2
    local bindings=detector
    [ "$world" = -DAIIR_RESPONDER ] && bindings=responder
    echo "== $name"
    if ! "$cc" "${flags[@]}" $world -I "$sdk/bindings/$bindings" "$@" "$sdk/aiir.c" "$sdk/aiir_native.c" -lm \
        -o "$out/$name.bin"; then
        failed=$((failed + 1))
        return
    fi
    local log=$out/$name.log status=0
    "$out/$name.bin" > "$log" || status=$?
    cat "$log"
    local line
    line=$(tail -n1 "$log")
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
    else
        failed=$((failed + 1))
    fi
    [ "$status" = 0 ] || [ "${BASH_REMATCH[2]:-1}" != 0 ] || failed=$((failed + 1))
}

suite sdk "" "$here/test_sdk.c"
suite sdk-responder -DAIIR_RESPONDER "$here/test_responder.c"

# The templates, as `aiir new` would write them for a plugin named sample-watch.
for kind in detector responder; do
    src=$sdk/template/$kind
    [ -d "$src/tests" ] || continue
    dst=$out/template-$kind
    mkdir -p "$dst"
    (cd "$src" && find . -name '*.c' -o -name '*.h') | while read -r f; do
        mkdir -p "$dst/$(dirname "$f")"
        sed -e 's/{{name}}/sample-watch/g' -e 's/{{name_snake}}/sample_watch/g' "$src/$f" > "$dst/$f"
    done
    world=""
    [ "$kind" = responder ] && world=-DAIIR_RESPONDER
    suite "template-$kind" "$world" "$dst"/src/*.c "$dst"/tests/*.c
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
