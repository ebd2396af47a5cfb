#!/usr/bin/env bash
# THERE: build; each kernel against the CPU; the golden check; the forward's profile (both weight modes); the V2 and
# V1 benchmarks; then CUDA against the CPU backend (the slowest part, last). Eight files come back in $OUT.
# Usage (device tool): bash scripts/gpu/run-check.sh   with carry [".gpu/node.xz", ".gpu/node_modules.tar", "dist"]
source "$(dirname "$0")/common.sh"
kernel_and_golden_checks
step profile 120 bash -c "build/lgb_cuda_profile v2 ${PROFILE_V2_BATCHES:-64} && build/lgb_cuda_profile v1 ${PROFILE_V1_BATCHES:-128}" \
  > "$OUT/profile.json"
cut -c1-330 "$OUT/profile.json"
bench bench-v2 "$OUT/bench-v2.json" --params v2 --seconds 5
# 256 nonces per call: the engine splits them into batches and generates the next batch's inputs during the current.
bench bench-v2-batch256 "$OUT/bench-v2.json" --params v2 --seconds 10 --batch 256
bench bench-v1 "$OUT/bench-v1.json" --params v1 --seconds 5
step gpu-check-cpu 230 $NODE dist/addon/test/gpu/gpu-check.js --cpu-only --json "$OUT/gpu-check-cpu.json" >/dev/null
grep -E "gpu-check: (ok|FAIL|error)" "$LOG" | tail -3
