#!/usr/bin/env bash
# Print the medians of the last `cargo bench` runs of host/benches/runtime.rs, pipeline.rs and
# plugins/tools/bench-native as a Markdown table, wasm beside native. Needs jq.
#   host/benches/medians.sh [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion)
set -euo pipefail
dir=${1:-${CARGO_TARGET_DIR:-target}/criterion}

median_ns() { jq '.median.point_estimate' "$dir/$1/new/estimates.json"; }
fmt() { awk -v ns="$1" 'BEGIN { if (ns >= 1e6) printf "%.2f ms", ns / 1e6; else if (ns >= 1e3) printf "%.2f µs", ns / 1e3; else printf "%.1f ns", ns }'; }

echo "| benchmark | wasm | native | wasm − native | wasm / native |"
echo "|---|---:|---:|---:|---:|"
row() {
  local w n
  w=$(median_ns "$2") n=$(median_ns "$3")
  echo "| $1 | $(fmt "$w") | $(fmt "$n") | $(fmt "$(awk -v a="$w" -v b="$n" 'BEGIN { print a - b }')") | $(awk -v a="$w" -v b="$n" 'BEGIN { printf "%.1f", a / b }') |"
}
row "overhead (noop)" overhead/wasm_noop overhead/native_noop
for w in "$dir"/detector/wasm_*/; do
  name=$(basename "$w"); name=${name#wasm_}
  row "detector \`$name\`" "detector/wasm_$name" "detector/native_$name"
done
# A table of one criterion group's medians: medians GROUP HEADING.
medians() {
  [ -d "$dir/$1" ] || return 0
  echo
  echo "| $2 | median |"
  echo "|---|---:|"
  for b in "$dir/$1"/*/; do
    echo "| $(basename "$b" | sed 's/_/ /') | $(fmt "$(median_ns "$1/$(basename "$b")")") |"
  done
}
medians load load
medians first-call "first call of a new instance"
if [ -d "$dir/pipeline" ]; then
  # host/benches/pipeline.rs: 1,000 events an iteration.
  echo
  echo "| pipeline | median per 1,000 events | events/s |"
  echo "|---|---:|---:|"
  for w in "$dir"/pipeline/workers_*/; do
    ns=$(median_ns "pipeline/$(basename "$w")")
    echo "| $(basename "$w" | sed 's/_/ /') | $(fmt "$ns") | $(awk -v ns="$ns" 'BEGIN { printf "%.0f", 1000 / (ns / 1e9) }') |"
  done
  one=$(median_ns pipeline/workers_1) two=$(median_ns pipeline/workers_2)
  echo
  echo "2 workers / 1: $(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", a / b }')×"
fi
