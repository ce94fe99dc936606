#!/usr/bin/env bash
# Throughput of detection spread over processes: N `aiir worker`s and one `aiir ingest`
# on a local nats-server (JetStream), N = 1, 2, 3, beside one `aiir run` over the same
# log. The events are published first (`aiir run --publish`, timed apart); a figure is
# the time from starting the workers and the ingest to the ingest storing the last line.
# Usage: host/benches/cluster.sh [LOG]   (default: the pipeline bench's 60,000-line
# corpus, written if missing). See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-$PWD/target}
cargo build --release --quiet --bin aiir
aiir="$target/release/aiir"
log=${1:-/tmp/gen60k.jsonl}
[[ -f $log ]] || AIIR_WRITE_CORPUS="$log" cargo bench --quiet -p aiir-host --bench pipeline
events=$(wc -l <"$log")
dir=$(mktemp -d)
nats-server -js -a 127.0.0.1 -p -1 -sd "$dir/js" 2>"$dir/nats.log" &
nats=$!
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
until url=$(grep -o 'client connections on [0-9.:]*' "$dir/nats.log" | cut -d' ' -f4); [[ -n $url ]]; do sleep 0.1; done
url="nats://$url"

rate() { python3 -c "import sys; e, s = int(sys.argv[1]), float(sys.argv[2]); print(f'{s:6.2f} s  {e / s:8.0f} events/s')" "$@"; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$(now)"; }

start=$(now)
"$aiir" run --store "$dir/one.db" -o /dev/null --no-progress "$log" 2>/dev/null
echo "aiir run (one process, $(nproc) workers):  $(rate "$events" "$(since "$start")")"
for n in 1 2 3; do
  start=$(now)
  "$aiir" run --publish "$url" --stream "bench$n" "$log" 2>/dev/null
  echo "publish:                             $(rate "$events" "$(since "$start")")"
  start=$(now)
  for w in $(seq "$n"); do "$aiir" worker --nats "$url" --stream "bench$n" --name "w$w" 2>/dev/null & done
  "$aiir" ingest --nats "$url" --stream "bench$n" --once --store "$dir/ingest$n.db" -o /dev/null 2>/dev/null
  echo "$n worker(s) + ingest:                $(rate "$events" "$(since "$start")")"
  pkill -TERM -f "aiir worker --nats $url --stream bench$n " || true
  sleep 0.5
done
