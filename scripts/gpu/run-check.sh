#!/usr/bin/env bash
# THERE: build, the GPU correctness check (golden + CPU agreement), then the V1 and V2 benchmarks.
# Usage (device tool): bash scripts/gpu/run-check.sh   with carry [".gpu", "dist"]
source "$(dirname "$0")/common.sh"
t0=$(date +%s)
$NODE dist/addon/test/gpu/gpu-check.js --json "$OUT/gpu-check.json" > /dev/null 2> "$OUT/gpu-check.log"
echo "gpu-check: exit $? in $(( $(date +%s) - t0 )) s"; grep -E "ok  |FAIL|error|passed" "$OUT/gpu-check.log"
for p in v1 v2; do
  t0=$(date +%s)
  timeout 200 $NODE dist/scripts/src/cli.js bench --backend cuda --params $p --seconds ${SECONDS_PER_RUN:-8} \
    --runs 3 --json > "$OUT/bench-$p.json" 2> "$OUT/bench-$p.log"
  echo "bench $p: exit $? in $(( $(date +%s) - t0 )) s"; grep -v "^run " "$OUT/bench-$p.log" | tail -8
done
