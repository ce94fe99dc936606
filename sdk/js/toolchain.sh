#!/bin/sh
# Install the pinned toolchain for aiir plugins written in JavaScript, under
# ${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/js, and print (last line of stdout) the
# directory to prepend to PATH: it holds `componentize-qjs` and `tsc`.
#
# Pinned, with the integrity hashes of toolchain/package-lock.json (npm ci):
#   componentize-qjs 0.4.5 (npm; its prebuilt native binding
#     @andreiltd/componentize-qjs-binding-<platform> 0.4.5 comes from npm too)
#   typescript 7.0.2 (npm; checks the SDK's .d.ts types; optional for building)
# Needs node >= 18 and npm on PATH, and the npm registry, the first time only.
# Idempotent: a no-op (milliseconds) when the same pins are installed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root="${AIIR_TOOLS:-$HOME/.cache/aiir/tools}/js"
lock="$here/toolchain/package-lock.json"
want=$(cat "$here/toolchain/package.json" "$lock" | sha256sum | cut -c1-32)

if [ -f "$root/.installed" ] && [ "$(cat "$root/.installed")" = "$want" ] &&
  [ -x "$root/bin/componentize-qjs" ] && [ -x "$root/bin/tsc" ]; then
  echo "$root/bin"
  exit 0
fi

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "toolchain.sh: $tool is not on PATH (node >= 18 is needed)" >&2; exit 1; }
done
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "toolchain.sh: node $(node --version) is too old: componentize-qjs needs node >= 18" >&2
  exit 1
fi

mkdir -p "$root"
tmp=$(mktemp -d "$root/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$here/toolchain/package.json" "$lock" "$tmp/"
echo "toolchain.sh: installing componentize-qjs 0.4.5 and typescript 7.0.2 into $root" >&2
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)

rm -rf "$root/node_modules" "$root/bin" "$root/.installed"
mv "$tmp/node_modules" "$root/node_modules"
cp "$tmp/package.json" "$tmp/package-lock.json" "$root/"
mkdir -p "$root/bin"
ln -s ../node_modules/componentize-qjs/bin/componentize-qjs "$root/bin/componentize-qjs"
ln -s ../node_modules/typescript/bin/tsc "$root/bin/tsc"
"$root/bin/componentize-qjs" --help >/dev/null
echo "$want" > "$root/.installed"
echo "$root/bin"
