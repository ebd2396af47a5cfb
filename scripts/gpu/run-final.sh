#!/usr/bin/env bash
# THERE (speed issue, the final call): build; each kernel against the CPU; the golden check; the V2 forward's
# profile (tuned, untuned, tuned again: the tuning's effect on the forward; then the shifted copies of a 24 GB card)
# and V1's; the V2 bench at the preferred batch, then under a 24 GiB memory cap; V1; CUDA against the CPU backend
# last. Eight files come back in $OUT. (run-speed.sh, the first call, also ran the GEMM sweep, the pool-only mode,
# batch 128 and PyTorch's GEMM rate.)
# Usage (device tool): bash scripts/gpu/run-final.sh   with carry [".gpu/node.xz", ".gpu/node_modules.tar", "dist"]
source "$(dirname "$0")/common.sh"
step kernel-check 60 build/lgb_cuda_kernel_check > "$OUT/kernel-check.json"; grep -v '"ok":true' "$OUT/kernel-check.json"
step gpu-check-golden 120 $NODE dist/addon/test/gpu/gpu-check.js --golden-only --json "$OUT/gpu-check-golden.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error|skipped)" "$LOG"
step profile-v2 150 build/lgb_cuda_profile v2 64 ${PROFILE_V2_MODES:-materialised materialised:h materialised shifted_copies} \
  > "$OUT/profile.json"
step profile-v1 60 build/lgb_cuda_profile v1 128 materialised >> "$OUT/profile.json"
clocks
grep -E '"forward"|"swiglu"|"attention"' "$OUT/profile.json" | cut -c1-200
bench bench-v2 "$OUT/bench-v2.json" --params v2 --seconds 10
clocks
bench bench-v2-24gb "$OUT/bench-v2.json" --params v2 --seconds 10 --memory-limit-gb 24
bench bench-v1 "$OUT/bench-v1.json" --params v1 --seconds 5
grep -h -o '"cold_start_s":[0-9.]*\|"memory_peak_bytes":[0-9]*\|"percent_of_peak":[0-9.]*' "$OUT"/bench-v*.json | paste -sd' '
step gpu-check-cpu 230 $NODE dist/addon/test/gpu/gpu-check.js --cpu-only --json "$OUT/gpu-check-cpu.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error)" "$LOG" | tail -5
