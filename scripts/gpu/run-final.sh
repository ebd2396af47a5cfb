#!/usr/bin/env bash
# THERE (the speed work's final run): build; each kernel against the CPU; the golden check; the V2 forward's
# profile (tuned, untuned, tuned again: the tuning's effect on the forward; then the shifted copies of a 24 GB card)
# and V1's; the V2 bench at the preferred batch, then under a 24 GiB memory cap; V1; CUDA against the CPU backend
# last. Eight files come back in $OUT. (run-speed.sh, the first call, also ran the GEMM sweep, the pool-only mode,
# batch 128 and PyTorch's GEMM rate.)
# Usage (device tool): bash scripts/gpu/run-final.sh   with carry [".gpu/node.xz", ".gpu/node_modules.tar", "dist"]
source "$(dirname "$0")/common.sh"
kernel_and_golden_checks
step profile-v2 150 build/lgb_cuda_profile v2 64 ${PROFILE_V2_MODES:-materialised materialised:h materialised shifted_copies} \
  > "$OUT/profile.json"
step profile-v1 60 build/lgb_cuda_profile v1 128 materialised >> "$OUT/profile.json"
clocks
grep -E '"forward"|"swiglu"|"attention"' "$OUT/profile.json" | cut -c1-200
benches_then_cpu_check
