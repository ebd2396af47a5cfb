#!/usr/bin/env bash
# THERE: build; each kernel against the CPU; the golden check; the forward's profile; the V2 and V1 benchmarks;
# then CUDA against the CPU backend (the slowest part, last). Eight files come back in $OUT.
# Usage (device tool): bash scripts/gpu/run-check.sh   with carry [".gpu/node.xz", ".gpu/node_modules.tar", "dist"]
source "$(dirname "$0")/common.sh"
step kernel-check 60 build/lgb_cuda_kernel_check > "$OUT/kernel-check.json"; grep -v '"ok":true' "$OUT/kernel-check.json"
step gpu-check-golden 120 $NODE dist/addon/test/gpu/gpu-check.js --golden-only --json "$OUT/gpu-check-golden.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error|skipped)" "$LOG"
step profile 90 bash -c "build/lgb_cuda_profile v2 32 64 128 && build/lgb_cuda_profile v1 64 128 256" > "$OUT/profile.json"
cat "$OUT/profile.json" | cut -c1-400
for p in v2 v1; do
  step bench-$p 80 $NODE dist/scripts/src/cli.js bench --backend cuda --params $p --seconds 5 --runs 3 --json \
    > "$OUT/bench-$p.json"
  grep -A4 "^preset $p" "$LOG" | tail -4
done
step gpu-check-cpu 230 $NODE dist/addon/test/gpu/gpu-check.js --cpu-only --json "$OUT/gpu-check-cpu.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error)" "$LOG" | tail -3
